"""The scheduler framework's two structures (ucore lab6's sched.h): a scheduling class, the policy as
five functions, and the run queue it keeps the runnable processes in.

The running process is not in the run queue: schedule() enqueues it again (if it is still runnable)
before asking the class for the next one, and dequeues the one the class picks.
"""

from collections import namedtuple

from ..libs.list import list_entry

# (a named tuple and a plain class, not dataclasses: a boot that imports neither dataclasses nor
# typing starts about 15 ms sooner)
sched_class = namedtuple("sched_class", "name init enqueue dequeue pick_next proc_tick quiet_ticks")
sched_class.__doc__ = """A scheduling policy: its name, and init(rq), enqueue(rq, proc), dequeue(rq, proc),
    pick_next(rq) -> proc or None (None: run idle), proc_tick(rq, proc) (at every timer tick, for the
    running process; sets proc.need_resched when its time is up). quiet_ticks(rq, proc), pyucore's
    own, says how many coming ticks proc_tick will take without setting need_resched, so the machine
    may run past them (their proc_tick calls are replayed afterwards, in order)."""


class run_queue:
    """The runnable processes: run_list (a list head; RR keeps them in it), proc_num of them,
    max_time_slice ticks per turn, lab6_run_pool (the stride class's skew heap root, None when empty).
    lab5_run_list and lab5_cursor are the lab5 class's: its processes sorted in proc_list order, and
    the place in that order of the process that runs (None while idle runs)."""

    def __init__(self, max_time_slice):
        """An empty run queue giving max_time_slice ticks per turn."""
        self.max_time_slice = max_time_slice
        self.run_list = list_entry()
        self.proc_num = 0
        self.lab6_run_pool = None
        self.lab5_run_list = []
        self.lab5_cursor = None
