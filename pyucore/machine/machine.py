"""The emulated board: RAM at 0x80000000, an Sv39 MMU and one user-mode RV64IMAC hart."""

from .cpu import CPU
from .mmu import MMU
from .ram import RAM
from .riscv import RAM_SIZE


class Machine:
    """RAM + MMU + CPU wired together (the CPU hears about code writes and TLB flushes)."""

    def __init__(self, ram_size=RAM_SIZE):
        """Needs a RAM size in bytes (a multiple of 4096); returns a machine in bare mode, pc 0."""
        self.ram = RAM(ram_size)
        self.mmu = MMU(self.ram)
        self.cpu = CPU(self.ram, self.mmu)
