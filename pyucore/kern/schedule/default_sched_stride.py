"""Stride scheduling (ucore lab6's default_sched_stride.c, `stride_scheduler`): each process has a
stride; the one with the smallest runs next, and each time it is picked its stride grows by its pass,
BIG_STRIDE / priority, so over time each gets CPU turns in proportion to its priority.

Strides are 32-bit unsigned and wrap; two are compared by their difference as a signed 32-bit number,
which orders them correctly as long as no two runnable strides are more than 2**31 - 1 apart. Each
pass is at most BIG_STRIDE, and a process is picked only when its stride is the smallest, so the spread
stays within BIG_STRIDE = 2**31 - 1. The runnable processes are kept in a skew heap (as ucore does).
"""

from ..libs.skew_heap import skew_heap_insert, skew_heap_remove
from .default_sched import RR_proc_tick, RR_quiet_ticks
from .sched_class import sched_class

BIG_STRIDE = 0x7FFFFFFF
STRIDE_MASK = 0xFFFFFFFF


def stride_difference(a, b):
    """a - b for 32-bit strides, as a signed 32-bit number (so a stride that wrapped is still larger)."""
    d = (a - b) & STRIDE_MASK
    return d - (1 << 32) if d & 0x80000000 else d


def proc_stride_comp_f(a, b):
    """-1, 0 or 1 as the process of heap entry a has a smaller, equal or larger stride than b's."""
    c = stride_difference(a.owner.lab6_stride, b.owner.lab6_stride)
    return (c > 0) - (c < 0)


def stride_init(rq):
    """An empty run queue: no heap."""
    rq.lab6_run_pool = None
    rq.proc_num = 0


def stride_enqueue(rq, proc):
    """Puts proc into the heap, with a full time slice unless it still has some of its last one."""
    rq.lab6_run_pool = skew_heap_insert(rq.lab6_run_pool, proc.lab6_run_pool, proc_stride_comp_f)
    if proc.time_slice == 0 or proc.time_slice > rq.max_time_slice:
        proc.time_slice = rq.max_time_slice
    proc.rq = rq
    rq.proc_num += 1


def stride_dequeue(rq, proc):
    """Takes proc, which is in rq's heap, out of it."""
    rq.lab6_run_pool = skew_heap_remove(rq.lab6_run_pool, proc.lab6_run_pool, proc_stride_comp_f)
    rq.proc_num -= 1


def stride_pick_next(rq):
    """The process with the smallest stride (None when the heap is empty), its stride advanced by its
    pass, BIG_STRIDE / priority (priority 0 counts as 1)."""
    if rq.lab6_run_pool is None:
        return None
    proc = rq.lab6_run_pool.owner
    proc.lab6_stride = (proc.lab6_stride + BIG_STRIDE // max(proc.lab6_priority, 1)) & STRIDE_MASK
    return proc


stride_proc_tick = RR_proc_tick    # the time slice runs out as in round robin


stride_sched_class = sched_class(name="stride_scheduler", init=stride_init, enqueue=stride_enqueue,
                                 dequeue=stride_dequeue, pick_next=stride_pick_next,
                                 proc_tick=stride_proc_tick, quiet_ticks=RR_quiet_ticks)
