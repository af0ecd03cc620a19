"""Where pyucore keeps what it can rebuild (built ELF images, translated code, debug tables): the user's
cache directory, and how an entry is written there so that a reader sees all of it or nothing.

Everything below it is a cache: deleting any of it, or all, only costs the time to build it again.
"""

import hashlib
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


CHECKSUM_BYTES = 16


def _checksum(key: bytes, data: bytes) -> bytes:
    """The checksum stored before data in the entry of key."""
    return hashlib.blake2b(key + b"\0" + data, digest_size=CHECKSUM_BYTES).digest()


def read_checked(path, key: bytes) -> bytes | None:
    """The data of the entry file path written by write_checked for key, or None when there is none or
    it is damaged, truncated or another key's."""
    try:
        with open(path, "rb") as file:
            stored = file.read()
    except OSError:
        return None
    data = stored[CHECKSUM_BYTES:]
    return data if stored[:CHECKSUM_BYTES] == _checksum(key, data) else None


def write_checked(path, key: bytes, data: bytes) -> bool:
    """Stores data for key in the entry file path (its directory made if missing), whole or not at all;
    returns False when it cannot be written (the entry is then only missing)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, _checksum(key, data) + data)
    except OSError:
        return False
    return True


def write_atomically(path, data: bytes) -> None:
    """Write data to path so that concurrent readers see either nothing or the whole file; the
    directory must exist (OSError otherwise)."""
    import tempfile
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
