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
    # LAB6:EXERCISE1 RR_enqueue BEGIN
    # RR_enqueue - put proc at the back of the FIFO rq.run_list
    # (1) link proc.run_link just before the head rq.run_list: list_add_before(rq.run_list, ...)
    # (2) a process whose time_slice is spent (0) or larger than rq.max_time_slice gets a full one;
    #     one that gave up the CPU early keeps what it has left
    # (3) proc.rq = rq, and count it in rq.proc_num
    list_add_before(rq.run_list, proc.run_link)
    if proc.time_slice == 0 or proc.time_slice > rq.max_time_slice:
        proc.time_slice = rq.max_time_slice
    proc.rq = rq
    rq.proc_num += 1
    # LAB6:EXERCISE1 RR_enqueue END


def RR_dequeue(rq, proc):
    """Takes proc, which is in rq, out of run_list."""
    kassert(not list_empty(proc.run_link) and proc.rq is rq, "RR_dequeue: the process is not in rq")
    # LAB6:EXERCISE1 RR_dequeue BEGIN
    # RR_dequeue - take proc out of rq.run_list (list_del_init, so its run_link is empty again) and
    # uncount it in rq.proc_num
    list_del_init(proc.run_link)
    rq.proc_num -= 1
    # LAB6:EXERCISE1 RR_dequeue END


def RR_pick_next(rq):
    """The process at the front of run_list, or None when it is empty."""
    # LAB6:EXERCISE1 RR_pick_next BEGIN
    # RR_pick_next - the process at the front of rq.run_list (do not take it out: schedule() calls
    # dequeue), or None when the list is empty
    # le = list_next(rq.run_list) is the first entry; it is the head itself when the list is empty;
    # an entry's process is le.owner (ucore's le2proc(le, run_link))
    le = list_next(rq.run_list)
    if le is rq.run_list:
        return None
    return le.owner
    # LAB6:EXERCISE1 RR_pick_next END


def RR_proc_tick(rq, proc):
    """One tick of proc's time slice gone; when none is left, proc must give up the CPU."""
    # LAB6:EXERCISE1 RR_proc_tick BEGIN
    # RR_proc_tick - one timer tick of proc's turn: a time_slice above 0 goes down by one; once it
    # is 0, set proc.need_resched = 1 so that trap() calls schedule() on the way back to user mode
    if proc.time_slice > 0:
        proc.time_slice -= 1
    if proc.time_slice == 0:
        proc.need_resched = 1
    # LAB6:EXERCISE1 RR_proc_tick END


def RR_quiet_ticks(rq, proc):
    """Ticks RR_proc_tick takes without a reschedule: all but the last of proc's time slice."""
    return max(proc.time_slice - 1, 0)


default_sched_class = sched_class(name="RR_scheduler", init=RR_init, enqueue=RR_enqueue,
                                  dequeue=RR_dequeue, pick_next=RR_pick_next, proc_tick=RR_proc_tick,
                                  quiet_ticks=RR_quiet_ticks)
