"""The grader's isolation: each test in a child process, under an instruction and a wall limit."""

import os
import signal
import time

from pyucore.tools import grade, grade_runner
from pyucore.tools.grade_runner import Limits, run_isolated, run_test


# Targets run in the child: module-level, so that the child can import them by name.

def prints_then_returns(console, text):
    console.write(text)
    return {"ok": True}


def prints_then_loops_forever(console):
    console.write("before the loop\nhalf a li")
    while True:
        pass


def prints_then_raises(console):
    console.write("about to fail\n")
    raise NotImplementedError("LAB5 EXERCISE 2: copy_range - copy the page")


def exits_without_a_result(console):
    console.write("going away\n")
    os._exit(3)


def kills_itself(console):
    os.kill(os.getpid(), signal.SIGKILL)


def prints_forever(console):
    while True:
        console.write("spam spam spam spam\n")


def test_a_child_returns_its_result_after_its_console():
    console, end = run_isolated(prints_then_returns, ("line 1\nline 2",), 30)
    assert console == "line 1\nline 2"
    assert end == ("done", {"ok": True})


def test_a_child_looping_forever_is_killed_at_the_wall_limit_and_its_lines_so_far_are_kept():
    start = time.monotonic()
    console, end = run_isolated(prints_then_loops_forever, (), 1.0)
    assert end == ("wall", 1.0)
    assert console == "before the loop\n"
    assert time.monotonic() - start < 10


def test_a_child_printing_without_end_is_stopped_at_the_console_limit(monkeypatch):
    monkeypatch.setattr(grade_runner, "MAX_CONSOLE_CHARS", 1 << 16)   # the parent counts: 1 MiB takes 1 s
    console, end = run_isolated(prints_forever, (), 60)
    assert end == ("flood", grade_runner.MAX_CONSOLE_CHARS)
    assert grade_runner.MAX_CONSOLE_CHARS < len(console) <= grade_runner.MAX_CONSOLE_CHARS + 4096


def test_an_exception_in_the_child_ends_its_run_with_the_message_and_where_it_was_raised():
    console, (kind, message) = run_isolated(prints_then_raises, (), 30)
    assert console == "about to fail\n"
    assert kind == "error"
    assert message.startswith("NotImplementedError: LAB5 EXERCISE 2: copy_range - copy the page (at ")
    assert "in prints_then_raises)" in message


def test_a_child_that_exits_without_a_result_is_a_crash_with_its_exit_code():
    console, end = run_isolated(exits_without_a_result, (), 30)
    assert console == "going away\n"
    assert end == ("crash", "the test's process ended without a result (exit code 3)")


def test_a_child_killed_by_a_signal_is_a_crash_naming_the_signal():
    _, end = run_isolated(kills_itself, (), 30)
    assert end == ("crash", f"the test's process was killed by signal {int(signal.SIGKILL)}")


def test_a_graded_program_runs_to_its_end_in_a_child():
    report = run_test("hello", None, Limits(1_000_000, 60))
    assert report.stop is None and report.exit_status == 0
    assert "hello pass." in report.console
    assert report.stats["instructions"] == grade.REFERENCE_INSNS["hello"]


def test_a_program_that_needs_more_instructions_than_the_limit_stops_at_it():
    report = run_test("spin", None, Limits(50_000, 60))
    assert report.stop == ("insns", 50_000)
    assert "I am the child. spinning ..." in report.console
    assert "kill returns 0" not in report.console


def test_the_default_instruction_limits_are_ten_times_the_reference_and_at_least_a_slice():
    assert grade.default_limits("spin").max_insns == 10 * grade.REFERENCE_INSNS["spin"]
    assert grade.default_limits("softint").max_insns == grade.SLICE_INSNS
    assert all(grade.default_limits(name).seconds > grade.BOOT_ALLOWANCE_SECONDS for name in grade.GRADED_PROGRAMS)


def test_every_graded_program_has_a_reference_instruction_count():
    graded = {name for pattern_set in grade.PATTERN_SETS.values() for name in pattern_set.results}
    assert set(grade.REFERENCE_INSNS) == graded


def test_the_preloaded_modules_exist():
    import importlib
    for module in grade_runner.PRELOAD:
        importlib.import_module(module)
