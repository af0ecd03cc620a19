"""The scheduling classes on their own: round robin's FIFO and time slices, stride's choice and its
wrap-around, and the lab5 class against lab5's scan of proc_list (on random histories)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyucore.kern.driver import clock
from pyucore.kern.process.proc import alloc_proc
from pyucore.kern.schedule.default_sched import default_sched_class as RR
from pyucore.kern.schedule.default_sched_stride import (
    big_stride, stride_difference, stride_sched_class as STRIDE,
)
from pyucore.kern.schedule.lab5_sched import lab5_sched_class as LAB5
from pyucore.kern.schedule.sched_class import run_queue


def make_proc(pid, priority=0, stride=0, link_order=0):
    proc = alloc_proc()
    proc.pid, proc.lab6_priority, proc.lab6_stride, proc.link_order = pid, priority, stride, link_order
    return proc


def new_rq(cls, slice_ticks=5):
    rq = run_queue(max_time_slice=slice_ticks)
    cls.init(rq)
    return rq


def take(cls, rq):
    """schedule()'s use of a class: pick, then dequeue what was picked."""
    proc = cls.pick_next(rq)
    if proc is not None:
        cls.dequeue(rq, proc)
    return proc


def test_round_robin_runs_processes_in_the_order_they_were_enqueued():
    rq, procs = new_rq(RR), [make_proc(pid) for pid in range(1, 5)]
    for proc in procs:
        RR.enqueue(rq, proc)
    assert rq.proc_num == 4
    first = take(RR, rq)
    RR.enqueue(rq, first)                       # back of the queue after its turn
    assert [take(RR, rq) for _ in range(4)] == procs[1:] + [procs[0]]
    assert take(RR, rq) is None and rq.proc_num == 0


def test_round_robin_dequeues_a_process_from_the_middle():
    rq, procs = new_rq(RR), [make_proc(pid) for pid in range(1, 4)]
    for proc in procs:
        RR.enqueue(rq, proc)
    RR.dequeue(rq, procs[1])
    assert [take(RR, rq) for _ in range(2)] == [procs[0], procs[2]]


def test_a_time_slice_lasts_max_time_slice_ticks():
    rq, proc = new_rq(RR, slice_ticks=5), make_proc(1)
    RR.enqueue(rq, proc)
    take(RR, rq)
    for tick in range(1, 5):
        RR.proc_tick(rq, proc)
        assert proc.time_slice == 5 - tick and not proc.need_resched
    RR.proc_tick(rq, proc)
    assert proc.time_slice == 0 and proc.need_resched == 1


def test_a_process_that_gave_up_the_cpu_keeps_the_rest_of_its_slice():
    rq, proc = new_rq(RR, slice_ticks=5), make_proc(1)
    RR.enqueue(rq, proc)
    take(RR, rq)
    RR.proc_tick(rq, proc)
    RR.proc_tick(rq, proc)
    RR.enqueue(rq, proc)                        # e.g. it yielded after 2 ticks
    assert proc.time_slice == 3
    take(RR, rq)
    for _ in range(3):
        RR.proc_tick(rq, proc)
    assert proc.need_resched == 1
    RR.enqueue(rq, proc)
    assert proc.time_slice == 5                 # a spent slice is refilled


def test_stride_runs_the_smallest_stride_and_adds_big_stride_over_priority():
    rq = new_rq(STRIDE)
    procs = [make_proc(pid, priority=pid, stride=100 * pid) for pid in range(1, 4)]
    for proc in procs:
        STRIDE.enqueue(rq, proc)
    picked = take(STRIDE, rq)
    assert picked is procs[0] and picked.lab6_stride == 100 + big_stride() // 1
    assert take(STRIDE, rq) is procs[1] and procs[1].lab6_stride == 200 + big_stride() // 2


def test_stride_treats_priority_zero_as_one():
    rq, proc = new_rq(STRIDE), make_proc(1, priority=0)
    STRIDE.enqueue(rq, proc)
    assert take(STRIDE, rq).lab6_stride == big_stride()


def test_a_stride_that_wrapped_past_2_to_the_32_still_counts_as_larger():
    assert stride_difference(5, 0xFFFFFFF0) == 21
    assert stride_difference(0xFFFFFFF0, 5) == -21
    rq = new_rq(STRIDE)
    wrapped, behind = make_proc(1, priority=1, stride=5), make_proc(2, priority=1, stride=0xFFFFFFF0)
    STRIDE.enqueue(rq, wrapped)
    STRIDE.enqueue(rq, behind)
    assert take(STRIDE, rq) is behind
    assert behind.lab6_stride == (0xFFFFFFF0 + big_stride()) & 0xFFFFFFFF      # wraps again


@pytest.mark.parametrize("start", [0, 0xFFFFFFFF - 3 * big_stride() // 2, 0xFFFFFFF0])
def test_stride_shares_turns_by_priority_across_the_wrap(start):
    rq = new_rq(STRIDE)
    procs = [make_proc(pid, priority=pid, stride=start) for pid in (1, 2, 3)]
    for proc in procs:
        STRIDE.enqueue(rq, proc)
    turns = {1: 0, 2: 0, 3: 0}
    for _ in range(600):                        # every stride wraps several times
        proc = take(STRIDE, rq)
        turns[proc.pid] += 1
        STRIDE.enqueue(rq, proc)
    assert turns == {1: 100, 2: 200, 3: 300}


def lab5_scan(proc_list, current, runnable):
    """lab5's own policy: the first runnable process after current in proc_list, wrapping around and
    ending with current itself (from the front when current is idle, None); None when none is."""
    start = 0 if current is None else proc_list.index(current) + 1
    for proc in proc_list[start:] + proc_list[:start]:
        if proc in runnable:
            return proc
    return None


# A history: ("fork",) links a new runnable process; ("sleep",) / ("exit",) make the running one
# sleep or leave; ("wake", i) wakes the i-th sleeper; ("yield",) lets the running one go on.
histories = st.lists(st.one_of(
    st.just(("fork",)), st.just(("sleep",)), st.just(("exit",)), st.just(("yield",)),
    st.tuples(st.just("wake"), st.integers(0, 100)),
), max_size=80)


@settings(max_examples=200, deadline=None)
@given(histories)
def test_the_lab5_class_picks_what_lab5s_scan_of_proc_list_picks(history):
    rq, proc_list, runnable, current, linked = new_rq(LAB5, 100), [], set(), None, 0
    for step in history:
        if step[0] == "fork":
            linked += 1
            proc = make_proc(linked, link_order=linked)
            proc_list.insert(0, proc)
            runnable.add(proc)
            LAB5.enqueue(rq, proc)
            continue
        if step[0] == "wake":
            sleepers = [p for p in proc_list if p not in runnable and p is not current]
            if sleepers:
                proc = sleepers[step[1] % len(sleepers)]
                runnable.add(proc)
                LAB5.enqueue(rq, proc)
            continue
        if current is not None:
            if step[0] in ("sleep", "exit"):
                runnable.discard(current)
            else:
                LAB5.enqueue(rq, current)
        expected = lab5_scan(proc_list, current, runnable)
        if step[0] == "exit" and current is not None:
            proc_list.remove(current)           # reaped at once: it leaves proc_list
        current = take(LAB5, rq)
        assert current is expected
    assert rq.proc_num == len(runnable - {current})


def test_the_lab5_class_asks_for_a_reschedule_every_max_time_slice_ticks_of_the_clock(monkeypatch):
    rq, proc = new_rq(LAB5, 100), make_proc(1)
    for ticks in (99, 101, 250):
        monkeypatch.setattr(clock, "ticks", ticks)
        LAB5.proc_tick(rq, proc)
        assert proc.need_resched == 0
    assert LAB5.quiet_ticks(rq, proc) == 49           # 251 to 299 pass quietly, 300 does not
    monkeypatch.setattr(clock, "ticks", 300)
    LAB5.proc_tick(rq, proc)
    assert proc.need_resched == 1


def test_rr_and_stride_let_all_but_the_last_tick_of_a_turn_pass_quietly():
    for cls in (RR, STRIDE):
        rq, proc = new_rq(cls, 5), make_proc(1)
        cls.enqueue(rq, proc)
        take(cls, rq)
        quiet = cls.quiet_ticks(rq, proc)
        for _ in range(quiet):
            cls.proc_tick(rq, proc)
            assert not proc.need_resched
        cls.proc_tick(rq, proc)
        assert quiet == 4 and proc.need_resched == 1 and cls.quiet_ticks(rq, proc) == 0
