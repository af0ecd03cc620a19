"""The --stats table: per-process counters from the kernel, and totals that agree with the event list."""

import pathlib

import pytest

from pyucore.api import boot
from pyucore.tools import cli
from pyucore.tools.stats import counted_from_events, format_table, process_rows, totals
from pyucore.user.build import build_c

COWVIEW = pathlib.Path(__file__).parents[1] / "kern" / "mm" / "cowview.c"


@pytest.fixture(scope="module")
def forktree():
    return boot(program="forktree", quiet_boot=True, keep_events=True)


def count(events, kind, **fields):
    """Number of events of kind (for a process, pid >= 1) whose fields match."""
    return sum(1 for e in events if e["kind"] == kind and e["pid"] >= 1
               and all(e.get(k) == v for k, v in fields.items()))


def test_stats_totals_agree_with_the_event_list(forktree):
    events = forktree.events
    total = totals(process_rows(events))
    assert total["insns"] == forktree.stats["instructions"]
    assert total["syscalls"] == count(events, "syscall")
    assert total["pgfaults"] == count(events, "pgfault")
    assert total["cow_copies"] == count(events, "cow", copied=True) == forktree.stats["cow_copies"]


def test_each_exited_process_counters_from_the_kernel_match_its_events(forktree):
    counted = counted_from_events(forktree.events)
    rows = [r for r in process_rows(forktree.events) if r["exit"] is not None]
    assert len(rows) == 31
    for r in rows:
        assert {k: r[k] for k in ("insns", "syscalls", "pgfaults", "cow_copies")} == counted[r["pid"]], r["pid"]


def test_rows_name_each_process_with_its_parent_exit_code_and_peak_pages(forktree):
    rows = {r["pid"]: r for r in process_rows(forktree.events)}
    assert rows[1]["name"] == "init" and rows[1]["exit"] is None and rows[1]["peak_pages"] is None
    assert rows[2]["parent"] == 1 and rows[3]["parent"] == 2 and rows[2]["exit"] == 0
    assert all(rows[pid]["peak_pages"] == 6 for pid in range(2, 0x21)), "2 text + 4 stack pages each"


def test_without_cow_no_process_copies_on_write(forktree):
    eager = boot(program="forktree", quiet_boot=True, cow=False, keep_events=True)
    assert totals(process_rows(eager.events))["cow_copies"] == 0 == count(eager.events, "cow")
    assert eager.stats["pages_copied_by_fork"] > 0
    assert totals(process_rows(eager.events))["insns"] == eager.stats["instructions"]


def test_a_process_that_writes_a_shared_page_counts_one_cow_copy():
    result = boot(elf=build_c(COWVIEW), name="cowview", quiet_boot=True, keep_events=True)
    rows = {r["pid"]: r for r in process_rows(result.events)}
    child_copies = count(result.events, "cow", copied=True)
    assert rows[3]["cow_copies"] >= 1 and rows[2]["cow_copies"] + rows[3]["cow_copies"] == child_copies
    assert rows[2]["peak_pages"] == rows[3]["peak_pages"] == 8


def test_a_run_stopped_early_counts_live_processes_from_their_events():
    result = boot(program="spin", quiet_boot=True, max_insns=50000, keep_events=True)
    assert result.exit_status == 3
    rows = process_rows(result.events, result.stats["instructions"])
    alive = [r for r in rows if r["exit"] is None and r["pid"] >= 2]
    assert alive and all(r["peak_pages"] is None for r in alive)
    assert totals(rows)["insns"] == result.stats["instructions"] == 50000


def test_the_table_has_a_line_per_process_and_a_total_line(forktree):
    lines = format_table(forktree.events).splitlines()
    assert lines[0].split()[:4] == ["pid", "name", "parent", "exit"]
    assert len(lines) == 1 + 32 + 1
    assert lines[-1].split()[:3] == ["total", "32", "processes"]
    assert str(forktree.stats["instructions"]) in lines[-1].split()
    assert format_table([]) == ""


def test_the_cli_prints_the_table_after_the_console_on_stderr(capsys):
    assert cli.main(["run", "forktree", "--quiet-boot", "--stats"]) == 0
    captured = capsys.readouterr()
    assert "processes:" not in captured.out and "init check memory pass." in captured.out
    assert "processes:" in captured.err and "total  32 processes" in captured.err and "stats:" in captured.err


def test_a_lab6_run_adds_turns_priority_and_stride_and_every_run_the_cpu_share(reference_run):
    result = reference_run("priority", sched="stride")
    rows = {r["pid"]: r for r in process_rows(result.events)}
    children = [rows[pid] for pid in sorted(rows) if rows[pid]["parent"] == 2]
    assert [r["priority"] for r in sorted(children, key=lambda r: r["exit"])] == [1, 2, 3, 4, 5]
    turns = [r["turns"] for r in sorted(children, key=lambda r: r["priority"])]
    assert turns == sorted(turns) and turns[-1] > 4 * turns[0]
    shares = [r["cpu_share"] for r in sorted(children, key=lambda r: r["priority"])]
    assert shares == sorted(shares)
    assert abs(sum(r["cpu_share"] for r in rows.values()) - 100.0) < 1e-6
    heading = format_table(result.events).splitlines()[0].split()
    assert heading[-4:] == ["%", "turns", "priority", "stride"]


def test_a_lab5_run_has_the_cpu_share_but_no_scheduling_columns(forktree):
    heading = format_table(forktree.events).splitlines()[0]
    assert heading.endswith("cpu %") and "stride" not in heading
