"""Where pyucore keeps what it can rebuild (built ELF images, translated code): the user's cache directory.

Everything below it is a cache: deleting any of it, or all, only costs the time to build it again.
"""

import os
import sys
from pathlib import Path


def user_cache_dir() -> Path:
    """The user's cache directory: $XDG_CACHE_HOME, else ~/.cache (the XDG base directory rules), on
    macOS ~/Library/Caches, on Windows %LOCALAPPDATA%."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"])
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    # the XDG rules ignore a relative $XDG_CACHE_HOME
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"


def pyucore_cache_dir() -> Path:
    """pyucore's cache directory: $PYUCORE_CACHE, else pyucore/ in the user's cache directory."""
    env = os.environ.get("PYUCORE_CACHE")
    return Path(env) if env else user_cache_dir() / "pyucore"
