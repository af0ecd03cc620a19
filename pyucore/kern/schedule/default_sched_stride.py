"""Stride scheduling (ucore lab6's default_sched_stride.c, `stride_scheduler`): each process has a
stride; the one with the smallest runs next, and each time it is picked its stride grows by its pass,
BIG_STRIDE / priority, so over time each gets CPU turns in proportion to its priority.

Strides are 32-bit unsigned and wrap; two are compared by their difference as a signed 32-bit number,
which orders them correctly as long as no two runnable strides are more than 2**31 - 1 apart. Each
pass is at most BIG_STRIDE, and a process is picked only when its stride is the smallest, so the spread
stays within BIG_STRIDE = 2**31 - 1 (a function here, big_stride(), so that it can be a lab blank). The runnable processes are kept in a skew heap (as ucore does).
"""

from ..libs.skew_heap import skew_heap_insert, skew_heap_remove
from .default_sched import RR_proc_tick, RR_quiet_ticks
from .sched_class import sched_class

STRIDE_MASK = 0xFFFFFFFF


def big_stride():
    """BIG_STRIDE (ucore's #define): the pass of a priority-1 process, the most a stride grows in one
    pick."""
    # LAB6:EXERCISE2 BIG_STRIDE BEGIN
    # BIG_STRIDE - what value? Strides are unsigned 32-bit and compared by their difference taken as
    # a signed 32-bit number (stride_difference), which is right only while no two runnable strides
    # are further apart than the largest positive int32; a pick adds at most BIG_STRIDE to the smallest
    return 0x7FFFFFFF
    # LAB6:EXERCISE2 BIG_STRIDE END


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
    # LAB6:EXERCISE2 stride_init BEGIN
    # stride_init - an empty run queue: no skew heap yet (rq.lab6_run_pool = None), rq.proc_num = 0
    rq.lab6_run_pool = None
    rq.proc_num = 0
    # LAB6:EXERCISE2 stride_init END


def stride_enqueue(rq, proc):
    """Puts proc into the heap, with a full time slice unless it still has some of its last one."""
    # LAB6:EXERCISE2 stride_enqueue BEGIN
    # stride_enqueue - put proc into the skew heap ordered by stride
    # (1) rq.lab6_run_pool = skew_heap_insert(rq.lab6_run_pool, proc.lab6_run_pool, proc_stride_comp_f)
    # (2) the time slice as in RR_enqueue: a full one unless some is left
    # (3) proc.rq = rq, and count it in rq.proc_num
    rq.lab6_run_pool = skew_heap_insert(rq.lab6_run_pool, proc.lab6_run_pool, proc_stride_comp_f)
    if proc.time_slice == 0 or proc.time_slice > rq.max_time_slice:
        proc.time_slice = rq.max_time_slice
    proc.rq = rq
    rq.proc_num += 1
    # LAB6:EXERCISE2 stride_enqueue END


def stride_dequeue(rq, proc):
    """Takes proc, which is in rq's heap, out of it."""
    # LAB6:EXERCISE2 stride_dequeue BEGIN
    # stride_dequeue - take proc's node out of the heap with skew_heap_remove (its stride may have
    # just changed: the heap finds the node by its links, not by its key); uncount it in rq.proc_num
    rq.lab6_run_pool = skew_heap_remove(rq.lab6_run_pool, proc.lab6_run_pool, proc_stride_comp_f)
    rq.proc_num -= 1
    # LAB6:EXERCISE2 stride_dequeue END


def stride_pick_next(rq):
    """The process with the smallest stride (None when the heap is empty), its stride advanced by its
    pass, BIG_STRIDE / priority (priority 0 counts as 1)."""
    # LAB6:EXERCISE2 stride_pick_next BEGIN
    # stride_pick_next - the process with the smallest stride, at the heap's root
    # (1) no heap (rq.lab6_run_pool is None): return None
    # (2) the root entry's process is rq.lab6_run_pool.owner (ucore's le2proc(..., lab6_run_pool))
    # (3) its stride grows by its pass, big_stride() // priority, a priority of 0 counting as 1;
    #     keep the stride 32-bit (& STRIDE_MASK), as ucore's uint32_t does
    # (4) return it (schedule() dequeues it)
    if rq.lab6_run_pool is None:
        return None
    proc = rq.lab6_run_pool.owner
    proc.lab6_stride = (proc.lab6_stride + big_stride() // max(proc.lab6_priority, 1)) & STRIDE_MASK
    return proc
    # LAB6:EXERCISE2 stride_pick_next END


stride_proc_tick = RR_proc_tick    # the time slice runs out as in round robin


stride_sched_class = sched_class(name="stride_scheduler", init=stride_init, enqueue=stride_enqueue,
                                 dequeue=stride_dequeue, pick_next=stride_pick_next,
                                 proc_tick=stride_proc_tick, quiet_ticks=RR_quiet_ticks)
