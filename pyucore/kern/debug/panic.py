"""Kernel panic and warning (ucore's kern/debug/panic.c)."""

import os
import sys

from ..libs.printfmt import vprintfmt
from ..libs.stdio import cprintf

_KERN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class KernelPanic(Exception):
    """Raised by panic(): stops the kernel; the boot returns with a non-zero exit status."""


def _caller_location(depth):
    """'kern/<module path>:<line>' of the caller `depth` frames up, as ucore prints __FILE__:__LINE__."""
    frame = sys._getframe(depth + 1)
    path = os.path.relpath(os.path.abspath(frame.f_code.co_filename), os.path.dirname(_KERN_DIR))
    return path.replace(os.sep, "/"), frame.f_lineno


def panic(fmt, *args):
    """Prints `kernel panic at <file>:<line>:` and the message, then stops the kernel (never returns)."""
    file, line = _caller_location(1)
    message = vprintfmt(fmt, args)
    cprintf("kernel panic at %s:%d:\n    %s\n", file, line, message)
    raise KernelPanic(message)


def warn(fmt, *args):
    """Prints `kernel warning at <file>:<line>:` and the message; the kernel goes on."""
    file, line = _caller_location(1)
    cprintf("kernel warning at %s:%d:\n    ", file, line)
    cprintf(fmt, *args)
    cprintf("\n")


def kassert(cond, text="condition is false"):
    """ucore's assert(): panics with `assertion failed: <text>` when cond is false."""
    if not cond:
        file, line = _caller_location(1)
        message = "assertion failed: " + text
        cprintf("kernel panic at %s:%d:\n    %s\n", file, line, message)
        raise KernelPanic(message)
