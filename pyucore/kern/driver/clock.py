"""The timer (ucore's driver/clock.c): a tick every tick_insns retired user instructions, counted in ticks.

Time is virtual: the timer compares the CPU's retired-instruction count (instret) with next_tick,
where ucore's sbi_set_timer compares the cycle counter with its deadline.
"""

from .. import hw
from ..libs.stdio import cprintf
from .console import cons_boot_done

ticks = 0
tick_insns = 10000     # user instructions per tick (ucore's timebase)
next_tick = 0          # instret at which the next timer interrupt fires
# The run loop may run past the ticks the scheduling class calls quiet and replay them after; only
# for a kernel whose quiet_ticks is known to agree with its proc_tick (pyucore's own, not a student's).
run_past_quiet_ticks = True


def clock_init(insns_per_tick):
    """Arms the virtual timer for a tick every insns_per_tick user instructions; ticks starts at 0."""
    global ticks, tick_insns, next_tick
    ticks, tick_insns = 0, insns_per_tick
    next_tick = hw.cpu.instret + tick_insns
    cons_boot_done()
    cprintf("++ setup timer interrupts\n")


def clock_set_next_event():
    """Arms the timer for tick_insns more user instructions."""
    global next_tick
    next_tick += tick_insns
