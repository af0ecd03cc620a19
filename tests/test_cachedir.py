"""Where pyucore's caches live: the user's cache directory by the XDG rules, or $PYUCORE_CACHE."""

import sys
from pathlib import Path

import pytest

from pyucore.cachedir import pyucore_cache_dir, user_cache_dir

linux_only = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG rules are Linux's")


@linux_only
def test_the_cache_is_under_xdg_cache_home_when_it_is_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.delenv("PYUCORE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert pyucore_cache_dir() == tmp_path / "pyucore"


@linux_only
def test_a_relative_or_empty_xdg_cache_home_is_ignored_as_the_xdg_rules_say(monkeypatch):
    for value in ("relative/cache", ""):
        monkeypatch.setenv("XDG_CACHE_HOME", value)
        assert user_cache_dir() == Path.home() / ".cache"


def test_pyucore_cache_overrides_the_user_cache_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("PYUCORE_CACHE", str(tmp_path / "mine"))
    assert pyucore_cache_dir() == tmp_path / "mine"
