"""Kernel console output (ucore's kern/libs/stdio.c): cputchar, cputs, cprintf."""

from pyucore.kern.driver.console import cons_putc
from pyucore.kern.libs.printfmt import vprintfmt


def cputchar(c):
    """Prints one character given as an int (as the putc syscall does) or a 1-char str."""
    cons_putc(chr(c & 0xFF) if isinstance(c, int) else c)


def cprintf(fmt, *args):
    """Formats like C printf (ucore's vprintfmt: %d/%x read 32 bits unless 'l'); returns the length."""
    s = vprintfmt(fmt, args)
    cons_putc(s)
    return len(s)


def cputs(s):
    """Prints s and a newline; returns the number of characters printed."""
    cons_putc(s + "\n")
    return len(s) + 1
