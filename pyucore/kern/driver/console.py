"""The console (ucore's driver/console.c over the SBI putchar): what the kernel and user programs print."""

_chunks = []
_stream = None
_hiding = False


def cons_init(stream=None, hide_boot=False):
    """Starts an empty console; text also goes to stream (a text file) if given. With hide_boot, what
    is printed before cons_boot_done() is dropped (the boot self-check lines)."""
    global _chunks, _stream, _hiding
    _chunks = []
    _stream = stream
    _hiding = hide_boot


def cons_boot_done():
    """Ends the boot part of the console: hidden boot lines are dropped now."""
    global _chunks, _hiding
    if _hiding:
        _chunks = []
        _hiding = False


def cons_putc(c):
    """Prints one character (a str of length 1, or text)."""
    _chunks.append(c)
    if _stream is not None and not _hiding:
        try:
            _stream.write(c)
        except UnicodeEncodeError:
            # a user program may print any byte; the caller's stream may not take every character
            _stream.write(c.encode("ascii", "backslashreplace").decode("ascii"))
        if c == "\n":
            _stream.flush()


def cons_text():
    """Everything printed since cons_init, as one string."""
    return "".join(_chunks)
