"""The course grader: ucore lab5's tools/grade.sh, with failures explained.

Each of the 13 graded programs is booted and its console matched against patterns with grade.sh's
semantics: a plain string must appear as a substring (grep -F); a regex pattern must match some whole
line (grep -E '^RE$'); an inverted pattern must not match. A test scores 7 points when all of its
"check result" patterns hold and 3 more when all the common "check output" (boot) patterns hold.

Two pattern sets exist, the 2024 NKU template's (the default: its boot lines include the lab3 swap
check) and the 2025 variant's (fewer boot lines, no `trapframe at 0xf.*` requirement); see
ucore/grade-expectations.md.
"""

import dataclasses
import difflib
import re
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional, TextIO

POINTS_RESULT = 7
POINTS_OUTPUT = 3
DEFAULT_PATTERNS = "2024"

CONTEXT_LINES = 3        # console lines shown after the line where a missing pattern was expected
MAX_OFFENDING_LINES = 3  # lines shown for a forbidden pattern that matched


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
    """The common boot patterns and, per graded program in grading order, its result patterns."""

    common: tuple
    results: dict


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


PATTERN_SETS = {
    "2024": PatternSet(common=_COMMON_2024, results=_results(trapframe=(_TRAPFRAME,))),
    "2025": PatternSet(common=_COMMON_2025, results=_results(trapframe=())),
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
    """What one graded program scored: the failures of each check, and an error if it could not run."""

    name: str
    result_failures: tuple
    output_failures: tuple
    seconds: float = 0.0
    error: Optional[str] = None

    @property
    def score(self) -> int:
        """7 points when check result holds, plus 3 when check output holds; 0 if the run failed."""
        if self.error is not None:
            return 0
        return (POINTS_RESULT if not self.result_failures else 0) + \
            (POINTS_OUTPUT if not self.output_failures else 0)


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
        ratio = difflib.SequenceMatcher(None, text, line.strip()).ratio()
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
                       check_patterns(console, pattern_set.common), seconds)


def format_outcome(outcome: TestOutcome) -> str:
    """Returns the two check lines of a test and the explanation of each failure, grade.sh style."""
    if outcome.error is not None:
        return (_check_line("check result", False) + f"   !! error: the run failed: {outcome.error}\n"
                + _check_line("check output", False))
    return (_check_line("check result", not outcome.result_failures) + _explain(outcome.result_failures)
            + _check_line("check output", not outcome.output_failures) + _explain(outcome.output_failures))


def _check_line(label: str, ok: bool) -> str:
    """Returns grade.sh's `  -check result:      OK` line."""
    return f"  -{label + ':':<41} {'OK' if ok else 'WRONG'}\n"


def _explain(failures: tuple) -> str:
    """Returns the `!! error:` line of each failure followed by its indented details."""
    text = ""
    for failure in failures:
        text += f"   !! error: {failure.message}\n"
        text += "".join(f"      {detail}\n" for detail in failure.details)
    return text


def boot_console(name: str) -> str:
    """Boots pyucore with a built-in program and returns its console (the grader's default runner)."""
    from pyucore import api  # imported here so the grader's checks work without the kernel
    return api.boot(program=name).console


def grade(patterns: str = DEFAULT_PATTERNS, run: Optional[Callable] = None, out: Optional[TextIO] = None) -> int:
    """Runs each graded program through run(name) -> console (default: boot it), prints each test's
    checks and the total to out (default: the current sys.stdout), and returns the score. A run that
    raises scores 0 and the others still run. Raises ValueError for an unknown pattern set."""
    if patterns not in PATTERN_SETS:
        raise ValueError(f"unknown pattern set {patterns!r}; choose one of {', '.join(PATTERN_SETS)}")
    run = run or boot_console
    out = out or sys.stdout
    total = 0
    for name in PATTERN_SETS[patterns].results:
        out.write(f"{name + ':':<24}")
        out.flush()  # the name shows while the program runs
        outcome = _run_one(name, patterns, run)
        out.write(f" ({outcome.seconds:.1f}s)\n" + format_outcome(outcome))
        out.flush()
        total += outcome.score
    out.write(f"Total Score: {total}/{MAX_SCORE}\n")
    return total


def _run_one(name: str, patterns: str, run: Callable) -> TestOutcome:
    """Runs and checks one program; an exception from run becomes the outcome's error."""
    start = time.monotonic()  # host time, only to show how long a test took
    try:
        console = run(name)
    except Exception as exc:  # a crash in one test must not stop the grader
        return TestOutcome(name, (), (), time.monotonic() - start, f"{type(exc).__name__}: {exc}")
    return grade_console(name, console, patterns, time.monotonic() - start)


def exit_status(score: int) -> int:
    """Returns the grader's exit status: 0 for a full score, 1 below it (as grade.sh)."""
    return 0 if score >= MAX_SCORE else 1
