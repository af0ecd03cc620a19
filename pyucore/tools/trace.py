"""Views of the kernel's event list over time: a Chrome trace-event JSON file, and one readable line per
event for `--verbose` / `--show`.

Time: an event's `t` is the number of user instructions retired so far. The trace maps one retired
instruction to one microsecond, so a timer tick (10,000 instructions, nominally 10 ms as in ucore) is
10 ms on the Perfetto timeline. Kernel work takes no virtual time: what the kernel does between two
user instructions (a fork, a switch, a reap) happens at one instant.

The trace (open it in https://ui.perfetto.dev or chrome://tracing) has one track per process, named
`pid N (name)`, whose slices are the process's states: running (it is `current`), runnable, sleeping,
zombie (until its parent reaps it). Instant events on the track mark fork, exec, exit, reap, kill,
page faults, copy-on-write breaks and system calls, with their fields as arguments; under a lab6
scheduler also each pick (priority, stride, ticks left of the turn) and each priority change. A run
recorded with detail adds `memory` instants (the process's VMAs and pages after each change) and
`console` instants (each line as printed), which `pyucore view` turns into the explorer page.
otherData carries the run's end time and its `--stats` text.
"""

import json
import re

TRACE_PROCESS_ID = 1       # every track is a thread of one trace process: the machine's single CPU
CAUSE_NAMES = {5: "load access", 7: "store access", 12: "fetch", 13: "load", 15: "store"}
# --show categories: which event kinds each one shows.
CATEGORIES = {
    "procs": ("fork", "exec", "exit", "reap", "kill"),
    "sched": ("switch", "state", "pick", "priority"),
    "syscalls": ("syscall", "putc"),
    "faults": ("pgfault", "cow"),
}
# Every kind of event a view can choose by name (`putc` is the printer's own: a run of putc calls).
KINDS = tuple(kind for kinds in CATEGORIES.values() for kind in kinds)
# Instant events on a track: kind -> the event fields shown as arguments.
INSTANT_KINDS = {
    "fork": ("child",), "exec": ("name",), "exit": ("code",), "reap": ("child", "code"),
    "kill": ("target", "reason"), "pgfault": ("addr", "cause"), "cow": ("addr", "copied"),
    "syscall": ("num", "name"), "pick": ("priority", "stride", "time_slice"), "priority": ("priority",),
    "mm": ("why", "vmas", "pages"), "console": ("text",),
}
TRACK_NAME = re.compile(r"pid (\d+)(?: \((.*)\))?")


def process_names(events):
    """Needs an event list; returns {pid: name} with each process's last known name ('' if none)."""
    names = {}
    for e in events:
        names.setdefault(e["pid"], "")
        if e["kind"] in ("state", "exec") and e.get("name"):
            names[e["pid"]] = e["name"]
    return names


def track_name(pid, names):
    """The label of pid's track: `pid N (name)`, or `pid N` for a nameless process."""
    name = names.get(pid, "")
    return "pid %d (%s)" % (pid, name) if name else "pid %d" % pid


def parse_track_name(text):
    """The inverse of track_name: (pid, name) of a `pid N (name)` label, or None for another label."""
    match = TRACK_NAME.fullmatch(text)
    return None if match is None else (int(match.group(1)), match.group(2) or "")


def state_changes(events):
    """Needs an event list in emission order; returns [(t, pid, status)] where status is running,
    runnable, sleeping, zombie, or None once the process is reaped. The CPU starts with pid 0 current."""
    changes, state, current = [], {}, 0

    def status(pid):
        if pid not in state:
            return None
        return "running" if pid == current and state[pid] == "runnable" else state[pid]

    for e in events:
        kind, pid, t = e["kind"], e["pid"], e["t"]
        touched = []
        if kind == "state":
            state[pid] = e["new"]
            touched = [pid]
        elif kind == "switch":
            current = pid
            touched = [e["prev"], pid]
        elif kind == "reap":
            state.pop(e["child"], None)
            touched = [e["child"]]
        for p in touched:
            changes.append((t, p, status(p)))
    return changes


def end_time(events, end=None):
    """The end of a run's time axis: end, or the last event's time if that is later (0 for none)."""
    return max([e["t"] for e in events] + ([end] if end is not None else []), default=0)


def state_slices(events, end=None):
    """Returns [(pid, status, start, end)]: each process's states as non-overlapping intervals of
    virtual time, the last ones ending at end (default: the last event's time). Empty ones are dropped."""
    end_of_trace = end_time(events, end)
    open_slices, slices = {}, []
    for t, pid, status in state_changes(events):
        if pid in open_slices:
            old_status, start = open_slices[pid]
            if old_status == status:
                continue
            slices.append((pid, old_status, start, t))
            del open_slices[pid]
        if status is not None:
            open_slices[pid] = (status, t)
    for pid, (status, start) in open_slices.items():
        slices.append((pid, status, start, end_of_trace))
    return [s for s in slices if s[3] > s[2]]


def _argument(key, value):
    """A trace argument: addresses in hex, the rest as is."""
    return hex(value) if key == "addr" else value


def build_trace(events, end=None, report="", interrupted=False):
    """Needs an event list, the run's final virtual time end (default: the last event's) and the run's
    `--stats` text (report); returns the Chrome trace-event object (a dict with traceEvents);
    interrupted marks a run cut by Ctrl-C."""
    names = process_names(events)
    out = [{"ph": "M", "pid": TRACE_PROCESS_ID, "tid": 0, "ts": 0, "name": "process_name",
            "args": {"name": "pyucore (1 CPU; 1 us = 1 user instruction)"}}]
    for pid in sorted(names):
        out.append({"ph": "M", "pid": TRACE_PROCESS_ID, "tid": pid, "ts": 0, "name": "thread_name",
                    "args": {"name": track_name(pid, names)}})
        out.append({"ph": "M", "pid": TRACE_PROCESS_ID, "tid": pid, "ts": 0, "name": "thread_sort_index",
                    "args": {"sort_index": pid}})
    for pid, status, start, stop in state_slices(events, end):
        out.append({"ph": "X", "pid": TRACE_PROCESS_ID, "tid": pid, "ts": start, "dur": stop - start,
                    "name": status, "cat": "state"})
    for e in events:
        fields = INSTANT_KINDS.get(e["kind"])
        if fields is None:
            continue
        out.append({"ph": "i", "s": "t", "pid": TRACE_PROCESS_ID, "tid": e["pid"], "ts": e["t"],
                    "name": _instant_name(e), "cat": e["kind"],
                    "args": {k: _argument(k, e[k]) for k in fields if k in e}})
    other = {"time": "1 us = 1 retired user instruction", "pyucore_end": end_time(events, end),
             "pyucore_stats": report}
    if interrupted:
        other["interrupted"] = "the run was stopped by Ctrl-C: this is the part that ran"
    return {"traceEvents": out, "displayTimeUnit": "ms", "otherData": other}


def _instant_name(e):
    """The label of an instant event, e.g. `fork -> 4`, `syscall putc`, `exit 0`."""
    kind = e["kind"]
    if kind == "fork":
        return "fork -> %d" % e["child"]
    if kind == "exec":
        return "exec %s" % e["name"]
    if kind == "exit":
        return "exit %d" % e["code"]
    if kind == "reap":
        return "reap %d" % e["child"]
    if kind == "kill":
        return "kill %d" % e["target"]
    if kind == "syscall":
        return "syscall %s" % e["name"]
    if kind == "pgfault":
        return "page fault (%s)" % CAUSE_NAMES.get(e["cause"], e["cause"])
    if kind == "cow":
        return "cow copy" if e.get("copied") else "cow reuse"
    if kind == "priority":
        return "priority %d" % e["priority"]
    if kind == "mm":
        return "memory after %s" % e["why"]
    return kind


def write_trace(trace, path):
    """Writes a Chrome trace object (build_trace) to path; raises OSError naming path when the file
    cannot be opened or written (a full disk included)."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(trace, f, separators=(",", ":"))
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def describe(e):
    """One readable line for an event, e.g. `[t=12034] pid 3 fork -> pid 4`."""
    kind, pid = e["kind"], e["pid"]
    if kind == "switch":
        text = "switch %d -> %d" % (e["prev"], pid)
    elif kind == "state":
        text = "pid %d (%s) %s -> %s" % (pid, e.get("name", ""), e["old"], e["new"])
    elif kind == "fork":
        text = "pid %d fork -> pid %d" % (pid, e["child"])
    elif kind == "exec":
        text = 'pid %d exec "%s"' % (pid, e["name"])
    elif kind == "exit":
        text = "pid %d exit %d" % (pid, e["code"])
    elif kind == "reap":
        text = "pid %d reap pid %d (exit %d)" % (pid, e["child"], e["code"])
    elif kind == "kill":
        text = "pid %d kill pid %d" % (pid, e["target"])
        if e.get("reason"):
            text += ": " + e["reason"]
    elif kind == "syscall":
        text = "pid %d syscall %s (%d)" % (pid, e["name"], e["num"])
    elif kind == "putc":
        text = "pid %d putc %s" % (pid, json.dumps(e["text"], ensure_ascii=False))
    elif kind == "pgfault":
        text = "pid %d page fault at 0x%x (%s)" % (pid, e["addr"], CAUSE_NAMES.get(e["cause"], e["cause"]))
    elif kind == "mm":
        if e["vmas"] is None:
            text = "pid %d memory after %s: %d pages changed" % (pid, e["why"], len(e["pages"]))
        else:
            text = "pid %d memory after %s: %d vmas, %d pages" % (pid, e["why"], len(e["vmas"]), len(e["pages"]))
    elif kind == "console":
        text = "pid %d console %r" % (pid, e["text"])
    elif kind == "cow":
        text = "pid %d %s at 0x%x" % (pid, "cow copy" if e.get("copied") else "cow reuse (last reference)",
                                       e["addr"])
    elif kind == "pick":
        text = "pick pid %d (priority %d, stride %d, %d ticks left)" % (pid, e["priority"], e["stride"],
                                                                       e["time_slice"])
    elif kind == "priority":
        text = "pid %d priority %d" % (pid, e["priority"])
    else:
        extra = " ".join("%s=%s" % (k, v) for k, v in e.items() if k not in ("t", "kind", "pid"))
        text = ("pid %d %s %s" % (pid, kind, extra)).rstrip()
    return "[t=%d] %s" % (e["t"], text)


def parse_categories(text):
    """Needs True / `all` or a comma list of CATEGORIES names or event kinds (`putc` is a kind of its
    own: a program's console text), each optionally prefixed with `-` to hide it; a list of only hidden
    ones starts from every kind. Returns (shown, hidden): shown is the set of kinds to show, or None
    for every kind; hidden the set of kinds never shown. Raises ValueError naming an unknown name."""
    if text is True:
        return None, set()
    shown, hidden, show_all = set(), set(), False
    for item in str(text).split(","):
        name = item.strip()
        hide = name.startswith("-")
        name = name[1:].strip() if hide else name
        if name == "all" and not hide:
            show_all = True
        else:
            (hidden if hide else shown).update(_kinds_named(name))
    return (None if show_all or not shown else shown), hidden


def _kinds_named(name):
    """The event kinds a category or kind name stands for; raises ValueError for another name."""
    if name in CATEGORIES:
        return CATEGORIES[name]
    if name in KINDS:
        return (name,)
    raise ValueError("unknown event category %r (choose from: %s, all, or a kind: %s; -NAME hides one)"
                     % (name, ", ".join(CATEGORIES), ", ".join(KINDS)))


def event_printer(stream, categories="all", kern=None):
    """Returns an EventPrinter writing describe(e) for the chosen categories (see parse_categories) to
    stream, for events of kernel package kern (None: pyucore's own); raises ValueError for a bad
    category."""
    return EventPrinter(stream, *parse_categories(categories), kern=kern)


class EventPrinter:
    """A listener for the kernel's events that writes one readable line per shown event to a stream as
    it happens (the console keeps its own stream). Consecutive putc system calls of one process become
    one `putc` line with their text, up to a newline character (shown at the next event, once the
    console has printed it) or the next line shown; close() at the end of the run shows any text still
    pending."""

    def __init__(self, stream, shown, hidden, kern=None):
        self._stream = stream
        self._kern = kern       # the kernel package whose processes the events name (None: pyucore's)
        self._shown, self._hidden = shown, hidden
        self._putc = None       # the pending text: its first event and its bytes

    def _wanted(self, kind):
        """Whether events of kind are shown."""
        return (self._shown is None or kind in self._shown) and kind not in self._hidden

    def __call__(self, e):
        """Shows event e (or adds it to the pending putc text) if its kind is chosen."""
        is_putc = e["kind"] == "syscall" and e["name"] == "putc" and "char" in e
        if self._line_done(e, is_putc):
            self.close()
        if is_putc:
            if self._wanted("putc"):
                self._add_putc(e)
        elif self._wanted(e["kind"]):
            self.close()
            where = _source_of(e, self._kern)
            self._write(describe(e) + (" [%s]" % where if where else ""))

    def _line_done(self, e, is_putc):
        """Whether event e ends the pending text: a putc of another process, or any event after a
        newline (shown after that event, so the console has printed the newline by then)."""
        if self._putc is None:
            return False
        first, text = self._putc
        return text.endswith(b"\n") or (is_putc and e["pid"] != first["pid"])

    def _add_putc(self, e):
        """Adds e's byte to the pending text of its process."""
        if self._putc is None:
            self._putc = (e, bytearray())
        self._putc[1].append(e["char"])

    def close(self):
        """Shows the pending putc text, if any."""
        if self._putc is not None:
            first, text = self._putc
            self._putc = None
            self._write(describe({"t": first["t"], "kind": "putc", "pid": first["pid"],
                                  "text": text.decode("utf-8", "backslashreplace")}))

    def _write(self, line):
        self._stream.write(line + "\n")
        self._stream.flush()


def _source_of(e, kern):
    """`file.c:LINE` of the user instruction an event of kernel package kern (None: pyucore's own)
    happened at (a syscall, a fault, a kill), from the ELF its process runs, or None. Needs the event
    as it happens (the process is still there)."""
    if "epc" not in e:
        return None
    from pyucore.kern.debug.kdebug import source_line
    if kern is None:
        import pyucore.kern.process.proc as proc_module
    else:
        proc_module = kern.process.proc
    proc = proc_module.find_proc(e["pid"])
    return source_line(proc.elf, e["epc"]) if proc is not None else None
