"""The 15 lab5 programs print exactly the original's lines, in its order, with its pids."""

import pytest

from kernel_helpers import FIXTURES, console_mismatch
from pyucore.api import boot
from pyucore.user.build import program_names

PROGRAMS = sorted(p.stem for p in FIXTURES.glob("*.out"))


def test_every_builtin_program_has_an_expected_console():
    assert sorted(program_names(lab=5)) == PROGRAMS


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_console_matches_the_original(reference_run, name):
    result = reference_run(name)
    assert result.exit_status == 0, result.halt_reason
    problem = console_mismatch((FIXTURES / (name + ".out")).read_text(), result.console)
    assert problem is None, problem + "\n" + result.console[-2000:]


@pytest.mark.parametrize("name", ["hello", "forktree", "exit", "forktest", "badarg", "yield"])
def test_output_does_not_depend_on_the_tick_length(name):
    consoles = {boot(program=name, tick_insns=t, quiet_boot=True).console for t in (10000, 3000, 50000)}
    assert len(consoles) == 1


@pytest.mark.parametrize("name", ["forktree", "waitkill", "faultread"])
def test_same_program_gives_the_same_console_and_events_twice(reference_run, name):
    first, second = reference_run(name), boot(program=name, keep_events=True)
    assert first.console == second.console
    assert first.events == second.events


def test_boot_console_prints_the_self_checks_in_the_original_order():
    lines = boot(program="hello").console.splitlines()
    order = ["memory management: default_pmm_manager", "check_alloc_page() succeeded!",
             "check_pgdir() succeeded!", "check_boot_pgdir() succeeded!",
             "check_vma_struct() succeeded!", "page fault at 0x00000100: K/W",
             "check_pgfault() succeeded!", "check_vmm() succeeded.", "++ setup timer interrupts"]
    positions = [lines.index(line) for line in order]
    assert positions == sorted(positions)


def test_quiet_boot_hides_the_self_check_lines():
    console = boot(program="hello", quiet_boot=True).console
    assert console.startswith("++ setup timer interrupts\n")
    assert "check_pgdir" not in console
