"""Structured kernel events (what no ucore prints): fork, exec, exit, reap, kill, switch, faults, syscalls.

Each event is a dict with the virtual time `t` (user instructions retired so far), its `kind`, the
`pid` it concerns and kind-specific fields. Tools (trace, stats, tests) read them instead of the console.
"""

from pyucore.kern import hw

events = []


def events_init():
    """Starts an empty event list for a new boot."""
    global events
    events = []


def emit(kind, pid, **fields):
    """Records one event of kind for pid at the current virtual time."""
    fields["t"] = hw.cpu.instret
    fields["kind"] = kind
    fields["pid"] = pid
    events.append(fields)
