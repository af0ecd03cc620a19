"""CPU-bound kernel workload: the matrix program (21 children multiplying 10x10 matrices) on each CPU.

    python benchmarks/matrix.py [--small] [--cpu python|unicorn ...] [--repeat N]

Boots benchmarks/programs/matrix.c (1.19 G user instructions; --small: matrix_small.c, 30 M) with
--quiet-boot and prints, per CPU, the wall time and the CPU time (this process's, all threads) of the
whole boot, the user instructions retired, and instructions per wall second and per CPU second (on a
loaded host the CPU figure moves less). With several CPUs and --repeat, the runs are interleaved
(python, unicorn, python, ...) so that load on the host affects them alike; the best run of each (by
CPU time) is shown.
"""

import argparse
import pathlib
import sys
import time

# runnable from a checkout without installing the package
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from pyucore.api import boot  # noqa: E402
from pyucore.user.build import build_c  # noqa: E402

HERE = pathlib.Path(__file__).parent / "programs"


def run_once(elf, cpu):
    """Returns (wall seconds, CPU seconds, user instructions, console) of one boot of the matrix program
    on cpu."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = boot(elf=elf, name="matrix", cpu=cpu, quiet_boot=True)
    wall, used = time.perf_counter() - start, time.process_time() - start_cpu
    if result.exit_status != 0 or "matrix pass." not in result.console:
        raise SystemExit("matrix failed on %s: %s" % (cpu, result.halt_reason))
    return wall, used, result.stats["instructions"], result.console


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the 30 M instruction configuration")
    parser.add_argument("--cpu", action="append", choices=("python", "unicorn"),
                        help="CPU(s) to measure (default: both)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per CPU; the best is kept")
    args = parser.parse_args()
    cpus = args.cpu or ["python", "unicorn"]
    elf = build_c(str(HERE / ("matrix_small.c" if args.small else "matrix.c")))
    best, consoles = {}, {}
    for _ in range(args.repeat):
        for cpu in cpus:
            wall, used, insns, consoles[cpu] = run_once(elf, cpu)
            if cpu not in best or used < best[cpu][1]:
                best[cpu] = (wall, used, insns)
    print("%-8s %9s %9s %14s %12s %14s" % ("cpu", "wall (s)", "CPU (s)", "instructions", "M instr/s",
                                          "M instr/CPU-s"))
    for cpu in cpus:
        wall, used, insns = best[cpu]
        print("%-8s %9.2f %9.2f %14d %12.1f %14.1f" % (cpu, wall, used, insns, insns / wall / 1e6,
                                                     insns / used / 1e6))
    if len(set(consoles.values())) > 1:
        raise SystemExit("the consoles of the CPUs differ")


if __name__ == "__main__":
    main()
