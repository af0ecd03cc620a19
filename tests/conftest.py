"""Fixtures shared by the whole suite: lab workspaces written once per session (the tests that share one
only read it; a test that edits a workspace copies one first), a translation cache of the test run's
own, so that no test writes into the user's cache directory, and the reference runs of the built-in
programs, booted once per test run for every test that compares against them. The tests marked slow
run first, then the browser's (see pytest_collection_modifyitems)."""

import contextlib
import fcntl
import os
import pickle
import sys

# The suite starts many Python processes over the same sources: two xdist workers, the grader's
# forkserver and its children, pyucore commands run as subprocesses, lab workspaces loaded again in
# each grading child. Where the environment sets PYTHONDONTWRITEBYTECODE, each of them compiles every
# module again (`pyucore grade --kernel` of a solution workspace: 3.6 s instead of 2.3 s), so the suite
# writes bytecode anyway (into __pycache__/, which git ignores), before pyucore is first imported.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import pytest  # noqa: E402  (after the bytecode setting)

from pyucore.api import boot  # noqa: E402
from pyucore.lab.workspace import init_workspace  # noqa: E402


def pytest_collection_modifyitems(items):
    """Moves the tests marked slow (several seconds each) to the front, then the tests that drive the
    browser, keeping the order within each group: xdist hands tests out in collection order, so a
    slow test left to the end would keep one worker busy while the other sits idle; and the front of
    the list goes to one worker (xdist's worksteal gives each worker a contiguous half and steals from
    the end), so only that worker starts Chromium."""
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, "browser" not in item.fixturenames))


@pytest.fixture(scope="session")
def solution_ws(tmp_path_factory):
    """A workspace written with --solution (the reference code in every blank)."""
    return init_workspace(tmp_path_factory.mktemp("lab") / "solution", solution=True)


@pytest.fixture(scope="session")
def fresh_ws(tmp_path_factory):
    """A workspace as a student gets it: every blank empty."""
    return init_workspace(tmp_path_factory.mktemp("lab") / "fresh")


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A directory of this test run shared by its xdist workers (each has a base directory of its own
    inside the run's), so that what one worker computed serves the others."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"
    shared.mkdir(exist_ok=True)
    return shared


@contextlib.contextmanager
def locked(path):
    """Holds an exclusive lock on the file path (created if missing) for the with block."""
    with open(path, "a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@pytest.fixture(scope="session", autouse=True)
def translation_cache(run_dir):
    """Every boot of the test run, and every pyucore process a test starts, keeps its translated code in
    a directory of the run's (pyucore.machine.codecache), which its workers share: the cache is safe
    for processes writing at once."""
    directory = run_dir / "translations"
    saved = os.environ.get("PYUCORE_TRANSLATION_CACHE")
    os.environ["PYUCORE_TRANSLATION_CACHE"] = str(directory)
    yield directory
    if saved is None:
        del os.environ["PYUCORE_TRANSLATION_CACHE"]
    else:
        os.environ["PYUCORE_TRANSLATION_CACHE"] = saved


@pytest.fixture(scope="session")
def reference_run(run_dir):
    """reference_run(program, cow=True, sched=None): the BootResult of boot(program=program, cow=cow,
    keep_events=True) (pyucore's own kernel, the python CPU, the boot's self-checks shown; under the
    scheduler sched if given), booted once per test run by whichever worker asks first and read by the
    others from run_dir; callers only read it."""
    runs = {}

    def run(program, cow=True, sched=None):
        key = program, cow, sched
        if key not in runs:
            path = run_dir / ("reference-%s-%s-%s.pickle" % (program, "cow" if cow else "eager", sched))
            with locked(path.with_suffix(".lock")):
                if not path.exists():
                    options = {} if sched is None else {"sched": sched}
                    result = boot(program=program, cow=cow, keep_events=True, **options)
                    path.write_bytes(pickle.dumps(result))
                runs[key] = pickle.loads(path.read_bytes())
        return runs[key]
    return run
