"""Translated code kept across runs: the compiled code of each translated block, in memory and on disk.

The code the translator generates for a block depends only on the block's content (its instructions'
bits and addresses, the key the CPU already shares compiled functions by), on the translator itself
and on the Python that compiled it. An entry's key is a hash of all of them: the content, the source of
every module of this package (the translator, the decoder, the CPU whose helpers the code calls, the
MMU whose TLB it reads) and the Python version. So an entry is never stale: other bytes at the same
address, another address, any edit of the machine's code or another Python is another key.

On disk an entry is one file, `<directory>/<2 hex digits>/<key hash>`: a checksum of the key and the
data, then the marshalled code object. It is written to a file of its own and renamed into place, so
a reader sees a whole entry or none; a file that is damaged, truncated, or answers another key fails
the checksum and counts as missing. Any failure (no directory, an unwritable one, a bad entry) only
means compiling: the cache saves time and never changes what runs. Each 2-digit subdirectory keeps at
most SHARD_LIMIT entries (the oldest go first), so the cache stays bounded however much code runs, and
one process writes at most MAX_WRITES of them.

Where: $PYUCORE_TRANSLATION_CACHE if set (empty: no disk cache, memory only), else `translations/` in
pyucore's cache directory (pyucore.cachedir: ~/.cache/pyucore on Linux). Deleting it is always safe.
"""

import hashlib
import marshal
import os
import sys
from pathlib import Path

from pyucore.cachedir import pyucore_cache_dir, read_checked, write_checked

SHARD_LIMIT = 32          # entries per subdirectory; 256 of them: at most 8,192 entries (about 40 MB)
MEMORY_LIMIT = 4096       # code objects kept in this process's memory (the oldest go first)
# entries one process writes at most: a program that keeps making new code (benchmarks/snippets.py)
# neither spends its time writing them nor pushes every other program's entries out
MAX_WRITES = 2048
_CodeType = type(compile("", "", "exec"))


def translator_version(package=Path(__file__).resolve().parent):
    """Returns a hash of the Python version and of the source of every module of package (by default
    pyucore.machine), or None when the source cannot be read (no disk cache then: the version could not
    tell translators apart)."""
    digest = hashlib.blake2b(sys.version.encode(), digest_size=16)
    try:
        for path in sorted(package.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def cache_directory():
    """Returns the directory of the disk cache this process uses (a Path), or None for none:
    $PYUCORE_TRANSLATION_CACHE (empty for none), else translations/ in pyucore's cache directory."""
    env = os.environ.get("PYUCORE_TRANSLATION_CACHE")
    if env is not None:
        return Path(env) if env else None
    return pyucore_cache_dir() / "translations"


class TranslationCache:
    """Code objects of translated blocks by content: kept in memory, and in directory (None: memory only)
    under the given translator version (None: memory only)."""

    def __init__(self, directory, version):
        """Needs a directory (created on the first write) or None, and a version string or None."""
        self.directory = directory if version is not None else None
        self.version = (version or "").encode()
        self.memory = {}
        self.writes_left = MAX_WRITES
        self.hits = self.misses = 0      # disk look-ups that found an entry / did not (statistics)

    def code(self, content, compile_code):
        """Returns the code object of the block with this content (a tuple of ints and tuples): kept in
        memory, read from disk, or compile_code() (then kept in both)."""
        code = self.memory.get(content)
        if code is not None:
            return code
        key = self._key(content) if self.directory is not None else None
        if key is not None:
            code = self._read(key)
        if code is None:
            code = compile_code()
            if key is not None and self.writes_left > 0:
                self._write(key, code)
        if len(self.memory) >= MEMORY_LIMIT:
            del self.memory[next(iter(self.memory))]
        self.memory[content] = code
        return code

    def _key(self, content):
        """Returns the hex hash naming content's entry under this cache's translator version."""
        return hashlib.blake2b(self.version + b"\0" + repr(content).encode(), digest_size=20).hexdigest()

    def _path(self, key):
        """Returns the path of the entry of key."""
        return self.directory / key[:2] / key

    def _read(self, key):
        """Returns the code object of key's entry, or None when there is none or it is unusable."""
        data = read_checked(self._path(key), key.encode())
        code = None
        if data is not None:
            try:
                code = marshal.loads(data)
            except (EOFError, ValueError, TypeError):
                code = None
        if code.__class__ is not _CodeType:
            self.misses += 1
            return None
        self.hits += 1
        return code

    def _write(self, key, code):
        """Stores code as key's entry (whole or not at all); after a failure, this cache writes no more."""
        path = self._path(key)
        self.writes_left -= 1
        try:
            # private: the entries are code this process runs
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            self.writes_left = 0
            return
        if not write_checked(path, key.encode(), marshal.dumps(code)):
            self.writes_left = 0
            return
        self._trim(path.parent)

    @staticmethod
    def _trim(shard):
        """Keeps the subdirectory shard within SHARD_LIMIT entries: past it, the oldest quarter goes."""
        try:
            names = os.listdir(shard)
        except OSError:
            return
        if len(names) <= SHARD_LIMIT:
            return
        aged = []
        for name in names:
            try:
                aged.append((os.stat(shard / name).st_mtime_ns, name))
            except OSError:
                pass      # another process removed it
        aged.sort()
        for _, name in aged[:len(aged) - SHARD_LIMIT * 3 // 4]:
            _remove(shard / name)


def _remove(path):
    """Removes the file path if it is there."""
    try:
        os.unlink(path)
    except OSError:
        pass


# read when the machine is imported, so that it describes the code this process runs
VERSION = translator_version()
_shared = {}


def shared_cache():
    """Returns this process's TranslationCache for the directory the environment names now (one per
    directory, so every CPU of the process shares its memory)."""
    directory = cache_directory()
    cache = _shared.get(directory)
    if cache is None:
        cache = _shared[directory] = TranslationCache(directory, VERSION)
    return cache
