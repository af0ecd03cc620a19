"""The grader's results for autograders: a JSON document and a JUnit XML file.

JSON: {"score", "max", "tests": [{"name", "points", "max", "status", "messages", "hint", "time"}],
"exercises": [{"name", "exercise", "status", "messages", "time"}]} where a test's status is "passed"
(full points), "failed" (points lost) or "error" (the run raised, crashed or hung), and a check's
may also be "skipped" (the COW check in a workspace with copy-on-write off).
JUnit: one <testsuite> per part (the graded tests, the exercise checks) in a <testsuites> root, a
<testcase> per test with a <failure>, <error> or <skipped> element when it did not pass, as CI systems
read.
"""

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Optional

from pyucore.tools.grade import TestOutcome


@dataclass(frozen=True)
class CheckOutcome:
    """What one exercise check found: its name, the exercise it checks, its problems (empty when it
    passed; the reason when skipped), whether it could not run at all (error) or was not run
    (skipped), and how long it took."""

    name: str
    exercise: str
    problems: tuple
    error: bool = False
    seconds: float = 0.0
    skipped: bool = False

    @property
    def status(self) -> str:
        """passed, failed, error or skipped."""
        if self.skipped:
            return "skipped"
        return "error" if self.error else ("failed" if self.problems else "passed")


def test_status(outcome: TestOutcome) -> str:
    """passed (full points), error (the run raised, crashed or hung) or failed."""
    if outcome.abnormal:
        return "error"
    return "passed" if outcome.score == outcome.max_points and not outcome.stopped else "failed"


def to_json(outcomes: list, checks: list) -> dict:
    """The JSON document of graded test outcomes and exercise check outcomes."""
    return {
        "score": sum(o.score for o in outcomes),
        "max": sum(o.max_points for o in outcomes),
        "tests": [{"name": o.name, "points": o.score, "max": o.max_points,
                   "status": test_status(o), "messages": list(o.messages),
                   "hint": str(o.hint) if o.hint is not None else None, "time": round(o.seconds, 3)}
                  for o in outcomes],
        "exercises": [{"name": c.name, "exercise": c.exercise, "status": c.status,
                       "messages": list(c.problems), "time": round(c.seconds, 3)} for c in checks],
    }


def write_json(path: str, outcomes: list, checks: list) -> None:
    """Writes the JSON document to path; raises OSError when it cannot."""
    with open(path, "w", encoding="utf-8") as file:
        json.dump(to_json(outcomes, checks), file, indent=2)
        file.write("\n")


def to_junit(outcomes: list, checks: list) -> ET.Element:
    """The JUnit XML tree: a testsuite of the graded tests and, if any, one of the exercise checks."""
    root = ET.Element("testsuites", name="pyucore grade")
    suite = _suite(root, "pyucore.grade")
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname="pyucore.grade", name=o.name, time=f"{o.seconds:.3f}")
        _verdict(case, test_status(o), o.messages, str(o.hint) if o.hint is not None else None,
                 f"{o.score}/{o.max_points} points")
    if checks:
        suite = _suite(root, "pyucore.exercises")
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname="pyucore.exercises", name=c.name,
                                 time=f"{c.seconds:.3f}")
            _verdict(case, c.status, c.problems, None, c.exercise)
    for suite in root:
        _count(suite)
    _count(root)
    return root


def _suite(root: ET.Element, name: str) -> ET.Element:
    """A new empty testsuite under root."""
    return ET.SubElement(root, "testsuite", name=name)


def _verdict(case: ET.Element, status: str, messages, hint: Optional[str], summary: str) -> None:
    """Adds a <failure>, <error> or <skipped> to a testcase that did not pass: its first message as
    the attribute, all messages, the summary and the hint as the text."""
    if status == "passed":
        return
    if status == "skipped":
        ET.SubElement(case, "skipped", message=messages[0] if messages else summary)
        return
    element = ET.SubElement(case, "error" if status == "error" else "failure",
                            message=messages[0] if messages else summary, type=status)
    element.text = "\n".join([summary, *messages] + ([f"hint: {hint}"] if hint else []))


def _count(node: ET.Element) -> None:
    """Sets the tests / failures / errors / time attributes of a testsuite (or of the root) from
    the testcases below it."""
    cases = list(node.iter("testcase"))
    node.set("tests", str(len(cases)))
    node.set("failures", str(sum(case.find("failure") is not None for case in cases)))
    node.set("errors", str(sum(case.find("error") is not None for case in cases)))
    node.set("skipped", str(sum(case.find("skipped") is not None for case in cases)))
    node.set("time", f"{sum(float(case.get('time')) for case in cases):.3f}")


def write_junit(path: str, outcomes: list, checks: list) -> None:
    """Writes the JUnit XML file to path; raises OSError when it cannot."""
    ET.ElementTree(to_junit(outcomes, checks)).write(path, encoding="utf-8", xml_declaration=True)
