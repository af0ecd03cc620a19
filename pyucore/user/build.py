"""Build user programs: C + the pyucore user library -> a RISC-V64 ELF for the ucore user ABI.

The compiler is zig's clang (the `ziglang` PyPI package), run as `python -m ziglang cc`. Every build is
cached by a hash of everything that goes into it (library sources, the program, user.ld, the flags, the
zig version), on disk and in this process, so only the first build of a given source ever runs zig;
the compiler's warnings are cached with the image, so a cached build reports them again.
"""

import functools
import hashlib
import importlib.util
import os
import re
import sys
from pathlib import Path

from pyucore.cachedir import pyucore_cache_dir, write_atomically

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
# The lab6 programs (they need a lab6 kernel: --sched rr or stride; boot() gives them stride).
LAB6_PROGRAMS = {
    "priority": "5 children of priorities 1-5 count loops for 2 s of virtual time; stride gives 1 2 3 4 5",
    "matrix": "21 children multiply 10x10 matrices, each a different number of times (CPU-heavy)",
}

# Target and code model of the ucore user ABI: RV64IMAC user code (no floating point), the medany
# code model, as ucore's user programs are built.
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

# The compiler-rt helpers clang calls for soft floating point and 128-bit integers: the user library,
# like ucore's, does not provide them, so a program using double or __int128 fails to link.
RUNTIME_HELPER = re.compile(r"undefined symbol: (__\w*(?:[ds]f[23]|ti3)|__(?:fix|float)\w*)\b")
NO_RUNTIME_NOTE = ("note: pyucore's user library has no floating-point or 128-bit arithmetic support "
                   "(like ucore's)")
# What a student reaching for the C library gets told, for each missing function or header the
# compiler names (`call to undeclared function 'printf'`, `'stdlib.h' file not found`).
LIBC_NOTES = {
    "printf": "pyucore's user library prints with cprintf (stdio.h), not printf",
    "puts": "pyucore's user library has cputs (stdio.h, adds a newline), not puts",
    "putchar": "pyucore's user library has cputchar (stdio.h), not putchar",
    "sprintf": "pyucore's user library has snprintf (stdio.h), not sprintf",
    "malloc": "pyucore's user library has no heap (no malloc or free): use static or local arrays",
    "free": "pyucore's user library has no heap (no malloc or free): use static or local arrays",
    "sleep": "pyucore has no sleep system call: yield() gives up the CPU",
    "stdlib.h": "pyucore's user library has no stdlib.h: exit() is in ulib.h, and there is no malloc",
}
LIBC_MISSING = re.compile(r"call to undeclared function '(\w+)'|'([\w./]+\.h)' file not found")
HEADERS_NOTE = ("pyucore's user library has the headers defs.h, error.h, stdarg.h, stdio.h, string.h, "
                "syscall.h, ulib.h and unistd.h, plus the compiler's own stddef.h, stdint.h and stdbool.h")
USERLIB_DOCS = " (the user library: docs/userlib.md in pyucore's repository)"
# Stands for the source's directory in cached warnings: the cache key ignores where a source lives.
SOURCE_DIR_MARK = "\0source-dir\0"


class BuildError(Exception):
    """A program could not be built; the message is what the user should see (compiler diagnostics)."""


_MEMO: dict[str, tuple[bytes, str]] = {}   # key -> (image, warnings with SOURCE_DIR_MARK)


def program_names(lab: int | None = None) -> list[str]:
    """The built-in programs of lab 5 or 6 (None: both), each lab's in its list's order."""
    return [name for name in {**PROGRAMS, **LAB6_PROGRAMS} if lab is None or program_lab(name) == lab]


def program_lab(name: str) -> int:
    """The lab (5 or 6) that built-in program `name` belongs to."""
    _check_known(name)
    return 6 if name in LAB6_PROGRAMS else 5


def program_description(name: str) -> str:
    """One line describing built-in program `name`."""
    _check_known(name)
    return LAB6_PROGRAMS.get(name) or PROGRAMS[name]


def build_program(name: str) -> bytes:
    """The ELF image of built-in program `name` (raises BuildError for an unknown name)."""
    _check_known(name)
    return build_c(PROGRAMS_DIR / f"{name}.c")


def build_c(source_path) -> bytes:
    """The ELF image of the C file at source_path linked with the user library (cached)."""
    return build_c_with_warnings(source_path)[0]


def build_c_with_warnings(source_path) -> tuple[bytes, str]:
    """(ELF image, the compiler's warnings or "") of the C file at source_path linked with the user
    library; cached, and a cached build gives the warnings its compilation printed."""
    check_source(source_path)
    source = Path(source_path).resolve()
    key = _cache_key(source)
    built = _MEMO.get(key) or _read_cache(key)
    if built is None:
        image, warnings = _compile_to_bytes(source)
        built = image, warnings.replace(f"{source.parent}{os.sep}", SOURCE_DIR_MARK)
        _write_cache(key, built)
    _MEMO[key] = built
    image, warnings = built
    return image, warnings.replace(SOURCE_DIR_MARK, f"{source.parent}{os.sep}")


# A host shared library of pyucore's own C (no C library): position-independent, optimised.
NATIVE_FLAGS = ["-shared", "-fPIC", "-O2", "-nostdlib", "-fno-stack-protector"]


def build_native(source_path) -> Path:
    """The path of a shared library for this host built from the C file at source_path (cached under
    cache_dir()/native by the source's bytes, the flags, the zig version and the host's machine type;
    a cache that cannot be written builds into a new temporary directory). Raises BuildError."""
    import platform
    source = Path(source_path)
    h = hashlib.sha256()
    for part in (source.read_bytes(), "\0".join(NATIVE_FLAGS).encode(), zig_version().encode(),
                 platform.machine().encode()):
        h.update(len(part).to_bytes(8, "little") + part)
    target = cache_dir() / "native" / f"{source.stem}-{h.hexdigest()}.so"
    if target.is_file():
        return target
    import tempfile
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        target = Path(tempfile.mkdtemp(prefix="pyucore-native-")) / target.name
    with tempfile.TemporaryDirectory(prefix="pyucore-build-") as scratch:
        built = Path(scratch) / target.name
        _run_compiler([sys.executable, "-m", "ziglang", "cc", *NATIVE_FLAGS, str(source), "-o", str(built)])
        write_atomically(target, built.read_bytes())
    return target


def elf_path(source_path) -> Path:
    """The path of an ELF file holding the build of the C file at source_path (what a debugger loads):
    the build cache's file, or a new temporary file when the cache cannot be written."""
    image = build_c(source_path)
    source = Path(source_path).resolve()
    cached = _cache_path(_cache_key(source))
    if cached.is_file():
        # the cached image was built from these very bytes, perhaps in another checkout: newer than
        # the source, so gdb does not warn that the source changed after the build
        if cached.stat().st_mtime < source.stat().st_mtime:
            os.utime(cached)
        return cached
    import tempfile
    fd, name = tempfile.mkstemp(prefix=f"pyucore-{Path(source_path).stem}-", suffix=".elf")
    with os.fdopen(fd, "wb") as file:
        file.write(image)
    return Path(name)


def compile_c(source_path, output_path) -> str:
    """Compile the C file at source_path against the user library into the ELF file output_path, whose
    directory must exist (OSError otherwise); returns the compiler's warnings ("" when none)."""
    image, warnings = build_c_with_warnings(source_path)
    write_atomically(Path(output_path), image)
    os.chmod(output_path, 0o755)
    return warnings


@functools.cache
def zig_version() -> str:
    """The version of the installed ziglang package (part of every cache key)."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise BuildError("the C compiler is missing: install the ziglang package (pip install ziglang)")
    # the installer's record beside the package, named ziglang-VERSION.dist-info: importlib.metadata
    # would say the same but takes longer to import than a cached build takes in all
    infos = list(Path(spec.origin).parent.parent.glob("ziglang-*.dist-info"))
    if len(infos) == 1:
        return infos[0].name[len("ziglang-"):-len(".dist-info")]
    from importlib import metadata
    return metadata.version("ziglang")


def cache_dir() -> Path:
    """Where built ELF images are kept: pyucore's cache directory ($PYUCORE_CACHE, else ~/.cache/pyucore
    or wherever the user's cache directory is: see pyucore.cachedir)."""
    return pyucore_cache_dir()


def library_files() -> list[Path]:
    """Every file of the user library (sources and headers) plus the linker script."""
    files = [p for p in LIBS_DIR.iterdir() if p.suffix in (".c", ".S", ".h")]
    return sorted(files) + [LINKER_SCRIPT]


def check_source(source_path) -> None:
    """Raises BuildError unless source_path names an existing file ending in .c (any case, so TREE.C
    is C too), saying what it is instead: a directory, nothing, an ELF to run, or some other file."""
    source = Path(source_path)
    if source.is_dir():
        raise BuildError(f"{source_path}: is a directory")
    if not source.is_file():
        raise BuildError(f"{source_path}: no such file")
    if source.suffix.lower() != ".c":
        try:
            with source.open("rb") as file:
                is_elf = file.read(4) == b"\x7fELF"
        except OSError:
            is_elf = False
        if is_elf:
            raise BuildError(f"{source_path}: is an ELF file, not C source (run it with "
                             f"`pyucore run {source_path}`)")
        raise BuildError(f"{source_path}: not a C source file (the name must end in .c)")


def _check_known(name: str) -> None:
    """Raise BuildError listing the built-ins unless name is one of them."""
    if name not in PROGRAMS and name not in LAB6_PROGRAMS:
        raise BuildError(f"unknown program {name!r}; the built-in programs are: "
                         f"{', '.join([*PROGRAMS, *LAB6_PROGRAMS])}")


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


def _compile_to_bytes(source: Path) -> tuple[bytes, str]:
    """Run zig cc on source + the library in a scratch directory; returns (linked image, warnings)."""
    import tempfile     # like subprocess: imported only when something is built or written
    with tempfile.TemporaryDirectory(prefix="pyucore-build-") as scratch:
        obj, output = Path(scratch) / f"{source.stem}.o", Path(scratch) / "a.elf"
        # The program gets an empty zig cache of its own: on a cache hit zig does not run clang, and
        # the warnings would be lost. The library, which has none, keeps the shared cache.
        warnings = _run_compiler(_compile_command(source, obj), zig_cache=Path(scratch) / "zig")
        warnings += _run_compiler(_link_command(obj, output))
        return output.read_bytes(), warnings


def _compile_command(source: Path, obj: Path) -> list[str]:
    """The zig cc command line that compiles source alone into the object file obj."""
    # -x c: a name such as TREE.C would otherwise be compiled as C++
    source_map = f"-ffile-prefix-map={source.parent}/=user/"
    return [*_zig_cc([source_map]), "-c", "-x", "c", str(source), "-o", str(obj)]


def _link_command(obj: Path, output: Path) -> list[str]:
    """The zig cc command line that builds the library and links it with obj (a program's object) into
    the ELF file output."""
    lib_sources = [str(p) for p in library_files() if p.suffix in (".c", ".S")]
    # No map for the program's directory: the library's objects do not depend on where the program
    # is, so zig's cache serves them to every program instead of compiling them once per directory.
    return [*_zig_cc([]), "-T", str(LINKER_SCRIPT), *LDFLAGS, *lib_sources, str(obj), "-o", str(output)]


def _zig_cc(source_maps: list[str]) -> list[str]:
    """zig cc with the target, the flags, the include path and the file prefix maps for the library,
    source_maps (the program's) between the tree's and the library's."""
    # __FILE__ and the debug info say user/<name>.c and user/libs/<file> as in the ucore tree, and
    # the compiler's working directory (USER_DIR) is "user": the image never holds a local path.
    # Where several maps match, clang applies the last one given, so the most specific comes last.
    prefix_maps = [f"-ffile-prefix-map={USER_DIR}=user", *source_maps,
                   f"-ffile-prefix-map={LIBS_DIR}/=user/libs/"]
    return [sys.executable, "-m", "ziglang", "cc", *TARGET_FLAGS, *CFLAGS, *prefix_maps, "-I", str(LIBS_DIR)]


def _run_compiler(command: list[str], zig_cache: Path | None = None) -> str:
    """Run the compiler with zig's cache in zig_cache (default: $ZIG_GLOBAL_CACHE_DIR, else under
    cache_dir()); returns its warnings ("" when none), or raises BuildError with its diagnostics."""
    env = dict(os.environ)
    if zig_cache is not None:
        env["ZIG_GLOBAL_CACHE_DIR"] = str(zig_cache)
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(cache_dir() / "zig"))
    import subprocess   # imported only when something is built: a run of a cached program starts faster
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=USER_DIR)
    except OSError as exc:
        raise BuildError(f"cannot run the C compiler (python -m ziglang): {exc}") from None
    if result.returncode != 0:
        message = (result.stderr + result.stdout).strip()
        message += "".join("\n" + note for note in _notes(message))
        raise BuildError(message or f"the C compiler failed with exit status {result.returncode}")
    return result.stderr


def _notes(message: str) -> list[str]:
    """The notes that explain a failed build's diagnostics in message: one per C library function or
    header it misses (LIBC_NOTES), or the missing runtime helpers; [] for any other error."""
    notes = []
    for match in LIBC_MISSING.finditer(message):
        function, header = match.groups()
        note = LIBC_NOTES.get(function or header) or (HEADERS_NOTE if header else None)
        if note is not None and "note: " + note + USERLIB_DOCS not in notes:
            notes.append("note: " + note + USERLIB_DOCS)
    if RUNTIME_HELPER.search(message):
        notes.append(NO_RUNTIME_NOTE)
    return notes


def _cache_path(key: str, suffix: str = ".elf") -> Path:
    """The cache file for one build key: its image (.elf) or its warnings (.warnings)."""
    return cache_dir() / "elf" / f"{key}{suffix}"


def _read_cache(key: str) -> tuple[bytes, str] | None:
    """The cached (image, warnings) for key, or None; an image without its warnings file (an older
    cache) counts as absent."""
    try:
        return _cache_path(key).read_bytes(), _cache_path(key, ".warnings").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write_cache(key: str, built: tuple[bytes, str]) -> None:
    """Store (image, warnings) under key, warnings first so a stored image always has them; a cache
    that cannot be written only costs a rebuild next time."""
    image, warnings = built
    try:
        _cache_path(key).parent.mkdir(parents=True, exist_ok=True)
        write_atomically(_cache_path(key, ".warnings"), warnings.encode("utf-8"))
        write_atomically(_cache_path(key), image)
    except OSError:
        pass
