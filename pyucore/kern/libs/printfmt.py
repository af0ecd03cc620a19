"""The kernel's formatter, ucore's libs/printfmt.c in Python.

`vprintfmt(fmt, args)` turns a C format string and its arguments into the text the original prints.
What matters for matching the original console: without an `l` modifier an integer conversion reads
a 32-bit C int, so `0x%08x` of 0xffffffffc020003e prints `0xc020003e` and `%d` of 0xffffffff prints -1;
`%ld`/`%lx` read 64 bits; `%p` prints "0x" and the full 64-bit hex; `%e` prints an error's name.

Flags, width and precision follow C (`-`, `0`, `#`, `*`, `.N`). Where ucore's own formatter differs from C
on inputs the kernel never uses (a negative number with a width puts the sign before the padding; `%-5d`
pads with dashes), this follows C.
"""

import operator
import re

from .error import (
    E_BAD_PROC, E_FAULT, E_INVAL, E_INVAL_ELF, E_KILLED, E_NO_FREE_PROC, E_NO_MEM, E_PANIC,
    E_UNSPECIFIED, MAXERROR,
)

# Error names of ucore's printfmt.c; E_SWAP_FAULT (7) has none there and prints as "error 7".
ERROR_STRINGS = {
    E_UNSPECIFIED: "unspecified error",
    E_BAD_PROC: "bad process",
    E_INVAL: "invalid parameter",
    E_NO_MEM: "out of memory",
    E_NO_FREE_PROC: "out of processes",
    E_FAULT: "segmentation fault",
    E_INVAL_ELF: "invalid elf file",
    E_KILLED: "process is killed",
    E_PANIC: "panic failure",
}

# One conversion: flags, width, precision, any number of `l`, then the verb (empty at the end of fmt).
_SPEC = re.compile(r"%(?P<flags>[-0#]*)(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d*))?(?P<length>l*)(?P<verb>.?)",
                   re.DOTALL)

# Integer verbs and the Python format code that writes their digits.
_INT_VERBS = {"d": "d", "i": "d", "u": "d", "o": "o", "x": "x", "X": "X", "p": "x"}
_ALT_PREFIX = {"d": "", "i": "", "u": "", "o": "0", "x": "0x", "X": "0X"}  # what `#` adds


def vprintfmt(fmt: str, args: tuple) -> str:
    """Needs a C format string and its arguments in order; returns the formatted text.

    Extra arguments are ignored as in C. Raises ValueError when fmt needs more arguments than given,
    TypeError when an integer conversion gets something that is not an integer.
    """
    reader = _ArgReader(fmt, args)
    return _SPEC.sub(lambda spec: _convert(spec, reader), fmt)


def printfmt(fmt: str, *args) -> str:
    """Same as vprintfmt with the arguments spread out, as ucore's printfmt is to vprintfmt."""
    return vprintfmt(fmt, args)


def error_string(code: int) -> str:
    """Needs an error code, positive or negative; returns its name or "error N" when it has none."""
    code = abs(code)
    if code > MAXERROR or code not in ERROR_STRINGS:
        return f"error {code}"
    return ERROR_STRINGS[code]


class _ArgReader:
    """Hands out the arguments in order, like va_arg, with a clear error when they run out."""

    def __init__(self, fmt: str, args: tuple):
        self._fmt = fmt
        self._args = args
        self._next = 0

    def next(self):
        """Returns the next argument; raises ValueError when there is none left."""
        if self._next >= len(self._args):
            raise ValueError(f"format {self._fmt!r} needs more than the {len(self._args)} argument(s) given")
        self._next += 1
        return self._args[self._next - 1]


def _convert(spec: re.Match, reader: _ArgReader) -> str:
    """Needs one matched conversion; returns its text, reading its arguments from reader."""
    verb = spec["verb"]
    flags = spec["flags"]
    width = _star_or_number(spec["width"], reader)
    if width is not None and width < 0:
        # C: a negative `*` width means left-justify with its magnitude.
        flags, width = flags + "-", -width
    precision = _star_or_number(spec["precision"], reader) if spec["precision"] is not None else None
    if precision is not None and precision < 0:
        precision = None
    wide = len(spec["length"]) > 0

    if verb == "%":
        return "%"
    if verb in _INT_VERBS:
        return _pad(_format_int(verb, reader.next(), wide, flags, precision), width, flags, numeric=True)
    if verb == "c":
        return _pad(_format_char(reader.next()), width, flags)
    if verb == "s":
        return _pad(_format_str(reader.next(), precision), width, flags)
    if verb == "e":
        return _pad(error_string(_to_signed(reader.next(), 64 if wide else 32)), width, flags)
    # An unknown verb (or a lone % at the end) is printed as written, as ucore does.
    return spec[0]


def _star_or_number(field, reader: _ArgReader):
    """Needs a width/precision field ("*", digits, "" or None); returns its value or None when absent."""
    if field is None:
        return None
    if field == "*":
        return _to_signed(reader.next(), 32)
    return int(field) if field else 0


def _to_signed(value, bits: int) -> int:
    """Needs an integer; returns it read as a two's complement C integer of that many bits."""
    value = _as_int(value) & ((1 << bits) - 1)
    return value - (1 << bits) if value >> (bits - 1) else value


def _to_unsigned(value, bits: int) -> int:
    """Needs an integer; returns it read as an unsigned C integer of that many bits."""
    return _as_int(value) & ((1 << bits) - 1)


def _as_int(value) -> int:
    """Needs an int-like value (int, bool, anything with __index__); raises TypeError otherwise."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"integer conversion got {type(value).__name__} {value!r}") from None


def _format_int(verb: str, value, wide: bool, flags: str, precision) -> tuple:
    """Returns (sign or prefix, digits, zero padding allowed) for an integer conversion.

    %p and `l` read 64 bits; %p of None prints 0x0, as a NULL pointer does in ucore.
    """
    bits = 64 if wide or verb == "p" else 32
    if verb in "di":
        number = _to_signed(value, bits)
    else:
        number = _to_unsigned(0 if value is None and verb == "p" else value, bits)
    digits = format(abs(number), _INT_VERBS[verb])
    if precision is not None:
        # C: precision is the minimum number of digits, and 0 with precision 0 prints nothing.
        digits = "" if precision == 0 and number == 0 else digits.rjust(precision, "0")
    prefix = "-" if number < 0 else ""
    if verb == "p":
        prefix = "0x"
    elif "#" in flags and number != 0 and not (verb == "o" and digits.startswith("0")):
        prefix = _ALT_PREFIX[verb]
    return prefix, digits, precision is None


def _format_char(value) -> str:
    """Needs an int (a C char, low 8 bits used) or a one-character str; returns that character."""
    if isinstance(value, str):
        if len(value) != 1:
            raise TypeError(f"%c needs one character, got {value!r}")
        return value
    return chr(_as_int(value) & 0xFF)


def _format_str(value, precision) -> str:
    """Returns the text of a %s argument: None prints "(null)", bytes are decoded byte for byte."""
    if value is None:
        text = "(null)"
    elif isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1")
    else:
        text = str(value)
    return text if precision is None else text[:precision]


def _pad(body, width, flags: str, numeric: bool = False) -> str:
    """Pads a conversion to width: left-justified with `-`, zeros after the sign with `0` for numbers
    (unless a precision was given), spaces on the left otherwise."""
    if numeric:
        prefix, digits, zero_ok = body
    else:
        prefix, digits, zero_ok = "", body, False
    text = prefix + digits
    if width is None or len(text) >= width:
        return text
    if "-" in flags:
        return text.ljust(width)
    if "0" in flags and zero_ok:
        return prefix + digits.rjust(width - len(prefix), "0")
    return text.rjust(width)
