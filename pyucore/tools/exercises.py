"""`pyucore grade --exercises`: direct checks of the student's kernel functions, one per blank.

Each check boots a built-in program on the kernel (the built-in one, or a workspace's) and wraps one
kernel function (the "hook", looked up by its module path in the kernel package): at the hook's
first call, in the booted machine state of that moment, the check calls or observes the student's
function and lists what is wrong, naming the field or step. Every check runs in a child process
under limits, as the graded tests do (grade_runner).
"""

import contextlib
import struct
import time
from dataclasses import dataclass
from typing import Callable, Optional

from pyucore.tools import grade_runner
from pyucore.tools.grade_report import CheckOutcome

CHECK_MAX_INSNS = 1_000_000   # the checks' programs need a few thousand user instructions
CHECK_SECONDS = 30.0
PGFAULT_CHECK_VA = 0x1000000  # where the do_pgfault and swap-in checks map their VMA in a fresh mm
SWAP_CHECK_BYTES = bytes(range(1, 256))


@dataclass(frozen=True)
class ExerciseCheck:
    """A direct check: at each call of hook (e.g. "process.proc.do_fork") while program runs for
    which ready(k, args) holds, until it has reported, observe(k, original, args, report) calls the
    original, passes the list of problems found to report once it knows them (or lets a call go by
    without reporting), and returns the original's result."""

    name: str
    exercise: str
    program: str
    hook: str
    observe: Callable
    cow: Optional[bool] = None     # boot's cow: None is the kernel's own default
    ready: Callable = lambda k, args: True


def _by_user_process(k, args) -> bool:
    """ready: the hook is called by a user process (one with an mm)."""
    return k.process.proc.current.mm is not None


def _to_another_page_table(k, args) -> bool:
    """ready: proc_run's target runs on another page table than the current process."""
    return args[0].cr3 != k.process.proc.current.cr3


# --- the checks -----------------------------------------------------------------------------------

def _before(check: Callable) -> Callable:
    """An observer that reports check(k) -> problems, then runs the hooked function as it was called."""
    def observe(k, original, args, report):
        report(check(k))
        return original(*args)
    return observe


def _after(check: Callable) -> Callable:
    """An observer that runs the hooked function, then reports check(k, args, its result) -> problems."""
    def observe(k, original, args, report):
        result = original(*args)
        report(check(k, args, result))
        return result
    return observe


def _field_problems(what: str, obj, expected: dict) -> list:
    """The fields of obj whose values differ from expected, as `what.field is X, should be Y`."""
    problems = []
    for field, want in expected.items():
        got = getattr(obj, field, "<missing>")
        if got != want and not (want is None and got is None):
            problems.append(f"{what}.{field} is {got!r}, should be {want!r}")
    return problems


def check_alloc_proc(k, args, proc) -> list:
    """alloc_proc gives a proc_struct with every field of the LAB4 and LAB5 handouts initialised."""
    P = k.process.proc
    if proc is None:
        return ["alloc_proc returned None"]
    return _field_problems("alloc_proc()", proc, {
        "state": P.PROC_UNINIT, "pid": -1, "runs": 0, "kstack": 0, "need_resched": 0, "parent": None,
        "mm": None, "tf": None, "cr3": k.mm.pmm.boot_cr3, "flags": 0, "name": "", "wait_state": 0,
        "cptr": None, "yptr": None, "optr": None,
    })


def observe_do_fork(k, original, args, report):
    """do_fork returns the child's pid, and the child is hashed, linked under its parent (set_links),
    runnable, with its own kernel stack, mm and a trapframe whose a0 is 0 (checked on the first
    fork, init's, and on the first fork of a user process)."""
    P = k.process.proc
    parent, count = P.current, P.nr_process
    pid = original(*args)
    problems = _fork_problems(k, parent, count, pid)
    if problems or parent.mm is not None:   # a good kernel thread's fork: wait for a user fork too
        report(problems)
    return pid


def _fork_problems(k, parent, count: int, pid) -> list:
    """What is wrong with the child that do_fork made for parent when nr_process was count."""
    P = k.process.proc
    if not isinstance(pid, int) or pid <= 0:
        return [f"do_fork returned {pid!r}, should return the child's pid (> 0)"]
    child = P.find_proc(pid)
    if child is None:
        return [f"find_proc({pid}) finds no process: hash_proc(proc) was not called"]
    problems = _field_problems("the child", child, {"pid": pid, "parent": parent, "state": P.PROC_RUNNABLE})
    if parent.cptr is not child:
        problems.append("the parent's cptr is not the child: set_links(proc) links it as the youngest child")
    if child not in P.proc_list:
        problems.append("the child is not in proc_list (set_links)")
    if P.nr_process != count + 1:
        problems.append(f"nr_process went from {count} to {P.nr_process}, should grow by 1 (set_links)")
    if child.kstack == 0:
        problems.append("the child has no kernel stack (setup_kstack)")
    if parent.mm is not None and (child.mm is None or child.mm is parent.mm):
        problems.append("the child has no mm of its own (copy_mm without CLONE_VM)")
    if child.tf is None or child.tf.reg(10) != 0:
        problems.append("the child's trapframe a0 is not 0: fork must return 0 in the child (copy_thread)")
    return problems


def observe_proc_run(k, original, args, report):
    """proc_run makes the process current and loads its page table before switching to it."""
    P = k.process.proc
    proc, switch_to = args[0], P.switch_to

    def watching_switch_to(target):
        P.switch_to = switch_to
        problems = [] if P.current is target else ["current was not set to the process before switch_to"]
        if k.hw.mmu.satp != target.cr3:
            problems.append("satp does not hold the process's cr3 at switch_to: lcr3(proc.cr3)")
        report(problems)
        return switch_to(target)
    P.switch_to = watching_switch_to
    result = original(*args)
    if P.switch_to is watching_switch_to:
        P.switch_to = switch_to
        report([f"proc_run(pid {proc.pid}) never switched to it (switch_to)"])
    return result


def check_load_icode(k, args, ret) -> list:
    """load_icode's step 6: the trapframe starts the program at the ELF entry on the user stack, in
    user mode with interrupts enabled after sret."""
    from pyucore.machine.riscv import SSTATUS_SPIE, SSTATUS_SPP
    P = k.process.proc
    binary = args[0]
    if ret != 0:
        return [f"load_icode returned {ret} for a valid program"]
    tf = P.current.tf
    entry = struct.unpack_from("<Q", binary, 24)[0]
    problems = []
    if tf.reg(2) != k.mm.memlayout.USTACKTOP:
        problems.append(f"tf->gpr.sp is {tf.reg(2):#x}, should be USTACKTOP ({k.mm.memlayout.USTACKTOP:#x})")
    if tf.epc != entry:
        problems.append(f"tf->epc is {tf.epc:#x}, should be the ELF entry ({entry:#x})")
    if tf.status & SSTATUS_SPP:
        problems.append("tf->status has SPP set: sret would stay in the kernel (clear SSTATUS_SPP)")
    if not tf.status & SSTATUS_SPIE:
        problems.append("tf->status lacks SPIE: interrupts would be off in user mode (set SSTATUS_SPIE)")
    others = [i for i in range(1, 32) if i != 2 and tf.reg(i) != 0]
    if others:
        problems.append(f"registers x{others[0]}... are not 0: clear the trapframe before setting it")
    return problems


def _present_pages(k, pgdir, start, end) -> dict:
    """{page-aligned address: pte} of the valid user mappings of pgdir in [start, end)."""
    pmm, mmu = k.mm.pmm, k.mm.mmu
    found, la = {}, start
    while la < end:
        ptep = pmm.get_pte(pgdir, la, False)
        if ptep is not None:
            pte = k.hw.ram.read_u64(ptep)
            if pte & mmu.PTE_V:
                found[la] = pte
        la += mmu.PGSIZE
    return found


def check_copy_range(k, args, ret) -> list:
    """copy_range with share = 0 gives the child a private copy of every page: its own physical page,
    the same bytes, the same user permissions."""
    to, from_, start, end, share = args
    if ret != 0:
        return [f"copy_range returned {ret}"]
    mmu, ram = k.mm.mmu, k.hw.ram
    parent, child = _present_pages(k, from_, start, end), _present_pages(k, to, start, end)
    problems = []
    for la, pte in parent.items():
        got = child.get(la)
        if got is None:
            problems.append(f"the page at {la:#x} is not mapped in the child (page_insert)")
        elif mmu.PTE_ADDR(got) == mmu.PTE_ADDR(pte):
            problems.append(f"the child maps the parent's own page at {la:#x}: copy it to a new page")
        elif ram.read(mmu.PTE_ADDR(got), mmu.PGSIZE) != ram.read(mmu.PTE_ADDR(pte), mmu.PGSIZE):
            problems.append(f"the child's page at {la:#x} holds other bytes than the parent's: memcpy "
                            "page2kva(page) to page2kva(npage)")
        elif got & mmu.PTE_USER != pte & mmu.PTE_USER:
            problems.append(f"the child's page at {la:#x} has permissions {got & mmu.PTE_USER:#x}, the "
                            f"parent's {pte & mmu.PTE_USER:#x}")
        if len(problems) >= 3:
            break
    return problems


def check_first_fit(k) -> list:
    """default_alloc_pages takes the first (lowest) free block that is big enough and splits it;
    default_free_pages gives pages back, merging neighbours (on the allocator right after pmm_init)."""
    pmm = k.mm.pmm
    before = pmm.nr_free_pages()
    p = pmm.alloc_pages(4)
    q = pmm.alloc_pages(1)
    if p is None or q is None:
        return ["alloc_pages(4) then alloc_pages(1) failed on a fresh allocator"]
    base = pmm.page2pa(p)
    problems = []
    if pmm.page2pa(q) != base + 4 * k.mm.mmu.PGSIZE:
        problems.append("alloc_pages(1) after alloc_pages(4) did not take the next page of the same block "
                        "(first fit splits the first block big enough)")
    if pmm.nr_free_pages() != before - 5:
        problems.append(f"nr_free went from {before} to {pmm.nr_free_pages()} after taking 5 pages")
    pmm.free_pages(p, 4)
    r = pmm.alloc_pages(2)
    if r is None or pmm.page2pa(r) != base:
        problems.append("after freeing 4 pages, alloc_pages(2) did not take the lowest free block (first fit)")
    if r is not None:
        pmm.free_pages(r, 2)
    pmm.free_pages(q, 1)
    if pmm.nr_free_pages() != before:
        problems.append(f"nr_free is {pmm.nr_free_pages()} after giving every page back, should be {before}")
    whole = pmm.alloc_pages(5)
    if whole is None or pmm.page2pa(whole) != base:
        problems.append("the 4 + 1 freed neighbouring pages did not merge back into one block")
    if whole is not None:
        pmm.free_pages(whole, 5)
    return problems


def check_fifo(k) -> list:
    """The FIFO manager's map_swappable appends, swap_out_victim takes the oldest page first."""
    sm, pmm, PGSIZE = k.mm.swap.sm, k.mm.pmm, k.mm.mmu.PGSIZE
    mm = k.mm.vmm.mm_create()
    sm.init_mm(mm)
    pages = [pmm.alloc_page() for _ in range(3)]
    try:
        for i in (0, 1, 2):
            sm.map_swappable(mm, (i + 1) * PGSIZE, pages[i], 0)
        order = []
        for _ in range(3):
            victim = sm.swap_out_victim(mm, 0)
            order.append(victim[1] if isinstance(victim, tuple) else victim)
    finally:
        for page in pages:
            pmm.free_page(page)
    if order != pages:
        got = [pages.index(page) + 1 if page in pages else page for page in order]
        return [f"pages mapped as 1, 2, 3 came out of swap_out_victim as {got}; FIFO gives the oldest first"]
    return []


@contextlib.contextmanager
def _fresh_mm(k, pages: int):
    """A new mm with its own page directory and a writable VMA of pages pages at PGFAULT_CHECK_VA;
    everything it maps is freed on leaving."""
    vmm, pmm = k.mm.vmm, k.mm.pmm
    mm = vmm.mm_create()
    mm.pgdir = pmm.setup_pgdir_page()
    vmm.mm_map(mm, PGFAULT_CHECK_VA, pages * k.mm.mmu.PGSIZE, vmm.VM_READ | vmm.VM_WRITE)
    try:
        yield mm
    finally:
        vmm.exit_mmap(mm)
        pmm.free_page(pmm.pa2page(mm.pgdir))
        vmm.mm_destroy(mm)


def check_pgfault(k) -> list:
    """do_pgfault maps a new zeroed, writable user page for a store to an unmapped address of a
    writable VMA, and refuses an address outside every VMA (on a fresh mm, right after pmm_init)."""
    from pyucore.machine.riscv import CAUSE_STORE_PAGE_FAULT
    with _fresh_mm(k, 2) as mm:
        return _pgfault_problems(k, mm, PGFAULT_CHECK_VA, CAUSE_STORE_PAGE_FAULT)


def _pgfault_problems(k, mm, la: int, store: int) -> list:
    """What is wrong with do_pgfault's answers to a store at la + 8 (in a writable VMA of mm) and to a
    store at la - 2 pages (outside every VMA)."""
    mmu = k.mm.mmu
    ret = k.mm.vmm.do_pgfault(mm, store, la + 8)
    pte = _present_pages(k, mm.pgdir, la, la + mmu.PGSIZE).get(la)
    problems = []
    if ret != 0:
        problems.append(f"do_pgfault returned {ret} for a store inside a writable VMA, should be 0")
    elif pte is None:
        problems.append(f"do_pgfault returned 0 but mapped nothing at {la:#x} (pgdir_alloc_page)")
    elif pte & (mmu.PTE_U | mmu.PTE_W) != mmu.PTE_U | mmu.PTE_W:
        problems.append(f"the new page at {la:#x} is not user-writable (perm from the VMA's flags)")
    elif any(k.hw.ram.read(mmu.PTE_ADDR(pte), mmu.PGSIZE)):
        problems.append(f"the new page at {la:#x} is not zeroed")
    if k.mm.vmm.do_pgfault(mm, store, la - 2 * mmu.PGSIZE) == 0:
        problems.append(f"do_pgfault served {la - 2 * mmu.PGSIZE:#x}, which no VMA covers (find_vma)")
    return problems


def check_swap_in(k) -> list:
    """do_pgfault's swap-in: a page the swap manager wrote out comes back on a fault at its address,
    mapped again with the bytes it had (on a fresh mm, as soon as swap is up)."""
    from pyucore.machine.riscv import CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT
    vmm, mmu, ram, la = k.mm.vmm, k.mm.mmu, k.hw.ram, PGFAULT_CHECK_VA
    with _fresh_mm(k, 1) as mm:
        if vmm.do_pgfault(mm, CAUSE_STORE_PAGE_FAULT, la) != 0:
            return ["do_pgfault could not map the page to swap out (LAB3 EXERCISE 1 first)"]
        ram.write(mmu.PTE_ADDR(_present_pages(k, mm.pgdir, la, la + 1)[la]), SWAP_CHECK_BYTES)
        if k.mm.swap.swap_out(mm, 1, 0) != 1 or _present_pages(k, mm.pgdir, la, la + 1):
            return ["the swap manager did not swap the page out (map_swappable, swap_out_victim)"]
        ret = vmm.do_pgfault(mm, CAUSE_LOAD_PAGE_FAULT, la)
        pte = _present_pages(k, mm.pgdir, la, la + 1).get(la)
        if ret != 0:
            return [f"do_pgfault returned {ret} for a swapped-out page, should be 0 (swap_in)"]
        if pte is None:
            return ["the swapped-out page is not mapped again (page_insert)"]
        if ram.read(mmu.PTE_ADDR(pte), len(SWAP_CHECK_BYTES)) != SWAP_CHECK_BYTES:
            return ["the page came back with other bytes than it had (swap_in reads it from the disk)"]
        return []


def check_timer(k) -> list:
    """The timer interrupt arms the next event, counts the tick, and (lab5's scheduler) asks for a
    reschedule every TICK_NUM ticks."""
    from pyucore.machine.riscv import INTERRUPT_BIT, IRQ_S_TIMER
    T, P, clock = k.trap.trap, k.process.proc, k.driver.clock
    tick_num = k.schedule.sched.rq.max_time_slice
    tf = P.current.tf
    cause, ticks, next_tick, need = tf.cause, clock.ticks, clock.next_tick, P.current.need_resched
    try:
        tf.cause = INTERRUPT_BIT | IRQ_S_TIMER
        clock.ticks = tick_num - 1
        P.current.need_resched = 0
        T.interrupt_handler(tf)
        problems = []
        if clock.ticks != tick_num:
            problems.append("the tick was not counted (ticks += 1)")
        if clock.next_tick == next_tick:
            problems.append("the next timer event was not armed (clock_set_next_event)")
        if not P.current.need_resched:
            problems.append("at the TICK_NUM-th tick current->need_resched was not set to 1")
        return problems
    finally:
        tf.cause, clock.ticks, clock.next_tick, P.current.need_resched = cause, ticks, next_tick, need


def check_cow(k, args, pid) -> list:
    """With copy-on-write, fork shares a writable page read-only, and a store fault in the child gives
    the child its own copy, leaving the parent's page and bytes alone."""
    from pyucore.machine.riscv import CAUSE_STORE_PAGE_FAULT
    P, mmu, ram = k.process.proc, k.mm.mmu, k.hw.ram
    child = P.find_proc(pid) if isinstance(pid, int) and pid > 0 else None
    if child is None or child.mm is None:
        return ["fork did not give the child an mm to check"]
    la = k.mm.memlayout.USTACKTOP - mmu.PGSIZE
    parent_pte = _present_pages(k, P.current.mm.pgdir, la, la + 1).get(la)
    child_pte = _present_pages(k, child.mm.pgdir, la, la + 1).get(la)
    if parent_pte is None or child_pte is None:
        return [f"the stack page {la:#x} is not mapped in both parent and child after fork"]
    if mmu.PTE_ADDR(parent_pte) != mmu.PTE_ADDR(child_pte):
        return ["fork copied the stack page: with COW on, copy_range shares it (share = 1)"]
    if parent_pte & mmu.PTE_W or child_pte & mmu.PTE_W:
        return ["a shared page is still writable: COW must map it read-only in both"]
    original_bytes = ram.read(mmu.PTE_ADDR(parent_pte), mmu.PGSIZE)
    if k.mm.vmm.do_pgfault(child.mm, CAUSE_STORE_PAGE_FAULT, la) != 0:
        return ["do_pgfault refused the child's store to its shared stack page (the COW break)"]
    child_pte = _present_pages(k, child.mm.pgdir, la, la + 1).get(la)
    problems = []
    if child_pte is None or mmu.PTE_ADDR(child_pte) == mmu.PTE_ADDR(parent_pte):
        problems.append("after the store fault the child still maps the parent's page: break COW with a copy")
    elif not child_pte & mmu.PTE_W:
        problems.append("after the store fault the child's page is not writable")
    elif ram.read(mmu.PTE_ADDR(child_pte), mmu.PGSIZE) != original_bytes:
        problems.append("the child's copy does not hold the shared page's bytes")
    else:
        ram.write(mmu.PTE_ADDR(child_pte), b"\xa5" * 8)
        if ram.read(mmu.PTE_ADDR(parent_pte), mmu.PGSIZE) != original_bytes:
            problems.append("a store to the child's copy changed the parent's page")
        ram.write(mmu.PTE_ADDR(child_pte), original_bytes[:8])
    return problems


CHECKS = (
    ExerciseCheck("timer tick", "LAB1 EXERCISE 2", "hello", "syscall.syscall.syscall", _before(check_timer),
                  ready=_by_user_process),
    ExerciseCheck("first fit", "LAB2 EXERCISE 1", "hello", "mm.vmm.vmm_init", _before(check_first_fit)),
    ExerciseCheck("do_pgfault", "LAB3 EXERCISE 1", "hello", "mm.vmm.vmm_init", _before(check_pgfault)),
    ExerciseCheck("FIFO order", "LAB3 EXERCISE 2", "hello", "mm.swap.check_swap", _before(check_fifo)),
    ExerciseCheck("swap-in", "LAB3 EXERCISE 2", "hello", "mm.swap.check_swap", _before(check_swap_in)),
    ExerciseCheck("alloc_proc", "LAB4 EXERCISE 1, LAB5 EXERCISE 0", "hello", "process.proc.alloc_proc", _after(check_alloc_proc)),
    ExerciseCheck("do_fork", "LAB4 EXERCISE 2, LAB5 EXERCISE 0", "exit", "process.proc.do_fork", observe_do_fork),
    ExerciseCheck("proc_run", "LAB4 EXERCISE 3", "exit", "process.proc.proc_run", observe_proc_run,
                  ready=_to_another_page_table),
    ExerciseCheck("load_icode", "LAB5 EXERCISE 1", "hello", "process.proc.load_icode", _after(check_load_icode)),
    ExerciseCheck("copy_range", "LAB5 EXERCISE 2", "exit", "mm.pmm.copy_range", _after(check_copy_range),
                  cow=False),
    ExerciseCheck("COW isolation", "LAB5 CHALLENGE", "exit", "process.proc.do_fork", _after(check_cow),
                  cow=True, ready=_by_user_process),
)


# --- running them ---------------------------------------------------------------------------------

def run_check_in_child(console, kernel: Optional[str], index: int) -> dict:
    """In the child: boots the check's program with its hook installed; returns {"problems": [...]}
    or {"unreached": why} when the boot never called the hook."""
    from pyucore import api
    from pyucore.lab.loader import load_kernel
    from pyucore.lab.workspace import read_settings
    check = CHECKS[index]
    if check.cow and kernel is not None and not read_settings(kernel)["cow"]:
        return {"skipped": "copy-on-write is off in this workspace (cow = off in its .pyucore-lab)"}
    k = load_kernel(kernel)
    module_path, _, attr = check.hook.rpartition(".")
    module = k
    for part in module_path.split("."):
        module = getattr(module, part)
    original, found = getattr(module, attr), []

    def report(problems):
        found.append(list(problems))
        setattr(module, attr, original)     # reported: later calls run as written

    def hooked(*args):
        if found or not check.ready(k, args):
            return original(*args)
        return check.observe(k, original, args, report)
    setattr(module, attr, hooked)
    options = {"kernel": kernel} if kernel is not None else {}
    try:
        result = api.boot(program=check.program, cow=check.cow, max_insns=CHECK_MAX_INSNS, quiet_boot=True,
                          console=console, **options)
    except Exception:
        if found:   # the check is done; what the broken kernel does afterwards does not matter
            return {"problems": found[0]}
        raise
    if not found:
        return {"unreached": f"the boot ended ({result.halt_reason}) before it called {attr}"}
    return {"problems": found[0]}


def run_checks(kernel: Optional[str] = None, out=None, seconds: float = CHECK_SECONDS, only=None) -> list:
    """Runs every check (or those named in only), each in a child process; prints a line per check
    as it finishes (when out is given) and returns their CheckOutcomes."""
    outcomes = []
    for index, check in enumerate(CHECKS):
        if only is not None and check.name not in only:
            continue
        if out is not None:
            out.write(f"{check.name + ':':<24}")
            out.flush()
        start = time.monotonic()  # host time, only to show how long a check took
        _, (kind, payload) = grade_runner.run_isolated(run_check_in_child, (kernel, index), seconds)
        outcome = _check_outcome(check, kind, payload, time.monotonic() - start)
        outcomes.append(outcome)
        if out is not None:
            out.write(format_check(outcome))
            out.flush()
    return outcomes


def _check_outcome(check: ExerciseCheck, kind: str, payload, seconds: float) -> CheckOutcome:
    """The outcome of one check from how its child ended."""
    if kind == "done" and "problems" in payload:
        return CheckOutcome(check.name, check.exercise, tuple(payload["problems"]), seconds=seconds)
    if kind == "done" and "skipped" in payload:
        return CheckOutcome(check.name, check.exercise, (payload["skipped"],), skipped=True, seconds=seconds)
    if kind == "done":
        message = payload["unreached"]
    elif kind == "wall":
        message = f"timed out after {payload:g} s of wall time (a kernel function that never returns?)"
    else:
        message = payload
    return CheckOutcome(check.name, check.exercise, (message,), error=True, seconds=seconds)


def format_check(outcome: CheckOutcome) -> str:
    """A check's result line (its time, OK or WRONG with its exercise) and one line per problem."""
    verdict = {"passed": "OK", "skipped": "skipped"}.get(outcome.status, f"WRONG ({outcome.exercise})")
    lines = [f" ({outcome.seconds:.1f}s) {verdict}\n"]
    lines += [f"   !! {problem}\n" for problem in outcome.problems]
    return "".join(lines)
