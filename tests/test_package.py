"""The package as a whole: what its source text refers to."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pyucore"


def test_no_comment_or_docstring_names_a_document_that_is_not_in_the_repository():
    # the project's specification and notes on the original live outside the repository
    outside = re.compile(r"facts\.md|grade-expectations\.md|programs\.md|\bSPEC\b")
    offenders = [f"{path.relative_to(PACKAGE)}:{number}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if outside.search(line)]
    assert offenders == []
