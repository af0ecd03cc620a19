"""`pyucore grade`: test selection, limits, reports and exit statuses on the command line."""

import json

import pytest

from pyucore.tools import cli, grade


def test_grading_one_test_prints_its_line_and_total_and_exits_0_at_full_marks(capsys, tmp_path):
    report = tmp_path / "out.json"
    assert cli.main(["grade", "hello", "--json", str(report)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("hello:") and lines[0].endswith("s)")
    assert lines[1:] == ["  -check result:                             OK",
                         "  -check output:                             OK",
                         "Total Score: 10/10"]
    assert json.loads(report.read_text())["tests"][0]["status"] == "passed"


def test_a_test_over_its_instruction_limit_fails_with_exit_1_and_the_next_test_runs(capsys, tmp_path):
    report = tmp_path / "out.xml"
    assert cli.main(["grade", "spin", "softint", "--max-insns", "20000", "--junit", str(report)]) == 1
    out = capsys.readouterr().out
    assert "!! spin: timed out after 20000 instructions waiting for 'I am the parent.  Killing the child...'" in out
    assert out.index("softint:") < out.index("spin:")
    assert out.endswith("Total Score: 13/20\n")
    assert 'failures="1"' in report.read_text()


def test_an_unknown_test_name_is_one_line_naming_the_valid_tests_and_exit_2(capsys):
    assert cli.main(["grade", "hello", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err == f"pyucore: unknown test 'nosuch'; the graded tests are: {', '.join(grade.GRADED_PROGRAMS)}\n"


@pytest.mark.parametrize("option", ["--max-insns", "--timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "x"])
def test_limits_must_be_positive_numbers(capsys, option, value):
    assert cli.main(["grade", option, value]) == 2
    assert option in capsys.readouterr().err


def test_the_limits_reach_the_runner(monkeypatch):
    seen = []
    monkeypatch.setattr(grade, "isolated_runner", lambda *limits: seen.append(limits) or (lambda name: ""))
    cli.main(["grade", "hello", "--max-insns", "5000", "--timeout", "2.5"])
    assert seen == [(None, 5000, 2.5, "lab5")]


def test_lab6_grades_priority_out_of_50_then_lab5s_tests_on_the_lab6_kernel_unscored(monkeypatch, capsys, tmp_path):
    from test_grade import passing_console
    runners = []

    def runner(kernel, max_insns, seconds, sched):
        runners.append(sched)
        return lambda name: passing_console(name, "lab6" if name == "priority" else "2024").replace(
            "hello pass.", "" if sched == "stride" else "hello pass.")
    monkeypatch.setattr(grade, "isolated_runner", runner)
    report = tmp_path / "out.json"
    assert cli.main(["grade", "--lab", "lab6", "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "Total Score: 50/50\nextra checks (lab5's tests on the lab6 kernel, not scored):\n" in out
    assert out.endswith("Extra checks: 123/130\n")
    assert runners == ["stride"]
    document = json.loads(report.read_text())
    assert (document["score"], document["max"]) == (50, 50)
    assert [e["status"] for e in document["exercises"] if e["name"] == "lab6 kernel: hello"] == ["failed"]


def test_the_sched_option_reaches_the_runner_and_lab6_tests_are_named_within_lab6(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(grade, "isolated_runner", lambda *limits: seen.append(limits) or (lambda name: ""))
    assert cli.main(["grade", "--lab", "lab6", "--sched", "rr", "priority"]) == 1
    assert seen == [(None, None, None, "rr")]
    assert capsys.readouterr().out.endswith("Total Score: 0/50\n")
    assert cli.main(["grade", "--lab", "lab6", "hello"]) == 2


def test_a_report_in_a_missing_directory_is_refused_before_grading(capsys, tmp_path):
    assert cli.main(["grade", "hello", "--junit", str(tmp_path / "no" / "out.xml")]) == 2
    captured = capsys.readouterr()
    assert "cannot write the report: no such directory" in captured.err
    assert captured.out == ""
