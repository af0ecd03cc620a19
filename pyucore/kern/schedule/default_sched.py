"""Round robin (ucore lab6's default_sched.c, `RR_scheduler`): the runnable processes wait in a FIFO
run_list; each runs for max_time_slice ticks (MAX_TIME_SLICE = 5), then goes to the back."""

from ..debug.panic import kassert
from ..libs.list import list_add_before, list_del_init, list_empty, list_init, list_next
from .sched_class import sched_class


def RR_init(rq):
    """An empty run queue."""
    list_init(rq.run_list)
    rq.proc_num = 0


def RR_enqueue(rq, proc):
    """Puts proc (in no run queue) at the back of run_list with a full time slice, unless it still
    has some of the one it was given (then it keeps that)."""
    kassert(list_empty(proc.run_link), "RR_enqueue: the process is already in a run queue")
    list_add_before(rq.run_list, proc.run_link)
    if proc.time_slice == 0 or proc.time_slice > rq.max_time_slice:
        proc.time_slice = rq.max_time_slice
    proc.rq = rq
    rq.proc_num += 1


def RR_dequeue(rq, proc):
    """Takes proc, which is in rq, out of run_list."""
    kassert(not list_empty(proc.run_link) and proc.rq is rq, "RR_dequeue: the process is not in rq")
    list_del_init(proc.run_link)
    rq.proc_num -= 1


def RR_pick_next(rq):
    """The process at the front of run_list, or None when it is empty."""
    le = list_next(rq.run_list)
    if le is rq.run_list:
        return None
    return le.owner


def RR_proc_tick(rq, proc):
    """One tick of proc's time slice gone; when none is left, proc must give up the CPU."""
    if proc.time_slice > 0:
        proc.time_slice -= 1
    if proc.time_slice == 0:
        proc.need_resched = 1


def RR_quiet_ticks(rq, proc):
    """Ticks RR_proc_tick takes without a reschedule: all but the last of proc's time slice."""
    return max(proc.time_slice - 1, 0)


default_sched_class = sched_class(name="RR_scheduler", init=RR_init, enqueue=RR_enqueue,
                                  dequeue=RR_dequeue, pick_next=RR_pick_next, proc_tick=RR_proc_tick,
                                  quiet_ticks=RR_quiet_ticks)
