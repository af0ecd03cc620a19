"""The trap layer's timer: runs go on past the ticks that only count, with the same result as stopping
at every tick."""

import pytest

from kernel_helpers import PROGRAMS
from pyucore.api import boot
from pyucore.kern.driver import clock
from pyucore.kern.trap import trap
from pyucore.user.build import build_c


def boot_stopping_at_every_tick(monkeypatch, **options):
    """Boots with options, the CPU stopped at every timer tick (no tick is replayed)."""
    with monkeypatch.context() as patch:
        patch.setattr(trap, "clock_budget", lambda instret: clock.next_tick - instret)
        return boot(keep_events=True, **options)


@pytest.mark.parametrize("options", [
    dict(program="spin"),
    dict(program="forktree", tick_insns=997, tick_num=3),
    dict(program="spin", max_insns=1_234_567),
    dict(elf=build_c(PROGRAMS / "forkstress.c"), name="forkstress", tick_insns=701, tick_num=7),
    dict(program="forktree", tick_insns=997, sched="rr"),
    dict(program="spin", tick_insns=3001, sched="stride", max_insns=400_000),
], ids=["spin", "forktree-odd-ticks", "spin-limit", "forkstress", "forktree-rr", "spin-stride"])
def test_replaying_quiet_ticks_gives_the_same_run_as_stopping_at_each(monkeypatch, options):
    every = boot_stopping_at_every_tick(monkeypatch, **options)
    replayed = boot(keep_events=True, **options)
    assert replayed.console == every.console
    assert replayed.events == every.events
    assert replayed.stats == every.stats
    assert (replayed.exit_status, replayed.halt_reason) == (every.exit_status, every.halt_reason)


def test_every_tick_is_counted_when_runs_go_past_them():
    result = boot(program="spin", tick_insns=1000, quiet_boot=True)
    assert result.stats["ticks"] == result.stats["instructions"] // 1000


def test_the_tick_code_runs_for_every_tick_even_those_replayed(monkeypatch):
    calls = []
    real = trap.clock_tick
    monkeypatch.setattr(trap, "clock_tick", lambda: calls.append(1) or real())
    result = boot(program="spin", tick_insns=1000, max_insns=200_000, quiet_boot=True)
    assert len(calls) == result.stats["ticks"] >= 199
