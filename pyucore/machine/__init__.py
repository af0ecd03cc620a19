"""The emulated machine: RAM, Sv39 MMU and a pure-Python RV64IMAC user-mode CPU.

Public interface: Machine (m.ram, m.mmu, m.cpu), MachineTrap (cause, tval), STOP_BUDGET.

Policies (exact RISC-V where unicorn 2.x can be made to agree, else unicorn's, so both backends behave
identically):
- Misaligned plain loads and stores are performed, never trapped (unicorn 2.x / QEMU 5 does the same).
  One that crosses a page boundary translates the first page with its own address and the second page
  with that page's base address; a fault on the second page reports tval = that page base, and a store
  writes nothing unless both pages translate.
- Atomics trap with the RISC-V causes, not QEMU's: LR is a load (misaligned 4, page fault 13, access fault
  5), SC and every AMO are store/AMO accesses (misaligned 6, page fault 15, access fault 7), tval = the
  address; misalignment is checked before translation. (Privileged spec, exception codes: 6 "Store/AMO
  address misaligned", 7 "Store/AMO access fault", 15 "Store/AMO page fault"; an AMO to a page without
  R or W, or unmapped, is therefore 15.) unicorn reports an AMO's load cause (4/13/5: QEMU's
  single-threaded AMO is a load then a store); the unicorn backend translates it. Like QEMU, an AMO
  translates for reading first, so it may set A on a page whose store then faults (the spec lets A be
  set speculatively).
- SC succeeds iff the reservation address matches and memory still holds the value LR read (QEMU's
  cmpxchg semantics); every SC clears the reservation, and so does every trap (each run() starts
  without one, as QEMU drops it on a privilege change). An SC without a matching reservation fails
  (rd = 1) without accessing memory, so it never traps, even misaligned (no reservation can match a
  misaligned address) or on an unmapped page. The spec would have it trap there ("No SC.W instruction
  shall retire unless it passes memory permission checks"; a misaligned LR/SC "will" raise an
  exception, unprivileged spec, Zalrsc), as Spike does; QEMU checks the reservation first and unicorn
  cannot be made to stop at an SC that accesses no memory, so both backends follow QEMU here. An SC
  with a reservation is aligned and checked as a store/AMO access (15 on a read-only page).
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
