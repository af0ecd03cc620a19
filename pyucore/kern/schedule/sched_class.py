"""The scheduler framework's two structures (ucore lab6's sched.h): a scheduling class, the policy as
five functions, and the run queue it keeps the runnable processes in.

The running process is not in the run queue: schedule() enqueues it again (if it is still runnable)
before asking the class for the next one, and dequeues the one the class picks.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

from ..libs.list import list_entry


@dataclass(frozen=True)
class sched_class:
    """A scheduling policy: its name, and init(rq), enqueue(rq, proc), dequeue(rq, proc),
    pick_next(rq) -> proc or None (None: run idle), proc_tick(rq, proc) (at every timer tick, for the
    running process; sets proc.need_resched when its time is up). quiet_ticks(rq, proc), pyucore's
    own, says how many coming ticks proc_tick will take without setting need_resched, so the machine
    may run past them (their proc_tick calls are replayed afterwards, in order)."""

    name: str
    init: Callable
    enqueue: Callable
    dequeue: Callable
    pick_next: Callable
    proc_tick: Callable
    quiet_ticks: Callable


@dataclass(eq=False)
class run_queue:
    """The runnable processes: run_list (a list head; RR keeps them in it), proc_num of them,
    max_time_slice ticks per turn, lab6_run_pool (the stride class's skew heap root, None when empty).
    lab5_run_list and lab5_cursor are the lab5 class's: its processes sorted in proc_list order, and
    the place in that order of the process that runs (None while idle runs)."""

    max_time_slice: int
    run_list: list_entry = field(default_factory=list_entry)
    proc_num: int = 0
    lab6_run_pool: Optional[object] = None
    lab5_run_list: list = field(default_factory=list)
    lab5_cursor: Optional[int] = None
