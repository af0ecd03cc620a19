"""Processes: the tree, states, pids, reparenting, and the limits of fork."""

import re

import pytest

from pyucore.api import boot
from pyucore.kern.debug.panic import KernelPanic
from pyucore.kern.libs.error import E_NO_FREE_PROC, E_NO_MEM
from pyucore.kern.mm import pmm
from pyucore.kern.process import proc as P
from pyucore.kern.syscall import syscall as S


def _tree_problems():
    """Every inconsistency of the process tree and lists right now (empty when all is well)."""
    problems = []
    live = [P.idleproc] + P.proc_list
    if P.nr_process != len(live):
        problems.append("nr_process %d != %d processes" % (P.nr_process, len(live)))
    if sorted(P.hash_list) != sorted(p.pid for p in P.proc_list):
        problems.append("pid hash and proc_list disagree")
    for p in P.proc_list:
        kids, kid = [], p.cptr
        if kid is not None and kid.yptr is not None:
            problems.append("youngest child of %d has a younger sibling" % p.pid)
        while kid is not None:
            kids.append(kid)
            if kid.parent is not p:
                problems.append("child %d of %d names %s as parent" % (kid.pid, p.pid, kid.parent.pid))
            if kid.optr is not None and kid.optr.yptr is not kid:
                problems.append("sibling links of %d are not symmetric" % kid.pid)
            kid = kid.optr
        if p is not P.initproc and p not in _children(p.parent):
            problems.append("%d is missing from its parent's children" % p.pid)
    return problems


def _children(parent):
    kid, out = parent.cptr, []
    while kid is not None:
        out.append(kid)
        kid = kid.optr
    return out


def test_process_tree_stays_consistent_after_every_syscall(monkeypatch, run_c):
    checked = []
    original = S.syscall

    def checking_syscall():
        original()
        problems = _tree_problems()
        assert not problems, problems
        checked.append(1)
    monkeypatch.setattr(S, "syscall", checking_syscall)
    result = run_c("forkstress")
    assert result.exit_status == 0, result.halt_reason
    assert "forkstress pass." in result.console
    assert len(checked) > 100


def test_forktree_pids_run_from_2_to_0x20_in_fork_order():
    result = boot(program="forktree", quiet_boot=True, keep_events=True)
    forks = [e for e in result.events if e["kind"] == "fork" and e["pid"] >= 2]
    assert [e["child"] for e in forks] == list(range(3, 0x21))


def test_orphans_are_reparented_to_init_and_reaped_by_it():
    result = boot(program="forktree", quiet_boot=True, keep_events=True)
    parent_of = {e["child"]: e["pid"] for e in result.events if e["kind"] == "fork"}
    reaper_of = {e["child"]: e["pid"] for e in result.events if e["kind"] == "reap"}
    assert set(reaper_of) == set(range(2, 0x21))
    assert all(reaper == 1 for reaper in reaper_of.values())
    assert any(parent_of[pid] != 1 for pid in reaper_of)


def test_fork_child_gets_zero_and_parent_gets_the_child_pid():
    result = boot(program="exit", quiet_boot=True)
    assert "I am parent, fork a child pid 3" in result.console
    assert "I am the child." in result.console


def test_waitkill_goes_through_every_allowed_state_transition():
    result = boot(program="waitkill", quiet_boot=True, keep_events=True)
    assert result.exit_status == 0, result.halt_reason
    seen = {(e["old"], e["new"]) for e in result.events if e["kind"] == "state"}
    assert seen == {(P.STATE_NAMES[a], P.STATE_NAMES[b]) for a, b in P.ALLOWED_TRANSITIONS}


def test_a_forbidden_state_change_is_a_kernel_panic():
    proc = P.alloc_proc()
    with pytest.raises(KernelPanic):
        proc.state = P.PROC_ZOMBIE


def test_kill_wakes_a_process_sleeping_in_wait_and_it_exits_killed():
    result = boot(program="waitkill", quiet_boot=True, keep_events=True)
    exits = {e["pid"]: e["code"] for e in result.events if e["kind"] == "exit"}
    assert exits[2] == -9 and exits[3] == -9 and exits[4] == 0


@pytest.mark.slow
def test_fork_bomb_of_zombies_stops_at_max_process_and_everything_is_reaped(run_c):
    result = run_c("forkbomb_zombies")
    assert result.exit_status == 0, result.halt_reason
    assert "fork failed with %d after %d forks" % (-E_NO_FREE_PROC, P.MAX_PROCESS - 3) in result.console
    assert "forkbomb pass." in result.console and "init check memory pass." in result.console


@pytest.mark.parametrize("ram_mib, cow", [(8, True), pytest.param(128, True, marks=pytest.mark.slow), (16, False)],
                         ids=["8-cow", "128-cow", "16-eager"])
def test_a_fork_bomb_under_swap_fails_fork_and_every_process_survives_to_be_reaped(run_c, ram_mib, cow):
    # children yield then exit; pages (the parent's among them) go to swap as the forks go on: fork must
    # fail while the faults of the processes that exist can still be served
    result = run_c("forkbomb_yield", ram_mib=ram_mib, cow=cow)
    assert result.exit_status == 0, result.halt_reason
    forks = re.search(r"^fork failed with %d after (\d+) forks$" % -E_NO_MEM, result.console, re.M)
    assert forks and "reaped %s\nforkbomb pass.\n" % forks.group(1) in result.console
    assert "killed" not in result.console and "init check memory pass." in result.console



def _failed_fork_work(monkeypatch):
    """Wraps do_fork: returns a dict counting the user forks that failed with -E_NO_MEM and the pages
    allocated and swapped out inside them."""
    work = {"failed": 0, "pages_allocated": 0, "swap_outs": 0}
    real = P.do_fork

    def counting(clone_flags, stack, tf):
        before = dict(pmm.stats)
        ret = real(clone_flags, stack, tf)
        if ret == -E_NO_MEM and P.current.mm is not None:
            work["failed"] += 1
            for key in ("pages_allocated", "swap_outs"):
                work[key] += pmm.stats[key] - before[key]
        return ret
    monkeypatch.setattr(P, "do_fork", counting)
    return work


@pytest.mark.parametrize("ram_mib, cow", [(4, True), (12, True), (4, False)], ids=["4-cow", "12-cow", "4-eager"])
def test_a_fork_bomb_that_never_waits_fails_its_forks_without_taking_or_swapping_a_page(run_c, monkeypatch,
                                                                                          ram_mib, cow):
    # `for (;;) fork();`: once memory is full every fork fails, and a failed fork must cost the same
    # with hundreds of processes as with a few: it allocates nothing, pushes no page of the processes
    # that exist to disk, so they take no page fault to bring it back
    work = _failed_fork_work(monkeypatch)
    result = run_c("forkforever", ram_mib=ram_mib, cow=cow, max_insns=150000)
    assert result.exit_status == 3, result.halt_reason
    assert "killed" not in result.console and "panic" not in result.console
    forks = result.stats["forks"]
    assert work["failed"] > 10 * forks, "memory did not run out: %d forks" % forks
    assert work["pages_allocated"] == 0 and work["swap_outs"] == 0, work
    assert result.stats["page_faults"] <= 2 * forks, "failed forks made processes fault"


@pytest.mark.parametrize("ram_mib", [4, 128])
def test_code_on_the_stack_never_runs_at_any_ram_size(run_c, ram_mib):
    result = run_c("execstack", ram_mib=ram_mib)
    assert result.exit_status == 0, result.halt_reason
    assert re.search(r"^pid 2 \(execstack\) killed: instruction page fault at 0x7ffff[0-9a-f]{3}, ", result.console,
                     re.M)
    assert "code on the stack ran" not in result.console and "init check memory pass." in result.console


def test_the_stack_pages_exec_maps_are_readable_and_writable_not_executable():
    console = boot(program="pgdir", quiet_boot=True).console
    stack = re.findall(r"^    0x7fff[0-9a-f]{4}\.\.0x7fff[0-9a-f]{4}  1 page    (\S+) ", console, re.M)
    assert stack == ["RW-U-"] * 4


def test_peak_pages_are_counted_only_for_a_run_whose_events_reach_someone(monkeypatch):
    walks = []
    count = pmm.count_user_pages
    monkeypatch.setattr(pmm, "count_user_pages", lambda pgdir: walks.append(pgdir) or count(pgdir))
    boot(program="exit", quiet_boot=True)
    assert walks == []
    kept = [e for e in boot(program="exit", quiet_boot=True, keep_events=True).events if e["kind"] == "exit"]
    heard = []
    boot(program="exit", quiet_boot=True, on_event=lambda e: heard.append(e) if e["kind"] == "exit" else None)
    assert len(walks) == 2 * len(kept) and all(e["peak_pages"] > 0 for e in kept)
    assert [e["peak_pages"] for e in heard] == [e["peak_pages"] for e in kept]
