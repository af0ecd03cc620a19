"""The `--stats` table: one row per process of a run, and totals, built from the kernel's event list.

A process that exited carries the kernel's own counters in its exit event (proc_struct.stats:
instructions, syscalls, page faults, COW copies, pages at peak). A process still alive when the run
stopped (init at a clean halt; any process after a panic or --max-insns) is counted from the events
instead: its running time, its syscall, pgfault and cow events; its peak is unknown ("-").
"Pages at peak" is the number of user pages mapped in the process's page table, sampled when its
address space is torn down (exit, or exec replacing it): the kernel only unmaps user pages there.
"cpu %" is the process's share of all user instructions retired. Under a lab6 scheduler (the run has
`pick` events) three more columns show each process's turns on the CPU (times the scheduler picked
it), its priority and its stride as of its last pick.
"""

from pyucore.tools.trace import process_names, state_slices

COUNTERS = ("insns", "syscalls", "pgfaults", "cow_copies", "peak_pages")
HEADINGS = ("pid", "name", "parent", "exit", "instructions", "syscalls", "faults", "cow copies",
            "peak pages", "cpu %")
SCHED_FIELDS = ("turns", "priority", "stride")     # the lab6 columns


def counted_from_events(events, end=None):
    """Needs an event list (and the run's final virtual time end, default the last event's); returns
    {pid: {counter: value}} for insns, syscalls, pgfaults and cow_copies, counted from the events alone
    (running time, syscall / pgfault / copying cow events)."""
    counts = {}

    def row(pid):
        return counts.setdefault(pid, {"insns": 0, "syscalls": 0, "pgfaults": 0, "cow_copies": 0})

    for pid, status, start, stop in state_slices(events, end):
        if status == "running":
            row(pid)["insns"] += stop - start
    for e in events:
        kind = e["kind"]
        if kind == "syscall":
            row(e["pid"])["syscalls"] += 1
        elif kind == "pgfault":
            row(e["pid"])["pgfaults"] += 1
        elif kind == "cow" and e.get("copied"):
            row(e["pid"])["cow_copies"] += 1
    return counts


def scheduling_of(events):
    """Needs an event list; returns {pid: {"turns", "priority", "stride"}} from its pick and priority
    events (empty for a run under lab5's scheduler, which records none)."""
    sched = {}
    for e in events:
        if e["kind"] == "pick":
            row = sched.setdefault(e["pid"], {"turns": 0})
            row.update(turns=row["turns"] + 1, priority=e["priority"], stride=e["stride"])
        elif e["kind"] == "priority":
            sched.setdefault(e["pid"], {"turns": 0, "stride": 0})["priority"] = e["priority"]
    return sched


def process_rows(events, end=None):
    """Needs an event list (and the run's final virtual time end, default the last event's); returns
    one dict per process the kernel forked (pid order): pid, name, parent, exit (code or None while
    alive), the COUNTERS (peak_pages None when unknown), cpu_share (percent of all user
    instructions) and, for a lab6 run, the SCHED_FIELDS."""
    names = process_names(events)
    parents = {e["child"]: e["pid"] for e in events if e["kind"] == "fork"}
    exits = {e["pid"]: e for e in events if e["kind"] == "exit"}
    counted = counted_from_events(events, end)
    rows = []
    for pid in sorted(parents):
        row = {"pid": pid, "name": names.get(pid, ""), "parent": parents[pid], "exit": None}
        exit_event = exits.get(pid)
        if exit_event is not None and "insns" in exit_event:
            row["exit"] = exit_event["code"]
            row.update({k: exit_event[k] for k in COUNTERS})
        else:
            row["exit"] = exit_event["code"] if exit_event is not None else None
            row.update(counted.get(pid, {"insns": 0, "syscalls": 0, "pgfaults": 0, "cow_copies": 0}))
            row["peak_pages"] = None
        rows.append(row)
    all_insns = sum(r["insns"] for r in rows)
    sched = scheduling_of(events)
    for row in rows:
        row["cpu_share"] = 100.0 * row["insns"] / all_insns if all_insns else 0.0
        if sched:
            row.update({"turns": 0, "priority": 0, "stride": 0, **sched.get(row["pid"], {})})
    return rows


def totals(rows):
    """Needs process_rows; returns the sum of each counter over the rows (peak_pages: the largest)."""
    total = {k: sum(r[k] for r in rows) for k in COUNTERS if k != "peak_pages"}
    total["peak_pages"] = max((r["peak_pages"] for r in rows if r["peak_pages"] is not None), default=0)
    return total


def _cell(value):
    return "-" if value is None else str(value)


def _share(value):
    return "%.1f" % value


def format_table(events, end=None):
    """Needs an event list (and the run's final virtual time end); returns the stats table as text (one
    line per process, then totals), or '' when the run forked no process."""
    rows = process_rows(events, end)
    if not rows:
        return ""
    sched_fields = SCHED_FIELDS if "turns" in rows[0] else ()
    lines = [HEADINGS + sched_fields]
    for r in rows:
        lines.append((str(r["pid"]), r["name"] or "-", str(r["parent"]), _cell(r["exit"]))
                     + tuple(_cell(r[k]) for k in COUNTERS) + (_share(r["cpu_share"]),)
                     + tuple(str(r[k]) for k in sched_fields))
    t = totals(rows)
    total_line = (("total", "%d processes" % len(rows), "", "")
                  + tuple(str(t[k]) for k in COUNTERS[:-1]) + ("max %d" % t["peak_pages"], "100.0"))
    if sched_fields:
        total_line += (str(sum(r["turns"] for r in rows)), "", "")
    lines.append(total_line)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = []
    for line in lines:
        cells = [line[i].ljust(widths[i]) if i == 1 else line[i].rjust(widths[i]) for i in range(len(line))]
        text.append("  ".join(cells).rstrip())
    return "\n".join(text) + "\n"


def format_counters(counters):
    """Needs the run's counters (BootResult.stats); returns them one `name: value` a line, aligned."""
    width = max((len(str(key)) for key in counters), default=0)
    return "".join(f"  {str(key) + ':':<{width + 1}} {value}\n" for key, value in counters.items())


def format_report(events, counters, end=None, title="stats:"):
    """The `--stats` text of a run: `processes:` and the table (if any process was forked), then
    title and the counters."""
    table = format_table(events, end)
    return ("processes:\n" + table if table else "") + title + "\n" + format_counters(counters)
