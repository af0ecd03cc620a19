"""The grader's reports for autograders: JSON and JUnit XML."""

import io
import json
import xml.etree.ElementTree as ET

from pyucore.tools import grade, grade_report
from pyucore.tools.grade_report import CheckOutcome
from pyucore.tools.grade_runner import RunReport
from test_grade import passing_console


def outcomes_of(runs):
    """Grades yield, spin and exit with run(name) from runs (default: a passing console)."""
    outcomes = []
    grade.grade("2025", run=lambda name: runs.get(name) or passing_console(name, "2025"), out=io.StringIO(),
                names=("yield", "spin", "exit"), outcomes=outcomes)
    return outcomes


MIXED = {
    "spin": RunReport(passing_console("spin", "2025").split("kill returns 0")[0], ("insns", 1000)),
    "exit": RunReport("", ("error", "NotImplementedError: LAB4 EXERCISE 2: do_fork - call set_links")),
}
CHECKS = [CheckOutcome("alloc_proc", "LAB4 EXERCISE 1", ()),
          CheckOutcome("copy_range", "LAB5 EXERCISE 2", ("the child's page holds zeros, not the parent's bytes",))]


def test_json_gives_each_test_its_points_status_messages_hint_and_time(tmp_path):
    path = tmp_path / "grade.json"
    grade_report.write_json(str(path), outcomes_of(MIXED), CHECKS)
    document = json.loads(path.read_text())
    assert (document["score"], document["max"]) == (13, 30)
    tests = {test["name"]: test for test in document["tests"]}
    assert list(tests) == ["yield", "exit", "spin"]
    assert tests["yield"] == {"name": "yield", "points": 10, "max": 10, "status": "passed", "messages": [],
                              "hint": None, "time": tests["yield"]["time"]}
    assert tests["spin"]["status"] == "failed" and tests["spin"]["points"] == 3
    assert "spin: timed out after 1000 instructions waiting for 'kill returns 0'" in tests["spin"]["messages"]
    assert tests["exit"]["status"] == "error" and tests["exit"]["points"] == 0
    assert tests["exit"]["hint"].startswith("LAB4 EXERCISE 2: this blank is not filled in yet")
    assert all(isinstance(test["time"], float) for test in document["tests"])
    assert document["exercises"][1] == {"name": "copy_range", "exercise": "LAB5 EXERCISE 2", "status": "failed",
                                        "messages": ["the child's page holds zeros, not the parent's bytes"],
                                        "time": 0.0}


def test_junit_parses_and_has_the_structure_ci_systems_read(tmp_path):
    path = tmp_path / "grade.xml"
    grade_report.write_junit(str(path), outcomes_of(MIXED), CHECKS)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "1")
    grading, exercises = root.findall("testsuite")
    assert (grading.get("name"), grading.get("tests"), grading.get("failures"), grading.get("errors")) == \
        ("pyucore.grade", "3", "1", "1")
    cases = {case.get("name"): case for case in grading.findall("testcase")}
    assert all(case.get("classname") == "pyucore.grade" and float(case.get("time")) >= 0 for case in cases.values())
    assert list(cases["yield"]) == []
    failure = cases["spin"].find("failure")
    assert failure.get("message") == "missing 'kill returns 0'"
    assert "3/10 points" in failure.text and "timed out after 1000 instructions" in failure.text
    error = cases["exit"].find("error")
    assert "hint: LAB4 EXERCISE 2" in error.text
    assert float(grading.get("time")) == sum(float(case.get("time")) for case in cases.values())
    assert [case.get("name") for case in exercises] == ["alloc_proc", "copy_range"]
    assert exercises.find("testcase[@name='copy_range']/failure").get("message").startswith("the child's page")


def test_junit_without_exercise_checks_has_one_suite():
    root = grade_report.to_junit(outcomes_of({}), [])
    assert [suite.get("name") for suite in root] == ["pyucore.grade"]
    assert root.get("failures") == root.get("errors") == "0"


def test_a_check_that_could_not_run_is_an_error():
    assert CheckOutcome("fifo", "LAB3 EXERCISE 2", ("setup failed",), error=True).status == "error"


def test_a_skipped_check_is_a_junit_skipped_case_and_skipped_in_json():
    skipped = CheckOutcome("COW isolation", "LAB5 CHALLENGE", ("copy-on-write is off in this workspace",),
                           skipped=True)
    root = grade_report.to_junit([], [skipped])
    case = root.find("testsuite/testcase")
    assert case.find("skipped").get("message") == "copy-on-write is off in this workspace"
    assert (root.get("skipped"), root.get("failures"), root.get("errors")) == ("1", "0", "0")
    assert grade_report.to_json([], [skipped])["exercises"][0]["status"] == "skipped"
