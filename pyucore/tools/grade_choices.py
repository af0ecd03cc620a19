"""What a user chooses among in `pyucore grade` (pattern sets, the limit factor): data the command line's
parser needs without importing the grader (pyucore.tools.grade), whose import a plain run would pay for."""

DEFAULT_PATTERNS = "2024"
LAB6_PATTERNS = "lab6"
YEAR_PATTERNS = ("2024", "2025")     # lab5's sets, one per course year (--patterns)
LAB_PATTERNS = {"lab5": DEFAULT_PATTERNS, "lab6": LAB6_PATTERNS}   # the pattern set of `--lab`
# a test's default instruction limit is LIMIT_FACTOR times what the reference kernel needs (see grade)
LIMIT_FACTOR = 10
