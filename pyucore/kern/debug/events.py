"""Structured kernel events (what no ucore prints): fork, exec, exit, reap, kill, switch, faults, syscalls.

Each event is a dict with the virtual time `t` (user instructions retired so far), its `kind`, the
`pid` it concerns and kind-specific fields. Tools (trace, stats, tests) read them instead of the console.
With `detail` on (a run whose trace or explorer page needs it), the kernel also records `mm` events (a
process's VMAs and user pages after its memory changed) and `console` events (each line as printed).
"""

from .. import hw

events = []
listener = None      # called with each event as it is recorded (live views such as --verbose), or None
detail = False       # also record `mm` and `console` events (off: a plain run pays nothing for them)
running = 0          # pid of the running process (set by proc_run; `console` events carry it)


def events_init(on_event=None, record_detail=False):
    """Starts an empty event list for a new boot; on_event (or None) will see each event as it happens;
    record_detail turns the `mm` and `console` events on."""
    global events, listener, detail, running
    events = []
    listener = on_event
    detail = record_detail
    running = 0


def emit(kind, pid, **fields):
    """Records one event of kind for pid at the current virtual time, then hands it to the listener."""
    fields["t"] = hw.cpu.instret
    fields["kind"] = kind
    fields["pid"] = pid
    events.append(fields)
    if listener is not None:
        listener(fields)
