"""Hints: from what a failed test showed to the exercise that most likely caused it."""

from pyucore.tools.grade_hints import (
    BLANK_RULE, CONSOLE_RULES, COPY_RANGE, DO_FORK, EXIT_WAIT, FIFO, FIRST_FIT, KILL, LOAD_ICODE, SET_LINKS,
    SLICE_INSNS, TIMER, Evidence,
    Lacks, Rule, Shows, hint_for,
)

BOOTED = "check_alloc_page() succeeded!\ncheck_vmm() succeeded.\ncheck_swap() succeeded!\n" \
         "++ setup timer interrupts\n"


def hint(name, console, stop=None, instructions=None, booted=True):
    return hint_for(Evidence(name, (BOOTED if booted else "") + console, stop, instructions))


def test_an_unfilled_blank_names_its_exercise_from_its_message():
    found = hint("hello", "", ("error", "NotImplementedError: LAB5 EXERCISE 1: load_icode step 6 - set up "
                                        "the trapframe (proc.py:412)"))
    assert found.exercise == "LAB5 EXERCISE 1"
    assert found.why == "this blank is not filled in yet: load_icode step 6 - set up the trapframe (proc.py:412)"


def test_a_challenge_blank_is_named_too():
    found = hint("exit", "", ("error", "CHALLENGE: copy-on-write - share the page read-only"))
    assert found.exercise == "CHALLENGE"


def test_a_missing_child_line_in_exit_points_at_the_child_fork_return_value():
    console = ('kernel_execve: pid = 2, name = "exit".\nI am the parent. Forking the child...\n'
               "I am parent, fork a child pid 3\nI am the parent, waiting now..\n"
               "I am parent, fork a child pid 2\nuser panic at user/exit.c:24:\n")
    found = hint("exit", console)
    assert found.exercise == DO_FORK and "a0 = 0" in found.why


def test_a_forktest_where_no_child_printed_points_at_fork_too():
    assert hint("forktest", 'kernel_execve: pid = 2, name = "forktest".\nuser panic at x\n').exercise == DO_FORK


def test_a_forktest_that_never_started_gets_no_fork_hint():
    assert hint("forktest", "") is None


def test_a_killed_child_that_never_exits_points_at_do_kill():
    console = "I am the child. spinning ...\nI am the parent.  Killing the child...\nkill returns 0\n"
    assert hint("spin", console, ("insns", 30_000_000)).exercise == KILL


def test_a_child_that_spins_for_two_slices_unpreempted_points_at_the_timer():
    console = "I am the parent. Running the child...\nI am the child. spinning ...\n"
    assert hint("spin", console, ("insns", 30_000_000), instructions=30_000_000).exercise == TIMER


def test_a_child_stopped_by_a_small_limit_is_not_blamed_on_the_timer():
    console = "I am the parent. Running the child...\nI am the child. spinning ...\n"
    assert hint("spin", console, ("insns", 100_000), instructions=100_000) is None
    assert 100_000 < 2 * SLICE_INSNS


def test_pages_not_given_back_point_at_do_exit_and_do_wait():
    console = "all user-mode processes have quit.\n    init check memory failed: 4 pages not given back.\n"
    assert hint("exit", console).exercise == EXIT_WAIT


def test_a_program_started_at_address_0_points_at_the_trapframe_epc():
    found = hint("hello", "pid 2 (hello) killed: instruction page fault at 0x0, epc 0x0\n")
    assert found.exercise == LOAD_ICODE and "epc" in found.why


def test_a_first_push_faulting_below_0_points_at_the_trapframe_sp():
    found = hint("hello", "pid 2 (hello) killed: store page fault at 0xfffffffffffffff8, epc 0x800ad2\n")
    assert found.exercise == LOAD_ICODE and "sp" in found.why


def test_a_forked_child_that_crashes_at_once_points_at_copy_range():
    console = "pid 3 (exit) killed: illegal instruction 0x00000000, epc 0x800b1c\n"
    assert hint("exit", console).exercise == COPY_RANGE


def test_a_faulting_program_of_its_own_gets_no_hint():
    assert hint("faultread", "pid 2 (faultread) killed: load page fault at 0x0, epc 0x800032\n") is None


def test_failed_boot_checks_point_at_their_labs():
    assert hint("hello", "", booted=False).exercise == FIRST_FIT
    assert hint("hello", "check_alloc_page() succeeded!\n", booted=False).exercise.startswith("LAB3 EXERCISE 1")
    assert hint("hello", "check_alloc_page() succeeded!\ncheck_vmm() succeeded.\n",
                booted=False).exercise == FIFO


def test_rules_apply_only_to_their_tests():
    console = "I am the child. spinning ...\nkill returns 0\n"
    assert hint("exit", console, ("insns", 1)) is None


def test_the_first_rule_that_holds_wins_and_uses_its_regex_groups():
    rules = (Rule("no", "never", (Lacks("x"), Shows("y"))),
             Rule("ex {1}", "why {2}", (Shows(r"(\w+)=(\w+)"),)),
             Rule("later", "also holds", (Shows("a"),)))
    found = hint_for(Evidence("hello", "a=b\nx\n", None), rules)
    assert (found.exercise, found.why) == ("ex a", "why b")


def test_every_rule_has_an_exercise_a_reason_and_conditions():
    assert all(rule.exercise and rule.why and rule.conditions for rule in (BLANK_RULE, *CONSOLE_RULES))


def test_a_parent_that_finds_no_child_to_wait_for_points_at_set_links():
    console = "I am the child.\nuser panic at user/exit.c:24:\n    assertion failed: waitpid(pid, &code) == 0\n"
    assert hint("exit", console).exercise == SET_LINKS


def test_an_exception_in_a_function_holding_blanks_names_their_exercises():
    found = hint("exit", "", ("error", "kern/mm/pmm.py:301: TypeError: bad operand (in copy_range)\n"
                                       "Traceback of your kernel (most recent call last):"))
    assert set(found.exercise.split(" / ")) == {"LAB5 EXERCISE 2", "LAB5 CHALLENGE"}
    assert "copy_range (kern/mm/pmm.py)" in found.why
