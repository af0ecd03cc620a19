"""The blanks of the lab: marker comment pairs around reference code in pyucore's own kernel.

A blank is written in the kernel source as

    # LAB5:EXERCISE1 BEGIN
    # load_icode step 6 - set up the trapframe for user environment     <- the summary
    # ...more hint lines, in the handout's style...                     <- the hint
    <reference code>
    # LAB5:EXERCISE1 END

The label is `LAB<n>:EXERCISE<m>` or `LAB<n>:CHALLENGE`; an optional tag after it (`LAB4:EXERCISE2
do_fork`) makes the id unique when one exercise has several blanks. The comment lines right after BEGIN
are the hint; the first of them is the summary that the blank's NotImplementedError carries.
"""

import ast
import functools
import pathlib
import re
from dataclasses import dataclass

KERN_DIR = pathlib.Path(__file__).resolve().parent.parent / "kern"
_MARKER = re.compile(r"^(?P<indent>[ ]*)# (?P<label>LAB\d+:(?:EXERCISE\d+|CHALLENGE))"
                     r"(?: (?P<tag>\S(?:.*\S)?))? (?P<kind>BEGIN|END)\s*$")
_LABEL = re.compile(r"LAB(\d+):(?:EXERCISE(\d+)|CHALLENGE)")


class MarkerError(ValueError):
    """The marker pairs of a kernel tree are not well formed; str() lists every problem, one a line."""


@dataclass(frozen=True)
class Blank:
    """One blank: where it is (file relative to kern/, 1-based lines of its BEGIN and END markers), the
    function holding it, the source lines of its hint, and the reference code after them."""

    id: str
    label: str
    file: str
    function: str
    begin: int
    end: int
    indent: str
    hint_source: tuple
    body: tuple

    @property
    def lab(self):
        """The lab number of the blank (6 for `LAB6:EXERCISE2`)."""
        return int(_LABEL.fullmatch(self.label).group(1))

    @property
    def exercise(self):
        """`LAB5 EXERCISE 1` or `LAB5 CHALLENGE`: the label as the handout says it."""
        lab, number = _LABEL.fullmatch(self.label).groups()
        return "LAB%s %s" % (lab, "CHALLENGE" if number is None else "EXERCISE " + number)

    @property
    def hint_lines(self):
        """The hint's lines without their comment marks (inner indentation kept)."""
        return [_comment_text(line) for line in self.hint_source]

    @property
    def hint(self):
        """The hint as one text, a line per hint line."""
        return "\n".join(self.hint_lines)

    @property
    def summary(self):
        """The first hint line: what the blank must do."""
        return self.hint_lines[0]

    @property
    def message(self):
        """The text of the NotImplementedError a workspace's unfilled blank raises."""
        return "%s: %s" % (self.exercise, self.summary)

    def empty_lines(self):
        """What replaces the reference code in a workspace: the hint, then the failing line."""
        return list(self.hint_source) + ["%sraise NotImplementedError(%r)" % (self.indent, self.message)]


def _comment_text(line):
    """The text of a comment line: after its `#` and one space."""
    text = line.lstrip()[1:]
    return text[1:] if text.startswith(" ") else text


def _functions(tree):
    """(first line, last line, qualified name) of every function in tree, a method as Class.method."""
    out = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((child.lineno, child.end_lineno, prefix + child.name))
                visit(child, prefix + child.name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)
    visit(tree, "")
    return out


def _function_at(functions, line):
    """The qualified name of the innermost function whose lines hold line, or None."""
    holding = [f for f in functions if f[0] <= line <= f[1]]
    return max(holding, key=lambda f: f[0])[2] if holding else None


def _is_code(line):
    """True iff a source line holds code (not blank, not only a comment)."""
    text = line.strip()
    return bool(text) and not text.startswith("#")


def parse_file(path, rel):
    """(blanks, problems) of one source file; rel is its path relative to kern/ for messages."""
    blanks, problems = _parse_text(pathlib.Path(path).read_text(encoding="utf-8"), rel, str(path))
    return list(blanks), list(problems)


@functools.lru_cache(maxsize=256)
def _parse_text(text, rel, path):
    """(blanks, problems) of the source text of the file path, as tuples: kept per text, since a lab
    workspace is written and checked from the same kernel files many times in one process."""
    lines = text.splitlines()
    blanks, problems, open_marker = [], [], None
    functions = None
    for number, line in enumerate(lines, start=1):
        m = _MARKER.match(line)
        if m is None:
            if re.search(r"#\s*LAB\d+\S*.*\b(BEGIN|END)\s*$", line):
                problems.append("%s:%d: malformed marker %r" % (rel, number, line.strip()))
            continue
        blank_id = m["label"] + (" " + m["tag"] if m["tag"] else "")
        if m["kind"] == "BEGIN":
            if open_marker is not None:
                problems.append("%s:%d: %s BEGIN inside %s (line %d): blanks do not nest"
                                % (rel, number, blank_id, open_marker[0], open_marker[1]))
                continue
            open_marker = (blank_id, number, m["indent"], m["label"])
            continue
        if open_marker is None or open_marker[0] != blank_id:
            problems.append("%s:%d: %s END without its BEGIN" % (rel, number, blank_id))
            continue
        if functions is None:
            functions = _functions(ast.parse("\n".join(lines), filename=path))
        blank, problem = _make_blank(rel, lines, open_marker, number, m["indent"], functions)
        if problem:
            problems.append(problem)
        else:
            blanks.append(blank)
        open_marker = None
    if open_marker is not None:
        problems.append("%s:%d: %s BEGIN without its END" % (rel, open_marker[1], open_marker[0]))
    return tuple(blanks), tuple(problems)


def _make_blank(rel, lines, open_marker, end, end_indent, functions):
    """(Blank, None) for the marker pair open_marker .. line end, or (None, the problem)."""
    blank_id, begin, indent, label = open_marker
    where = "%s:%d: %s" % (rel, begin, blank_id)
    inner = lines[begin:end - 1]
    hint = []
    for line in inner:
        if not line.strip().startswith("#"):
            break
        hint.append(line)
    code = [(begin + 1 + i, line) for i, line in enumerate(inner) if _is_code(line)]
    if end_indent != indent:
        return None, "%s: its END (line %d) is not indented as its BEGIN" % (where, end)
    if not hint or not _comment_text(hint[0]).strip():
        return None, "%s: no hint (comment lines right after BEGIN, the first one a summary)" % where
    if not code:
        return None, "%s: no reference code between BEGIN and END" % where
    first_code = code[0][1]
    if len(first_code) - len(first_code.lstrip(" ")) != len(indent):
        return None, "%s: the code does not start at the markers' indentation" % where
    first, last = _function_at(functions, code[0][0]), _function_at(functions, code[-1][0])
    if first is None or first != last:
        return None, "%s: BEGIN and END are not in the same function" % where
    return Blank(blank_id, label, rel, first, begin, end, indent, tuple(hint),
                 tuple(inner[len(hint):])), None


def kernel_files(kern_dir=KERN_DIR):
    """Every .py file of the kernel tree, as (path, path relative to kern/ with / separators), sorted."""
    root = pathlib.Path(kern_dir)
    return [(p, p.relative_to(root).as_posix()) for p in sorted(root.rglob("*.py"))
            if "__pycache__" not in p.parts]


def list_blanks(kern_dir=KERN_DIR):
    """Every blank of the kernel tree in file order; raises MarkerError unless every marker pair is well
    formed (BEGIN and END in the same function, no nesting, a hint, unique ids)."""
    blanks, problems = [], []
    for path, rel in kernel_files(kern_dir):
        found, bad = parse_file(path, rel)
        blanks += found
        problems += bad
    seen = {}
    for blank in blanks:
        if blank.id in seen:
            problems.append("%s:%d: %s is already the id of the blank at %s:%d"
                            % (blank.file, blank.begin, blank.id, seen[blank.id].file, seen[blank.id].begin))
        seen.setdefault(blank.id, blank)
    if problems:
        raise MarkerError("\n".join(problems))
    return blanks
