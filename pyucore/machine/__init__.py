"""The emulated machine: RAM, Sv39 MMU and a pure-Python RV64IMAC user-mode CPU.

Public interface: Machine (m.ram, m.mmu, m.cpu), MachineTrap (cause, tval), STOP_BUDGET.

Policies (chosen to match unicorn 2.x, so a unicorn backend behaves identically):
- Misaligned plain loads and stores are performed, never trapped (unicorn 2.x / QEMU 5 does the same).
  One that crosses a page boundary translates the first page with its own address and the second page
  with that page's base address; a fault on the second page reports tval = that page base, and a store
  writes nothing unless both pages translate.
- Misaligned LR and AMO trap with cause 4 (load address misaligned), tval = the address, before any
  translation: unicorn's single-threaded AMO is a load followed by a store, and the load traps first.
  For the same reason an AMO/SC checks load permission before store permission (13 before 15).
- SC succeeds iff the reservation address matches and memory still holds the value LR read (QEMU's
  cmpxchg semantics); every SC clears the reservation, and so does every trap (each run() starts
  without one, as QEMU drops it on a privilege change); an SC without a matching reservation fails
  without accessing memory (so it never traps).
- Reserved RV64C encodings (quadrant 0 funct3 100, and the reserved siblings of C.SUBW/C.ADDW) are
  illegal instructions as the spec says; unicorn 2.1.4 executes them instead, so a unicorn backend
  must check for them itself.
- cycle, time and instret all read the number of instructions retired before the reading instruction.
- The machine never writes RAM behind the kernel's back except the A/D bits of PTEs, as QEMU does.
"""

from .cpu import CPU, STOP_BUDGET
from .machine import Machine
from .mmu import MMU, MachineTrap
from .ram import RAM

__all__ = ["Machine", "MachineTrap", "STOP_BUDGET", "CPU", "MMU", "RAM"]
