"""Runs one grade test in a child process with limits, so no kernel can hang or crash the grader.

The child boots the kernel (the built-in one, or a student workspace's) with an instruction limit and
streams the console to the parent line by line; the parent waits at most the wall limit, then kills
the child. Whatever the console showed until the end is kept: the checks and hints read it.

Children are forked from a forkserver that has imported pyucore's machine and kernel once (a test
then starts in tens of milliseconds instead of the few hundred a fresh interpreter needs; see
benchmarks/grade.py); where there is no forkserver (Windows) each child is a fresh interpreter.
"""

import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Optional

# What the forkserver imports once, so that every child starts with them loaded.
PRELOAD = ("pyucore.tools.grade_runner", "pyucore.api", "pyucore.kern.init.init", "pyucore.machine",
           "pyucore.user.build")
EXIT_GRACE_SECONDS = 1.0  # how long a child that has sent its result may take to exit
MAX_CONSOLE_CHARS = 1 << 20  # a console longer than this is a runaway printer: the test stops there


@dataclass
class RunReport:
    """How one isolated run ended: its console (complete or up to where it stopped), and why it
    stopped when that was not a clean end of the kernel: `stop` is None, or ("insns", limit),
    ("wall", seconds), ("flood", characters), ("error", message) or ("crash", message)."""

    console: str
    stop: Optional[tuple] = None
    exit_status: Optional[int] = None
    halt_reason: str = ""
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """The limits of one run: retired user instructions and wall seconds."""

    max_insns: int
    seconds: float


def _context():
    """The multiprocessing context children come from: a forkserver preloaded with pyucore, or spawn."""
    import multiprocessing    # only grading needs it: `pyucore run` would pay for its import at start-up
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))
    return ctx


class _LineSender:
    """A console for boot() that sends each completed line to the parent (a line cut by a hang is
    sent when the run ends, or lost only when the child is killed)."""

    def __init__(self, conn):
        self._conn = conn
        self._pending = ""

    def write(self, text: str) -> int:
        """Buffers text and sends what ends with a newline; returns len(text)."""
        self._pending += text
        cut = self._pending.rfind("\n") + 1
        if cut:
            self._conn.send(("console", self._pending[:cut]))
            self._pending = self._pending[cut:]
        return len(text)

    def flush(self) -> None:
        """Nothing to do: complete lines are sent as they are written."""

    def flush_rest(self) -> None:
        """Sends the unfinished last line, if any."""
        if self._pending:
            self._conn.send(("console", self._pending))
            self._pending = ""


def child_main(conn, target: Callable, args: tuple) -> None:
    """In the child: calls target(console, *args), which returns a dict for the parent, and sends
    ("done", dict) or ("error", message) after the console lines."""
    console = _LineSender(conn)
    try:
        result = target(console, *args)
    except BaseException as exc:  # everything a student kernel can raise ends this test, not the grader
        console.flush_rest()
        conn.send(("error", describe_exception(exc)))
    else:
        console.flush_rest()
        conn.send(("done", result))
    conn.close()


def describe_exception(exc: BaseException) -> str:
    """A student-facing one-paragraph description of an exception: the loader's StudentCodeError as
    it words it, anything else as `Type: message (at file:line in function)` of the innermost frame."""
    if type(exc).__name__ == "StudentCodeError":
        return str(exc)
    text = f"{type(exc).__name__}: {exc}".rstrip(": ")
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {last.filename}:{last.lineno} in {last.name})"
    return text


def boot_test(console, name: str, kernel: Optional[str], max_insns: int, sched: Optional[str] = None) -> dict:
    """In the child: boots program name on the kernel (None: the built-in one, else a workspace
    directory) with the instruction limit and scheduler sched (None: boot's default); returns how the
    kernel ended and its counters."""
    from pyucore import api
    options = {"kernel": kernel} if kernel is not None else {}
    result = api.boot(program=name, max_insns=max_insns, console=console, sched=sched, **options)
    return {"exit_status": result.exit_status, "halt_reason": result.halt_reason,
            "stats": {key: result.stats.get(key) for key in ("instructions", "ticks", "forks")}}


def run_isolated(target: Callable, args: tuple, seconds: float) -> tuple:
    """Runs target(console, *args) in a child process for at most seconds of wall time.
    Returns (console, ("done", dict) | ("error", message) | ("wall", seconds) | ("flood", characters) |
    ("crash", message)); a child printing more than MAX_CONSOLE_CHARS is stopped as a flood."""
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=child_main, args=(sender, target, args), daemon=True)
    child.start()
    sender.close()  # the parent keeps only its reading end: EOF then means the child is gone
    chunks, end = [], None
    deadline = time.monotonic() + seconds  # host time: only the wall limit, never what a kernel prints
    try:
        end = _receive(receiver, chunks, deadline, seconds)
    finally:
        _end_child(child, deadline if end is not None and end[0] not in ("wall", "flood") else None)
        receiver.close()
    if end[0] == "crash":
        end = ("crash", _crash_message(child.exitcode))
    return "".join(chunks), end


def _end_child(child, deadline: Optional[float]) -> None:
    """Kills a hung child (deadline None) at once; waits for any other until the deadline (a second
    at least, for one that has sent its result), then kills it if it is still there."""
    if deadline is not None:
        child.join(max(deadline - time.monotonic(), EXIT_GRACE_SECONDS))
    if child.is_alive():
        child.kill()
        child.join()


def _receive(receiver, chunks: list, deadline: float, seconds: float) -> tuple:
    """Collects console chunks until the child's final message, its death, the deadline or too long
    a console; returns the final message, ("crash", None), ("wall", seconds) or ("flood", size)."""
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not receiver.poll(remaining):
            return ("wall", seconds)
        try:
            kind, payload = receiver.recv()
        except (EOFError, OSError):
            return ("crash", None)
        if kind == "console":
            chunks.append(payload)
            size += len(payload)
            if size > MAX_CONSOLE_CHARS:
                return ("flood", MAX_CONSOLE_CHARS)
        else:
            return (kind, payload)


def _crash_message(exitcode: Optional[int]) -> str:
    """Explains how a child that sent no result ended."""
    if exitcode is not None and exitcode < 0:
        return f"the test's process was killed by signal {-exitcode}"
    return f"the test's process ended without a result (exit code {exitcode})"


def run_test(name: str, kernel: Optional[str], limits: Limits, sched: Optional[str] = None) -> RunReport:
    """Boots graded program name in a child process under limits (with scheduler sched; None: boot's
    default); returns its RunReport."""
    console, (kind, payload) = run_isolated(boot_test, (name, kernel, limits.max_insns, sched), limits.seconds)
    if kind != "done":
        return RunReport(console, (kind, payload))
    stop = ("insns", limits.max_insns) if payload["exit_status"] == _exit_limit() else None
    return RunReport(console, stop, payload["exit_status"], payload["halt_reason"], payload["stats"])


def _exit_limit() -> int:
    """boot()'s exit status for a run stopped by its instruction limit."""
    from pyucore.api import EXIT_LIMIT
    return EXIT_LIMIT
