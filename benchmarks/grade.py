"""Wall time of `pyucore grade` on the built-in kernel and on a `--solution` lab workspace's kernel.

    python benchmarks/grade.py [--repeat N]      # the two grades, their ratio (target: within 1.5x)
    python benchmarks/grade.py --isolation       # what a test's child process costs, by start method
    python benchmarks/grade.py --reference-insns # the user instructions each graded test needs

Each grade runs as a user runs it (`python -m pyucore grade ...` in a fresh interpreter); the best of
--repeat runs is kept. --reference-insns prints the table grade.REFERENCE_INSNS holds (the default
instruction limits are ten times these).
"""

import argparse
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def time_grade(extra):
    """Wall seconds of one `python -m pyucore grade` with the extra arguments, and its exit status."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pyucore", "grade", *extra], stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, done.returncode


def compare(repeat):
    """Prints the best wall time of the built-in grade and of the solution workspace's grade."""
    from pyucore.lab.workspace import init_workspace
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch) / "solution"
        init_workspace(workspace, solution=True)
        rows = (("pyucore grade", []), ("pyucore grade --kernel <solution>", ["--kernel", str(workspace)]))
        best = {}
        for label, extra in rows:
            best[label], status = min(time_grade(extra) for _ in range(repeat))
            print(f"{label:<36}{best[label]:8.2f} s" + ("" if status == 0 else f"  (exit {status})"))
        built_in, student = (best[label] for label, _ in rows)
        print(f"{'ratio':<36}{student / built_in:8.2f} x")


def _child(conn):
    """A child that loads what a grade test needs and answers."""
    import pyucore.api  # noqa: F401  (the import is what is measured)
    conn.send(True)


def isolation(repeat):
    """Prints the mean cost of starting a test's child process by each start method, next to a boot."""
    from pyucore.api import boot
    from pyucore.tools import grade_runner
    start = time.perf_counter()
    for _ in range(repeat):
        boot(program="softint")
    print(f"{'a softint boot in-process':<36}{(time.perf_counter() - start) / repeat * 1000:8.1f} ms")
    for method in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(list(grade_runner.PRELOAD))
        start = time.perf_counter()
        for _ in range(repeat):
            receiver, sender = ctx.Pipe(duplex=False)
            child = ctx.Process(target=_child, args=(sender,))
            child.start()
            sender.close()
            receiver.recv()
            child.join()
        print(f"{'a child started by ' + method:<36}{(time.perf_counter() - start) / repeat * 1000:8.1f} ms")


def reference_insns():
    """Prints the user instructions each graded program retires on the built-in kernel."""
    from pyucore.api import boot
    from pyucore.tools.grade import GRADED_PROGRAMS, REFERENCE_INSNS
    for name in GRADED_PROGRAMS:
        needed = boot(program=name).stats["instructions"]
        print(f"{name:<18}{needed:>12}  (table: {REFERENCE_INSNS[name]})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept (default 3)")
    parser.add_argument("--isolation", action="store_true", help="the cost of a test's child process")
    parser.add_argument("--reference-insns", action="store_true", help="the instructions each test needs")
    args = parser.parse_args()
    if args.reference_insns:
        reference_insns()
    elif args.isolation:
        isolation(max(args.repeat, 10))
    else:
        compare(args.repeat)


if __name__ == "__main__":
    main()
