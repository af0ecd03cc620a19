"""Processes (ucore's proc.c): proc_struct, the process tree, fork / exec / exit / wait / kill / yield.

Every process owns a greenlet: its kernel stack and context. schedule() switches greenlets inside
do_wait or do_exit exactly where ucore's switch_to switches stacks. The trapframe of a process lives in
RAM at the top of its 2-page kernel stack, as in ucore.
"""

import struct

from greenlet import GreenletExit, getcurrent, greenlet

from .. import hw
from ..debug import events
from ..debug.events import emit
from ..debug.panic import kassert, panic
from ..libs.error import (
    E_BAD_PROC, E_INVAL, E_INVAL_ELF, E_KILLED, E_NO_FREE_PROC, E_NO_MEM,
)
from ..libs.list import list_entry
from ..libs.sbi import sbi_shutdown
from ..libs.skew_heap import skew_heap_entry
from ..libs.stdio import cprintf, cputs
from ..mm import pmm, vmm
from ..mm.memlayout import KSTACKPAGE, KSTACKSIZE, USTACKSIZE, USTACKTOP
from ..mm.mmu import PGSHIFT, PGSIZE, PTE_R, PTE_U, PTE_W, PTE_X, ROUNDDOWN
from ..schedule import sched
from ..syscall import syscall
from ..trap import trap
from ..trap.trapframe import TF_SIZE, TrapFrame
from pyucore.machine.riscv import CAUSE_BREAKPOINT, SATP_MODE_SV39, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP

PROC_UNINIT, PROC_SLEEPING, PROC_RUNNABLE, PROC_ZOMBIE = 0, 1, 2, 3
STATE_NAMES = {0: "uninit", 1: "sleeping", 2: "runnable", 3: "zombie"}
# ucore lab5's state transitions: created (uninit) -> runnable, runnable <-> sleeping (wait, and its
# wakeup), runnable -> zombie (exit). Every change of state is checked against them.
ALLOWED_TRANSITIONS = {
    (PROC_UNINIT, PROC_RUNNABLE), (PROC_RUNNABLE, PROC_SLEEPING), (PROC_SLEEPING, PROC_RUNNABLE),
    (PROC_RUNNABLE, PROC_ZOMBIE),
}

PROC_NAME_LEN = 15
MAX_PROCESS = 4096
MAX_PID = MAX_PROCESS * 2

PF_EXITING = 0x00000001
WT_INTERRUPTED = 0x80000000
WT_CHILD = 0x00000001 | WT_INTERRUPTED

CLONE_VM = 0x00000100

ELF_MAGIC = 0x464C457F
ELF_PT_LOAD = 1
ELF_PF_X, ELF_PF_W, ELF_PF_R = 1, 2, 4

# Kernel threads start with SPP set (they "return" to S-mode), interrupts on after sret.
KERNEL_SSTATUS = 0x46000      # SUM | FS as the original's sstatus reads at boot

proc_list = []       # every process but idle; index 0 is the front (just after ucore's list head)
hash_list = {}       # pid -> proc_struct
idleproc = None
initproc = None
current = None
nr_process = 0
nr_linked = 0        # processes ever put in proc_list: each one's link_order
last_pid = MAX_PID
bootstack = 0        # physical address of idle's stack (in the kernel image)


class proc_struct:
    """A process control block. ucore's fields (state, pid, runs, kstack, need_resched, parent, mm,
    context: the greenlet, tf: the TrapFrame at the top of the kernel stack, cr3, flags, name,
    exit_code, wait_state, cptr/yptr/optr) are set by alloc_proc, as ucore's kmalloc'ed struct is;
    the constructor sets only pyucore's own bookkeeping."""

    def __init__(self):
        self._state = PROC_UNINIT
        self.exit_code = 0
        self.kentry = None          # (fn, arg) of a kernel thread
        self.elf = None             # the ELF image it runs: fault reports name its source lines
        self.faults_without_progress = 0    # page faults in a row with no instruction retired (trap.py)
        self.stats = {"insns": 0, "syscalls": 0, "pgfaults": 0, "cow_copies": 0, "peak_pages": 0}

    @property
    def state(self):
        return self._state

    @state.setter
    def state(self, new):
        if new != self._state and (self._state, new) not in ALLOWED_TRANSITIONS:
            panic("bad state change of pid %d: %s -> %s", self.pid, STATE_NAMES[self._state],
                  STATE_NAMES[new])
        if new != self._state:
            emit("state", self.pid, old=STATE_NAMES[self._state], new=STATE_NAMES[new],
                 name=self.name)
        self._state = new


def alloc_proc():
    """A fresh proc_struct: UNINIT, pid -1, no mm, cr3 = the boot page table, no links."""
    proc = proc_struct()
    # LAB4:EXERCISE1 alloc_proc BEGIN
    # alloc_proc - initialise the fields of the new proc_struct
    # Set, on proc:
    #   state = PROC_UNINIT, pid = -1, runs = 0, kstack = 0, need_resched = 0,
    #   parent = None, mm = None (a kernel thread has no user memory),
    #   context = None (copy_thread makes its greenlet), tf = None,
    #   cr3 = pmm.boot_cr3 (it runs on the kernel's page table until it gets an mm),
    #   flags = 0, name = ""
    proc.state = PROC_UNINIT
    proc.pid = -1
    proc.runs = 0
    proc.kstack = 0
    proc.need_resched = 0
    proc.parent = None
    proc.mm = None
    proc.context = None
    proc.tf = None
    proc.cr3 = pmm.boot_cr3
    proc.flags = 0
    proc.name = ""
    # LAB4:EXERCISE1 alloc_proc END
    # LAB5:EXERCISE0 alloc_proc BEGIN
    # alloc_proc - the new process waits for nothing and has no links in the process tree
    # Set, on proc: wait_state = 0, and cptr (its youngest child), yptr (its younger sibling) and
    # optr (its older sibling) = None
    proc.wait_state = 0
    proc.cptr = proc.yptr = proc.optr = None
    # LAB5:EXERCISE0 alloc_proc END
    proc.link_order = 0                         # set_links's count (newer processes: larger)
    proc.rq = None                              # lab6: the run queue it was last put in
    proc.run_link = list_entry(proc)            # its link in rq.run_list (round robin)
    proc.time_slice = 0                         # ticks left of its turn
    proc.lab6_run_pool = skew_heap_entry(proc)  # its node in rq.lab6_run_pool (stride)
    proc.lab6_stride = 0
    proc.lab6_priority = 0                      # 0 counts as 1
    return proc


def set_proc_name(proc, name):
    """Sets proc's name, truncated to PROC_NAME_LEN characters."""
    proc.name = name[:PROC_NAME_LEN]


def set_links(proc):
    """Puts proc at the front of proc_list and of its parent's children; counts it."""
    global nr_process, nr_linked
    proc_list.insert(0, proc)
    nr_linked += 1
    proc.link_order = nr_linked
    proc.yptr = None
    proc.optr = proc.parent.cptr
    if proc.optr is not None:
        proc.optr.yptr = proc
    proc.parent.cptr = proc
    nr_process += 1


def remove_links(proc):
    """Takes proc out of proc_list and its parent's children; uncounts it."""
    global nr_process
    proc_list.remove(proc)
    if proc.optr is not None:
        proc.optr.yptr = proc.yptr
    if proc.yptr is not None:
        proc.yptr.optr = proc.optr
    else:
        proc.parent.cptr = proc.optr
    nr_process -= 1


def get_pid():
    """The next unused pid after the last one given, wrapping from MAX_PID to 1."""
    global last_pid
    while True:
        last_pid += 1
        if last_pid >= MAX_PID:
            last_pid = 1
        if last_pid not in hash_list:
            return last_pid


def hash_proc(proc):
    """Makes proc findable by its pid."""
    hash_list[proc.pid] = proc


def unhash_proc(proc):
    """Forgets proc's pid (it may be given again after the counter wraps)."""
    del hash_list[proc.pid]


def find_proc(pid):
    """The live process with pid, or None."""
    return hash_list.get(pid)


def lcr3(cr3):
    """Loads satp (the MMU flushes its TLB)."""
    hw.mmu.satp = cr3


def proc_run(proc):
    """Makes proc the running process: its page table, then its kernel stack (greenlet)."""
    global current
    if proc is current:
        return
    events.running = proc.pid
    emit("switch", proc.pid, prev=current.pid)
    # LAB4:EXERCISE3 proc_run BEGIN
    # proc_run - make proc the running process
    # (1) make it current: `current = proc` (current is this module's global, declared above)
    # (2) load its page table: lcr3(proc.cr3)
    # (3) switch to its kernel stack and context: switch_to(proc); it returns when some process
    #     switches back to this one
    current = proc
    lcr3(proc.cr3)
    switch_to(proc)
    # LAB4:EXERCISE3 proc_run END


def switch_to(proc):
    """Continues on proc's kernel stack until some process switches back here. A process that never
    ran is started by idle, so every kernel stack begins at the same shallow depth (a greenlet starts
    where it is first switched to)."""
    idle = idleproc.context
    g = proc.context
    if not g and not g.dead and getcurrent() is not idle:
        request = idle.switch(proc)
    else:
        request = g.switch(None) if g else g.switch()
    while request is not None:
        request = request.context.switch()


def forkret(proc):
    """Where a new process first runs: a kernel thread calls its function, a user process returns to
    user mode through its trapframe."""
    if proc.kentry is not None:
        fn, arg = proc.kentry
        do_exit(fn(arg))
    trap.trapret(proc.tf)


def kernel_thread(fn, arg, clone_flags):
    """Creates a kernel thread running fn(arg) (then do_exit); returns its pid or a negative error."""
    tf = TrapFrame(current.kstack + KSTACKSIZE - 2 * TF_SIZE)
    tf.clear()
    tf.status = (KERNEL_SSTATUS | SSTATUS_SPP | SSTATUS_SPIE) & ~SSTATUS_SIE
    tf.kentry = (fn, arg)
    return do_fork(clone_flags | CLONE_VM, 0, tf)


def setup_kstack(proc):
    """Gives proc a kernel stack of KSTACKPAGE pages; 0 or -E_NO_MEM."""
    # a new process may not take the memory page faults need, nor push user pages to disk for it
    with pmm.fault_reserve_kept(reclaim=False):
        page = pmm.alloc_pages(KSTACKPAGE)
    if page is None:
        return -E_NO_MEM
    proc.kstack = pmm.page2pa(page)
    return 0


def put_kstack(proc):
    """Frees proc's kernel stack."""
    pmm.free_pages(pmm.pa2page(proc.kstack), KSTACKPAGE)


def setup_pgdir(mm):
    """A page directory for mm copied from boot_pgdir; 0 or -E_NO_MEM."""
    pgdir = pmm.setup_pgdir_page()
    if pgdir is None:
        return -E_NO_MEM
    mm.pgdir = pgdir
    return 0


def put_pgdir(mm):
    """Frees mm's page directory page (its lower tables must be freed already)."""
    pmm.free_page(pmm.pa2page(mm.pgdir))


def copy_mm(clone_flags, proc, share):
    """Gives proc the current mm (CLONE_VM) or a duplicate of it; 0 or -E_NO_MEM, leaking nothing."""
    oldmm = current.mm
    if oldmm is None:
        return 0
    if clone_flags & CLONE_VM:
        mm = oldmm
    else:
        # a new process may not take the memory page faults need; its page tables come from free pages
        # only, which its page copies (that may swap others out) must leave them
        tables = pmm.fork_table_pages(oldmm.pgdir, share)
        if tables is None:
            return -E_NO_MEM
        mm = vmm.mm_create()
        with pmm.fault_reserve_kept(pages=pmm.FAULT_RESERVE + tables):
            with pmm.fault_reserve_kept(reclaim=False):
                ret = setup_pgdir(mm)
            if ret != 0:
                vmm.mm_destroy(mm)
                return -E_NO_MEM
            if vmm.dup_mmap(mm, oldmm, share) != 0:
                vmm.exit_mmap(mm)
                put_pgdir(mm)
                vmm.mm_destroy(mm)
                return -E_NO_MEM
    vmm.mm_count_inc(mm)
    proc.mm = mm
    proc.cr3 = SATP_MODE_SV39 | (mm.pgdir >> PGSHIFT)
    return 0


def copy_thread(proc, esp, tf):
    """Puts a copy of tf at the top of proc's kernel stack with a0 = 0 and sp = esp (or the trapframe
    itself for a kernel thread), and makes proc start in forkret."""
    proc.tf = TrapFrame(proc.kstack + KSTACKSIZE - TF_SIZE)
    proc.tf.copy_from(tf)
    proc.tf.set_reg(10, 0)
    proc.tf.set_reg(2, esp if esp != 0 else pmm.KADDR(proc.tf.addr))
    proc.kentry = tf.kentry
    proc.context = greenlet(run=lambda: forkret(proc), parent=idleproc.context)


fork_share = 1       # copy_range's share argument for fork: 1 = copy-on-write, 0 = eager copy
pgdir_at_exit = False  # print each process's page table in do_exit, before its memory is freed


def do_fork(clone_flags, stack, tf):
    """Creates a child of current: new kernel stack, a copy (or share) of the mm, a copy of tf.
    Returns the child's pid, -E_NO_FREE_PROC at MAX_PROCESS, or -E_NO_MEM; leaks nothing on failure."""
    if nr_process >= MAX_PROCESS:
        return -E_NO_FREE_PROC
    if not _fork_fits(clone_flags):
        return -E_NO_MEM
    # LAB5:EXERCISE0 do_fork wait_state BEGIN
    # do_fork step 1, LAB5 update - a process that forks cannot be waiting for a child
    # kassert(current.wait_state == 0, ...): a failed check is a kernel panic
    kassert(current.wait_state == 0, "a waiting process forked")
    # LAB5:EXERCISE0 do_fork wait_state END
    # LAB4:EXERCISE2 do_fork BEGIN
    # do_fork steps 1 to 5 - make the child: its proc_struct, kernel stack, memory and trapframe
    # (1) proc = alloc_proc(); its parent is current
    # (2) setup_kstack(proc) gives it a kernel stack; non-zero means no memory: return -E_NO_MEM
    # (3) copy_mm(clone_flags, proc, fork_share) shares or duplicates current's memory; non-zero:
    #     put_kstack(proc), then return -E_NO_MEM (a failed fork gives back all it took)
    # (4) copy_thread(proc, stack, tf): its trapframe (a copy of tf) and where it starts to run
    # (5) a pid for it, proc.pid = get_pid(), and hash_proc(proc) to make find_proc(pid) find it
    # Steps 6 and 7 follow the blanks: wakeup_proc(proc) makes it RUNNABLE; the pid is returned.
    proc = alloc_proc()
    proc.parent = current
    if setup_kstack(proc) != 0:
        return -E_NO_MEM
    if copy_mm(clone_flags, proc, fork_share) != 0:
        put_kstack(proc)
        return -E_NO_MEM
    copy_thread(proc, stack, tf)
    proc.pid = get_pid()
    hash_proc(proc)
    # LAB4:EXERCISE2 do_fork END
    # LAB5:EXERCISE0 do_fork set_links BEGIN
    # do_fork step 5, LAB5 update - link the child into proc_list and its parent's children
    # set_links(proc) does both and counts it in nr_process
    set_links(proc)
    # LAB5:EXERCISE0 do_fork set_links END
    if current.mm is not None:             # ucore leaves a user child unnamed; pyucore's views need names
        set_proc_name(proc, current.name)
    proc.elf = current.elf
    sched.wakeup_proc(proc)
    emit("fork", current.pid, child=proc.pid)
    if proc.mm is not None and proc.mm is not current.mm:
        vmm.mm_event(current.mm, "fork")     # its writable pages just became copy-on-write
        vmm.mm_event(proc.mm, "fork")
    return proc.pid


def _fork_fits(clone_flags):
    """True iff the memory a child of current takes (its kernel stack; unless it shares current's mm,
    its page tables and, with an eager fork, copies of current's pages) can be had without the fault
    reserve (pmm.fork_table_pages). Where it cannot, fork fails at once rather than build half a process
    and tear it down again, which a fork bomb's processes would otherwise do on every fork, for ever."""
    if current.mm is None or clone_flags & CLONE_VM:
        return pmm.nr_free_pages() - pmm.FAULT_RESERVE >= KSTACKPAGE
    return pmm.fork_table_pages(current.mm.pgdir, fork_share, KSTACKPAGE) is not None


def _drop_mm(proc):
    """Switches to the boot page table and frees proc's mm when proc was its last user."""
    mm = proc.mm
    if mm is None:
        return
    # The kernel unmaps user pages only here, so the count before teardown is the peak. Only the exit
    # event carries it, and counting walks every PTE: counted only when the events reach someone.
    if events.observed():
        proc.stats["peak_pages"] = max(proc.stats["peak_pages"], pmm.count_user_pages(mm.pgdir))
    lcr3(pmm.boot_cr3)
    if vmm.mm_count_dec(mm) == 0:
        vmm.exit_mmap(mm)
        put_pgdir(mm)
        vmm.mm_destroy(mm)
    proc.mm = None
    proc.cr3 = pmm.boot_cr3


def do_exit(error_code):
    """Ends current: frees its memory, becomes a ZOMBIE with error_code, hands its children to init,
    wakes whoever waits, and schedules away for good."""
    if current is idleproc:
        panic("idleproc exit.\n")
    if current is initproc:
        panic("initproc exit.\n")
    if pgdir_at_exit and current.mm is not None:
        vmm.print_mm(current.mm, "pid %d (%s) at exit" % (current.pid, current.name))
    _drop_mm(current)
    current.state = PROC_ZOMBIE
    current.exit_code = error_code
    # The counters travel in the event: a reaped process's proc_struct is gone.
    emit("exit", current.pid, code=error_code, parent=current.parent.pid, **current.stats)
    parent = current.parent
    if parent.wait_state == WT_CHILD:
        sched.wakeup_proc(parent)
    while current.cptr is not None:
        proc = current.cptr
        current.cptr = proc.optr
        proc.yptr = None
        proc.optr = initproc.cptr
        if proc.optr is not None:
            initproc.cptr.yptr = proc
        proc.parent = initproc
        initproc.cptr = proc
        if proc.state == PROC_ZOMBIE and initproc.wait_state == WT_CHILD:
            sched.wakeup_proc(initproc)
    sched.schedule()
    panic("do_exit will not return!! %d.\n", current.pid)


def _read_elf(binary):
    """(e_entry, [(p_vaddr, p_memsz, p_flags, file bytes)] of PT_LOAD segments) or a negative error."""
    if len(binary) < 64 or struct.unpack_from("<I", binary, 0)[0] != ELF_MAGIC:
        return -E_INVAL_ELF
    e_entry, e_phoff = struct.unpack_from("<QQ", binary, 24)
    e_phentsize, e_phnum = struct.unpack_from("<HH", binary, 54)
    if e_phentsize < 56 or e_phoff + e_phnum * e_phentsize > len(binary):
        return -E_INVAL_ELF
    segments = []
    for i in range(e_phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz = struct.unpack_from(
            "<IIQQQQQ", binary, e_phoff + i * e_phentsize)
        if p_type != ELF_PT_LOAD:
            continue
        if p_filesz > p_memsz or p_offset + p_filesz > len(binary):
            return -E_INVAL_ELF
        segments.append((p_vaddr, p_memsz, p_flags, binary[p_offset:p_offset + p_filesz]))
    return e_entry, segments


def _load_segment(mm, va, memsz, flags, data):
    """Step 3 of load_icode for one segment: a VMA, then eagerly allocated pages holding the file bytes
    and zeros up to memsz. Returns 0 or a negative error."""
    vm_flags, perm = 0, PTE_U
    if flags & ELF_PF_X:
        vm_flags |= vmm.VM_EXEC
        perm |= PTE_X
    if flags & ELF_PF_W:
        vm_flags |= vmm.VM_WRITE
        perm |= PTE_R | PTE_W
    if flags & ELF_PF_R:
        vm_flags |= vmm.VM_READ
        perm |= PTE_R
    if memsz == 0:
        return 0
    ret = vmm.mm_map(mm, va, memsz, vm_flags)
    if ret != 0:
        return ret
    end = va + memsz
    la = ROUNDDOWN(va, PGSIZE)
    while la < end:
        page = pmm.pgdir_alloc_page(mm.pgdir, la, perm)
        if page is None:
            return -E_NO_MEM
        pa = pmm.page2pa(page)
        hw.ram.zero_page(pa)
        lo, hi = max(la, va), min(la + PGSIZE, va + len(data))
        if lo < hi:
            hw.ram.write(pa + (lo - la), data[lo - va:hi - va])
        la += PGSIZE
    return 0


def load_icode(binary):
    """Builds current's user memory from an ELF image (the six steps of the lab) and sets up its
    trapframe to enter it in user mode; 0 or a negative error, after which nothing of the new memory
    is left."""
    kassert(current.mm is None, "load_icode: current->mm must be empty")
    # (1) create a new mm for current process
    mm = vmm.mm_create()
    # (2) create a new page directory (a copy of boot_pgdir's kernel window) in mm.pgdir
    if setup_pgdir(mm) != 0:
        vmm.mm_destroy(mm)
        return -E_NO_MEM
    # (3) copy the TEXT/DATA segments of the binary into the process's memory and build its BSS
    elf = _read_elf(binary)
    ret = elf if isinstance(elf, int) else 0
    if ret == 0:
        for va, memsz, flags, data in elf[1]:
            ret = _load_segment(mm, va, memsz, flags, data)
            if ret != 0:
                break
    # (4) build the user stack: a VMA of USTACKSIZE below USTACKTOP, its top 4 pages mapped
    if ret == 0:
        ret = _setup_ustack(mm)
    if ret != 0:
        vmm.exit_mmap(mm)
        put_pgdir(mm)
        vmm.mm_destroy(mm)
        return ret
    # (5) set current process's mm and cr3, and load the new page directory into satp
    vmm.mm_count_inc(mm)
    current.mm = mm
    current.cr3 = SATP_MODE_SV39 | (mm.pgdir >> PGSHIFT)
    lcr3(current.cr3)
    # (6) set up the trapframe for user environment
    tf = current.tf
    sstatus = tf.status         # keep sstatus
    tf.clear()
    # LAB5:EXERCISE1 load_icode BEGIN
    # load_icode step 6 - set up the trapframe for user environment
    # Set tf's sp, epc and status, so that the return from this trap enters the program in user mode:
    #   sp (register 2: tf.set_reg(2, ...)) - the top of the user stack, USTACKTOP
    #   tf.epc - the program's entry point, e_entry of the ELF header (elf[0])
    #   tf.status - the kept sstatus with SSTATUS_SPP cleared (sret then goes to user mode) and
    #     SSTATUS_SPIE set (interrupts are on once in user mode)
    tf.set_reg(2, USTACKTOP)
    tf.epc = elf[0]
    tf.status = (sstatus & ~SSTATUS_SPP) | SSTATUS_SPIE
    # LAB5:EXERCISE1 load_icode END
    return 0


def _setup_ustack(mm):
    """Step 4 of load_icode: the stack VMA and its top 4 pages; 0 or a negative error."""
    ret = vmm.mm_map(mm, USTACKTOP - USTACKSIZE, USTACKSIZE, vmm.VM_READ | vmm.VM_WRITE | vmm.VM_STACK)
    if ret != 0:
        return ret
    # the VMA's permissions (read/write, not ucore's PTE_USER with X), as every later stack page gets
    # from do_pgfault or a swap-in: the stack is never executable, at any RAM size
    perm = vmm.vma_perm(vmm.find_vma(mm, USTACKTOP - 1))
    for i in range(1, 5):
        if pmm.pgdir_alloc_page(mm.pgdir, USTACKTOP - i * PGSIZE, perm) is None:
            return -E_NO_MEM
    return 0


def do_execve(name, length, binary, size):
    """Replaces current's program with the ELF at binary (size bytes), named by the string at name.
    Returns -E_INVAL for unreadable arguments (current untouched); a failed load exits current."""
    mm = current.mm
    if not vmm.user_mem_check(mm, name, length, False):
        return -E_INVAL
    local_name = vmm.copy_from_user(mm, name, length)
    image = b"" if size == 0 else vmm.copy_from_user(mm, binary, size)
    if local_name is None or image is None:
        return -E_INVAL
    local_name = local_name.split(b"\0")[0].decode("latin-1")[:PROC_NAME_LEN]
    if mm is not None:
        cputs("mm != NULL")
        _drop_mm(current)
    with pmm.fault_reserve_kept():      # a new program may not take the memory page faults need
        ret = load_icode(image)
    if ret != 0:
        cprintf("pid %d: exec of \"%s\" failed: %e\n", current.pid, local_name, ret)
        do_exit(ret)
    set_proc_name(current, local_name)
    current.elf = image
    emit("exec", current.pid, name=current.name)
    vmm.mm_event(current.mm, "exec")
    return 0


def lab6_set_priority(priority):
    """Sets current's stride-scheduling priority (0 counts as 1), saying so on the console."""
    cprintf("set priority to %d\n", priority)
    current.lab6_priority = priority if priority != 0 else 1
    emit("priority", current.pid, priority=current.lab6_priority)


def do_yield():
    """Asks for a reschedule on the way back to user mode; returns 0."""
    current.need_resched = 1
    return 0


def do_wait(pid, code_store):
    """Reaps a ZOMBIE child (pid, or any child for 0), storing its exit code at code_store if non-zero,
    sleeping while children live. Returns 0, -E_BAD_PROC (no such child) or -E_INVAL (bad code_store)."""
    if code_store != 0 and not vmm.user_mem_check(current.mm, code_store, 4, True):
        return -E_INVAL
    while True:
        haskid, found = False, None
        if pid != 0:
            proc = find_proc(pid)
            if proc is not None and proc.parent is current:
                haskid = True
                if proc.state == PROC_ZOMBIE:
                    found = proc
        else:
            proc = current.cptr
            while proc is not None:
                haskid = True
                if proc.state == PROC_ZOMBIE:
                    found = proc
                    break
                proc = proc.optr
        if found is not None:
            break
        if not haskid:
            return -E_BAD_PROC
        current.state = PROC_SLEEPING
        current.wait_state = WT_CHILD
        sched.schedule()
        if current.flags & PF_EXITING:
            do_exit(-E_KILLED)
    # found: hand the exit code over, then free what remains of the child
    if found is idleproc or found is initproc:
        panic("wait idleproc or initproc.\n")
    if code_store != 0:
        data = struct.pack("<i", found.exit_code)
        if not vmm.copy_to_user(current.mm, code_store, data):
            return -E_NO_MEM
    unhash_proc(found)
    remove_links(found)
    put_kstack(found)
    _discard_context(found)
    emit("reap", current.pid, child=found.pid, code=found.exit_code)
    return 0


def _discard_context(proc):
    """Ends the dead greenlet of a reaped zombie now (returning here), not at some later collection."""
    g, proc.context = proc.context, None
    if g is not None and not g.dead:
        g.parent = getcurrent()
        g.throw(GreenletExit)


def do_kill(pid):
    """Marks pid to exit at its next return to user mode (waking it from an interruptible wait).
    Returns 0, -E_KILLED if it is already exiting, -E_INVAL if there is no such process or it is
    init (ucore lets init be killed, which panics the whole kernel)."""
    proc = find_proc(pid)
    if proc is None or proc is initproc:
        return -E_INVAL
    if proc.flags & PF_EXITING:
        return -E_KILLED
    proc.flags |= PF_EXITING
    if proc.wait_state & WT_INTERRUPTED:
        sched.wakeup_proc(proc)
    emit("kill", current.pid, target=pid)
    return 0


def kernel_execve(name, length, binary, size):
    """user_main's exec: an ebreak with a7 = 10 and SYS_exec's arguments, taken from the kernel;
    returns only if do_execve returned an error (its value)."""
    tf = TrapFrame(current.kstack + KSTACKSIZE - 2 * TF_SIZE)
    tf.clear()
    for reg, value in ((17, 10), (10, syscall.SYS_exec), (11, name), (12, length), (13, binary),
                       (14, size)):
        tf.set_reg(reg, value)
    tf.status = current.tf.status
    tf.cause = CAUSE_BREAKPOINT
    trap.trap(tf)
    return syscall.c_int(tf.reg(10))


def user_main(arg):
    """The first user process: execs the program that boot chose (its name and ELF are in the kernel image)."""
    name_kva, binary_kva, size = arg
    name = vmm.copy_string(None, name_kva, 64)
    cprintf('kernel_execve: pid = %d, name = "%s".\n', current.pid, name)
    ret = kernel_execve(name_kva, len(name), binary_kva, size)
    cprintf("ret = %d\n", ret)
    panic("user_main execve failed.\n")


def init_main(arg):
    """init: starts user_main, reaps every process until none is left, checks that only idle and init
    remain and that every page came back, then powers off (where ucore panics with `initproc exit.`)."""
    nr_free_pages_store = pmm.nr_free_pages()
    pid = kernel_thread(user_main, arg, 0)
    if pid <= 0:
        panic("create user_main failed.\n")
    while do_wait(0, 0) == 0:
        sched.schedule()
    cprintf("all user-mode processes have quit.\n")
    kassert(initproc.cptr is None and initproc.yptr is None and initproc.optr is None,
            "init still has children")
    kassert(nr_process == 2, "processes other than idle and init remain")
    kassert(proc_list == [initproc], "proc_list holds more than init")
    leaked = nr_free_pages_store - pmm.nr_free_pages()
    if leaked != 0:
        panic("init check memory failed: %d pages not given back.\n", leaked)
    cprintf("init check memory pass.\n")
    sbi_shutdown()


def proc_init(program):
    """Creates idle (pid 0, this very context) and init (pid 1), which will exec `program`
    (a (name_kva, binary_kva, size) triple in the kernel image)."""
    global idleproc, initproc, current, nr_process, last_pid, proc_list, hash_list, nr_linked
    proc_list, hash_list, nr_process, last_pid, nr_linked = [], {}, 0, MAX_PID, 0
    idleproc = alloc_proc()
    idleproc.pid = 0
    set_proc_name(idleproc, "idle")      # named before its first state event, which carries the name
    idleproc.state = PROC_RUNNABLE
    idleproc.kstack = bootstack
    idleproc.need_resched = 1
    idleproc.context = getcurrent()
    nr_process += 1
    current = idleproc
    pid = kernel_thread(init_main, program, 0)
    if pid <= 0:
        panic("create init_main failed.\n")
    initproc = find_proc(pid)
    set_proc_name(initproc, "init")
    kassert(idleproc.pid == 0 and initproc.pid == 1)


class Deadlock(Exception):
    """No process can run and none will ever become runnable."""


def cpu_idle():
    """idle: schedules whenever asked; being back here means nothing can ever run again."""
    while True:
        if current.need_resched:
            sched.schedule()
        raise Deadlock("no runnable process: %s" % ", ".join(
            "pid %d (%s) %s" % (p.pid, p.name, STATE_NAMES[p.state]) for p in proc_list))
