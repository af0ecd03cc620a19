import io
from pathlib import Path

import pytest

from pyucore.tools import grade, grade_choices
from pyucore.tools.grade import (
    GRADED_PROGRAMS, MAX_SCORE, PATTERN_SETS, Pattern, absent, check_patterns, fixed, grade_console,
    line_regex,
)

# Consoles of the original ucore lab5 under QEMU (copies of the course's ucore/*.out).
TRANSCRIPTS = Path(__file__).parent / "fixtures" / "ucore"


def transcript(name: str) -> str:
    return (TRANSCRIPTS / f"{name}.out").read_text()


def original_console(name: str) -> str:
    """The original's full console for a program: the boot transcript, then the program's."""
    return transcript("boot") + transcript(name)


def passing_console(name: str, patterns: str = "2024") -> str:
    """A synthetic console holding every positive pattern of the program and of the boot checks."""
    pattern_set = PATTERN_SETS[patterns]
    lines = []
    for pattern in pattern_set.common + pattern_set.results[name]:
        if pattern.inverted:
            continue
        lines.append(pattern.text if not pattern.regex else
                     {"trapframe at 0xf.*": "trapframe at 0xffffffffc04b7ee0",
                      "waitpid.*ok.*": "waitpid 3 ok."}[pattern.text])
    return "\n".join(lines) + "\n"


# --- pattern kinds -------------------------------------------------------------------------------

def test_fixed_pattern_matches_a_substring_of_a_line():
    assert check_patterns("xx hello pass. yy\n", (fixed("hello pass."),)) == ()


def test_fixed_pattern_fails_when_absent():
    failures = check_patterns("hello\n", (fixed("hello pass."),))
    assert [f.message for f in failures] == ["missing 'hello pass.'"]


def test_fixed_pattern_is_not_a_regex():
    assert check_patterns("value is -1.\n", (fixed("value is -1"),)) == ()
    assert check_patterns("value is -12\n", (fixed("value is -1."),)) != ()


def test_regex_pattern_must_match_a_whole_line():
    assert check_patterns("trapframe at 0xffffffffc04b7ee0\n", (line_regex("trapframe at 0xf.*"),)) == ()
    assert check_patterns("  trapframe at 0xffffffffc04b7ee0\n", (line_regex("trapframe at 0xf.*"),)) != ()


def test_regex_pattern_uses_extended_regex_syntax():
    pattern = line_regex("fork claimed to work [0-9]+ times!")
    assert check_patterns("fork claimed to work 12 times!\n", (pattern,)) == ()


def test_regex_pattern_ignores_the_serial_carriage_return():
    assert check_patterns("waitpid 3 ok.\r\nexit pass.\r\n", (line_regex("waitpid.*ok.*"),)) == ()


def test_forbidden_pattern_passes_when_absent():
    assert check_patterns("all fine\n", (absent(line_regex("user panic at .*")),)) == ()


def test_forbidden_pattern_fails_when_present():
    console = "one\nuser panic at user/exit.c:12:\nthree\n"
    failures = check_patterns(console, (absent(line_regex("user panic at .*")),))
    assert len(failures) == 1
    assert failures[0].message == "got unexpected line 'user panic at .*'"


def test_forbidden_pattern_failure_shows_the_offending_line_with_its_number():
    console = "one\nuser panic at user/exit.c:12:\nthree\n"
    failure, = check_patterns(console, (absent(line_regex("user panic at .*")),))
    assert any("2 | user panic at user/exit.c:12:" in line for line in failure.details)


def test_forbidden_fixed_pattern_fails_when_present_inside_a_line():
    failures = check_patterns("x wait stopped early x\n", (absent(fixed("wait stopped early")),))
    assert failures and failures[0].message == "got unexpected line 'wait stopped early'"


def test_pattern_prints_in_grade_sh_notation():
    assert str(fixed("hello pass.")) == "'hello pass.'"
    assert str(line_regex("waitpid.*ok.*")) == "- 'waitpid.*ok.*'"
    assert str(absent(line_regex("user panic at .*"))) == "! - 'user panic at .*'"


def test_absent_inverts_without_changing_the_pattern():
    assert absent(fixed("a")) == Pattern("a", regex=False, inverted=True)


# --- explanations --------------------------------------------------------------------------------

def test_missing_pattern_failure_shows_the_line_after_which_it_was_expected():
    console = "kernel_execve: pid = 2, name = \"hello\".\nBreakpoint\nHello world!!.\nhello pass.\n"
    failures = check_patterns(console, (fixed("Hello world!!."), fixed("I am process 2."), fixed("hello pass.")))
    failure, = failures
    assert failure.message == "missing 'I am process 2.'"
    assert failure.details[0] == "expected after line 3; the console there reads:"
    assert "     3 | Hello world!!." in failure.details
    assert "     4 | hello pass." in failure.details


def test_missing_pattern_failure_names_the_most_similar_line():
    failure, = check_patterns("init check memry pass.\n", (fixed("init check memory pass."),))
    assert "most similar line:" in failure.details
    assert "     1 | init check memry pass." in failure.details


def test_missing_pattern_without_anchor_or_similar_line_shows_where_the_console_ends():
    failure, = check_patterns("alpha\nbeta\ngamma\ndelta\n\n", (fixed("forktest pass."),))
    assert failure.details[0] == "the console ends with:"
    assert failure.details[-1] == "     4 | delta"


def test_missing_pattern_in_an_empty_console_says_so():
    failure, = check_patterns("", (fixed("hello pass."),))
    assert failure.details == ("the console is empty",)


# --- pattern sets --------------------------------------------------------------------------------

def test_thirteen_programs_are_graded_in_grade_sh_order():
    assert GRADED_PROGRAMS == ("badsegment", "divzero", "softint", "faultread", "faultreadkernel", "hello",
                               "testbss", "pgdir", "yield", "badarg", "exit", "spin", "forktest")


def test_both_pattern_sets_grade_the_same_programs():
    assert tuple(PATTERN_SETS["2024"].results) == tuple(PATTERN_SETS["2025"].results) == GRADED_PROGRAMS


def test_common_patterns_have_20_lines_in_2024_and_7_in_2025():
    assert len(PATTERN_SETS["2024"].common) == 20
    assert len(PATTERN_SETS["2025"].common) == 7


def test_only_2024_requires_a_trapframe_dump_for_the_faulting_programs():
    trapframe = line_regex("trapframe at 0xf.*")
    for name in ("faultread", "faultreadkernel", "testbss"):
        assert trapframe in PATTERN_SETS["2024"].results[name]
        assert trapframe not in PATTERN_SETS["2025"].results[name]


def test_forktest_forbids_the_failure_messages():
    forbidden = {str(p) for p in PATTERN_SETS["2025"].results["forktest"] if p.inverted}
    assert forbidden == {"! - 'fork claimed to work [0-9]+ times!'", "! 'wait stopped early'",
                         "! 'wait got too many'", "! - 'user panic at .*'"}


def test_default_pattern_set_is_2024():
    assert grade.DEFAULT_PATTERNS == "2024"


# --- transcripts of the original ------------------------------------------------------------------

def test_original_hello_transcript_passes_hello_in_2024():
    outcome = grade_console("hello", original_console("hello"), "2024")
    assert outcome.result_failures == () and outcome.output_failures == ()
    assert outcome.score == 10


def test_original_faultread_transcript_passes_faultread_in_2024():
    assert grade_console("faultread", original_console("faultread"), "2024").score == 10


def test_original_testbss_transcript_passes_testbss_in_both_sets():
    assert grade_console("testbss", original_console("testbss"), "2024").score == 10
    assert grade_console("testbss", original_console("testbss"), "2025").score == 10


def test_program_transcript_without_the_boot_lines_fails_only_check_output():
    outcome = grade_console("hello", transcript("hello"), "2024")
    assert outcome.result_failures == ()
    assert outcome.output_failures != ()
    assert outcome.score == 7


def test_transcript_missing_a_line_fails_with_an_explanation_naming_that_pattern():
    console = original_console("badarg").replace("badarg pass.\n", "")
    outcome = grade_console("badarg", console, "2024")
    failure, = outcome.result_failures
    assert failure.message == "missing 'badarg pass.'"
    assert any("fork ok." in detail for detail in failure.details)
    assert outcome.score == 3


def test_faultread_without_a_trapframe_dump_fails_2024_but_passes_2025():
    console = "\n".join(line for line in original_console("faultread").splitlines()
                        if not line.startswith("trapframe at"))
    assert grade_console("faultread", console, "2024").score == 3
    assert grade_console("faultread", console, "2025").score == 10


def test_divzero_transcript_passes_although_it_contains_a_user_panic():
    assert grade_console("divzero", original_console("divzero"), "2024").score == 10


def test_lab6s_priority_test_is_worth_40_for_its_lines_and_10_for_the_boot_lines():
    from pyucore.api import boot
    console = boot(program="priority", sched="stride", cpu="unicorn").console
    assert grade_console("priority", console, "lab6").score == 50
    assert grade_console("priority", console.replace("stride_scheduler", "RR_scheduler"), "lab6").score == 10
    assert grade_console("priority", console.replace("check_swap() succeeded!", ""), "lab6").score == 40
    assert grade.max_score(("priority",), "lab6") == 50


# --- score arithmetic and the driver ---------------------------------------------------------------

def test_max_score_is_130():
    assert MAX_SCORE == 130


def test_failed_result_check_loses_7_points_and_failed_output_check_loses_3():
    console = passing_console("hello")
    assert grade_console("hello", console, "2024").score == 10
    assert grade_console("hello", console.replace("hello pass.", ""), "2024").score == 3
    assert grade_console("hello", console.replace("check_swap() succeeded!", ""), "2024").score == 7
    assert grade_console("hello", "", "2024").score == 0


@pytest.mark.parametrize("patterns", ["2024", "2025"])
def test_grader_gives_130_when_every_console_passes(patterns):
    out = io.StringIO()
    score = grade.grade(patterns, run=lambda name: passing_console(name, patterns), out=out)
    assert score == 130
    assert out.getvalue().endswith("Total Score: 130/130\n")
    assert grade.exit_status(score) == 0


def test_grader_prints_each_test_with_its_two_checks():
    out = io.StringIO()
    grade.grade("2025", run=lambda name: passing_console(name, "2025"), out=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("badsegment:")
    assert lines[1] == "  -check result:                             OK"
    assert lines[2] == "  -check output:                             OK"


def test_grader_explains_a_failure_and_totals_the_rest():
    def run(name):
        console = passing_console(name, "2025")
        return console.replace("yield pass.", "") if name == "yield" else console

    out = io.StringIO()
    score = grade.grade("2025", run=run, out=out)
    assert score == 123
    text = out.getvalue()
    assert "  -check result:                             WRONG" in text
    assert "!! error: missing 'yield pass.'" in text
    assert text.endswith("Total Score: 123/130\n")
    assert grade.exit_status(score) == 1


def test_grader_scores_a_crashing_run_zero_and_goes_on():
    def run(name):
        if name == "spin":
            raise RuntimeError("kernel exploded")
        return passing_console(name, "2025")

    out = io.StringIO()
    assert grade.grade("2025", run=run, out=out) == 120
    assert "the run failed: RuntimeError: kernel exploded" in out.getvalue()


def test_grader_runs_every_graded_program_once_in_order():
    seen = []
    grade.grade("2025", run=lambda name: seen.append(name) or "", out=io.StringIO())
    assert tuple(seen) == GRADED_PROGRAMS


def test_grader_rejects_an_unknown_pattern_set():
    with pytest.raises(ValueError, match="2023"):
        grade.grade("2023", run=lambda name: "", out=io.StringIO())


def test_grader_runs_each_test_isolated_under_its_default_limits_by_default(monkeypatch):
    started = []

    def run_test(name, kernel, limits, sched=None):
        started.append((name, kernel, limits))
        return grade.grade_runner.RunReport(passing_console(name, "2025"))
    monkeypatch.setattr(grade.grade_runner, "run_test", run_test)
    assert grade.grade("2025", out=io.StringIO()) == 130
    assert [name for name, _, _ in started] == list(GRADED_PROGRAMS)
    assert all(kernel is None and limits == grade.default_limits(name) for name, kernel, limits in started)


def test_exit_status_is_1_below_130_and_0_at_130():
    assert grade.exit_status(130) == 0
    assert grade.exit_status(129) == 1
    assert grade.exit_status(0) == 1


def test_grader_prints_to_stdout_by_default(capsys):
    grade.grade("2025", run=lambda name: passing_console(name, "2025"))
    assert capsys.readouterr().out.endswith("Total Score: 130/130\n")


# --- runs that stop early, selection ----------------------------------------------------------------

def stopped_spin(stop):
    return grade.grade_runner.RunReport(passing_console("spin", "2025").split("kill returns 0")[0], stop)


def test_a_test_stopped_by_the_instruction_limit_says_what_it_was_waiting_for():
    outcome = grade.grade_run("spin", stopped_spin(("insns", 30113710)), "2025")
    assert outcome.stopped == "spin: timed out after 30113710 instructions waiting for 'kill returns 0'"
    assert outcome.score == 3 and not outcome.abnormal
    assert "   !! spin: timed out after 30113710 instructions waiting for 'kill returns 0'\n" in \
        grade.format_outcome(outcome)


def test_a_test_stopped_by_the_wall_limit_says_what_it_was_waiting_for_and_how_to_raise_it():
    outcome = grade.grade_run("spin", stopped_spin(("wall", 2.5)), "2025")
    assert outcome.stopped.startswith("spin: timed out after 2.5 s of wall time waiting for 'kill returns 0'")
    assert "--timeout" in outcome.stopped and outcome.abnormal


def test_a_test_stopped_for_printing_too_much_says_so():
    outcome = grade.grade_run("spin", stopped_spin(("flood", 1048576)), "2025")
    assert outcome.stopped == "spin: stopped after printing more than 1048576 characters waiting for 'kill returns 0'"
    assert outcome.abnormal


def test_a_test_whose_kernel_raised_shows_the_message_and_its_hint():
    report = grade.grade_runner.RunReport("", ("error", "LAB5 EXERCISE 2: copy_range - copy the bytes\n"
                                                        "  at kern/mm/pmm.py:300"))
    outcome = grade.grade_run("exit", report, "2025")
    text = grade.format_outcome(outcome)
    assert "   !! exit: LAB5 EXERCISE 2: copy_range - copy the bytes\n" \
           "        at kern/mm/pmm.py:300\n" in text
    assert "   hint: LAB5 EXERCISE 2: this blank is not filled in yet: copy_range - copy the bytes\n" in text
    assert outcome.score == 0 and outcome.abnormal


def test_a_stopped_test_shows_one_missing_line_per_check_without_details():
    report = grade.grade_runner.RunReport("(THU.CST) os is loading ...\n", ("error", "LAB2 EXERCISE 1: first fit"))
    assert grade.format_outcome(grade.grade_run("hello", report, "2025")) == (
        "  -check result:                             WRONG\n"
        "   !! error: missing 'kernel_execve: pid = 2, name = \"hello\".'\n"
        "   !! ... and 3 more missing or unexpected lines\n"
        "  -check output:                             WRONG\n"
        "   !! error: missing 'memory management: default_pmm_manager'\n"
        "   !! ... and 6 more missing or unexpected lines\n"
        "   !! hello: LAB2 EXERCISE 1: first fit\n"
        "   hint: LAB2 EXERCISE 1: this blank is not filled in yet: first fit\n")


def test_a_passing_test_gets_no_hint_and_no_stop_line():
    outcome = grade.grade_run("hello", grade.grade_runner.RunReport(passing_console("hello")), "2024")
    assert outcome.hint is None and outcome.stopped is None and outcome.messages == ()


def test_a_failed_check_shows_three_failures_in_full_and_counts_the_rest():
    text = grade.format_outcome(grade_console("forktest", "", "2024"))
    assert text.count("!! error: missing") == 6   # 3 of the result check, 3 of the output check
    assert "   !! ... and 5 more missing or unexpected lines\n" in text
    assert "   !! ... and 17 more missing or unexpected lines\n" in text


def test_named_tests_run_alone_in_grading_order_and_are_scored_out_of_their_own_maximum():
    seen, out = [], io.StringIO()
    score = grade.grade("2025", run=lambda name: seen.append(name) or passing_console(name, "2025"), out=out,
                        names=("spin", "hello"))
    assert seen == ["hello", "spin"]
    assert out.getvalue().endswith("Total Score: 20/20\n")
    assert grade.exit_status(score, ("hello", "spin")) == 0
    assert grade.exit_status(score - 1, ("hello", "spin")) == 1


def test_an_unknown_test_name_is_refused_naming_the_valid_ones():
    with pytest.raises(ValueError) as error:
        grade.select_tests(["hello", "helo"])
    assert str(error.value) == f"unknown test 'helo'; the graded tests are: {', '.join(GRADED_PROGRAMS)}"


def test_the_pattern_sets_the_command_line_offers_are_the_graders():
    assert set(grade_choices.YEAR_PATTERNS) | set(grade_choices.LAB_PATTERNS.values()) == set(grade.PATTERN_SETS)
    assert grade_choices.DEFAULT_PATTERNS in grade_choices.YEAR_PATTERNS
