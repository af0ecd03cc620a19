"""Build user programs: C + the pyucore user library -> a RISC-V64 ELF for the ucore user ABI.

The compiler is zig's clang (the `ziglang` PyPI package), run as `python -m ziglang cc`. Every build is
cached by a hash of everything that goes into it (library sources, the program, user.ld, the flags, the
zig version), on disk and in this process, so only the first build of a given source ever runs zig.
"""

import functools
import hashlib
import importlib.metadata
import os
import subprocess
import sys
import tempfile
from pathlib import Path

USER_DIR = Path(__file__).resolve().parent
LIBS_DIR = USER_DIR / "libs"
PROGRAMS_DIR = USER_DIR / "programs"
LINKER_SCRIPT = USER_DIR / "user.ld"

# The 15 lab5 programs, in the order of the lab's list; the text is what `pyucore list` shows.
PROGRAMS = {
    "hello": "prints a greeting and its pid, then returns 0",
    "exit": "forks a child that yields 7 times and exits with a magic code; the parent checks it with waitpid",
    "yield": "yields 5 times, printing after each yield",
    "forktest": "forks 32 children that each print and exit; the parent reaps exactly 32",
    "forktree": "builds a binary process tree 4 levels deep (31 processes), each printing its pid and path",
    "spin": "forks a child that spins forever, yields 3 times, then kills it and waits for it",
    "waitkill": "child 2 kills the parent waiting for child 1, then kills the spinning child 1",
    "badarg": "waitpid with a bad pid and a kernel pointer must fail; a real wait gets exit code 0xbeaf",
    "badsegment": "x86 leftover: only calls user panic (exit code -10)",
    "divzero": "prints 1/0 (RISC-V gives -1, no trap), then user panic",
    "softint": "x86 leftover: calls exit(0) at once",
    "faultread": "reads address 0 from user mode (load page fault)",
    "faultreadkernel": "reads address 0xfac00000 from user mode (load page fault)",
    "testbss": "checks a 4 MiB BSS array is zeroed and holds values, then writes 4 KiB past its end",
    "pgdir": "prints its pid and calls the pgdir system call",
}

# Target and code model of the ucore user ABI (SPEC 2).
TARGET_FLAGS = [
    "-target", "riscv64-freestanding-none",
    "-mcpu=generic_rv64+m+a+c",
    "-mcmodel=medany",
]
# Freestanding static code with no unwind tables (they would only add eh_frame); null-pointer loads
# are kept because faultread and student programs rely on them actually faulting.
CFLAGS = [
    "-O2",
    "-g",
    "-ffreestanding",
    "-nostdlib",
    "-fno-pic",
    "-fno-stack-protector",
    "-fno-unwind-tables",
    "-fno-asynchronous-unwind-tables",
    "-fno-delete-null-pointer-checks",
    "-Wall",
]
LDFLAGS = ["-static", "-Wl,--build-id=none"]


class BuildError(Exception):
    """A program could not be built; the message is what the user should see (compiler diagnostics)."""


_MEMO: dict[str, bytes] = {}


def program_names() -> list[str]:
    """The built-in lab5 programs, in the lab's order."""
    return list(PROGRAMS)


def program_description(name: str) -> str:
    """One line describing built-in program `name`."""
    _check_known(name)
    return PROGRAMS[name]


def build_program(name: str) -> bytes:
    """The ELF image of built-in program `name` (raises BuildError for an unknown name)."""
    _check_known(name)
    return build_c(PROGRAMS_DIR / f"{name}.c")


def build_c(source_path) -> bytes:
    """The ELF image of the C file at source_path linked with the user library (cached)."""
    source = Path(source_path).resolve()
    if not source.is_file():
        raise BuildError(f"{source_path}: no such file")
    key = _cache_key(source)
    image = _MEMO.get(key)
    if image is None:
        image = _read_cache(key)
    if image is None:
        image = _compile_to_bytes(source)
        _write_cache(key, image)
    _MEMO[key] = image
    return image


def compile_c(source_path, output_path) -> None:
    """Compile the C file at source_path against the user library into the ELF file output_path."""
    image = build_c(source_path)
    _write_atomically(Path(output_path), image)
    os.chmod(output_path, 0o755)


@functools.cache
def zig_version() -> str:
    """The version of the installed ziglang package (part of every cache key)."""
    try:
        return importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        raise BuildError("the C compiler is missing: install the ziglang package (pip install ziglang)") from None


def cache_dir() -> Path:
    """Where built ELF images are kept: $PYUCORE_CACHE, else ~/.cache/pyucore."""
    env = os.environ.get("PYUCORE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "pyucore"


def library_files() -> list[Path]:
    """Every file of the user library (sources and headers) plus the linker script."""
    files = [p for p in LIBS_DIR.iterdir() if p.suffix in (".c", ".S", ".h")]
    return sorted(files) + [LINKER_SCRIPT]


def _check_known(name: str) -> None:
    """Raise BuildError listing the built-ins unless name is one of them."""
    if name not in PROGRAMS:
        raise BuildError(f"unknown program {name!r}; the built-in programs are: {', '.join(PROGRAMS)}")


def _local_headers(source: Path) -> list[Path]:
    """Headers next to a source file: it may include them with "...", so they are part of its build."""
    return sorted(source.parent.glob("*.h"))


def _cache_key(source: Path) -> str:
    """A hash of everything that determines the ELF built from source."""
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(label.encode() + b"\0" + len(data).to_bytes(8, "little") + data)

    add("zig", zig_version().encode())
    add("flags", "\0".join(TARGET_FLAGS + CFLAGS + LDFLAGS).encode())
    for path in library_files():
        add(f"lib/{path.name}", path.read_bytes())
    # only the file name reaches the image (as __FILE__ "user/<name>"), not the directory
    add(f"src/{source.name}", source.read_bytes())
    for path in _local_headers(source):
        add(f"hdr/{path.name}", path.read_bytes())
    return h.hexdigest()


def _compile_to_bytes(source: Path) -> bytes:
    """Run zig cc on source + the library in a scratch directory and return the linked image."""
    with tempfile.TemporaryDirectory(prefix="pyucore-build-") as scratch:
        output = Path(scratch) / "a.elf"
        _run_compiler(_compiler_command(source, output))
        return output.read_bytes()


def _compiler_command(source: Path, output: Path) -> list[str]:
    """The zig cc command line that builds source into the ELF file output."""
    lib_sources = [str(p) for p in library_files() if p.suffix in (".c", ".S")]
    # __FILE__ and the debug info say user/<name>.c and user/libs/<file> as in the ucore tree, and
    # the compiler's working directory (USER_DIR) is "user": the image never holds a local path.
    # Where several maps match, clang applies the last one given, so the most specific comes last.
    prefix_maps = [
        f"-ffile-prefix-map={USER_DIR}=user",
        f"-ffile-prefix-map={source.parent}/=user/",
        f"-ffile-prefix-map={LIBS_DIR}/=user/libs/",
    ]
    return [
        sys.executable, "-m", "ziglang", "cc",
        *TARGET_FLAGS, *CFLAGS, *prefix_maps,
        "-I", str(LIBS_DIR),
        "-T", str(LINKER_SCRIPT), *LDFLAGS,
        *lib_sources, str(source),
        "-o", str(output),
    ]


def _run_compiler(command: list[str]) -> None:
    """Run the compiler; raise BuildError with its diagnostics if it fails."""
    env = dict(os.environ)
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(cache_dir() / "zig"))
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=USER_DIR)
    except OSError as exc:
        raise BuildError(f"cannot run the C compiler (python -m ziglang): {exc}") from None
    if result.returncode != 0:
        message = (result.stderr + result.stdout).strip()
        raise BuildError(message or f"the C compiler failed with exit status {result.returncode}")


def _cache_path(key: str) -> Path:
    """The cache file for one build key."""
    return cache_dir() / "elf" / f"{key}.elf"


def _read_cache(key: str) -> bytes | None:
    """The cached image for key, or None."""
    try:
        return _cache_path(key).read_bytes()
    except OSError:
        return None


def _write_cache(key: str, image: bytes) -> None:
    """Store image under key; a cache that cannot be written only costs a rebuild next time."""
    try:
        _write_atomically(_cache_path(key), image)
    except OSError:
        pass


def _write_atomically(path: Path, data: bytes) -> None:
    """Write data to path so that concurrent readers see either nothing or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
