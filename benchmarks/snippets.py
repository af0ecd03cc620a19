"""A program that writes and runs 160,000 distinct code snippets: time and memory of each CPU.

    python benchmarks/snippets.py [--cpu python|unicorn]

Runs benchmarks/programs/snippets.c on the bare machine (the machine tests' ELF loader, plus one
writable and executable page for the snippets) until its exit ecall, in a fresh process per CPU, and
prints the wall time and the peak RSS of that process. The python CPU's translation cache is bounded
(pyucore.machine.cpu.MAX_TRANSLATIONS), so the RSS stays flat however many snippets run.
"""

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# runnable from a checkout without installing the package; the bare loader lives with the machine tests
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "machine")]

from bare_loader import load_elf  # noqa: E402
from pyucore.machine import STOP_BUDGET, Machine  # noqa: E402
from pyucore.machine.riscv import PTE_R, PTE_U, PTE_W, PTE_X  # noqa: E402
from pyucore.user.build import build_c  # noqa: E402

SNIPPET_VA = 0x10000000


def run(cpu):
    """Runs the program on cpu to its exit; returns (seconds, exit code, instructions)."""
    if cpu == "unicorn":
        from pyucore.machine.unicorn_cpu import UnicornMachine as make
    else:
        make = Machine
    machine = make()
    space = load_elf(machine, build_c(str(ROOT / "benchmarks" / "programs" / "snippets.c")))
    space.map_range(SNIPPET_VA, SNIPPET_VA + 1, PTE_R | PTE_W | PTE_X | PTE_U)
    start = time.perf_counter()
    while True:
        cause = machine.cpu.run(10_000_000)
        if cause != STOP_BUDGET:
            break
    seconds = time.perf_counter() - start
    if cause != 8:
        raise SystemExit("snippets stopped with cause %d at pc %#x" % (cause, machine.cpu.pc))
    return seconds, machine.cpu.regs[11], machine.cpu.instret


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", choices=("python", "unicorn"), help="measure one CPU in this process")
    args = parser.parse_args()
    if args.cpu:
        seconds, code, insns = run(args.cpu)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("%-8s %8.2f s %10.0f MB %12d instructions, exit code %d" % (args.cpu, seconds, rss, insns, code))
        return
    for cpu in ("python", "unicorn"):
        subprocess.run([sys.executable, __file__, "--cpu", cpu], check=True)


if __name__ == "__main__":
    main()
