"""The explorer page's model and files, and the `view` command (the page in a browser: test_explorer_page)."""

import json

import pytest

from pyucore.api import boot
from pyucore.tools import cli
from pyucore.tools.explorer import STATES, TraceError, build_model, render_page
from pyucore.tools.trace import build_trace

PAGE_LIMIT = 2 << 20


@pytest.fixture(scope="module")
def forktree(tmp_path_factory):
    """(BootResult, its trace file, its page file) of forktree run with both --trace and --html."""
    tmp = tmp_path_factory.mktemp("explorer")
    trace, page = tmp / "forktree.json", tmp / "forktree.html"
    result = boot(program="forktree", quiet_boot=True, trace=str(trace), html=str(page))
    return result, trace, page


def test_the_model_has_every_process_its_parent_exit_and_reap(forktree):
    result, trace, _ = forktree
    model = build_model(json.loads(trace.read_text()))
    procs = {p["pid"]: p for p in model["procs"]}
    assert sorted(procs) == list(range(0, 33))
    for e in result.events:
        if e["kind"] == "fork":
            assert procs[e["child"]]["parent"] == e["pid"] and procs[e["child"]]["fork"] == e["t"]
        elif e["kind"] == "exit":
            assert procs[e["pid"]]["exit"] == e["t"] and procs[e["pid"]]["code"] == e["code"]
        elif e["kind"] == "reap":
            assert procs[e["child"]]["reap"] == e["t"]
    assert procs[1]["name"] == "init" and procs[20]["name"] == "forktree"


def test_back_to_back_slices_of_one_state_are_merged(forktree):
    _, trace, _ = forktree
    for flat in build_model(json.loads(trace.read_text()))["slices"].values():
        triples = [flat[i:i + 3] for i in range(0, len(flat), 3)]
        assert all(0 <= state < len(STATES) and start < end for start, end, state in triples)
        for a, b in zip(triples, triples[1:]):
            assert a[1] <= b[0] and not (a[1] == b[0] and a[2] == b[2])


def test_the_model_carries_every_console_line_and_memory_snapshot(forktree):
    result, trace, _ = forktree
    model = build_model(json.loads(trace.read_text()))
    assert "\n".join(text for _, _, text in model["console"]) + "\n" == result.console
    snapshots = sum(len(v) for v in model["memory"].values())
    assert snapshots == sum(e["kind"] == "mm" for e in result.events) > 31


def test_the_forktree_page_is_one_file_under_2_mib_and_view_rebuilds_it_from_the_trace(forktree, tmp_path):
    _, trace, page = forktree
    assert page.stat().st_size < PAGE_LIMIT
    out = tmp_path / "view.html"
    assert cli.main(["view", str(trace), "-o", str(out)]) == 0
    assert out.read_text() == page.read_text()


def test_the_page_forbids_every_network_load_and_cannot_be_cut_short_by_console_text():
    events = [{"t": 0, "kind": "console", "pid": 0, "text": "</script><script>alert(1)</script>"}]
    page = render_page(build_trace(events, 0))
    assert "default-src 'none'" in page
    assert page.count("</script>") == 1 and "<\\/script><script>alert(1)<\\/script>" in page


def test_a_trace_without_memory_detail_still_makes_a_page():
    events = [{"t": 0, "kind": "state", "pid": 1, "old": "uninit", "new": "runnable", "name": "init"},
              {"t": 0, "kind": "fork", "pid": 0, "child": 1}]
    model = build_model(build_trace(events, 10))
    assert model["memory"] == {} and model["console"] == [] and model["end"] == 10


@pytest.mark.parametrize("content, message", [
    ("not json", "not a JSON file"),
    ("[1, 2]", "not a Chrome trace"),
    ('{"traceEvents": []}', "not a trace written by pyucore"),
])
def test_view_refuses_a_file_that_is_not_a_pyucore_trace_in_one_line(tmp_path, capsys, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert cli.main(["view", str(bad), "-o", str(tmp_path / "out.html")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.html").exists()


def test_view_refuses_a_missing_trace_and_an_unwritable_page(tmp_path, capsys):
    assert cli.main(["view", str(tmp_path / "none.json"), "-o", str(tmp_path / "out.html")]) == 2
    assert "no such file" in capsys.readouterr().err
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps(build_trace([], 0)))
    assert cli.main(["view", str(trace), "-o", str(tmp_path / "no" / "out.html")]) == 2
    assert "cannot write the page: no such directory" in capsys.readouterr().err


def test_run_refuses_a_page_in_a_missing_directory_before_running(tmp_path, capsys):
    assert cli.main(["run", "exit", "--html", str(tmp_path / "no" / "run.html")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot write the page: no such directory" in captured.err


def test_build_model_rejects_what_is_not_a_trace():
    with pytest.raises(TraceError):
        build_model({"traceEvents": "x"})


def test_a_lab6_page_marks_each_pick_with_what_it_picked_by_and_each_priority_change():
    result = boot(program="priority", sched="stride", quiet_boot=True, max_insns=200_000, keep_events=True)
    model = build_model(build_trace(result.events))
    picks = [e for e in result.events if e["kind"] == "pick"]
    marked = {(pid, m[0]): m[2] for pid, marks in model["markers"].items() for m in marks if m[1] == "pick"}
    assert len(marked) == len({(e["pid"], e["t"]) for e in picks}) > 0
    last = picks[-1]
    assert marked[(last["pid"], last["t"])] == "picked by the scheduler (priority %d, stride %d, %d ticks left)" % (
        last["priority"], last["stride"], last["time_slice"])
    priorities = sorted((pid, m[2]) for pid, marks in model["markers"].items() for m in marks if m[1] == "priority")
    assert priorities == sorted((e["pid"], "priority %d" % e["priority"]) for e in result.events
                                if e["kind"] == "priority")
