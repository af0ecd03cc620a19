"""The scheduler (ucore lab6's sched.c): the mechanism (wakeup_proc, schedule, the timer's proc_tick)
apart from the policy, a scheduling class chosen at boot:

- `lab5` (the default): lab5's own scheduler as a class, so every lab5 program runs exactly as on
  lab5's kernel: round robin in proc_list order, a reschedule every TICK_NUM (100) ticks of the global
  clock, no `sched class:` line at boot;
- `rr`: lab6's RR_scheduler, a FIFO run queue and MAX_TIME_SLICE (5) ticks per turn;
- `stride`: lab6's stride_scheduler, CPU turns in proportion to each process's priority.
"""

from ..debug.events import emit
from ..debug.panic import kassert, warn
from ..libs.stdio import cprintf
from ..process import proc as P
from .default_sched import default_sched_class
from .default_sched_stride import stride_sched_class
from .lab5_sched import lab5_sched_class
from .sched_class import run_queue

TICK_NUM = 100          # lab5: ticks of the global clock between two reschedules
MAX_TIME_SLICE = 5      # lab6: ticks a process runs before its turn ends
SCHED_CLASSES = {"lab5": lab5_sched_class, "rr": default_sched_class, "stride": stride_sched_class}
DEFAULT_SCHED = "lab5"
# What a policy's slice is when the boot does not say: lab5's TICK_NUM, lab6's MAX_TIME_SLICE.
DEFAULT_TIME_SLICE = {"lab5": TICK_NUM, "rr": MAX_TIME_SLICE, "stride": MAX_TIME_SLICE}

sched_class = lab5_sched_class
rq = None
lab6 = False             # a lab6 class runs: the kernel is lab6's (its syscalls, its boot line, its events)


def sched_init(policy=DEFAULT_SCHED, time_slice=None):
    """Chooses the scheduling class named policy (a key of SCHED_CLASSES) with time_slice ticks per
    turn (None: the policy's own), and starts an empty run queue; a lab6 class announces itself."""
    global sched_class, rq, lab6
    sched_class = SCHED_CLASSES[policy]
    lab6 = policy != "lab5"
    rq = run_queue(max_time_slice=time_slice or DEFAULT_TIME_SLICE[policy])
    sched_class.init(rq)
    if lab6:
        cprintf("sched class: %s\n", sched_class.name)


def sched_class_enqueue(proc):
    """Hands a runnable process other than idle to the class."""
    if proc is not P.idleproc:
        sched_class.enqueue(rq, proc)


def sched_class_proc_tick(proc):
    """One timer tick while proc runs: the class decides whether its turn is over (idle's always is)."""
    if proc is not P.idleproc:
        sched_class.proc_tick(rq, proc)
    else:
        proc.need_resched = 1


def sched_class_quiet_ticks(proc):
    """How many of the coming ticks the class will let pass while proc runs without asking for a
    reschedule (what lets the machine run past them and replay them after; pyucore's, not ucore's)."""
    if proc is P.idleproc:
        return 0
    return sched_class.quiet_ticks(rq, proc)


def wakeup_proc(proc):
    """Makes a sleeping (or new) process RUNNABLE, clears its wait_state and puts it in the run queue
    (unless it is the running process, which schedule() enqueues itself)."""
    kassert(proc.state != P.PROC_ZOMBIE, "waking a zombie")
    if proc.state != P.PROC_RUNNABLE:
        proc.state = P.PROC_RUNNABLE
        proc.wait_state = 0
        if proc is not P.current:
            sched_class_enqueue(proc)
    else:
        warn("wakeup runnable process.\n")


def schedule():
    """Clears current's need_resched, puts it back in the run queue if it can still run, and runs the
    process the class picks (idle if none)."""
    current = P.current
    current.need_resched = 0
    if current.state == P.PROC_RUNNABLE:
        sched_class_enqueue(current)
    nxt = sched_class.pick_next(rq)
    if nxt is not None:
        sched_class.dequeue(rq, nxt)
    else:
        nxt = P.idleproc
    nxt.runs += 1
    if lab6:
        emit("pick", nxt.pid, priority=nxt.lab6_priority, stride=nxt.lab6_stride,
             time_slice=nxt.time_slice)
    if nxt is not current:
        P.proc_run(nxt)
