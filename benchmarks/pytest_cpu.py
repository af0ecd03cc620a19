"""A pytest plugin for benchmarks/suite.py --tests: records each test's CPU seconds (this process and the
children it waited for: compilers, gdb, the browser; and the grader's children, which multiprocessing's
forkserver starts and waits for, so they count as the forkserver's) and wall seconds, setup and teardown
included, with the host time it started, as JSON lines in the directory $PYUCORE_TEST_TIMES (one file per
xdist worker), and when each worker's session finished and its process exited."""

import atexit
import json
import os
import time

import pytest

_TICK = os.sysconf("SC_CLK_TCK")


def _forkserver_cpu_seconds():
    """CPU seconds of this process's multiprocessing forkserver and of the children it waited for (0
    before it starts). Reads multiprocessing's private pid of it and Linux's /proc."""
    import multiprocessing.forkserver as forkserver
    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid is None:
        return 0.0
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / _TICK


def _cpu_seconds():
    """User + system CPU seconds of this process, of its waited-for children and of its forkserver's so
    far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system + _forkserver_cpu_seconds()


def _append(record):
    """Appends record, with this worker's name, to this worker's file (if $PYUCORE_TEST_TIMES is set)."""
    out_dir = os.environ.get("PYUCORE_TEST_TIMES")
    if out_dir:
        record["worker"] = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = os.path.join(out_dir, "times-%s-%d.jsonl" % (record["worker"], os.getpid()))
        with open(name, "a") as file:
            file.write(json.dumps(record) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Times the whole protocol of one test and appends the figures to this worker's file."""
    cpu, wall, start = _cpu_seconds(), time.perf_counter(), time.time()
    yield
    _append({"test": item.nodeid, "cpu": _cpu_seconds() - cpu, "wall": time.perf_counter() - wall,
             "start": start})


def pytest_sessionfinish(session):
    """Records when this worker's session finished, and (at exit) when its process ends."""
    _append({"event": "session finished", "at": time.time()})
    atexit.register(lambda: _append({"event": "exit", "at": time.time()}))
