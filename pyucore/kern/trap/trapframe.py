"""struct trapframe in RAM: 32 registers, then status, epc, tval (badvaddr), cause; 36 * 8 bytes."""

import struct

from .. import hw

TF_SIZE = 36 * 8
M64 = (1 << 64) - 1
REG_NAMES = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
             "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
             "t3", "t4", "t5", "t6")
_REGS = struct.Struct("<32Q")
_STATUS, _EPC, _TVAL, _CAUSE = 32 * 8, 33 * 8, 34 * 8, 35 * 8


def _u64_field(offset):
    def get(self):
        return hw.ram.read_u64(self.addr + offset)

    def set(self, value):
        hw.ram.write_u64(self.addr + offset, value & M64)
    return property(get, set)


class TrapFrame:
    """A trapframe at physical address addr (kernel stack memory); kentry carries a kernel thread's
    Python entry where ucore keeps the function pointer in s0."""

    __slots__ = ("addr", "kentry", "_off")

    def __init__(self, addr):
        self.addr = addr
        self.kentry = None
        self._off = addr - hw.ram.base

    status = _u64_field(_STATUS)
    epc = _u64_field(_EPC)
    tval = _u64_field(_TVAL)
    cause = _u64_field(_CAUSE)

    def reg(self, i):
        """Register x<i> as an unsigned 64-bit value."""
        return hw.ram.read_u64(self.addr + i * 8)

    def set_reg(self, i, value):
        """Sets x<i> (x0 is kept at 0 by the CPU on restore)."""
        hw.ram.write_u64(self.addr + i * 8, value & M64)

    def clear(self):
        """Zeroes the whole trapframe."""
        hw.ram.write(self.addr, bytes(TF_SIZE))

    def copy_from(self, other):
        """Copies other's 36 words into this trapframe."""
        hw.ram.write(self.addr, hw.ram.read(other.addr, TF_SIZE))

    def save_regs(self, regs):
        """Stores the CPU's 32 registers (trap entry)."""
        _REGS.pack_into(hw.ram.data, self._off, *regs)

    def load_regs(self):
        """The 32 registers to restore into the CPU (trap return)."""
        return list(_REGS.unpack_from(hw.ram.data, self._off))
