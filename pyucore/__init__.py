"""pyucore: the ucore lab5 teaching OS (RISC-V 64) in Python. `boot()` runs one program to the end."""

from pyucore.api import BootResult, boot

__all__ = ["boot", "BootResult"]
