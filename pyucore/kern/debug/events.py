"""Structured kernel events (what no ucore prints): fork, exec, exit, reap, kill, switch, faults, syscalls.

Each event is a dict with the virtual time `t` (user instructions retired so far), its `kind`, the
`pid` it concerns and kind-specific fields. Tools (trace, stats, tests) read them instead of the console.
With `detail` on (a run whose trace or explorer page needs it), the kernel also records `mm` events (a
process's VMAs and user pages after its memory changed) and `console` events (each line as printed).
Events are kept only when a boot asks for them (a trace, --stats, a caller's keep_events): a long run
would otherwise keep hundreds of bytes per system call. Every boot counts them by kind.
"""

from collections import Counter

from .. import hw

events = None        # this boot's events in emission order when they are kept, else None
counts = Counter()   # this boot's number of events of each kind
listener = None      # called with each event as it is recorded (live views such as --verbose), or None
detail = False       # also record `mm` and `console` events (off: a plain run pays nothing for them)
running = 0          # pid of the running process (set by proc_run; `console` events carry it)
quiet_boot = False   # the boot self-checks' events are dropped, as their console lines are


def events_init(on_event=None, keep=False, quiet=False, record_detail=False):
    """Starts a new boot's events: counted, kept in events only with keep, and shown to on_event (or
    None) as each happens; with quiet, the boot self-checks' events are dropped; record_detail turns
    the `mm` and `console` events on."""
    global events, counts, listener, quiet_boot, detail, running
    events = [] if keep else None
    counts = Counter()
    listener = on_event
    quiet_boot = quiet
    detail = record_detail
    running = 0


def observed():
    """True iff this boot's events reach someone (they are kept, or a listener hears them): what only
    an event carries need not be gathered otherwise."""
    return events is not None or listener is not None


def emit(kind, pid, **fields):
    """Counts one event of kind for pid at the current virtual time, keeps it if asked, then hands it to
    the listener."""
    counts[kind] += 1
    fields["t"] = hw.cpu.instret
    fields["kind"] = kind
    fields["pid"] = pid
    if events is not None:
        events.append(fields)
    if listener is not None:
        listener(fields)


def emit_check(kind, pid, **fields):
    """emit() for an event of a boot self-check (its page faults): nothing when the boot is quiet."""
    if not quiet_boot:
        emit(kind, pid, **fields)
