"""The SBI calls the kernel makes of the firmware; here only the one that stops the machine."""


class Shutdown(Exception):
    """Raised by sbi_shutdown(): the kernel halted cleanly."""


def sbi_shutdown():
    """Powers the machine off (never returns)."""
    raise Shutdown()
