"""kern_init (ucore's init.c): lays out the kernel image, brings up every subsystem, then idles.

The kernel image in RAM (from 0x80200000) holds what ucore's linked image holds that pyucore's kernel
needs in RAM: the boot page directory, idle's boot stack, and the user program to exec (its name and
ELF bytes, as ucore links `_binary_obj___user_<name>_out_start`).
"""

from .. import hw
from ..debug.events import events_init
from ..driver import clock
from ..driver.console import cons_init
from ..driver.ide import ide_init
from ..libs.stdio import cprintf
from ..mm import pmm, swap, vmm
from ..mm.memlayout import KERNEL_BEGIN_PADDR, KSTACKSIZE
from ..mm.mmu import PGSIZE, ROUNDUP
from ..process import proc
from ..schedule.sched import DEFAULT_SCHED, sched_init
from ..syscall.syscall import syscall_init
from ..trap import trap


def load_kernel_image(name, elf):
    """Writes the kernel image; returns (boot_pgdir, bootstack, (name_kva, binary_kva, size), end).
    Needs the image to fit in RAM (boot() checks)."""
    ram = hw.ram
    boot_pgdir = KERNEL_BEGIN_PADDR
    bootstack = boot_pgdir + PGSIZE
    name_pa = bootstack + KSTACKSIZE
    name_bytes = name.encode("latin-1", errors="replace") + b"\0"
    binary_pa = ROUNDUP(name_pa + len(name_bytes), PGSIZE)
    ram.write(name_pa, name_bytes)
    ram.write(binary_pa, elf)
    pmm.setup_boot_pgdir(boot_pgdir)
    program = (pmm.KADDR(name_pa), pmm.KADDR(binary_pa), len(elf))
    return boot_pgdir, bootstack, program, binary_pa + len(elf)


def kern_init(machine, name, elf, tick_insns=10000, tick_num=None, max_insns=None, cow=True,
              console=None, quiet_boot=False, on_event=None, keep_events=False, pgdir_at_exit=False,
              sched=DEFAULT_SCHED, debugger=None, record_detail=False):
    """Boots the kernel on machine to run program `name` (ELF bytes elf); on_event (or None) sees each
    kernel event as it happens, and keep_events keeps them all in events.events; pgdir_at_exit prints
    each process's page table as it exits; sched names the scheduling class (lab5, rr or stride),
    tick_num its ticks per turn (None: its own); debugger (or None) runs user code in place of the CPU
    (see trap.debugger); record_detail also records `mm` and `console` events (for a trace or an
    explorer page).
    Returns only by exception: Shutdown (clean halt), KernelPanic, proc.Deadlock or trap.InstructionLimit."""
    hw.bind(machine)
    proc.current = None            # no process exists until proc_init (a previous boot's may linger)
    cons_init(console, quiet_boot)
    events_init(on_event, keep_events, quiet_boot, record_detail)
    boot_pgdir, bootstack, program, end = load_kernel_image(name, elf)
    proc.bootstack = bootstack
    swap.swap_init_ok = False      # a new boot: swap is off until swap_init (ucore's zeroed BSS)
    cprintf("(THU.CST) os is loading ...\n\n")
    pmm.pmm_init(end, boot_pgdir)
    trap.idt_init(max_insns, debugger)
    vmm.vmm_init()
    sched_init(sched, tick_num)
    syscall_init(sched != "lab5")
    proc.fork_share = 1 if cow else 0
    proc.pgdir_at_exit = pgdir_at_exit
    proc.proc_init(program)
    ide_init()
    swap.swap_init()
    clock.clock_init(tick_insns)
    proc.cpu_idle()

