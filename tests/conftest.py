"""Fixtures shared by the whole suite: lab workspaces written once per session (the tests that share one
only read it; a test that edits a workspace copies one first), a translation cache of the session's
own, so that no test writes into the user's cache directory, and the reference runs of the built-in
programs, booted once per session (worker) for every test that compares against them."""

import os

import pytest

from pyucore.api import boot
from pyucore.lab.workspace import init_workspace


@pytest.fixture(scope="session")
def solution_ws(tmp_path_factory):
    """A workspace written with --solution (the reference code in every blank)."""
    return init_workspace(tmp_path_factory.mktemp("lab") / "solution", solution=True)


@pytest.fixture(scope="session")
def fresh_ws(tmp_path_factory):
    """A workspace as a student gets it: every blank empty."""
    return init_workspace(tmp_path_factory.mktemp("lab") / "fresh")


@pytest.fixture(scope="session", autouse=True)
def translation_cache(tmp_path_factory):
    """Every boot of the session, and every pyucore process a test starts, keeps its translated code in
    a directory of the session's (pyucore.machine.codecache)."""
    directory = tmp_path_factory.mktemp("translations")
    saved = os.environ.get("PYUCORE_TRANSLATION_CACHE")
    os.environ["PYUCORE_TRANSLATION_CACHE"] = str(directory)
    yield directory
    if saved is None:
        del os.environ["PYUCORE_TRANSLATION_CACHE"]
    else:
        os.environ["PYUCORE_TRANSLATION_CACHE"] = saved


@pytest.fixture(scope="session")
def reference_run():
    """reference_run(program, cow=True): the BootResult of boot(program=program, cow=cow,
    keep_events=True) (pyucore's own kernel, the python CPU, the boot's self-checks shown), booted the
    first time it is asked for and shared by the session's tests afterwards, which only read it."""
    runs = {}

    def run(program, cow=True):
        if (program, cow) not in runs:
            runs[program, cow] = boot(program=program, cow=cow, keep_events=True)
        return runs[program, cow]
    return run
