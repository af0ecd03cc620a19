"""Wall time of the lab5 programs, each booted and run to the end; with --tests, of the test suite.

    python benchmarks/suite.py [--cpu python|unicorn ...] [--repeat N] [--html DIR]
    python benchmarks/suite.py --tests [--top N] [--json FILE] [-- PYTEST ARGS]

Without --tests: every built-in program booted and run to the end (boot included). Prints one line per
program and the total; the original under QEMU needs 31.7 s for its 13-test
`make grade`. Programs are built (and cached) before timing, so only the kernel and CPU are measured.
With --html, each run also records the explorer's detail and writes its page to DIR/NAME.html (the
difference from a run without it is what the explorer costs).

--tests runs the README's test command (`python -m pytest -n 2`, plus any PYTEST ARGS) with the
benchmarks/pytest_cpu.py plugin and prints its wall time, the load average before and after (other work
on the host slows it), the CPU seconds of the whole run, the sum of every test's CPU seconds, when each
worker started its first test and ended its last, its busy time and the time one worker sat idle at the
end (how evenly xdist shared the tests out), and the costliest files and tests by CPU.
"""

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pyucore.api import boot
from pyucore.user.build import build_program, program_names


def time_program(name, cpu, html_dir=None):
    """Best-effort wall time of one boot of name on cpu (writing its page into html_dir if given), and
    its exit status."""
    html = None if html_dir is None else os.path.join(html_dir, name + ".html")
    start = time.perf_counter()
    result = boot(program=name, cpu=cpu, html=html)
    return time.perf_counter() - start, result.exit_status


def run_tests(pytest_args):
    """Runs the test suite with the timing plugin; returns (exit status, wall s, run CPU s, load averages
    before and after, the per-test records, the workers' session-finished and exit records, the host time
    pytest was started)."""
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory(prefix="pyucore-test-times-") as out_dir:
        env = dict(os.environ, PYUCORE_TEST_TIMES=out_dir,
                   PYTHONPATH=os.pathsep.join(filter(None, [str(here), os.environ.get("PYTHONPATH")])))
        load_before = os.getloadavg()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start, started = time.perf_counter(), time.time()
        done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "-p", "pytest_cpu", *pytest_args],
                              cwd=here.parent, env=env, stdout=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        records = [json.loads(line) for name in sorted(os.listdir(out_dir))
                   for line in open(os.path.join(out_dir, name))]
    events = [r for r in records if "event" in r]
    records = [r for r in records if "event" not in r]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("FAILED ", "ERROR ")):
            print(line)
    print("pytest: " + (lines[-1] if lines else "no output") + " (exit %d)" % done.returncode)
    return done.returncode, wall, cpu, load_before, os.getloadavg(), records, events, started


def report_tests(pytest_args, top, json_path=None):
    """Prints the test suite's figures (see the module docstring), writes the per-test records to
    json_path if given; returns pytest's exit status."""
    status, wall, cpu, load_before, load_after, records, events, started = run_tests(pytest_args)
    if json_path:
        Path(json_path).write_text(json.dumps(records, indent=0))
    print("wall %.1f s; load average before %.2f %.2f %.2f, after %.2f %.2f %.2f" % (wall, *load_before,
                                                                                   *load_after))
    print("CPU of the whole run %.1f s; sum of the %d tests' CPU %.1f s (wall %.1f s)"
          % (cpu, len(records), sum(r["cpu"] for r in records), sum(r["wall"] for r in records)))
    busy, first, last = collections.Counter(), {}, {}
    for r in records:
        worker = r["worker"]
        busy[worker] += r["wall"]
        first[worker] = min(first.get(worker, r["start"]), r["start"])
        last[worker] = max(last.get(worker, 0.0), r["start"] + r["wall"])
    ends = collections.defaultdict(dict)
    for e in events:
        ends[e["worker"]][e["event"]] = e["at"] - started
    print("per worker, seconds after pytest started: first test starts (start-up and collection), last "
          "test ends, session finished, process exits; busy wall:")
    for worker in sorted(busy):
        print("  %s %.1f, %.1f, %s, %s; busy %.1f" % (
            worker, first[worker] - started, last[worker] - started,
            *("%.1f" % ends[worker][e] if e in ends[worker] else "?" for e in ("session finished", "exit")),
            busy[worker]))
    if last:
        print("idle at the end (the last worker's end minus the first's): %.1f s; from the last test's end "
              "to pytest's exit: %.1f s" % (max(last.values()) - min(last.values()),
                                            started + wall - max(last.values())))
    by_file = collections.Counter()
    for r in records:
        by_file[r["test"].split("::")[0]] += r["cpu"]
    print("\ncostliest files (CPU s):")
    for name, seconds in by_file.most_common(top):
        print("%8.1f  %s" % (seconds, name))
    print("\ncostliest tests (CPU s, wall s):")
    for r in sorted(records, key=lambda r: -r["cpu"])[:top]:
        print("%8.1f %7.1f  %s" % (r["cpu"], r["wall"], r["test"]))
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="append", help="backend(s) to measure (default: python)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per program; the best is kept")
    parser.add_argument("--html", metavar="DIR", help="also write each run's explorer page into DIR")
    parser.add_argument("--tests", action="store_true", help="time the test suite instead (see above)")
    parser.add_argument("--top", type=int, default=20, help="with --tests: how many files and tests to list")
    parser.add_argument("--json", metavar="FILE", help="with --tests: also write each test's figures to FILE")
    parser.add_argument("pytest_args", nargs="*", help="with --tests: more arguments for pytest (after --)")
    args = parser.parse_args()
    if args.tests:
        sys.exit(report_tests(args.pytest_args, args.top, args.json))
    cpus = args.cpu or ["python"]
    names = program_names()
    for name in names:
        build_program(name)
    print("%-16s" % "program" + "".join("%14s" % ("%s (s)" % cpu) for cpu in cpus))
    totals = dict.fromkeys(cpus, 0.0)
    for name in names:
        row = "%-16s" % name
        for cpu in cpus:
            best, status = min(time_program(name, cpu, args.html) for _ in range(args.repeat))
            totals[cpu] += best
            row += "%14.2f" % best + ("" if status == 0 else " (exit %d)" % status)
        print(row)
    print("%-16s" % "TOTAL" + "".join("%14.2f" % totals[cpu] for cpu in cpus))


if __name__ == "__main__":
    main()
