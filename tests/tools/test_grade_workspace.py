"""Grading a student's kernel: lab workspaces with blanks, broken code, hanging code."""

import io
import json

import pytest

from pyucore.lab.markers import list_blanks
from pyucore.lab.workspace import MARKER, init_workspace, lab_blanks, marker_text
from pyucore.tools import cli, exercises, grade

SMALL = {"max_insns": 200_000, "seconds": 20.0}   # ample for the tests run here on a good kernel


def workspace(tmp_path, empty=None, cow=None, edits=()):
    """A workspace in tmp_path with the blanks empty emptied (None: all; () none), cow set in its
    marker when given, and each (file under kern/, old, new) edit made."""
    root = init_workspace(tmp_path / "ws", solution=empty == (), empty=empty or None)
    if cow is not None:
        (root / MARKER).write_text(marker_text({"cow": cow}))
    for rel, old, new in edits:
        path = root / "kern" / rel
        text = path.read_text()
        assert old in text, f"{old!r} is not in {rel}"
        path.write_text(text.replace(old, new, 1))
    return root


def grade_outcomes(root, names, **limits):
    """Grades the named tests on the workspace's kernel; returns (score, outcomes, printed text)."""
    outcomes, out = [], io.StringIO()
    run = grade.isolated_runner(root, limits.get("max_insns"), limits.get("seconds"))
    score = grade.grade(run=run, out=out, names=names, outcomes=outcomes)
    return score, {o.name: o for o in outcomes}, out.getvalue()


@pytest.mark.slow
def test_the_solution_workspace_grades_130_of_130_with_kernel(solution_ws, capsys, tmp_path):
    report = tmp_path / "grade.json"
    assert cli.main(["grade", "--kernel", str(solution_ws), "--json", str(report)]) == 0
    assert capsys.readouterr().out.endswith("Total Score: 130/130\n")
    assert all(test["status"] == "passed" for test in json.loads(report.read_text())["tests"])


def test_inside_a_workspace_grade_uses_its_kernel_and_says_so_in_one_line(solution_ws, capsys, monkeypatch):
    monkeypatch.chdir(solution_ws / "kern" / "mm")
    assert cli.main(["grade", "softint"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "using the lab kernel in" in captured.err and solution_ws.name in captured.err
    assert captured.out.endswith("Total Score: 10/10\n")


def test_the_exercise_checks_watch_the_workspace_s_own_functions(solution_ws):
    watched = ("do_fork", "copy_range", "COW isolation")     # each check passes on pyucore's own kernel
    outcomes = exercises.run_checks(solution_ws, only=watched)
    assert [(o.name, o.status) for o in outcomes] == [(name, "passed") for name in watched]


def test_a_fresh_workspace_fails_fast_with_the_first_blank_it_reaches(tmp_path):
    root = workspace(tmp_path)
    score, outcomes, text = grade_outcomes(root, ("softint", "exit"), **SMALL)
    assert score == 0
    for outcome in outcomes.values():
        assert "LAB2 EXERCISE 1: default_alloc_pages - first fit" in outcome.stopped
        assert outcome.hint.exercise == "LAB2 EXERCISE 1" and outcome.abnormal
        assert outcome.seconds < 15
    assert text.endswith("Total Score: 0/20\n")


def test_a_fresh_workspace_fails_the_exercise_checks_with_their_blanks(tmp_path):
    outcomes = {o.name: o for o in exercises.run_checks(workspace(tmp_path), seconds=20,
                                                          only=("first fit", "COW isolation"))}
    assert outcomes["first fit"].status == "error"
    assert "LAB2 EXERCISE 1" in outcomes["first fit"].problems[0]
    assert outcomes["COW isolation"].status == "skipped"      # a fresh workspace has cow = off


# Which graded test reaches each blank first, and the workspace's cow setting that makes it reached:
# the copy-on-write blanks only with cow on, copy_range's copy only with cow off; the timer interrupt
# ticks are replayed at the first reschedule tick (after a million instructions), which spin reaches.
BLANK_TESTS = {
    "LAB1:EXERCISE2 clock_tick": ("spin", None),
    "LAB1:EXERCISE2 lab5_proc_tick": ("spin", None),
    "LAB5:EXERCISE2 copy_range": ("exit", False),
    "LAB5:CHALLENGE copy_range": ("exit", True),
    "LAB5:CHALLENGE do_cow_page": ("exit", True),
}


@pytest.mark.parametrize("blank", lab_blanks(list_blanks(), 5), ids=lambda blank: blank.id)
def test_each_blank_emptied_alone_fails_the_test_reaching_it_with_its_exercise_hint(tmp_path, blank):
    name, cow = BLANK_TESTS.get(blank.id, ("softint", None))
    limits = {**SMALL, "max_insns": grade.SLICE_INSNS * 2}
    score, outcomes, _ = grade_outcomes(workspace(tmp_path, empty={blank.id}, cow=cow), (name,), **limits)
    outcome = outcomes[name]
    assert score < 10
    assert blank.summary in outcome.stopped
    assert outcome.hint.exercise == blank.exercise


def test_the_copy_range_blank_is_not_reached_with_cow_on_but_its_check_finds_it(tmp_path):
    root = workspace(tmp_path, empty={"LAB5:EXERCISE2 copy_range"}, cow=True)
    assert grade_outcomes(root, ("exit",), **SMALL)[0] == 10
    index = next(i for i, check in enumerate(exercises.CHECKS) if check.name == "copy_range")
    _, (kind, message) = exercises.grade_runner.run_isolated(exercises.run_check_in_child, (root, index), 20)
    assert kind == "error" and "LAB5 EXERCISE 2: copy_range - replicate" in message


def test_a_kill_that_never_marks_the_process_exiting_times_out_waiting_for_the_wait(tmp_path):
    root = workspace(tmp_path, empty=(), edits=[("process/proc.py", "    proc.flags |= PF_EXITING\n", "")])
    score, outcomes, text = grade_outcomes(root, ("spin",), max_insns=5_000_000, seconds=60)
    spin = outcomes["spin"]
    assert spin.stopped == "spin: timed out after 5000000 instructions waiting for 'wait returns 0'"
    assert spin.hint.exercise == "LAB5 do_kill" and "PF_EXITING" in spin.hint.why
    assert "   hint: LAB5 do_kill: " in text


def test_a_child_that_does_not_get_0_from_fork_points_at_copy_thread(tmp_path):
    root = workspace(tmp_path, empty=(), edits=[("process/proc.py", "    proc.tf.set_reg(10, 0)\n", "")])
    score, outcomes, _ = grade_outcomes(root, ("exit",), **SMALL)
    assert score == 3
    assert outcomes["exit"].hint.exercise.startswith("LAB4 EXERCISE 2")
    assert "a0 = 0" in outcomes["exit"].hint.why


@pytest.mark.slow
def test_a_student_function_looping_forever_fails_by_the_wall_limit_and_the_grade_goes_on(tmp_path):
    # the loop sleeps: a busy one is stopped the same way (test_grade_runner.py has one), but would
    # take a core from the other tests for the whole wall limit; 2 s leave yield ample time
    root = workspace(tmp_path, empty=(), edits=[(
        "syscall/syscall.py", '    """pgdir(): prints the caller\'s page table."""\n',
        '    """pgdir(): prints the caller\'s page table."""\n    import time\n    while True:\n        time.sleep(1)\n')])
    score, outcomes, text = grade_outcomes(root, ("pgdir", "yield"), max_insns=200_000, seconds=2)
    assert outcomes["pgdir"].stopped.startswith("pgdir: timed out after 2 s of wall time waiting for ")
    assert outcomes["yield"].score == 10
    assert text.endswith("Total Score: 13/20\n")


def test_a_syntax_error_in_the_student_s_file_fails_each_test_with_its_file_and_line(tmp_path):
    root = workspace(tmp_path, empty=(), edits=[("mm/vmm.py", "def find_vma(", "def find_vma((")])
    score, outcomes, _ = grade_outcomes(root, ("softint", "hello"), **SMALL)
    assert score == 0
    assert all("mm/vmm.py" in outcome.stopped for outcome in outcomes.values())


def test_a_kernel_dir_that_is_not_a_workspace_is_one_line_and_exit_2(capsys, tmp_path):
    assert cli.main(["grade", "--kernel", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a pyucore lab workspace" in err


def test_an_exception_in_a_function_with_a_blank_is_hinted_at_that_blank_s_exercise(tmp_path):
    root = workspace(tmp_path, empty=(), edits=[("mm/swap_fifo.py", "    pra_list = mm.sm_priv\n",
                                                 "    pra_list = mm.sm_priv + 1\n")])
    score, outcomes, _ = grade_outcomes(root, ("softint",), **SMALL)
    outcome = outcomes["softint"]
    assert outcome.stopped.startswith("softint: kern/mm/swap_fifo.py:")
    assert outcome.hint.exercise == "LAB3 EXERCISE 2"
    assert "_fifo_" in outcome.hint.why
