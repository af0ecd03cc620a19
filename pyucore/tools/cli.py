"""The `pyucore` command: run a program on the kernel, list the built-ins, grade, compile.

Exit status: what the kernel reports for `run` (0 for a clean halt), the grader's for `grade`
(0 at 130/130, else 1), 2 for a problem with the request (unknown program, missing file, compile
error, a bad option value, a program too big for the RAM, a --kernel that is not a lab workspace, a
`lab init` DIR that is not empty), 5 when the code of a lab workspace's kernel raised an exception
(an unfilled blank, a bug, a syntax error), 130 after Ctrl-C, 141 when the reader of the output goes
away (`| head`), 70 for a bug in pyucore itself.
"""

import argparse
import os
import shlex
import struct
import sys
from pathlib import Path

from pyucore.lab.loader import StudentCodeError

EXIT_USAGE = 2
EXIT_STUDENT_CODE = 5
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program stopped by a closed pipe
ELF_MAGIC = b"\x7fELF"
EM_RISCV = 243
PT_LOAD, PT_INTERP = 1, 3
# Machines of the ELFs most often given by mistake (a host program), named in the error.
MACHINE_NAMES = {3: "x86", 40: "ARM", 62: "x86-64", 183: "AArch64"}

LAB5_ON_LAB6 = "lab5 test on the lab6 kernel"   # the report's name for grade --lab lab6's extra checks


class UsageError(Exception):
    """A problem with what the user asked for: shown as one message, exit status 2, no traceback."""


def main(argv=None) -> int:
    """Needs the arguments after the program name (default sys.argv[1:]); returns the exit status.
    Never lets an exception escape, except with PYUCORE_DEBUG=1 for an internal error."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed the usage message or the help
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"pyucore: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StudentCodeError as exc:
        sys.stdout.flush()
        print(f"pyucore: {exc}", file=sys.stderr)
        return EXIT_STUDENT_CODE
    except KeyboardInterrupt:
        print("\npyucore: interrupted (a program that never ends can be stopped with --max-insns N)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly, as if killed by SIGPIPE
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if os.environ.get("PYUCORE_DEBUG") == "1":
            raise
        print(f"pyucore: internal error: {type(exc).__name__}: {exc}\n"
              "pyucore: this is a bug in pyucore; please report it to the pyucore maintainers with the "
              "command you ran (PYUCORE_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    """Points stdout at devnull, so flushing what is left at exit cannot fail on a closed pipe."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def build_parser() -> argparse.ArgumentParser:
    """Returns the parser of the pyucore command; each subcommand sets args.handler."""
    from pyucore.api import CPU_BACKENDS, RAM_MIB_RANGE, SCHED_POLICIES
    parser = argparse.ArgumentParser(prog="pyucore", description="ucore lab5 (RISC-V 64) rebuilt in Python.")
    parser.add_argument("--version", action=_PrintVersion, nargs=0, help="show pyucore's version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="boot the kernel and run one program",
                              description="Boot the kernel and run a built-in program, a C file or an ELF file.")
    run.add_argument("program", metavar="NAME|FILE.c|FILE.elf",
                     help="a built-in program (see `pyucore list`), a C file to compile, or a RISC-V64 ELF")
    run.add_argument("--max-insns", type=_positive_int, metavar="N",
                     help="stop the run after N user instructions")
    run.add_argument("--tick-insns", type=_positive_int, metavar="N",
                     help="user instructions per timer tick (default 10000)")
    run.add_argument("--tick-num", type=_positive_int, metavar="N",
                     help="timer ticks per scheduling turn (default: the scheduler's, 100 for lab5, 5 for rr "
                          "and stride)")
    run.add_argument("--sched", choices=SCHED_POLICIES,
                     help="scheduler: lab5 (lab5's kernel), or lab6's rr or stride (default: stride for the "
                          "lab6 programs, lab5 otherwise)")
    run.add_argument("--quiet-boot", action="store_true", help="hide the boot self-check lines")
    cow = run.add_mutually_exclusive_group()
    cow.add_argument("--cow", action="store_true",
                     help="copy-on-write fork (the default, except in a lab workspace that has not turned "
                          "it on)")
    cow.add_argument("--no-cow", action="store_true", help="fork copies every page at once (no copy-on-write)")
    run.add_argument("--cpu", choices=CPU_BACKENDS, help="CPU backend (default python)")
    low, high = RAM_MIB_RANGE
    run.add_argument("--ram-mib", type=_int_between(low, high), metavar="N",
                     help=f"RAM size in MiB, {low} to {high} (default 128)")
    run.add_argument("--stats", action="store_true", help="print the run's counters to stderr at the end")
    run.add_argument("--trace", type=_trace_file, metavar="FILE.json",
                     help="write a Chrome/Perfetto trace of the run (`pyucore view` makes it a page)")
    run.add_argument("--html", type=_page_file, metavar="FILE.html",
                     help="write the run's explorer: one HTML page (timeline, process tree, memory, "
                          "console, stats) that opens offline in a browser")
    run.add_argument("--verbose", action="store_true", help="show every kernel event on stderr as it happens")
    run.add_argument("--show", metavar="CATEGORIES",
                     help="show some kernel events as they happen: a comma list of procs, sched, syscalls, "
                          "faults or event kinds (putc: a program's text, one line per printed line); "
                          "-NAME hides one (--show all,-sched or --show=-putc); --verbose shows all")
    run.add_argument("--pgdir-at-exit", action="store_true",
                     help="print each process's page table when it exits, before its memory is freed")
    _add_kernel_option(run)
    run.add_argument("--gdb", metavar="[HOST:]PORT",
                     help="serve gdb's remote protocol on HOST:PORT (default host 127.0.0.1; port 0 picks "
                          "a free one) and wait for gdb before the first user instruction")
    run.set_defaults(handler=cmd_run)

    view = commands.add_parser("view", help="turn a saved trace into the explorer page",
                               description="Write the explorer page (as `run --html` does) of a trace "
                                           "saved by `run --trace`.")
    view.add_argument("trace", metavar="TRACE.json", help="a trace written by `pyucore run --trace`")
    view.add_argument("-o", dest="output", required=True, type=_page_file, metavar="FILE.html",
                      help="the HTML file to write")
    view.set_defaults(handler=cmd_view)

    listing = commands.add_parser("list", help="list the built-in programs")
    listing.set_defaults(handler=cmd_list)

    from pyucore.tools import grade_choices    # not the grader itself: only `grade` imports it
    grading = commands.add_parser("grade", help="run the 13 graded lab5 tests (or lab6's)",
                                  description="Run the graded lab5 (or lab6) tests, each in a child process "
                                              "with limits.")
    grading.add_argument("names", nargs="*", metavar="NAME", help="run only these tests (default: all of the lab's)")
    default_patterns = grade_choices.DEFAULT_PATTERNS
    grading.add_argument("--patterns", choices=grade_choices.YEAR_PATTERNS, default=default_patterns,
                         help=f"which course year's lab5 patterns to check (default {default_patterns})")
    grading.add_argument("--lab", choices=tuple(grade_choices.LAB_PATTERNS), default="lab5",
                         help="which lab's grader: lab5 (13 tests, 130 points) or lab6 (priority, 50 points, "
                              "then lab5's tests on the lab6 kernel as extra checks, not scored)")
    grading.add_argument("--sched", choices=SCHED_POLICIES,
                         help="the kernel's scheduler (default: the lab's, lab5 or stride)")
    grading.add_argument("--max-insns", type=_positive_int, metavar="N",
                         help=f"stop each test after N user instructions (default: "
                              f"{grade_choices.LIMIT_FACTOR}x what the reference kernel needs for that test)")
    grading.add_argument("--timeout", type=_positive_float, metavar="SECONDS",
                         help="stop each test after this much wall time (default: ample for its instructions)")
    grading.add_argument("--exercises", action="store_true",
                         help="also check the lab's functions one by one (alloc_proc, do_fork, copy_range, ...)")
    grading.add_argument("--json", type=_report_file, metavar="FILE", help="also write the results as JSON")
    grading.add_argument("--junit", type=_report_file, metavar="FILE", help="also write the results as JUnit XML")
    _add_kernel_option(grading)
    grading.set_defaults(handler=cmd_grade)

    lab = commands.add_parser("lab", help="do the lab: write a workspace with the kernel's blanks",
                              description="A lab workspace is your own copy of the kernel with blanks to "
                                          "fill; `pyucore run` inside it runs your kernel.")
    lab_commands = lab.add_subparsers(dest="lab_command", required=True, metavar="COMMAND")
    init = lab_commands.add_parser("init", help="write a new lab workspace in DIR",
                                   description="Write a lab workspace: the whole kernel with the exercises' "
                                               "blanks emptied, a README and a report to fill.")
    init.add_argument("directory", metavar="DIR", help="where to write it (a new or empty directory)")
    init.add_argument("--solution", action="store_true",
                      help="keep the reference code in the blanks (for teachers)")
    init.add_argument("--lab", choices=("lab5", "lab6"), default="lab5",
                      help="which lab's blanks: lab5 (labs 1 to 5, the default) or lab6 (the schedulers)")
    init.set_defaults(handler=cmd_lab_init)
    status = lab_commands.add_parser("status", help="which blanks of a workspace are filled",
                                     description="List the blanks of the lab workspace (the one holding "
                                                 "the current directory, or --kernel DIR), filled or not.")
    _add_kernel_option(status)
    status.set_defaults(handler=cmd_lab_status)

    cc = commands.add_parser("cc", help="compile a C file against the user library into an ELF")
    cc.add_argument("source", metavar="FILE.c")
    cc.add_argument("-o", dest="output", metavar="FILE.elf", help="output file (default: FILE.elf beside FILE.c)")
    cc.set_defaults(handler=cmd_cc)
    return parser


def _add_kernel_option(parser) -> None:
    """Adds --kernel DIR (run a lab workspace's kernel) to a subcommand's parser."""
    parser.add_argument("--kernel", metavar="DIR",
                        help="run the kernel of the lab workspace DIR (inside a workspace, its kernel is "
                             "used without this option)")


def _resolve_kernel(args) -> tuple:
    """pyucore.lab.workspace.resolve_kernel for args.kernel and the current directory; raises
    UsageError for a --kernel that is not a workspace."""
    from pyucore.lab import LabError
    from pyucore.lab.workspace import resolve_kernel
    try:
        return resolve_kernel(args.kernel, Path.cwd())
    except LabError as exc:
        raise UsageError(str(exc)) from None


def kernel_choice(args) -> dict:
    """boot()'s kernel keyword for args.kernel, or for the lab workspace holding the current directory
    (said in one stderr line); {} for pyucore's own kernel. Raises UsageError for a --kernel that is
    not a workspace."""
    kernel, note = _resolve_kernel(args)
    if note:
        print(f"pyucore: {note}", file=sys.stderr)
    return {} if kernel is None else {"kernel": kernel}


class _PrintVersion(argparse.Action):
    """--version: prints pyucore's version and exits (the version is looked up only then)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from pyucore.lab.workspace import pyucore_version
        print(f"pyucore {pyucore_version()}")
        parser.exit()


def _integer(text: str) -> int:
    """An option's integer value (0x hex accepted); raises ArgumentTypeError for anything else."""
    try:
        return int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _positive_int(text: str) -> int:
    """argparse type: a positive integer (0x hex accepted); raises ArgumentTypeError otherwise."""
    value = _integer(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _positive_float(text: str) -> float:
    """argparse type: a positive number; raises ArgumentTypeError otherwise."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _int_between(low: int, high: int):
    """Returns an argparse type for an integer from low to high (0x hex accepted)."""
    def int_between(text: str) -> int:
        value = _integer(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}: {text!r}")
        return value
    return int_between


def _trace_file(text: str) -> str:
    """argparse type: a path the trace can be written to (checked before the run, which may be long);
    raises ArgumentTypeError for an empty name, a directory, or a missing or unwritable place."""
    return _writable_file(text, "the trace")


def _page_file(text: str) -> str:
    """argparse type: a path the explorer page can be written to (checked before the run)."""
    return _writable_file(text, "the page")


def _report_file(text: str) -> str:
    """argparse type: a path a grade report can be written to (checked before the tests run)."""
    return _writable_file(text, "the report")


def _writable_file(text: str, what: str) -> str:
    """Returns text when it names a file that can be written; raises ArgumentTypeError for an empty
    name, a directory, or a missing or unwritable place, naming what would be written."""
    if not text:
        raise argparse.ArgumentTypeError("needs a file name")
    path = Path(text)
    if path.is_dir():
        problem = "is a directory"
    elif not path.parent.is_dir():
        problem = "no such directory"
    # an existing file is overwritten in place; a new one needs a writable directory
    elif not os.access(path if path.exists() else path.parent, os.W_OK):
        problem = "permission denied"
    else:
        return text
    raise argparse.ArgumentTypeError(f"{text}: cannot write {what}: {problem}")


def cmd_run(args) -> int:
    """Boots with the requested program and options, printing the console as it is produced;
    returns the kernel's exit status, explained in one stderr line when it is not 0."""
    kwargs = {**resolve_program(args.program), **boot_options(args), **kernel_choice(args),
              "console": LiveConsole(sys.stdout)}
    boot, boot_error = load_boot()
    if args.gdb is not None:
        kwargs["debugger"] = start_gdb_stub(args.gdb, args.program)
    try:
        result = boot(**kwargs)
    except KeyboardInterrupt as exc:
        _report_interrupted(args, getattr(exc, "result", None))
        raise
    except OSError as exc:
        what = {args.trace: "the trace", args.html: "the page"}.get(exc.filename)
        if exc.filename is None or what is None:
            raise
        raise UsageError(f"{exc.filename}: cannot write {what}: {exc.strerror or exc}") from None
    except boot_error as exc:
        raise UsageError(str(exc)) from None
    sys.stdout.flush()
    if args.stats:
        from pyucore.tools.stats import format_report
        print(format_report(result.events, result.stats, result.stats.get("instructions")), end="",
              file=sys.stderr)
    if result.exit_status != 0:
        reason = result.halt_reason or "the kernel stopped abnormally"
        print(f"pyucore: {reason} (exit status {result.exit_status})", file=sys.stderr)
    return _process_status(result.exit_status)


def start_gdb_stub(spec: str, program: str):
    """A GdbStub listening on spec for the run of program, after printing the gdb command to connect
    with (stderr); raises UsageError for a bad address or one that cannot be bound."""
    from pyucore.tools.gdb.stub import listen
    try:
        stub = listen(spec)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"--gdb {spec}: cannot listen there: {exc.strerror or exc}") from None
    host, port = stub.server.address
    target = f":{port}" if host == "127.0.0.1" else f"{host}:{port}"
    elf, sources = _debug_files(program)
    directory = f" -ex {shlex.quote('directory ' + ':'.join(sources))}" if sources else ""
    print(f"pyucore: debug with: gdb-multiarch {shlex.quote(elf)}{directory} -ex 'target remote {target}'",
          file=sys.stderr, flush=True)
    return stub


def _debug_files(program: str) -> tuple[str, list[str]]:
    """(path of the ELF with debug info gdb should load for the run argument program, the directories
    of its C sources: the program's and the user library's, none for an ELF file)."""
    from pyucore.user import build
    path = Path(program)
    if path.suffix != ".c" and program in build.program_names():
        path = build.PROGRAMS_DIR / f"{program}.c"
    if path.suffix != ".c":
        return str(path.resolve()), []
    return str(build.elf_path(path)), [str(path.resolve().parent), str(build.LIBS_DIR)]


def _report_interrupted(args, result) -> None:
    """After Ctrl-C: the stats gathered so far (--stats) and where the partial trace went (--trace),
    both marked interrupted, from boot()'s result so far (None if it had not started)."""
    sys.stdout.flush()
    if result is None:
        return
    if args.stats:
        from pyucore.tools.stats import format_report
        print(format_report(result.events, result.stats, result.stats.get("instructions"),
                            "stats (interrupted by Ctrl-C: the run so far):"), end="", file=sys.stderr)
    if args.trace:
        print(f"\npyucore: the trace of the run so far (interrupted) is in {args.trace}", file=sys.stderr)


def load_boot():
    """Returns (pyucore.api.boot, pyucore.api.BootError), imported only when a program is run."""
    from pyucore import api
    return api.boot, api.BootError


def resolve_program(program: str) -> dict:
    """Needs the run argument; returns boot()'s keywords for it: {"program": name} for a built-in,
    {"elf": bytes, "name": stem} for a .c file (compiled) or an ELF file. Raises UsageError for an
    unknown name, a missing file, a directory, a compile error or a file that is not a RISC-V 64-bit
    ELF."""
    from pyucore.user import build
    path = Path(program)
    if path.suffix.lower() == ".c":
        return {"elf": _compile(path), "name": path.stem}
    if program in build.program_names():
        return {"program": program}
    if path.exists() or path.suffix == ".elf":
        image = _read_elf(path)
        _hint_foreign_abi(path, image)
        return {"elf": image, "name": path.stem}
    raise UsageError(f"unknown program {program!r}; the built-in programs are: "
                     f"{', '.join(build.program_names())} (or give a .c or .elf file)")


def _require_file(path: Path) -> None:
    """Raises UsageError unless path names an existing file that is not a directory."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory")
    if not path.exists():
        raise UsageError(f"{path}: no such file")


def _compile(path: Path) -> bytes:
    """Returns the ELF of a C file, showing the compiler's warnings on stderr; raises UsageError with
    the compiler's output when it fails."""
    from pyucore.user import build
    _check_c_source(path)
    try:
        image, warnings = build.build_c_with_warnings(path)
    except build.BuildError as exc:
        raise UsageError(f"cannot compile {path}:\n{exc}") from None
    _show_warnings(warnings)
    return image


def _check_c_source(path: Path) -> None:
    """Raises UsageError (one line) unless path is an existing C source file."""
    from pyucore.user import build
    try:
        build.check_source(path)
    except build.BuildError as exc:
        raise UsageError(str(exc)) from None


def _show_warnings(warnings: str) -> None:
    """Prints the compiler's warnings (if any) to stderr as it wrote them."""
    if warnings:
        print(warnings.rstrip("\n"), file=sys.stderr)


def _read_elf(path: Path) -> bytes:
    """Returns an ELF file's bytes; raises UsageError when it cannot be read or is not a RISC-V
    64-bit ELF (checked on the header, so a huge wrong file is not read whole)."""
    _require_file(path)
    try:
        with path.open("rb") as file:
            header = file.read(20)
            problem = _elf_problem(header)
            if problem:
                raise UsageError(f"{path}: not a RISC-V 64-bit ELF ({problem})")
            return header + file.read()
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror.lower() if exc.strerror else exc}") from None


def _elf_problem(header: bytes) -> str | None:
    """Needs a file's first 20 bytes; returns why it is not a little-endian 64-bit RISC-V ELF, or
    None when it is one."""
    if len(header) < 20 or header[:4] != ELF_MAGIC:
        return "it is not an ELF file"
    if header[4] != 2:      # EI_CLASS: ELFCLASS64
        return "it is not a 64-bit ELF"
    if header[5] != 1:      # EI_DATA: ELFDATA2LSB
        return "it is not a little-endian ELF"
    machine = int.from_bytes(header[18:20], "little")     # e_machine
    if machine != EM_RISCV:
        named = f": {MACHINE_NAMES[machine]}" if machine in MACHINE_NAMES else ""
        return f"it is an ELF for machine {machine}{named}"
    return None


def _hint_foreign_abi(path: Path, image: bytes) -> None:
    """Prints a one-line note on stderr when a RISC-V ELF was clearly not built for the ucore user ABI
    (a Linux program: loaded or entered outside ucore's user space, or dynamically linked); the run
    goes on, so the kernel shows what it makes of it."""
    problem = _foreign_abi_problem(image)
    if problem:
        print(f"pyucore: note: {path} {problem}: it looks built for Linux, not for the ucore user ABI "
              f"(build C programs for pyucore with `pyucore cc` or `pyucore run FILE.c`)", file=sys.stderr)


def _foreign_abi_problem(image: bytes) -> str | None:
    """Needs a RISC-V 64-bit ELF's bytes; returns what in its headers does not fit ucore's user ABI
    (its entry or a loadable segment outside USERBASE..USERTOP, an interpreter), or None. A header too
    short to read says nothing: the kernel's loader judges it."""
    from pyucore.kern.mm.memlayout import USERBASE, USERTOP
    try:
        entry, phoff = struct.unpack_from("<QQ", image, 24)
        phentsize, phnum = struct.unpack_from("<HH", image, 54)
        headers = [struct.unpack_from("<IIQQQQQ", image, phoff + i * phentsize) for i in range(phnum)]
    except struct.error:
        return None
    if any(p_type == PT_INTERP for p_type, *_ in headers):
        return "is dynamically linked (it names an interpreter)"
    user = range(USERBASE, USERTOP)
    if entry not in user:
        return f"has its entry point at {entry:#x}, outside ucore's user space {USERBASE:#x}-{USERTOP:#x}"
    for p_type, _, _, vaddr, _, _, memsz in headers:
        if p_type == PT_LOAD and not (vaddr in user and vaddr + memsz <= USERTOP):
            return f"loads a segment at {vaddr:#x}, outside ucore's user space {USERBASE:#x}-{USERTOP:#x}"
    return None


def boot_options(args) -> dict:
    """Returns boot()'s keywords for the run options actually given (so the kernel's defaults apply)."""
    given = {
        "max_insns": args.max_insns,
        "tick_insns": args.tick_insns,
        "tick_num": args.tick_num,
        "quiet_boot": True if args.quiet_boot else None,
        "cow": True if args.cow else False if args.no_cow else None,
        "cpu": args.cpu,
        "ram_mib": args.ram_mib,
        "trace": args.trace,
        "html": args.html,
        "keep_events": True if args.stats else None,     # the per-process table reads them
        "verbose": True if args.verbose else _show_categories(args.show),
        "pgdir_at_exit": True if args.pgdir_at_exit else None,
        "sched": args.sched,
    }
    return {key: value for key, value in given.items() if value is not None}


def _show_categories(text):
    """Needs --show's value or None; returns it for boot(verbose=...), raising UsageError for an
    unknown category."""
    if text is None:
        return None
    from pyucore.tools.trace import parse_categories
    try:
        parse_categories(text)
    except ValueError as exc:
        raise UsageError(f"--show: {exc}") from None
    return text


class LiveConsole:
    """A console writer for boot(): sends each piece of text to the stream at once."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        """Writes text and flushes, so output appears while the program runs; returns len(text)."""
        self._stream.write(text)
        self._stream.flush()
        return len(text)

    def flush(self) -> None:
        """Flushes the stream."""
        self._stream.flush()


def _process_status(status: int) -> int:
    """Maps the kernel's exit status to a process exit status that is non-zero exactly when it is."""
    return status if 0 <= status <= 255 else 1


def cmd_view(args) -> int:
    """Writes the explorer page of a saved trace; returns 0, or raises UsageError when the trace cannot
    be read or is not pyucore's, or the page cannot be written."""
    from pyucore.tools import explorer
    _require_file(Path(args.trace))
    try:
        trace = explorer.read_trace(args.trace)
        explorer.write_page(trace, args.output)
    except explorer.TraceError as exc:
        raise UsageError(f"{args.trace}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{exc.filename or args.output}: {exc.strerror or exc}") from None
    return 0


def cmd_list(args) -> int:
    """Prints each built-in program with its one-line description (a lab6 program's marked so);
    returns 0."""
    from pyucore.user import build
    names = build.program_names()
    width = max((len(name) for name in names), default=0)
    for name in names:
        mark = "[lab6] " if build.program_lab(name) == 6 else ""
        print(f"{name:<{width}}  {mark}{build.program_description(name)}")
    return 0


def cmd_grade(args) -> int:
    """Runs the selected graded tests on the chosen kernel (--kernel, the workspace holding the current
    directory, or the built-in one), each isolated under limits, with the chosen pattern set, then
    the exercise checks if asked, and writes the requested reports; returns 0 at full marks with every
    check passed (or skipped), 1 below. Raises UsageError for an unknown test name, a --kernel that is
    not a workspace or a report that cannot be written."""
    from pyucore.tools import grade, grade_choices
    patterns = grade_choices.LAB_PATTERNS[args.lab] if args.lab == "lab6" else args.patterns
    try:
        names = grade.select_tests(args.names, patterns)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    kernel = kernel_choice(args).get("kernel")
    run = grade.isolated_runner(kernel, args.max_insns, args.timeout, args.sched or grade.LAB_SCHED[args.lab])
    outcomes, checks = [], []
    score = grade.grade(patterns, run=run, names=names, outcomes=outcomes)
    if args.lab == "lab6" and not args.names:
        checks = _lab5_tests_on_the_lab6_kernel(args.patterns, run)
    if args.exercises:
        checks += _run_exercise_checks(kernel, args.timeout)
    _write_reports(args, outcomes, checks)
    status = grade.exit_status(score, names, patterns)
    exercise_checks = [check for check in checks if check.exercise != LAB5_ON_LAB6]
    return status if all(check.status in ("passed", "skipped") for check in exercise_checks) else 1


def _run_exercise_checks(kernel, timeout) -> list:
    """Runs the exercise checks on kernel, printing a line per check and a summary; returns their
    outcomes."""
    from pyucore.tools import exercises
    print("Exercise checks:")
    checks = exercises.run_checks(kernel, sys.stdout, timeout or exercises.CHECK_SECONDS)
    passed = sum(check.status == "passed" for check in checks)
    skipped = sum(check.status == "skipped" for check in checks)
    print(f"Exercise checks passed: {passed}/{len(checks)}" + (f" ({skipped} skipped)" if skipped else ""))
    return checks


def _lab5_tests_on_the_lab6_kernel(patterns: str, run) -> list:
    """Runs lab5's graded tests through run (the lab6 kernel) as extra checks, printed under their own
    heading and total; returns them as report checks (they add no points and leave the exit status)."""
    from pyucore.tools import grade, grade_report
    print("extra checks (lab5's tests on the lab6 kernel, not scored):")
    extras = []
    grade.grade(patterns, run=run, outcomes=extras, total_label="Extra checks")
    return [grade_report.CheckOutcome(f"lab6 kernel: {o.name}", LAB5_ON_LAB6, o.messages,
                                      grade_report.test_status(o) == "error", o.seconds)
            for o in extras]


def _write_reports(args, outcomes: list, checks: list) -> None:
    """Writes the --json and --junit reports asked for; raises UsageError when one cannot be written."""
    from pyucore.tools import grade_report
    for path, write in ((args.json, grade_report.write_json), (args.junit, grade_report.write_junit)):
        if path is None:
            continue
        try:
            write(path, outcomes, checks)
        except OSError as exc:
            raise UsageError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def cmd_lab_init(args) -> int:
    """Writes a lab workspace in args.directory and says what to do next; returns 0, or raises
    UsageError for a directory that is not empty."""
    from pyucore.lab import LabError
    from pyucore.lab.markers import list_blanks
    from pyucore.lab.workspace import init_workspace, lab_blanks
    lab = int(args.lab[3:])
    try:
        root = init_workspace(args.directory, solution=args.solution, lab=lab)
    except LabError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{args.directory}: {exc.strerror.lower() if exc.strerror else exc}") from None
    count = len(lab_blanks(list_blanks(), lab))
    if args.solution:
        print(f"wrote the lab workspace {args.directory} with the reference code in its {count} blanks")
    else:
        print(f"wrote the lab workspace {args.directory}: {count} blanks to fill, "
              f"listed in {Path(args.directory) / 'README.md'}")
    print(f"next: cd {args.directory} && pyucore run {'priority' if lab == 6 else 'hello'}")
    return 0


def cmd_lab_status(args) -> int:
    """Prints each blank of the workspace with where it is and whether it is filled, then the count;
    returns 0, or raises UsageError outside a workspace or when its markers are broken."""
    from pyucore.lab.markers import MarkerError
    from pyucore.lab.workspace import blank_status
    kernel, _ = _resolve_kernel(args)
    if kernel is None:
        raise UsageError("not in a lab workspace (give --kernel DIR, or run it inside one)")
    try:
        status = blank_status(kernel)
    except MarkerError as exc:
        raise UsageError(f"the BEGIN/END lines of the blanks in {kernel} are broken:\n{exc}") from None
    places = [f"kern/{blank.file}:{blank.begin}" for blank, _ in status]
    width = max((len(blank.exercise) for blank, _ in status), default=0)
    place_width = max(map(len, places), default=0)
    for (blank, filled), place in zip(status, places):
        print(f"{'filled' if filled else 'to do':6}  {blank.exercise:<{width}}  {place:<{place_width}}  "
              f"{blank.function}")
    print(f"{sum(filled for _, filled in status)} of {len(status)} blanks filled")
    return 0


def cmd_cc(args) -> int:
    """Compiles a C file into an ELF file; returns 0, or raises UsageError when it cannot."""
    from pyucore.user import build
    source = Path(args.source)
    _check_c_source(source)
    output = Path(args.output) if args.output else source.with_suffix(".elf")
    _check_output(output)
    try:
        warnings = build.compile_c(source, output)
    except build.BuildError as exc:
        raise UsageError(f"cannot compile {source}:\n{exc}") from None
    except OSError as exc:
        raise UsageError(f"{output}: {exc.strerror.lower() if exc.strerror else exc}") from None
    _show_warnings(warnings)
    return 0


def _check_output(output: Path) -> None:
    """Raises UsageError when output cannot be an ELF file's path: a directory, or in a missing
    directory (checked before compiling; the directory is never created, so a typo shows)."""
    if output.is_dir():
        raise UsageError(f"cannot write {output}: is a directory")
    if not output.parent.is_dir():
        raise UsageError(f"cannot write {output}: no such directory")
