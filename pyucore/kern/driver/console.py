"""The console (ucore's driver/console.c over the SBI putchar): what the kernel and user programs print.

The serial line carries bytes: a user program's putc sends one byte, and the bytes of a UTF-8 character
arrive one syscall at a time. The console keeps the bytes and decodes them as UTF-8 (an invalid byte
shows as `\\xNN`), so `héllo` printed by a user program reads as `héllo`, as on a terminal.
"""

import codecs

from ..debug import events

_out = bytearray()
_stream = None
_decoder = None
_hiding = False
_line_start = 0      # where in _out the line being printed began (for `console` events)


def cons_init(stream=None, hide_boot=False):
    """Starts an empty console; text also goes to stream (a text file) if given. With hide_boot, what
    is printed before cons_boot_done() is dropped (the boot self-check lines)."""
    global _out, _stream, _decoder, _hiding, _line_start
    _out = bytearray()
    _line_start = 0
    _stream = stream
    _decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")
    _hiding = hide_boot


def cons_boot_done():
    """Ends the boot part of the console: hidden boot lines are dropped now."""
    global _out, _hiding, _line_start
    if _hiding:
        _out = bytearray()
        _line_start = 0
        _hiding = False


def _emit(data):
    """Appends bytes to the console and passes what they complete of the text on to the stream."""
    _out.extend(data)
    if events.detail and not _hiding and b"\n" in data:
        _line_events()
    if _stream is not None and not _hiding:
        text = _decoder.decode(data)
        if text:
            try:
                _stream.write(text)
            except UnicodeEncodeError:
                # the caller's stream may not take every character (an ASCII-only terminal)
                _stream.write(text.encode("ascii", "backslashreplace").decode("ascii"))
            if "\n" in text:
                _stream.flush()


def _line_events(end=None):
    """Records a `console` event (the printing process's pid, 0 before processes exist; the text) for
    each line just completed, or with end, for everything printed before end as lines."""
    global _line_start
    if end is None:
        end = _out.rfind(b"\n") + 1
    lines = _out[_line_start:end].split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for line in lines:
        events.emit("console", events.running, text=line.decode("utf-8", "backslashreplace"))
    _line_start = end


def cons_end():
    """Ends the run's console: a last line printed without a newline (a run stopped in mid-line) gets its
    `console` event too, so a trace or page shows everything the console printed."""
    if events.detail and not _hiding and _line_start < len(_out):
        _line_events(len(_out))


def cons_putc(text):
    """Prints the kernel's text."""
    _emit(text.encode("utf-8"))


def cons_putbyte(byte):
    """Prints one byte (the low 8 bits of byte), as a user program's putc does."""
    _emit(bytes((byte & 0xFF,)))


def cons_text():
    """Everything printed since cons_init, decoded as UTF-8 (invalid bytes as `\\xNN`)."""
    return _out.decode("utf-8", "backslashreplace")
