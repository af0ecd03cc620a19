"""The scheduler (ucore's sched.c): wakeup_proc, and round-robin schedule() over proc_list."""

from ..debug.panic import kassert, warn
from ..process import proc as P


def wakeup_proc(proc):
    """Makes a sleeping (or new) process RUNNABLE and clears its wait_state."""
    kassert(proc.state != P.PROC_ZOMBIE, "waking a zombie")
    if proc.state != P.PROC_RUNNABLE:
        proc.state = P.PROC_RUNNABLE
        proc.wait_state = 0
    else:
        warn("wakeup runnable process.\n")


def pick_next(proc_list, current, idleproc):
    """The policy: the first RUNNABLE process after current in proc_list, wrapping around and ending
    with current itself (from the front when current is idle); idle if there is none."""
    start = 0 if current is idleproc else proc_list.index(current) + 1
    for proc in proc_list[start:] + proc_list[:start]:
        if proc.state == P.PROC_RUNNABLE:
            return proc
    return idleproc


def schedule():
    """Clears current's need_resched and runs the process pick_next chooses."""
    current = P.current
    current.need_resched = 0
    nxt = pick_next(P.proc_list, current, P.idleproc)
    nxt.runs += 1
    if nxt is not current:
        P.proc_run(nxt)
