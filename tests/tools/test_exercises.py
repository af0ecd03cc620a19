"""Exercise checks: each passes on the reference kernel and names what is wrong in a broken one.

The checks run here in the test's own process (run_check_in_child without the child), so that a
monkeypatched kernel function stands for a student's wrong one.
"""

import io

import pytest

from pyucore.kern.driver import clock
from pyucore.kern.mm import default_pmm, pmm, swap, swap_fifo, vmm
from pyucore.kern.process import proc as P
from pyucore.kern.trap import trap as T
from pyucore.tools import exercises
from pyucore.tools.exercises import CHECKS, run_check_in_child


def problems_of(name):
    """The problems the named check finds on the kernel as patched now (run in this process)."""
    index = next(i for i, check in enumerate(CHECKS) if check.name == name)
    result = run_check_in_child(io.StringIO(), None, index)
    assert "problems" in result, result
    return result["problems"]


@pytest.mark.parametrize("name", [check.name for check in CHECKS])
def test_every_check_passes_on_the_reference_kernel(name):
    assert problems_of(name) == []


def test_there_is_a_check_for_the_exercise_of_every_lab5_blank():
    from pyucore.lab.markers import list_blanks
    from pyucore.lab.workspace import lab_blanks
    checked = {exercise for check in CHECKS for exercise in check.exercise.split(", ")}
    assert checked == {blank.exercise for blank in lab_blanks(list_blanks(), 5)}


def test_alloc_proc_names_the_field_left_wrong(monkeypatch):
    original = P.alloc_proc

    def without_pid():
        proc = original()
        proc.pid, proc.wait_state = 0, 5
        return proc
    monkeypatch.setattr(P, "alloc_proc", without_pid)
    assert problems_of("alloc_proc") == ["alloc_proc().pid is 0, should be -1",
                                         "alloc_proc().wait_state is 5, should be 0"]


def test_do_fork_without_set_links_is_caught(monkeypatch):
    monkeypatch.setattr(P, "set_links", lambda proc: None)
    problems = problems_of("do_fork")
    assert any("cptr is not the child" in p for p in problems)
    assert any("nr_process" in p for p in problems)


def test_do_fork_with_a_child_a0_left_as_the_parent_s_is_caught(monkeypatch):
    original = P.copy_thread

    def keeping_a0(proc, esp, tf):
        original(proc, esp, tf)
        proc.tf.set_reg(10, tf.reg(10))
    monkeypatch.setattr(P, "copy_thread", keeping_a0)
    assert problems_of("do_fork") == [
        "the child's trapframe a0 is not 0: fork must return 0 in the child (copy_thread)"]


def test_proc_run_without_lcr3_is_caught(monkeypatch):
    def without_lcr3(proc):
        if proc is not P.current:
            P.current = proc
            P.switch_to(proc)
    monkeypatch.setattr(P, "proc_run", without_lcr3)
    assert problems_of("proc_run") == ["satp does not hold the process's cr3 at switch_to: lcr3(proc.cr3)"]


def test_load_icode_with_a_wrong_entry_and_stack_is_caught(monkeypatch):
    original = P.load_icode

    def wrong_trapframe(binary):
        ret = original(binary)
        P.current.tf.epc = 0
        P.current.tf.set_reg(2, 0)
        return ret
    monkeypatch.setattr(P, "load_icode", wrong_trapframe)
    problems = problems_of("load_icode")
    assert problems[0].startswith("tf->gpr.sp is 0x0, should be USTACKTOP")
    assert problems[1].startswith("tf->epc is 0x0, should be the ELF entry")


def test_copy_range_that_maps_fresh_pages_without_their_bytes_is_caught(monkeypatch):
    def fresh_pages(to, from_, start, end, share):
        for la, ptep, _ in pmm.present_ptes(from_, start, end):
            pmm.pgdir_alloc_page(to, la, pmm.hw.ram.read_u64(ptep) & pmm.PTE_USER)
        return 0
    monkeypatch.setattr(pmm, "copy_range", fresh_pages)
    problems = problems_of("copy_range")
    assert problems and all("holds other bytes than the parent's" in p for p in problems)


def test_a_last_fit_allocator_is_not_first_fit(monkeypatch):
    def last_fit(self, n):
        for i in reversed(range(len(self.area.free_list))):
            page = self.area.free_list[i]
            if page.property >= n:
                self.area.remove(i)
                if page.property > n:   # give the tail of the block, keep its head free
                    page.property -= n
                    self.area.insert(page)
                    page = self.pages[page.ppn - self.nbase + page.property]
                self.area.nr_free -= n
                default_pmm.ClearPageProperty(page)
                return page
        return None
    monkeypatch.setattr(default_pmm.default_pmm_manager, "alloc_pages", last_fit)
    monkeypatch.setattr(default_pmm.default_pmm_manager, "check", lambda self: None)
    assert any("first fit" in p for p in problems_of("first fit"))


def test_a_lifo_swap_manager_is_not_fifo(monkeypatch):
    def newest_first(mm, in_tick):
        return mm.sm_priv.popitem(last=True) if mm.sm_priv else None
    monkeypatch.setattr(swap_fifo.swap_manager_fifo, "swap_out_victim", newest_first)
    monkeypatch.setattr(swap_fifo.swap_manager_fifo, "check_swap", lambda: None)
    assert problems_of("FIFO order") == [
        "pages mapped as 1, 2, 3 came out of swap_out_victim as [3, 2, 1]; FIFO gives the oldest first"]


def test_a_page_fault_mapping_read_only_pages_is_caught(monkeypatch):
    monkeypatch.setattr(vmm, "vma_perm", lambda vma: vmm.PTE_U | vmm.PTE_R)
    assert any("not user-writable" in p for p in problems_of("do_pgfault"))


def test_a_timer_that_never_asks_for_a_reschedule_is_caught(monkeypatch):
    def counting_only(tf):
        clock.clock_set_next_event()
        clock.ticks += 1
    monkeypatch.setattr(T, "interrupt_handler", counting_only)
    assert problems_of("timer tick") == ["at the TICK_NUM-th tick current->need_resched was not set to 1"]


def test_a_fork_that_copies_at_once_fails_the_cow_check(monkeypatch):
    original = pmm.copy_range
    monkeypatch.setattr(pmm, "copy_range", lambda to, from_, start, end, share: original(to, from_, start, end, 0))
    assert problems_of("COW isolation") == [
        "fork copied the stack page: with COW on, copy_range shares it (share = 1)"]


def test_a_check_whose_hook_is_never_called_says_so(monkeypatch):
    monkeypatch.setattr(exercises, "CHECKS", (exercises.ExerciseCheck(
        "never", "LAB9 EXERCISE 9", "hello", "process.proc.do_kill", exercises._before(lambda k: [])),))
    result = run_check_in_child(io.StringIO(), None, 0)
    assert result == {"unreached": "the boot ended (halt) before it called do_kill"}


def test_checks_run_isolated_and_report_an_exception_as_an_error(monkeypatch):
    outcome = exercises._check_outcome(CHECKS[0], "error", "NotImplementedError: LAB1 EXERCISE 2: tick", 0.1)
    assert outcome.status == "error" and outcome.problems == ("NotImplementedError: LAB1 EXERCISE 2: tick",)
    assert exercises.format_check(outcome) == \
        " (0.1s) WRONG (LAB1 EXERCISE 2)\n   !! NotImplementedError: LAB1 EXERCISE 2: tick\n"
    hung = exercises._check_outcome(CHECKS[0], "wall", 2.0, 2.0)
    assert hung.problems[0].startswith("timed out after 2 s of wall time")


def test_the_grade_command_runs_the_checks_after_the_tests(monkeypatch, capsys):
    from pyucore.tools import cli, grade
    from pyucore.tools.grade_report import CheckOutcome
    monkeypatch.setattr(grade, "grade", lambda patterns, **options: 10)
    monkeypatch.setattr(exercises, "run_checks", lambda kernel, out, seconds: [
        CheckOutcome("do_fork", "LAB4 EXERCISE 2", ()), CheckOutcome("fifo", "LAB3 EXERCISE 2", ("wrong",))])
    assert cli.main(["grade", "hello", "--exercises"]) == 1
    assert capsys.readouterr().out.endswith("Exercise checks:\nExercise checks passed: 1/2\n")
    monkeypatch.setattr(exercises, "run_checks", lambda kernel, out, seconds: [
        CheckOutcome("do_fork", "LAB4 EXERCISE 2", ())])
    assert cli.main(["grade", "hello", "--exercises"]) == 0


def test_a_swap_in_that_maps_a_fresh_page_loses_the_bytes(monkeypatch):
    def zeroed_page(mm, addr):
        page = pmm.alloc_page()
        pmm.hw.ram.write(pmm.page2pa(page), bytes(pmm.PGSIZE))
        return page
    monkeypatch.setattr(swap, "swap_in", zeroed_page)
    problems = problems_of("swap-in")
    assert len(problems) == 1 and "came back with other bytes" in problems[0]
