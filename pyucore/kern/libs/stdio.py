"""Kernel console output (ucore's kern/libs/stdio.c): cputchar, cputs, cprintf."""

from ..driver.console import cons_putbyte, cons_putc
from .printfmt import vprintfmt


def cputchar(c):
    """Prints one character: an int is a byte (as the putc syscall sends it), a str is text."""
    if isinstance(c, int):
        cons_putbyte(c)
    else:
        cons_putc(c)


def cprintf(fmt, *args):
    """Formats like C printf (ucore's vprintfmt: %d/%x read 32 bits unless 'l'); returns the length."""
    s = vprintfmt(fmt, args)
    cons_putc(s)
    return len(s)


def cputs(s):
    """Prints s and a newline; returns the number of characters printed."""
    cons_putc(s + "\n")
    return len(s) + 1
