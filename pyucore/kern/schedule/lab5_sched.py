"""lab5's scheduler as a scheduling class (`lab5_scheduler`, pyucore's default; it prints no
`sched class:` line, since lab5's kernel has no sched_init).

lab5's schedule() walks proc_list from the process after current, wrapping around, and runs the first
runnable process it meets (current itself last); from idle it starts at the front. set_links puts
each new process at the front, so freshly forked children run newest first. This class makes the same
choice without walking sleeping and zombie processes: its run list holds only the runnable ones,
sorted in proc_list order (by link_order, which set_links gives in increasing order, the newest at the
front), and pick_next bisects it for the first process after the one that ran.

Its time slice is lab5's timer rule, not a per-process count: whenever the global tick count reaches
a multiple of max_time_slice (TICK_NUM = 100), the running process is asked to reschedule.
"""

from bisect import bisect_left, bisect_right, insort

from ..debug.panic import kassert
from ..driver import clock
from .sched_class import sched_class


def _position(proc):
    """proc's place in proc_list order: smaller is nearer the front."""
    return -proc.link_order


def lab5_init(rq):
    """An empty run list; the next pick starts at the front of proc_list."""
    rq.lab5_run_list = []
    rq.lab5_cursor = None
    rq.proc_num = 0


def lab5_enqueue(rq, proc):
    """Puts proc (in no run queue) at its place in proc_list order."""
    insort(rq.lab5_run_list, proc, key=_position)
    proc.rq = rq
    rq.proc_num += 1


def lab5_dequeue(rq, proc):
    """Takes proc, which is in rq, out of the run list."""
    i = bisect_left(rq.lab5_run_list, _position(proc), key=_position)
    kassert(i < len(rq.lab5_run_list) and rq.lab5_run_list[i] is proc, "lab5_dequeue: not in rq")
    del rq.lab5_run_list[i]
    rq.proc_num -= 1


def lab5_pick_next(rq):
    """The first runnable process after the one that ran, in proc_list order with wrap-around (from
    the front after idle); None, so that idle runs and the next pick starts at the front, when no
    process is runnable. Remembers the pick's place as where the next pick starts."""
    ready = rq.lab5_run_list
    if not ready:
        rq.lab5_cursor = None
        return None
    i = 0 if rq.lab5_cursor is None else bisect_right(ready, rq.lab5_cursor, key=_position)
    proc = ready[i % len(ready)]
    rq.lab5_cursor = _position(proc)
    return proc


def lab5_proc_tick(rq, proc):
    """lab5's timer rule: every max_time_slice-th tick of the global clock, proc must reschedule."""
    # LAB1:EXERCISE2 lab5_proc_tick BEGIN
    # LAB5's timer rule - every TICK_NUM ticks (here rq.max_time_slice) of the global clock
    # (clock.ticks % rq.max_time_slice == 0) the running process must give up the CPU: set
    # proc.need_resched = 1; trap() then calls schedule() on the way back to user mode
    if clock.ticks % rq.max_time_slice == 0:
        proc.need_resched = 1
    # LAB1:EXERCISE2 lab5_proc_tick END


def lab5_quiet_ticks(rq, proc):
    """Ticks until the clock's next multiple of max_time_slice, that one excluded."""
    return rq.max_time_slice - 1 - clock.ticks % rq.max_time_slice


lab5_sched_class = sched_class(name="lab5_scheduler", init=lab5_init, enqueue=lab5_enqueue,
                               dequeue=lab5_dequeue, pick_next=lab5_pick_next, proc_tick=lab5_proc_tick,
                               quiet_ticks=lab5_quiet_ticks)
