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
    assert seen == [(None, 5000, 2.5)]


def test_a_report_in_a_missing_directory_is_refused_before_grading(capsys, tmp_path):
    assert cli.main(["grade", "hello", "--junit", str(tmp_path / "no" / "out.xml")]) == 2
    captured = capsys.readouterr()
    assert "cannot write the report: no such directory" in captured.err
    assert captured.out == ""
