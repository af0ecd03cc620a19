"""The Chrome trace of a run, and the live event lines of --verbose / --show."""

import json
import re
import sys

import pytest

from pyucore.api import boot
from pyucore.tools import cli
from pyucore.tools.trace import build_trace, describe, event_printer, state_slices, write_trace

USER_PIDS = range(2, 0x21)


@pytest.fixture(scope="module")
def forktree(tmp_path_factory):
    """(BootResult, trace JSON read back from the file boot wrote) of forktree."""
    path = tmp_path_factory.mktemp("trace") / "forktree.json"
    result = boot(program="forktree", quiet_boot=True, trace=str(path))
    return result, json.loads(path.read_text())


def instants(trace, name_prefix):
    return [e for e in trace["traceEvents"] if e["ph"] == "i" and e["name"].startswith(name_prefix)]


def test_the_trace_is_valid_trace_event_json_with_named_tracks(forktree):
    _, trace = forktree
    assert isinstance(trace["traceEvents"], list) and trace["traceEvents"]
    for e in trace["traceEvents"]:
        assert {"ph", "ts", "pid", "tid", "name"} <= e.keys(), e
        assert e["ph"] in ("M", "X", "i") and isinstance(e["ts"], int) and e["ts"] >= 0
        if e["ph"] == "X":
            assert isinstance(e["dur"], int) and e["dur"] > 0
        if e["ph"] == "i":
            assert e["s"] == "t" and isinstance(e["args"], dict)
    names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names[1] == "pid 1 (init)" and names[0] == "pid 0 (idle)"
    assert all(names[pid] == "pid %d (forktree)" % pid for pid in USER_PIDS)


def test_forktree_has_31_user_processes_each_with_one_origin_one_exit_and_one_reap(forktree):
    _, trace = forktree
    tracks = {e["tid"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    assert sorted(tracks - {0, 1}) == list(USER_PIDS)
    forks = [e["args"]["child"] for e in instants(trace, "fork")]
    execs = [e["tid"] for e in instants(trace, "exec")]
    exits = [e["tid"] for e in instants(trace, "exit")]
    reaps = [e["args"]["child"] for e in instants(trace, "reap")]
    assert execs == [2], "pid 2 becomes forktree by exec; the others are forked copies"
    for pid in USER_PIDS:
        assert forks.count(pid) == 1 and exits.count(pid) == 1 and reaps.count(pid) == 1, pid


def test_running_slices_never_overlap_on_the_single_cpu(forktree):
    _, trace = forktree
    running = sorted((e["ts"], e["ts"] + e["dur"], e["tid"]) for e in trace["traceEvents"]
                     if e["ph"] == "X" and e["name"] == "running")
    assert len({tid for _, _, tid in running}) >= 31
    for (_, end, tid), (start, _, nxt) in zip(running, running[1:]):
        assert end <= start, "pid %d still runs when pid %d starts" % (tid, nxt)


def test_running_time_adds_up_to_every_user_instruction(forktree):
    result, trace = forktree
    total = sum(e["dur"] for e in trace["traceEvents"] if e["ph"] == "X" and e["name"] == "running")
    assert total == result.stats["instructions"]


def test_each_process_states_tile_its_life_from_fork_to_reap(forktree):
    result, _ = forktree
    fork_t = {e["child"]: e["t"] for e in result.events if e["kind"] == "fork"}
    reap_t = {e["child"]: e["t"] for e in result.events if e["kind"] == "reap"}
    for pid in USER_PIDS:
        slices = sorted((s, e, status) for p, status, s, e in state_slices(result.events) if p == pid)
        assert slices[0][0] >= fork_t[pid] and slices[-1][1] <= reap_t[pid]
        assert all(a[1] <= b[0] for a, b in zip(slices, slices[1:]))
        assert {status for _, _, status in slices} <= {"running", "runnable", "sleeping", "zombie"}


def test_page_faults_cow_breaks_and_syscalls_are_instant_events_with_their_fields(forktree):
    result, trace = forktree
    assert len(instants(trace, "syscall")) == sum(e["kind"] == "syscall" for e in result.events)
    faults = instants(trace, "page fault")
    assert faults and all(e["args"]["addr"].startswith("0x") for e in faults)
    copies = instants(trace, "cow copy")
    assert len(copies) == result.stats["cow_copies"] > 0


def test_describe_gives_one_readable_line_per_event():
    assert describe({"t": 12034, "kind": "fork", "pid": 3, "child": 4}) == "[t=12034] pid 3 fork -> pid 4"
    assert describe({"t": 5, "kind": "switch", "pid": 4, "prev": 3}) == "[t=5] switch 3 -> 4"
    assert describe({"t": 7, "kind": "kill", "pid": 3, "target": 3, "reason": "load page fault at 0x0"}) \
        == "[t=7] pid 3 kill pid 3: load page fault at 0x0"
    assert describe({"t": 9, "kind": "boot", "pid": 0, "step": "pmm"}) == "[t=9] pid 0 boot step=pmm"
    assert describe({"t": 11, "kind": "pick", "pid": 5, "priority": 3, "stride": 715827882, "time_slice": 5}) \
        == "[t=11] pick pid 5 (priority 3, stride 715827882, 5 ticks left)"
    assert describe({"t": 12, "kind": "priority", "pid": 5, "priority": 3}) == "[t=12] pid 5 priority 3"
    assert describe({"t": 3, "kind": "mm", "pid": 2, "why": "fault", "vmas": None, "pages": [[2050, 23, 9]]}) \
        == "[t=3] pid 2 memory after fault: 1 pages changed"
    assert describe({"t": 3, "kind": "mm", "pid": 2, "why": "exec", "vmas": [[0, 4096, 1]], "pages": []}) \
        == "[t=3] pid 2 memory after exec: 1 vmas, 0 pages"
    assert describe({"t": 4, "kind": "console", "pid": 2, "text": "hi"}) == "[t=4] pid 2 console 'hi'"


def test_a_lab6_trace_marks_each_pick_and_priority_change_on_the_process_track():
    result = boot(program="priority", sched="stride", quiet_boot=True, max_insns=200_000, keep_events=True)
    trace = build_trace(result.events)
    picks = [e for e in trace["traceEvents"] if e["ph"] == "i" and e["name"] == "pick"]
    assert picks and all(set(e["args"]) == {"priority", "stride", "time_slice"} for e in picks)
    priorities = instants(trace, "priority ")
    assert sorted((e["tid"], e["args"]["priority"]) for e in priorities) == [(2, 6), (3, 1), (4, 2), (5, 3), (6, 4), (7, 5)]


def test_an_event_printer_shows_only_the_chosen_categories(capsys):
    import sys
    printer = event_printer(sys.stderr, "sched")
    printer({"t": 1, "kind": "syscall", "pid": 2, "num": 30, "name": "putc"})
    printer({"t": 2, "kind": "switch", "pid": 3, "prev": 2})
    assert capsys.readouterr().err == "[t=2] switch 2 -> 3\n"
    with pytest.raises(ValueError, match="unknown event category 'disk'"):
        event_printer(sys.stderr, "sched,disk")


def test_shown_syscall_and_fault_events_name_their_source_line(capsys):
    import sys
    boot(program="faultread", quiet_boot=True, verbose="syscalls,faults")
    err = capsys.readouterr().err
    assert re.search(r"\] pid 2 page fault at 0x0 \(load\) \[faultread\.c:\d+\]\n", err), err
    boot(program="hello", quiet_boot=True, verbose="syscalls")
    err = capsys.readouterr().err
    assert re.search(r"\] pid 2 syscall getpid \(18\) \[syscall\.c:\d+\]\n", err), err


def test_shown_events_name_their_source_line_under_a_workspace_kernel_too(capsys, solution_ws):
    boot(program="faultread", kernel=solution_ws, quiet_boot=True, verbose="faults")
    err = capsys.readouterr().err
    assert re.search(r"\] pid 2 page fault at 0x0 \(load\) \[faultread\.c:\d+\]\n", err), err


def test_an_empty_event_list_gives_an_empty_but_valid_trace():
    trace = build_trace([])
    assert [e["name"] for e in trace["traceEvents"]] == ["process_name"]


def test_the_cli_writes_the_trace_and_shows_events_live_without_changing_the_console(tmp_path, capsys):
    path = tmp_path / "t.json"
    assert cli.main(["run", "forktree", "--quiet-boot", "--trace", str(path), "--verbose"]) == 0
    captured = capsys.readouterr()
    assert captured.out == boot(program="forktree", quiet_boot=True).console
    assert "[t=0] pid 1 fork -> pid 2\n" in captured.err and "switch 1 -> 2" in captured.err
    assert json.loads(path.read_text())["traceEvents"]


def test_the_cli_show_option_filters_and_rejects_an_unknown_category(capsys):
    assert cli.main(["run", "exit", "--quiet-boot", "--show", "procs"]) == 0
    err = capsys.readouterr().err
    assert "exec \"exit\"" in err and "syscall" not in err and "switch" not in err
    assert cli.main(["run", "exit", "--show", "disk"]) == 2
    assert "unknown event category 'disk'" in capsys.readouterr().err


def test_the_cli_refuses_a_trace_in_a_missing_directory_before_running(tmp_path, capsys):
    assert cli.main(["run", "exit", "--trace", str(tmp_path / "no" / "t.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot write the trace" in captured.err


def test_a_trace_that_cannot_be_written_raises_os_error_naming_the_file():
    with pytest.raises(OSError) as info:
        write_trace([], "/dev/full")
    assert info.value.filename == "/dev/full" and "No space left" in str(info.value)


def putc(t, pid, text):
    """The putc system-call events of pid printing text, one per byte from virtual time t."""
    return [{"t": t + i, "kind": "syscall", "pid": pid, "num": 30, "name": "putc", "char": byte}
            for i, byte in enumerate(text.encode())]


def feed(printer, events):
    for e in events:
        printer(e)


def test_consecutive_putc_of_one_process_show_as_one_line_with_its_text(capsys):
    printer = event_printer(sys.stderr, "syscalls")
    feed(printer, putc(10, 2, "I am child 3\n") + [{"t": 40, "kind": "syscall", "pid": 2, "num": 1,
                                                       "name": "exit"}])
    printer.close()
    assert capsys.readouterr().err == '[t=10] pid 2 putc "I am child 3\\n"\n[t=40] pid 2 syscall exit (1)\n'


def test_a_putc_line_ends_at_another_process_or_at_the_end_of_the_run(capsys):
    printer = event_printer(sys.stderr, "putc")
    feed(printer, putc(1, 2, "ab") + putc(5, 3, "c\"d") + [{"t": 9, "kind": "switch", "pid": 2, "prev": 3}]
         + putc(10, 2, "é"))
    assert capsys.readouterr().err == '[t=1] pid 2 putc "ab"\n[t=5] pid 3 putc "c\\"d"\n'
    printer.close()
    assert capsys.readouterr().err == '[t=10] pid 2 putc "é"\n'


def test_a_newline_ends_the_putc_line_at_the_next_event_shown_or_not_and_nothing_else_does(capsys):
    printer = event_printer(sys.stderr, "putc")
    feed(printer, putc(1, 2, "x\ny"))
    assert capsys.readouterr().err == '[t=1] pid 2 putc "x\\n"\n'
    printer({"t": 7, "kind": "pgfault", "pid": 2, "addr": 0x7ffff000, "cause": 15})
    assert capsys.readouterr().err == "", "a hidden event does not cut a line short"
    printer.close()
    assert capsys.readouterr().err == '[t=3] pid 2 putc "y"\n'


@pytest.mark.parametrize("show, expected", [
    ("all,-putc", ["fork", "syscall"]),
    ("-putc", ["fork", "syscall"]),
    ("syscalls,-syscall", ["putc"]),
    ("procs,putc", ["fork", "putc"]),
    ("-procs,-syscalls", []),
])
def test_show_names_categories_or_kinds_and_a_minus_hides_one(capsys, show, expected):
    printer = event_printer(sys.stderr, show)
    feed(printer, [{"t": 0, "kind": "fork", "pid": 1, "child": 2}] + putc(1, 2, "hi")
         + [{"t": 5, "kind": "syscall", "pid": 2, "num": 18, "name": "getpid"}])
    printer.close()
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[3] for line in lines] == expected


def test_verbose_shows_a_programs_text_as_putc_lines_after_the_console_printed_it(capsys):
    assert cli.main(["run", "hello", "--quiet-boot", "--show", "syscalls"]) == 0
    err = capsys.readouterr().err
    assert 'pid 2 putc "Hello world!!.\\n"' in err and 'pid 2 putc "hello pass.\\n"' in err
    assert "syscall putc" not in err


def test_quiet_boot_hides_the_boot_self_checks_fault_events(capsys):
    assert cli.main(["run", "exit", "--quiet-boot", "--show", "faults"]) == 0
    assert "pid 0 page fault" not in capsys.readouterr().err
    assert cli.main(["run", "exit", "--show", "faults"]) == 0
    assert "pid 0 page fault at 0x100 (store)" in capsys.readouterr().err
