"""A pytest plugin for benchmarks/suite.py --tests: records each test's CPU seconds (this process and the
children it waited for: compilers, grader children, gdb, the browser) and wall seconds, setup and
teardown included, as JSON lines in the directory $PYUCORE_TEST_TIMES (one file per xdist worker)."""

import json
import os
import time

import pytest


def _cpu_seconds():
    """User + system CPU seconds of this process and of its waited-for children so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Times the whole protocol of one test and appends the figures to this worker's file."""
    out_dir = os.environ.get("PYUCORE_TEST_TIMES")
    cpu, wall = _cpu_seconds(), time.perf_counter()
    yield
    if out_dir:
        record = {"test": item.nodeid, "cpu": _cpu_seconds() - cpu, "wall": time.perf_counter() - wall,
                  "worker": os.environ.get("PYTEST_XDIST_WORKER", "main")}
        name = os.path.join(out_dir, "times-%s-%d.jsonl" % (record["worker"], os.getpid()))
        with open(name, "a") as file:
            file.write(json.dumps(record) + "\n")
