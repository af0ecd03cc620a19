"""Shared helpers for kernel tests: expected-console fixtures and booting test C programs."""

import pathlib
import re

import pytest

from pyucore.api import boot
from pyucore.user.build import build_c

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


@pytest.fixture(scope="session")
def program_elf():
    """Builds a test C program from tests/kern/programs by stem; cached by the toolchain."""
    def build(stem):
        return build_c(str(PROGRAMS / (stem + ".c")))
    return build


@pytest.fixture
def run_c(program_elf):
    """Boots a test C program (by stem) with boot()'s keyword options; returns the BootResult."""
    def run(stem, **options):
        options.setdefault("quiet_boot", True)
        return boot(elf=program_elf(stem), name=stem, **options)
    return run
