"""Traps (ucore's trap.c + trapentry.S): the user-mode run loop, trap() dispatch, the timer, faults.

A user process runs in `trapret`: restore its registers from the trapframe, let the CPU run until a
trap or the next timer tick, save the registers back, call trap(). Faults the kernel cannot serve print
the original's lines and the trapframe, then kill only that process.
"""

from .. import hw
from ..debug.events import emit, emit_check
from ..debug.kdebug import debuginfo_eip, disassemble
from ..debug.panic import panic
from ..driver import clock
from ..libs.error import E_KILLED
from ..libs.stdio import cprintf
from ..mm import pmm, vmm
from ..mm.memlayout import KSTACKSIZE
from ..mm.mmu import PGSIZE, ROUNDDOWN
from ..process import proc as P
from ..schedule import sched
from ..syscall import syscall as sysc
from .trapframe import REG_NAMES, TF_SIZE, TrapFrame
from pyucore.machine import STOP_BUDGET, MachineTrap
from pyucore.machine.riscv import (
    ACCESS_LOAD, ACCESS_STORE, CAUSE_BREAKPOINT, CAUSE_FETCH_ACCESS, CAUSE_FETCH_PAGE_FAULT,
    CAUSE_ILLEGAL_INSTRUCTION, CAUSE_LOAD_ACCESS, CAUSE_LOAD_PAGE_FAULT, CAUSE_MISALIGNED_FETCH,
    CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS, CAUSE_STORE_PAGE_FAULT,
    CAUSE_USER_ECALL, INTERRUPT_BIT, IRQ_S_TIMER, SSTATUS_SPP,
)

# Page faults in a row without one instruction retiring: more than one instruction can need (a fetch
# and two pages of a misaligned access), so the process's pages are evicting each other for good.
MAX_FAULTS_WITHOUT_PROGRESS = 32

_MESSAGES = {
    0: "Instruction address misaligned", 1: "Instruction access fault", 2: "Illegal instruction",
    3: "Breakpoint", 4: "Load address misaligned", 5: "Load access fault",
    6: "AMO address misaligned", 7: "Store/AMO access fault", 8: "Environment call from U-mode",
    9: "Environment call from S-mode", 10: "Environment call from H-mode",
    11: "Environment call from M-mode", 12: "Instruction page fault", 13: "Load page fault",
    15: "Store/AMO page fault",
}
# What the kill line calls each cause.
_KILL_NAMES = {
    0: "misaligned instruction fetch", 1: "instruction access fault", 2: "illegal instruction",
    3: "breakpoint", 4: "misaligned load", 5: "load access fault", 6: "misaligned store/AMO",
    7: "store access fault", 12: "instruction page fault", 13: "load page fault",
    15: "store page fault",
}
_FETCH_FAULTS = (CAUSE_MISALIGNED_FETCH, CAUSE_FETCH_ACCESS, CAUSE_FETCH_PAGE_FAULT)
_PAGE_FAULTS = (CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT,
                CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS)

max_insns = None       # stop the machine when this many user instructions have retired
# None, or what runs user code in place of the CPU (boot() sets gdb's stub here): run(budget) with
# cpu.run's contract (exactly budget instructions or a trap), stopping for the debugger in between
debugger = None


class InstructionLimit(Exception):
    """Raised when --max-insns user instructions have retired."""


def exception_message(cause):
    """The original's one-line name of exception cause."""
    return _MESSAGES.get(cause, "unknown exception %d" % cause)


def idt_init(limit=None, user_runner=None):
    """Trap set-up: the machine stops when limit (or None) user instructions have retired, and
    user_runner (or None) runs user code in place of the CPU (see debugger); there is nothing to
    program on this machine (sscratch is implicit in the run loop)."""
    global max_insns, debugger
    max_insns, debugger = limit, user_runner


def clock_tick():
    """One timer tick: re-arm, count it, and let the scheduling class see it for the running process
    (it asks for a reschedule when the process's turn is over)."""
    # LAB1:EXERCISE2 clock_tick BEGIN
    # the timer tick - arm the next timer interrupt and count the tick
    # (1) arm the next timer interrupt: clock.clock_set_next_event()
    # (2) count the tick: clock.ticks += 1
    # (LAB5's reschedule every TICK_NUM ticks is in schedule/lab5_sched.py, lab5_proc_tick)
    clock.clock_set_next_event()
    clock.ticks += 1
    # LAB1:EXERCISE2 clock_tick END
    # LAB6:EXERCISE1 clock_tick BEGIN
    # the timer tick in lab6 - instead of lab5's "every TICK_NUM ticks, current->need_resched = 1",
    # let the scheduling class count the tick for the running process (if there is one):
    # sched.sched_class_proc_tick(P.current); the class decides when its turn is over
    if P.current is not None:
        sched.sched_class_proc_tick(P.current)
    # LAB6:EXERCISE1 clock_tick END


def clock_budget(instret):
    """Returns how many instructions the CPU may run from instret before a tick that can change
    anything: the next tick that asks for a reschedule. The ticks before it only re-arm the timer,
    count and advance the scheduling class's per-tick state (the class says how many there are), so
    clock_catch_up replays them after the run. A process already asked to reschedule, or killed,
    runs only to the next tick, where trap() acts on it; so does every run when
    clock.run_past_quiet_ticks is off."""
    current = P.current
    if (not clock.run_past_quiet_ticks or current is None or current.need_resched
            or current.flags & P.PF_EXITING):
        return clock.next_tick - instret
    return clock.next_tick + sched.sched_class_quiet_ticks(current) * clock.tick_insns - instret


def clock_catch_up(instret, trapped):
    """Replays the ticks whose deadlines a run went past without stopping (before instret, or at
    instret when the run stopped at a trap, which the tick would have preceded); returns the last
    replayed deadline, or None. Needs a run of at most clock_budget instructions."""
    last = None
    while clock.next_tick < instret or (trapped and clock.next_tick == instret):
        last = clock.next_tick
        clock_tick()
    return last


def trap_in_kernel(tf):
    """True iff tf was saved by a trap taken in S-mode (SPP set)."""
    return bool(tf.status & SSTATUS_SPP)


def print_trapframe(tf):
    """The original's register dump of tf."""
    cprintf("trapframe at %p\n", pmm.KADDR(tf.addr))
    for i, name in enumerate(REG_NAMES):
        cprintf("  %-9s0x%08x\n", name, tf.reg(i))
    cprintf("  status   0x%08x\n", tf.status)
    cprintf("  epc      0x%08x\n", tf.epc)
    cprintf("  tval 0x%08x\n", tf.tval)
    cprintf("  cause    0x%08x\n", tf.cause)


def print_pgfault(tf):
    """`page fault at 0x...: K/W` of a boot self-check fault."""
    cprintf("page fault at 0x%08x: %c/%c\n", tf.tval, "K" if trap_in_kernel(tf) else "U",
            "W" if tf.cause == CAUSE_STORE_PAGE_FAULT else "R")


def pgfault_handler(tf):
    """Serves a page fault through do_pgfault on the self-check mm or current's mm; 0 or an error."""
    if vmm.check_mm_struct is not None:
        cprintf("%s\n", exception_message(tf.cause))
        print_pgfault(tf)
        emit_check("pgfault", P.current.pid if P.current else 0, addr=tf.tval, cause=tf.cause, epc=tf.epc)
        mm = vmm.check_mm_struct
    else:
        if P.current is None:
            print_trapframe(tf)
            panic("unhandled page fault.\n")
        mm = P.current.mm
        P.current.stats["pgfaults"] += 1
        emit("pgfault", P.current.pid, addr=tf.tval, cause=tf.cause, epc=tf.epc)
    ret = vmm.do_pgfault(mm, tf.cause, tf.tval)
    if ret == 0:
        vmm.mm_event(mm, "fault", [ROUNDDOWN(tf.tval, PGSIZE)])
    return ret


def user_instruction(pgdir, pc):
    """The bytes of the user instruction at pc in pgdir (2 or 4), or None if its page is not mapped."""
    pa = pmm.user_pa(pgdir, pc)
    if pa is None:
        return None
    low = hw.ram.read(pa, 2)
    if low[0] & 3 != 3:
        return low
    pa2 = pmm.user_pa(pgdir, pc + 2)
    return low + hw.ram.read(pa2, 2) if pa2 is not None else None


def print_instruction(pgdir, pc, image):
    """`    mnemonic operands` of the user instruction at pc (pyucore's addition to a kill line), or
    what capstone could not decode; nothing if pc is not mapped. image: the ELF the process runs,
    or None; its debug tables keep the disassembly."""
    code = user_instruction(pgdir, pc)
    if code is not None:
        decoded = disassemble(code, pc, image)
        cprintf("    %s\n", decoded or "(capstone decodes no instruction from 0x%s)" % code[::-1].hex())


def kill_current(tf, what, original=None):
    """Kills the current user process for a trap it cannot survive: the trapframe, the original's own
    message if it has one, one line saying why, then exit -E_KILLED."""
    proc = P.current
    print_trapframe(tf)
    if original is not None:
        cprintf("%s", original)
    # a syscall's epc is already past its ecall; a fetch fault has no instruction to show
    pc = tf.epc - 4 if tf.cause == CAUSE_USER_ECALL else tf.epc
    where = debuginfo_eip(proc.elf, pc)
    cprintf("pid %d (%s) killed: %s, epc 0x%lx%s\n", proc.pid, proc.name, what, tf.epc,
            " (%s)" % where if where else "")
    if tf.cause not in _FETCH_FAULTS and proc.mm is not None:
        print_instruction(proc.mm.pgdir, pc, proc.elf)
    emit("kill", proc.pid, target=proc.pid, reason=what, epc=pc)
    P.do_exit(-E_KILLED)


def _fatal(tf, what):
    """A trap that cannot be survived: kill the user process, or panic if it came from the kernel."""
    if trap_in_kernel(tf) or P.current is None or P.current.mm is None:
        print_trapframe(tf)
        panic("unexpected trap in kernel: %s.\n", what)
    kill_current(tf, what)


def exception_handler(tf):
    """Dispatches an exception by cause, as trap.c does."""
    cause = tf.cause
    if cause == CAUSE_USER_ECALL:
        tf.epc = tf.epc + 4
        sysc.syscall()
    elif cause in _PAGE_FAULTS:
        if not trap_in_kernel(tf) and P.current.faults_without_progress > MAX_FAULTS_WITHOUT_PROGRESS:
            cprintf("%s\n", exception_message(cause))
            _fatal(tf, "%s at 0x%x: no progress after %d page faults in a row (too little memory: its "
                   "pages keep evicting each other)" % (_KILL_NAMES[cause], tf.tval,
                                                        MAX_FAULTS_WITHOUT_PROGRESS))
        ret = pgfault_handler(tf)
        if ret != 0:
            _fatal(tf, "%s at 0x%x" % (_KILL_NAMES[cause], tf.tval))
    elif cause == CAUSE_BREAKPOINT:
        cprintf("Breakpoint\n")
        if trap_in_kernel(tf) and tf.reg(17) == 10:
            tf.epc = tf.epc + 4
            sysc.syscall()
            kernel_execve_ret(tf)
        else:
            _fatal(tf, "breakpoint")
    elif cause == CAUSE_ILLEGAL_INSTRUCTION:
        cprintf("%s\n", exception_message(cause))
        _fatal(tf, "illegal instruction 0x%08x" % tf.tval)
    elif cause in (CAUSE_MISALIGNED_FETCH, CAUSE_FETCH_ACCESS, CAUSE_MISALIGNED_LOAD,
                   CAUSE_MISALIGNED_STORE):
        cprintf("%s\n", exception_message(cause))
        _fatal(tf, "%s at 0x%x" % (_KILL_NAMES[cause], tf.tval))
    else:
        cprintf("%s\n", exception_message(cause))
        _fatal(tf, "unexpected exception %d" % cause)


def interrupt_handler(tf):
    """The S-timer interrupt: one clock tick."""
    if tf.cause & ~INTERRUPT_BIT != IRQ_S_TIMER:
        print_trapframe(tf)
        return
    clock_tick()


def trap_dispatch(tf):
    """Interrupts to interrupt_handler, exceptions to exception_handler."""
    if tf.cause & INTERRUPT_BIT:
        interrupt_handler(tf)
    else:
        exception_handler(tf)


def trap(tf):
    """Handles a trap with tf as current's trapframe; on the way back to user mode, exits a killed
    process and reschedules if asked."""
    current = P.current
    if current is None:
        trap_dispatch(tf)
        return
    otf = current.tf
    current.tf = tf
    in_kernel = trap_in_kernel(tf)
    trap_dispatch(tf)
    current.tf = otf
    if not in_kernel:
        if current.flags & P.PF_EXITING:
            P.do_exit(-E_KILLED)
        if current.need_resched:
            sched.schedule()


def trapret(tf):
    """Returns to user mode through tf and never comes back: runs the CPU until each trap or timer
    tick that can change anything, then handles it (what __trapret / __alltraps do around the
    hardware); the ticks in between are counted exactly from the instructions retired."""
    cpu = hw.cpu
    proc = P.current
    while True:
        cpu.regs[:] = tf.load_regs()
        cpu.pc = tf.epc
        budget = clock_budget(cpu.instret)
        if max_insns is not None:
            if cpu.instret >= max_insns:
                raise InstructionLimit(max_insns)
            budget = min(budget, max_insns - cpu.instret)
        before = cpu.instret
        why = cpu.run(budget) if debugger is None else debugger.run(budget)
        last_tick = clock_catch_up(cpu.instret, why != STOP_BUDGET)
        proc.stats["insns"] += cpu.instret - before
        # a fault right at a replayed tick would have come in a run of its own that retired nothing
        stuck = cpu.instret == (before if last_tick is None else last_tick) and why in _PAGE_FAULTS
        proc.faults_without_progress = proc.faults_without_progress + 1 if stuck else 0
        tf.save_regs(cpu.regs)
        tf.epc = cpu.pc
        if why == STOP_BUDGET:
            if max_insns is not None and cpu.instret >= max_insns:
                raise InstructionLimit(max_insns)
            tf.cause = INTERRUPT_BIT | IRQ_S_TIMER
            tf.tval = 0
        else:
            tf.cause = why
            tf.tval = cpu.tval
        trap(tf)


def kernel_execve_ret(tf):
    """After exec from the kernel: moves tf to the top of the kernel stack and, when it now returns to
    user mode, goes there; otherwise returns (the exec failed)."""
    cur = P.current
    if trap_in_kernel(tf):
        return
    top = TrapFrame(cur.kstack + KSTACKSIZE - TF_SIZE)
    top.copy_from(tf)
    cur.tf = top
    trapret(top)


def _kernel_access(va, access):
    """Physical address for an S-mode access to va through the MMU, taking (and serving) page faults
    through trap() as a kernel instruction would."""
    while True:
        try:
            return hw.mmu.translate(va, access, user=False)
        except MachineTrap as fault:
            tf = TrapFrame(P.bootstack + KSTACKSIZE - TF_SIZE)
            tf.clear()
            tf.status = SSTATUS_SPP
            tf.cause, tf.tval = fault.cause, fault.tval
            if fault.cause not in _PAGE_FAULTS or pgfault_handler(tf) != 0:
                print_trapframe(tf)
                panic("handle pgfault failed in the kernel at 0x%lx.\n", va)


def kernel_store(va, size, value):
    """A kernel store of size bytes at virtual address va (used by the boot self-checks)."""
    pa = _kernel_access(va, ACCESS_STORE)
    hw.ram.write(pa, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))


def kernel_load(va, size):
    """A kernel load of size bytes from virtual address va (used by the boot self-checks)."""
    pa = _kernel_access(va, ACCESS_LOAD)
    return int.from_bytes(hw.ram.read(pa, size), "little")
