"""Wall time of the whole lab5 suite: every built-in program booted and run to the end (boot included).

    python benchmarks/suite.py [--cpu python|unicorn ...] [--repeat N] [--html DIR]

Prints one line per program and the total; the original under QEMU needs 31.7 s for its 13-test
`make grade`. Programs are built (and cached) before timing, so only the kernel and CPU are measured.
With --html, each run also records the explorer's detail and writes its page to DIR/NAME.html (the
difference from a run without it is what the explorer costs).
"""

import argparse
import os
import time

from pyucore.api import boot
from pyucore.user.build import build_program, program_names


def time_program(name, cpu, html_dir=None):
    """Best-effort wall time of one boot of name on cpu (writing its page into html_dir if given), and
    its exit status."""
    html = None if html_dir is None else os.path.join(html_dir, name + ".html")
    start = time.perf_counter()
    result = boot(program=name, cpu=cpu, html=html)
    return time.perf_counter() - start, result.exit_status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="append", help="backend(s) to measure (default: python)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per program; the best is kept")
    parser.add_argument("--html", metavar="DIR", help="also write each run's explorer page into DIR")
    args = parser.parse_args()
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
