"""The course grader: ucore lab5's tools/grade.sh, with failures explained.

Each of the 13 graded programs is booted and its console matched against patterns with grade.sh's
semantics: a plain string must appear as a substring (grep -F); a regex pattern must match some whole
line (grep -E '^RE$'); an inverted pattern must not match. A test scores 7 points when all of its
"check result" patterns hold and 3 more when all the common "check output" (boot) patterns hold.

Two pattern sets exist, the 2024 NKU template's (the default: its boot lines include the lab3 swap
check) and the 2025 variant's (fewer boot lines, no `trapframe at 0xf.*` requirement), each as its
year's grade.sh lists them. A third is lab6's grader (`--lab lab6`): one test, `priority`, 40 points
for its lines and 10 for the boot lines; lab5's tests then run again on the lab6 kernel as extra
checks that are reported but not scored.
"""

import dataclasses
import difflib
import re
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional, TextIO

from pyucore.tools import grade_hints, grade_runner
from pyucore.tools.grade_choices import DEFAULT_PATTERNS, LAB6_PATTERNS, LIMIT_FACTOR
from pyucore.tools.grade_runner import Limits

POINTS_RESULT = 7
POINTS_OUTPUT = 3
LAB_SCHED = {"lab5": "lab5", "lab6": "stride"}   # the scheduler of each lab's kernel (lab6's answer)

# The default limits of a test: LIMIT_FACTOR times the user instructions the reference kernel needs
# (REFERENCE_INSNS, measured with `python benchmarks/grade.py --reference-insns`; the grader's tests
# check the table against the built-in kernel), but at least one scheduling slice (boot's default
# tick_insns x tick_num), so a kernel that schedules differently still has room. The wall limit
# allows those instructions at SLOW_INSNS_PER_SECOND (a tenth of what the Python CPU does on a busy
# 2-core host) plus a boot's kernel work and a child's start.
SLICE_INSNS = grade_hints.SLICE_INSNS
SLOW_INSNS_PER_SECOND = 2_000_000
BOOT_ALLOWANCE_SECONDS = 10.0
REFERENCE_INSNS = {
    "badsegment": 2379, "divzero": 2853, "softint": 31, "faultread": 12, "faultreadkernel": 14,
    "hello": 1958, "testbss": 16781128, "pgdir": 1541, "yield": 10040, "badarg": 1404, "exit": 6231,
    "spin": 3011373, "forktest": 25130, "priority": 2035008,
}

CONTEXT_LINES = 3        # console lines shown after the line where a missing pattern was expected
MAX_OFFENDING_LINES = 3  # lines shown for a forbidden pattern that matched
MAX_EXPLAINED = 3        # failures of one check explained in full (a kernel that stops early misses many)


@dataclass(frozen=True)
class Pattern:
    """One grade.sh pattern: a fixed substring or a whole-line extended regex, possibly inverted."""

    text: str
    regex: bool = False
    inverted: bool = False

    def __str__(self) -> str:
        """Returns the pattern in grade.sh notation, e.g. `! - 'user panic at .*'`."""
        body = f"- '{self.text}'" if self.regex else f"'{self.text}'"
        return f"! {body}" if self.inverted else body

    def matching_lines(self, lines: list) -> list:
        """Needs the console split into lines; returns the indices of the lines the pattern matches."""
        if self.regex:
            compiled = re.compile(self.text)
            return [i for i, line in enumerate(lines) if compiled.fullmatch(line)]
        return [i for i, line in enumerate(lines) if self.text in line]


def fixed(text: str) -> Pattern:
    """A pattern that holds when text appears somewhere in the console (grep -F)."""
    return Pattern(text)


def line_regex(text: str) -> Pattern:
    """A pattern that holds when some whole console line matches the extended regex (grep -E '^RE$')."""
    return Pattern(text, regex=True)


def absent(pattern: Pattern) -> Pattern:
    """The inverted pattern (grade.sh's leading `!`): holds when pattern matches nothing."""
    return dataclasses.replace(pattern, inverted=True)


@dataclass(frozen=True)
class PatternSet:
    """The common boot patterns and, per graded program in grading order, its result patterns; the
    points of each check (result, output)."""

    common: tuple
    results: dict
    points: tuple = (POINTS_RESULT, POINTS_OUTPUT)


def _execve(name: str) -> Pattern:
    """The kernel_execve line every graded program's console starts with."""
    return fixed(f'kernel_execve: pid = 2, name = "{name}".')


_USER_PANIC = absent(line_regex("user panic at .*"))
_TRAPFRAME = line_regex("trapframe at 0xf.*")

_COMMON_2025 = (
    fixed("memory management: default_pmm_manager"),
    fixed("check_alloc_page() succeeded!"),
    fixed("check_pgdir() succeeded!"),
    fixed("check_boot_pgdir() succeeded!"),
    fixed("check_vma_struct() succeeded!"),
    fixed("check_vmm() succeeded."),
    fixed("++ setup timer interrupts"),
)

_COMMON_2024 = tuple(fixed(line) for line in (
    "memory management: default_pmm_manager",
    "check_alloc_page() succeeded!",
    "check_pgdir() succeeded!",
    "check_boot_pgdir() succeeded!",
    "check_vma_struct() succeeded!",
    "page fault at 0x00000100: K/W",
    "check_pgfault() succeeded!",
    "check_vmm() succeeded.",
    "page fault at 0x00001000: K/W",
    "page fault at 0x00002000: K/W",
    "page fault at 0x00003000: K/W",
    "page fault at 0x00004000: K/W",
    "write Virt Page e in fifo_check_swap",
    "page fault at 0x00005000: K/W",
    "page fault at 0x00001000: K/W",
    "page fault at 0x00002000: K/W",
    "page fault at 0x00003000: K/W",
    "page fault at 0x00004000: K/W",
    "check_swap() succeeded!",
    "++ setup timer interrupts",
))


def _results(trapframe: tuple) -> dict:
    """The per-program result patterns; trapframe is what faultread, faultreadkernel and testbss
    additionally require (the 2024 set requires the dump, the 2025 set nothing)."""
    return {
        "badsegment": (_execve("badsegment"), fixed("Breakpoint"), fixed("init check memory pass.")),
        "divzero": (_execve("divzero"), fixed("Breakpoint"), fixed("value is -1."),
                    fixed("init check memory pass.")),
        "softint": (_execve("softint"), fixed("Breakpoint"), fixed("all user-mode processes have quit."),
                    fixed("init check memory pass.")),
        "faultread": (_execve("faultread"), *trapframe, _USER_PANIC),
        "faultreadkernel": (_execve("faultreadkernel"), *trapframe, _USER_PANIC),
        "hello": (_execve("hello"), fixed("Hello world!!."), fixed("I am process 2."), fixed("hello pass.")),
        "testbss": (_execve("testbss"), fixed("Making sure bss works right..."),
                    fixed("Yes, good.  Now doing a wild write off the end..."), fixed("testbss may pass."),
                    *trapframe, _USER_PANIC),
        "pgdir": (_execve("pgdir"), fixed("I am 2, print pgdir."), fixed("init check memory pass.")),
        "yield": (_execve("yield"), fixed("Hello, I am process 2."),
                  *(fixed(f"Back in process 2, iteration {i}.") for i in range(5)),
                  fixed("All done in process 2."), fixed("yield pass.")),
        "badarg": (_execve("badarg"), fixed("fork ok."), fixed("badarg pass."),
                   fixed("all user-mode processes have quit."), fixed("init check memory pass."), _USER_PANIC),
        "exit": (_execve("exit"), fixed("I am the parent. Forking the child..."),
                 fixed("I am the parent, waiting now.."), fixed("I am the child."), line_regex("waitpid.*ok.*"),
                 fixed("exit pass."), fixed("all user-mode processes have quit."),
                 fixed("init check memory pass."), _USER_PANIC),
        "spin": (_execve("spin"), fixed("Breakpoint"), fixed("I am the parent. Forking the child..."),
                 fixed("I am the parent. Running the child..."), fixed("I am the child. spinning ..."),
                 fixed("I am the parent.  Killing the child..."), fixed("kill returns 0"),
                 fixed("wait returns 0"), fixed("spin may pass."), fixed("all user-mode processes have quit."),
                 fixed("init check memory pass."), _USER_PANIC),
        "forktest": (_execve("forktest"), fixed("I am child 31"), fixed("I am child 19"),
                     fixed("I am child 13"), fixed("I am child 0"), fixed("forktest pass."),
                     fixed("all user-mode processes have quit."), fixed("init check memory pass."),
                     absent(line_regex("fork claimed to work [0-9]+ times!")), absent(fixed("wait stopped early")),
                     absent(fixed("wait got too many")), _USER_PANIC),
    }


# lab6's grader checks the 2024 boot lines and `kmalloc_init() succeeded!`, which pyucore (no SLOB
# allocator) does not print, as for lab5; its one test is worth 40 + 10 points.
_LAB6 = PatternSet(
    common=_COMMON_2024,
    results={"priority": (fixed("sched class: stride_scheduler"), _execve("priority"),
                          fixed("main: fork ok,now need to wait pids."),
                          *(fixed(f"set priority to {n}") for n in range(5, 0, -1)),
                          fixed("all user-mode processes have quit."), fixed("init check memory pass."),
                          _USER_PANIC)},
    points=(40, 10))

PATTERN_SETS = {
    "2024": PatternSet(common=_COMMON_2024, results=_results(trapframe=(_TRAPFRAME,))),
    "2025": PatternSet(common=_COMMON_2025, results=_results(trapframe=())),
    LAB6_PATTERNS: _LAB6,
}

GRADED_PROGRAMS = tuple(PATTERN_SETS[DEFAULT_PATTERNS].results)
MAX_SCORE = len(GRADED_PROGRAMS) * (POINTS_RESULT + POINTS_OUTPUT)


@dataclass(frozen=True)
class Failure:
    """A pattern that did not hold, with grade.sh's one-line message and console lines that explain it."""

    pattern: Pattern
    message: str
    details: tuple


@dataclass(frozen=True)
class TestOutcome:
    """What one graded program scored: the failures of each check, and, when the run did not end
    normally, why it stopped (a limit, an error in the kernel, a crash) and a hint to the cause."""

    name: str
    result_failures: tuple
    output_failures: tuple
    seconds: float = 0.0
    stopped: Optional[str] = None
    hint: Optional[object] = None     # a grade_hints.Hint
    abnormal: bool = False            # the run raised, crashed or hung (not just a wrong console)
    points: tuple = (POINTS_RESULT, POINTS_OUTPUT)    # what check result and check output are worth

    @property
    def score(self) -> int:
        """The result points (7) when check result holds, plus the output points (3) when check
        output holds (on what the console showed until the run ended or was stopped)."""
        return (self.points[0] if not self.result_failures else 0) + \
            (self.points[1] if not self.output_failures else 0)

    @property
    def max_points(self) -> int:
        """What the test is worth."""
        return sum(self.points)

    @property
    def messages(self) -> tuple:
        """One line per failure and the stop reason, for reports (the console details left out)."""
        return tuple(f.message for f in self.result_failures + self.output_failures) + \
            ((self.stopped,) if self.stopped else ())


def console_lines(console: str) -> list:
    """Splits a console into lines the way grep sees them, ignoring the serial port's \\r."""
    return console.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def check_patterns(console: str, patterns: tuple) -> tuple:
    """Needs a console and patterns; returns the Failures, in pattern order (empty when all hold)."""
    lines = console_lines(console)
    failures = []
    anchor = None  # the line of the last positive pattern found: where the next one should follow
    for pattern in patterns:
        matches = pattern.matching_lines(lines)
        if pattern.inverted and matches:
            failures.append(Failure(pattern, f"got unexpected line '{pattern.text}'",
                                    _offending_lines(lines, matches)))
        elif not pattern.inverted and not matches:
            failures.append(Failure(pattern, f"missing '{pattern.text}'", _where_expected(lines, pattern, anchor)))
        elif not pattern.inverted:
            anchor = matches[0]
    return tuple(failures)


def _offending_lines(lines: list, matches: list) -> tuple:
    """Returns the first lines (numbered from 1) that a forbidden pattern matched."""
    shown = tuple(_numbered(lines, i) for i in matches[:MAX_OFFENDING_LINES])
    if len(matches) > MAX_OFFENDING_LINES:
        shown += (f"... and {len(matches) - MAX_OFFENDING_LINES} more",)
    return shown


def _where_expected(lines: list, pattern: Pattern, anchor: Optional[int]) -> tuple:
    """Explains a missing pattern: the lines after the previous pattern's match (where it should
    come), the most similar console line, or, without either, where the console ends."""
    if not any(lines):
        return ("the console is empty",)
    details = []
    if anchor is not None:
        details.append(f"expected after line {anchor + 1}; the console there reads:")
        details.extend(_numbered(lines, i) for i in range(anchor, min(anchor + 1 + CONTEXT_LINES, len(lines))))
    closest = _closest_line(lines, pattern.text)
    if closest is not None:
        details.append("most similar line:")
        details.append(_numbered(lines, closest))
    if not details:
        last = _last_nonblank(lines)
        details.append("the console ends with:")
        details.extend(_numbered(lines, i) for i in range(max(0, last - CONTEXT_LINES + 1), last + 1))
    return tuple(details)


def _closest_line(lines: list, text: str) -> Optional[int]:
    """Returns the index of the line most similar to text (ratio >= 0.6), or None."""
    best, best_ratio = None, 0.6
    for i, line in enumerate(lines):
        matcher = difflib.SequenceMatcher(None, text, line.strip())
        # the quick ratios are upper bounds of ratio(): most lines are ruled out without matching
        if matcher.real_quick_ratio() >= best_ratio and matcher.quick_ratio() >= best_ratio:
            ratio = matcher.ratio()
            if ratio >= best_ratio:
                best, best_ratio = i, ratio
    return best


def _last_nonblank(lines: list) -> int:
    """Returns the index of the last line that is not blank (there is one: the console is not empty)."""
    return max(i for i, line in enumerate(lines) if line.strip())


def _numbered(lines: list, index: int) -> str:
    """Returns a console line prefixed with its 1-based line number."""
    return f"{index + 1:6} | {lines[index]}"


def grade_console(name: str, console: str, patterns: str = DEFAULT_PATTERNS, seconds: float = 0.0) -> TestOutcome:
    """Needs a graded program's name, its console and a pattern set name; returns its outcome.
    Raises KeyError for a program that is not graded or an unknown pattern set."""
    pattern_set = PATTERN_SETS[patterns]
    return TestOutcome(name, check_patterns(console, pattern_set.results[name]),
                       check_patterns(console, pattern_set.common), seconds, points=pattern_set.points)


def grade_run(name: str, report, patterns: str = DEFAULT_PATTERNS, seconds: float = 0.0) -> TestOutcome:
    """Needs a graded program's name and the RunReport of its run; returns its outcome with why the
    run stopped (what it was waiting for) and, when it lost points, a hint to the likely cause."""
    outcome = grade_console(name, report.console, patterns, seconds)
    stopped = _stop_message(name, report.stop, outcome)
    if outcome.score == outcome.max_points and stopped is None:
        return outcome
    hint = grade_hints.hint_for(grade_hints.Evidence(name, report.console, report.stop,
                                                     report.stats.get("instructions")))
    abnormal = report.stop is not None and report.stop[0] != "insns"
    return dataclasses.replace(outcome, stopped=stopped, hint=hint, abnormal=abnormal)


def _stop_message(name: str, stop: Optional[tuple], outcome: TestOutcome) -> Optional[str]:
    """The line that says why a run stopped early, naming the first line it was waiting for."""
    if stop is None:
        return None
    kind, detail = stop
    if kind in ("error", "crash"):
        return f"{name}: {detail}"
    waiting = next((f.pattern.text for f in outcome.result_failures + outcome.output_failures
                    if not f.pattern.inverted), None)
    after = f"waiting for '{waiting}'" if waiting else "after its last expected line"
    if kind == "insns":
        return f"{name}: timed out after {detail} instructions {after}"
    if kind == "flood":
        return f"{name}: stopped after printing more than {detail} characters {after}"
    return f"{name}: timed out after {detail:g} s of wall time {after} (a kernel function that never " \
           "returns, or a very slow run: --timeout raises the limit)"


def format_outcome(outcome: TestOutcome) -> str:
    """Returns the two check lines of a test and the explanation of each failure, grade.sh style,
    then why the run stopped and the hint, if any."""
    shown = 1 if outcome.stopped else MAX_EXPLAINED   # a stopped run: its stop line says why
    text = (_check_line("check result", not outcome.result_failures) + _explain(outcome.result_failures, shown)
            + _check_line("check output", not outcome.output_failures) + _explain(outcome.output_failures, shown))
    if outcome.stopped:
        text += _indented("   !! ", outcome.stopped)
    if outcome.hint is not None:
        text += _indented("   hint: ", str(outcome.hint))
    return text


def _indented(prefix: str, text: str) -> str:
    """text after prefix, its further lines indented below the first."""
    lines = text.rstrip("\n").split("\n")
    return prefix + lines[0] + "\n" + "".join(f"{' ' * len(prefix)}{line}\n" for line in lines[1:])


def _check_line(label: str, ok: bool) -> str:
    """Returns grade.sh's `  -check result:      OK` line."""
    return f"  -{label + ':':<41} {'OK' if ok else 'WRONG'}\n"


def _explain(failures: tuple, shown: int = MAX_EXPLAINED) -> str:
    """Returns the `!! error:` line of each failure followed by its indented details, for the first
    shown failures (just the first line, without details, when shown is 1); one line counts the
    others."""
    text = ""
    for failure in failures[:shown]:
        text += f"   !! error: {failure.message}\n"
        if shown > 1:
            text += "".join(f"      {detail}\n" for detail in failure.details)
    if len(failures) > shown:
        text += f"   !! ... and {len(failures) - shown} more missing or unexpected lines\n"
    return text


def default_limits(name: str) -> Limits:
    """The limits of graded program name: LIMIT_FACTOR times what the reference kernel needs (at
    least a scheduling slice of instructions), and wall seconds for those instructions at
    SLOW_INSNS_PER_SECOND plus a boot's allowance."""
    insns = max(LIMIT_FACTOR * REFERENCE_INSNS[name], SLICE_INSNS)
    return Limits(insns, BOOT_ALLOWANCE_SECONDS + insns / SLOW_INSNS_PER_SECOND)


def isolated_runner(kernel: Optional[str] = None, max_insns: Optional[int] = None,
                    seconds: Optional[float] = None, sched: Optional[str] = None) -> Callable:
    """Returns run(name) -> RunReport: the program booted in a child process on kernel (None: the
    built-in one; else a workspace directory) with scheduler sched (None: boot's default for it)
    under its default limits, or the given ones."""
    def run(name: str):
        limits = default_limits(name)
        limits = Limits(max_insns or limits.max_insns, seconds or limits.seconds)
        return grade_runner.run_test(name, kernel, limits, sched)
    return run


def select_tests(names, patterns: str = DEFAULT_PATTERNS) -> tuple:
    """Needs test names (empty: all); returns them in grading order. Raises ValueError naming the
    valid tests for an unknown name."""
    graded = tuple(PATTERN_SETS[patterns].results)
    unknown = [name for name in names if name not in graded]
    if unknown:
        raise ValueError(f"unknown test {unknown[0]!r}; the graded tests are: {', '.join(graded)}")
    return tuple(name for name in graded if not names or name in names)


def grade(patterns: str = DEFAULT_PATTERNS, run: Optional[Callable] = None, out: Optional[TextIO] = None,
          names=(), outcomes: Optional[list] = None, total_label: str = "Total Score") -> int:
    """Runs each selected graded program (names; empty: all 13) through run(name) -> RunReport or
    console text (default: an isolated boot of the built-in kernel), prints each test's checks as it
    finishes and the total (after total_label) to out (default: the current sys.stdout), appends each
    TestOutcome to outcomes when given, and returns the score. A run that raises scores what an empty
    console scores and the others still run. Raises ValueError for an unknown pattern set or test name."""
    if patterns not in PATTERN_SETS:
        raise ValueError(f"unknown pattern set {patterns!r}; choose one of {', '.join(PATTERN_SETS)}")
    selected = select_tests(names, patterns)
    run = run or isolated_runner()
    out = out or sys.stdout
    total = 0
    for name in selected:
        out.write(f"{name + ':':<24}")
        out.flush()  # the name shows while the program runs
        outcome = _run_one(name, patterns, run)
        out.write(f" ({outcome.seconds:.1f}s)\n" + format_outcome(outcome))
        out.flush()
        total += outcome.score
        if outcomes is not None:
            outcomes.append(outcome)
    out.write(f"{total_label}: {total}/{max_score(selected, patterns)}\n")
    return total


def max_score(names, patterns: str = DEFAULT_PATTERNS) -> int:
    """The full marks of the graded tests names of pattern set patterns."""
    return len(names) * sum(PATTERN_SETS[patterns].points)


def _run_one(name: str, patterns: str, run: Callable) -> TestOutcome:
    """Runs and checks one program; an exception from run becomes the outcome's stop reason."""
    start = time.monotonic()  # host time, only to show how long a test took
    try:
        report = run(name)
    except Exception as exc:  # a crash in one test must not stop the grader
        report = grade_runner.RunReport("", ("error", f"the run failed: {type(exc).__name__}: {exc}"))
    if isinstance(report, str):
        report = grade_runner.RunReport(report)
    return grade_run(name, report, patterns, time.monotonic() - start)


def exit_status(score: int, names=GRADED_PROGRAMS, patterns: str = DEFAULT_PATTERNS) -> int:
    """Returns the grader's exit status: 0 for full marks of the tests names (of pattern set
    patterns), 1 below (as grade.sh)."""
    return 0 if score >= max_score(names, patterns) else 1
