"""The explorer: one self-contained HTML page that shows a run (`run --html`, `view trace.json -o`).

The page is built from the run's Chrome trace (pyucore.tools.trace), so a saved trace gives the same page
as the run itself. build_model turns the trace into a compact model (one timeline row per process with
merged state slices, markers, memory snapshots, console lines, the `--stats` text); write_page inlines
that model, with the hand-written script and style shipped beside this module (pyucore/tools/page/),
into one HTML file that needs no network: no library, no CDN, no web font.
"""

import json
from importlib import resources

from pyucore.tools.trace import TRACE_PROCESS_ID, parse_track_name

STATES = ("running", "runnable", "sleeping", "zombie")
# Markers drawn on a process's row: trace instant category -> marker kind shown by the page.
MARKER_KINDS = {"fork": "fork", "exec": "exec", "exit": "exit", "kill": "kill", "pgfault": "fault",
                "cow": "cow", "reap": "reap", "pick": "pick", "priority": "priority"}
MODEL_SLOT = "/*MODEL*/"


class TraceError(ValueError):
    """A file that is not a pyucore trace the explorer can show."""


def _process(procs, pid):
    """The model's record of pid, created on first use."""
    return procs.setdefault(pid, {"pid": pid, "name": "", "parent": None, "fork": None, "exit": None,
                                  "code": None, "reap": None})


def _check_trace(trace):
    """Raises TraceError unless trace looks like a Chrome trace written by pyucore."""
    if not isinstance(trace, dict) or not isinstance(trace.get("traceEvents"), list):
        raise TraceError("not a Chrome trace (no traceEvents list)")
    if not isinstance(trace.get("otherData"), dict) or "pyucore_end" not in trace["otherData"]:
        raise TraceError("not a trace written by pyucore (run it with --trace)")


def _merge(slices):
    """Needs [start, end, state] lists sorted by start; returns them with back-to-back slices of one
    state joined, flattened to [start, end, state index, ...]."""
    merged = []
    for start, end, state in slices:
        if merged and merged[-1][1] == start and merged[-1][2] == state:
            merged[-1][1] = end
        else:
            merged.append([start, end, state])
    return [value for s in merged for value in s]


def _instant(procs, markers, memory, console, e):
    """Files one instant event of the trace into the model's processes, markers, memory, console."""
    kind, pid, t, args = e.get("cat"), e["tid"], e["ts"], e.get("args", {})
    if kind == "fork":
        child = _process(procs, args["child"])
        child["parent"], child["fork"] = pid, t
    elif kind == "exit":
        _process(procs, pid).update(exit=t, code=args.get("code"))
    elif kind == "reap":
        _process(procs, args["child"])["reap"] = t
    elif kind == "mm":
        memory.setdefault(pid, []).append([t, args["why"], args["vmas"], args["pages"]])
        if args["why"] == "swap-out":
            count = len(args["pages"])
            markers.setdefault(pid, []).append([t, "swap", "%d page%s swapped out" % (count, "s"[count == 1:])])
        return
    elif kind == "console":
        console.append([t, pid, args["text"]])
        return
    if kind in MARKER_KINDS:
        marker = [t, MARKER_KINDS[kind], _marker_text(kind, e["name"], args)]
        if kind == "cow":
            marker.append(int(args["addr"], 16))
        markers.setdefault(pid, []).append(marker)


def _marker_text(kind, name, args):
    """What hovering a marker says: the event's name, and for a lab6 scheduler's pick what it picked by."""
    if kind == "pick":
        return "picked by the scheduler (priority %s, stride %s, %s ticks left)" % (
            args.get("priority"), args.get("stride"), args.get("time_slice"))
    return name


def build_model(trace):
    """Needs a Chrome trace object written by pyucore; returns the page's model (a JSON-able dict).
    Raises TraceError for anything else."""
    _check_trace(trace)
    procs, slices, markers, memory, console = {}, {}, {}, {}, []
    for e in trace["traceEvents"]:
        if not isinstance(e, dict) or e.get("pid") != TRACE_PROCESS_ID or "tid" not in e:
            continue
        ph = e.get("ph")
        if ph == "M" and e.get("name") == "thread_name":
            parsed = parse_track_name(str(e.get("args", {}).get("name", "")))
            if parsed is not None:
                _process(procs, parsed[0])["name"] = parsed[1]
        elif ph == "X" and e.get("name") in STATES:
            slices.setdefault(e["tid"], []).append([e["ts"], e["ts"] + e["dur"], STATES.index(e["name"])])
        elif ph == "i":
            _instant(procs, markers, memory, console, e)
    other = trace["otherData"]
    return {
        "end": other["pyucore_end"], "states": STATES, "stats": other.get("pyucore_stats", ""),
        "procs": [procs[pid] for pid in sorted(procs)],
        "slices": {pid: _merge(sorted(s)) for pid, s in slices.items()},
        "markers": markers, "memory": memory, "console": console,
    }


def _asset(name):
    """The text of one of the page's files shipped in pyucore/tools/page/."""
    return resources.files("pyucore.tools").joinpath("page", name).read_text(encoding="utf-8")


def render_page(trace):
    """Needs a pyucore Chrome trace; returns the explorer page as one HTML string. Raises TraceError."""
    model = json.dumps(build_model(trace), separators=(",", ":"))
    # Inside <script>, `</` could end the element early; `<\/` reads the same in JSON and in JavaScript.
    model = model.replace("</", "<\\/")
    page = _asset("explorer.html")
    page = page.replace("/*STYLE*/", _asset("explorer.css"))
    script = _asset("explorer.js")
    return page.replace("/*SCRIPT*/", script.replace(MODEL_SLOT, model, 1))


def write_page(trace, path):
    """Writes the explorer page of a pyucore Chrome trace to path; raises TraceError or OSError."""
    page = render_page(trace)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


def read_trace(path):
    """The Chrome trace object in the JSON file at path; raises OSError, or TraceError when the file
    is not JSON."""
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TraceError("not a JSON file (%s)" % exc) from None
