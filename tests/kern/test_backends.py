"""The kernel on both CPU backends: every lab5 program and adversarial programs give byte-identical
consoles, identical event lists, instruction counts and exit statuses, with COW on and off."""

import pathlib
import re

import pytest

from pyucore.api import boot
from pyucore.user.build import build_c, program_names

PROGRAMS = pathlib.Path(__file__).parent / "backend_programs"


def assert_same_on_both_backends(ref=None, **options):
    """Boots with options on the unicorn CPU and, unless ref is the python CPU's run of them given, on
    the python CPU; the results must be identical."""
    ref = ref if ref is not None else boot(cpu="python", keep_events=True, **options)
    fast = boot(cpu="unicorn", keep_events=True, **options)
    assert fast.console == ref.console
    assert fast.events == ref.events
    assert (fast.exit_status, fast.halt_reason) == (ref.exit_status, ref.halt_reason)
    assert fast.stats == ref.stats


@pytest.mark.parametrize("cow", [True, False], ids=["cow", "eager"])
@pytest.mark.parametrize("name", program_names(lab=5))
def test_every_lab5_program_runs_identically_on_both_backends(reference_run, name, cow):
    assert_same_on_both_backends(reference_run(name, cow), program=name, cow=cow)


@pytest.mark.parametrize("cow", [True, False], ids=["cow", "eager"])
@pytest.mark.parametrize("stem", ["traps", "memory", "forkstress"])
def test_adversarial_programs_run_identically_on_both_backends(stem, cow):
    # traps: illegal instructions, wild loads, a store to text, unknown syscall, jumps to nowhere;
    # memory: misaligned and page-crossing accesses, misaligned atomics, a stack grown until it faults;
    # forkstress: 12 children across timer ticks with yields, reaped in reverse order
    assert_same_on_both_backends(elf=build_c(PROGRAMS / f"{stem}.c"), name=stem, cow=cow)


def test_lr_sc_preempted_between_lr_and_sc_runs_identically_on_both_backends():
    # short timer ticks put a tick between some child's LR and SC within a few thousand increments
    ref = boot(cpu="python", keep_events=True, elf=build_c(PROGRAMS / "lrsc.c"), name="lrsc", tick_insns=499)
    failed = [int(n) for n in re.findall(r"^child \d: counter 3000, (\d+) failed SCs$", ref.console, re.M)]
    assert len(failed) == 4 and min(failed) >= 1, ref.console
    assert_same_on_both_backends(ref, elf=build_c(PROGRAMS / "lrsc.c"), name="lrsc", tick_insns=499)


@pytest.mark.parametrize("tick_insns", [997, 10000])
def test_timer_ticks_fall_on_the_same_instructions_with_odd_tick_lengths(tick_insns):
    assert_same_on_both_backends(program="forktree", tick_insns=tick_insns, tick_num=3)


def test_instruction_limit_stops_both_backends_at_the_same_instruction():
    assert_same_on_both_backends(program="spin", max_insns=123457)


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="unicorn"):
        boot(program="exit", cpu="qemu")
