"""Fixtures shared by the whole suite: lab workspaces written once per session (the tests that share one
only read it; a test that edits a workspace copies one first)."""

import pytest

from pyucore.lab.workspace import init_workspace


@pytest.fixture(scope="session")
def solution_ws(tmp_path_factory):
    """A workspace written with --solution (the reference code in every blank)."""
    return init_workspace(tmp_path_factory.mktemp("lab") / "solution", solution=True)


@pytest.fixture(scope="session")
def fresh_ws(tmp_path_factory):
    """A workspace as a student gets it: every blank empty."""
    return init_workspace(tmp_path_factory.mktemp("lab") / "fresh")
