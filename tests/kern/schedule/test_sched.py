"""The scheduler framework in the kernel: lab5's default unchanged, lab6's classes announced at boot,
the priority program under stride (on both CPUs) and round robin, lab6's system calls."""

import re

import pytest

from pyucore.api import boot


@pytest.fixture(scope="module")
def priority_runs(reference_run):
    """The priority program under stride on the python and the unicorn CPU, and under rr."""
    return {
        "stride": reference_run("priority", sched="stride"),
        "stride-unicorn": boot(program="priority", sched="stride", cpu="unicorn", keep_events=True),
        "rr": reference_run("priority", sched="rr"),
    }


def child_counts(result):
    """{pid: count} of the priority program's children: each exits with its count. (Their lines on
    the console may interleave: a line is one putc system call per character, as in ucore.)"""
    return {e["pid"]: e["code"] for e in result.events if e["kind"] == "exit" and e["parent"] == 2}


def test_lab5s_kernel_prints_no_sched_class_line_and_records_no_picks(reference_run):
    result = reference_run("forktree")
    assert "sched class" not in result.console
    assert {e["kind"] for e in result.events}.isdisjoint({"pick", "priority"})


@pytest.mark.parametrize("sched, name", [("rr", "RR_scheduler"), ("stride", "stride_scheduler")])
def test_a_lab6_class_announces_itself_after_the_vmm_check(sched, name):
    lines = boot(program="hello", sched=sched).console.splitlines()
    at = lines.index(f"sched class: {name}")
    assert lines[at - 1] == "check_vmm() succeeded." and lines[at + 1].startswith("SWAP: manager")
    assert "hello pass." in lines


def test_stride_gives_the_five_children_cpu_in_proportion_to_their_priorities(priority_runs):
    console = priority_runs["stride"].console
    assert "stride sched correct result: 1 2 3 4 5\n" in console
    assert re.findall(r"^set priority to (\d+)$", console, re.M) == ["6", "5", "4", "3", "2", "1"]
    assert "main: wait pids over" in console and "init check memory pass." in console


def test_the_priority_run_is_the_same_on_both_cpus(priority_runs):
    python, unicorn = priority_runs["stride"], priority_runs["stride-unicorn"]
    assert unicorn.console == python.console
    assert unicorn.events == python.events
    assert unicorn.stats == python.stats


def test_round_robin_gives_the_children_about_equal_counts(priority_runs):
    counts = child_counts(priority_runs["rr"])
    assert len(counts) == 5
    assert max(counts.values()) <= 1.05 * min(counts.values())


def test_stride_picks_carry_the_strides_and_priorities(priority_runs):
    picks = [e for e in priority_runs["stride"].events if e["kind"] == "pick" and e["pid"] > 2]
    by_priority = {}
    for e in picks:
        by_priority.setdefault(e["priority"], []).append(e["stride"])
    assert sorted(by_priority) == [0, 1, 2, 3, 4, 5]      # 0: each child's first pick, before it set one
    for priority, strides in by_priority.items():
        assert all(s < 2 ** 32 for s in strides)
    assert len(by_priority[5]) > 4 * len(by_priority[1])


def test_rr_turns_are_max_time_slice_ticks_unless_tick_num_says_otherwise():
    default = boot(program="priority", sched="rr", quiet_boot=True, max_insns=300_000, keep_events=True)
    longer = boot(program="priority", sched="rr", quiet_boot=True, max_insns=300_000, tick_num=8,
                  keep_events=True)
    assert {e["time_slice"] for e in default.events if e["kind"] == "pick" and e["pid"] > 2} <= set(range(6))
    assert max(e["time_slice"] for e in longer.events if e["kind"] == "pick") == 8


def test_gettime_counts_ten_milliseconds_a_tick_and_priority_0_counts_as_1(run_c):
    result = run_c("gettime", sched="rr", tick_insns=500, keep_events=True)
    start, now = map(int, re.search(r"gettime: (\d+) then (\d+)", result.console).groups())
    assert start % 10 == 0 and now == start + 10
    assert "set priority to 0\n" in result.console
    assert [e["priority"] for e in result.events if e["kind"] == "priority"] == [1]


def test_lab5s_kernel_has_no_lab6_system_calls(run_c):
    result = run_c("gettime", sched="lab5")
    assert "undefined syscall 17, pid = 2, name = gettime." in result.console
    assert "init check memory pass." in result.console


def test_a_lab6_program_runs_under_stride_unless_told_otherwise():
    assert "sched class: stride_scheduler" in boot(program="priority", max_insns=50_000).console
