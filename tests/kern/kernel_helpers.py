"""Helpers for kernel tests: where fixtures and test programs live, and matching expected consoles."""

import pathlib
import re

HERE = pathlib.Path(__file__).parent
FIXTURES = HERE / "fixtures"
PROGRAMS = HERE / "programs"


def console_mismatch(expected_text, console):
    """None if console's lines from `++ setup timer interrupts` on match expected_text, else a message.
    Expected lines are literal, `re:<regex>` (whole line), or `...` (any lines up to the next match)."""
    lines = console.splitlines()
    start = lines.index("++ setup timer interrupts") if "++ setup timer interrupts" in lines else 0
    lines = lines[start:]
    expected = expected_text.splitlines()
    i = 0
    for k, want in enumerate(expected):
        if want == "...":
            nxt = expected[k + 1]
            while i < len(lines) and not _line_ok(nxt, lines[i]):
                i += 1
            continue
        if i >= len(lines):
            return "console ended before expected line %d: %r" % (k + 1, want)
        if not _line_ok(want, lines[i]):
            return "line %d: expected %r, got %r" % (i + 1, want, lines[i])
        i += 1
    if i != len(lines):
        return "unexpected extra lines from %d: %r" % (i + 1, lines[i:i + 3])
    return None


def _line_ok(want, got):
    if want.startswith("re:"):
        return re.fullmatch(want[3:], got) is not None
    return want == got
