"""CPU benchmark: instructions per CPU second on an ALU loop and a load/store loop compiled from C.

A third program, "branchy" (a loop with an if/else inside, so several blocks per iteration), shows the
speed of code that is not one self-looping block.

Each program is built with the project's toolchain, loaded through a real Sv39 page table and run in
run(10000) chunks (the timer granularity). Usage:
    python benchmarks/cpu.py [--cpu python|unicorn|all] [--insns N] [--repeats R] [--chunk N]
--chunk sets the run() budget: 10000 is what the kernel uses between ticks; a larger one shows the
unicorn backend without its per-call overhead. Speeds are per second of this process's CPU time
(time.process_time, all threads), so that other load on the host moves them less than it would a
wall-clock figure.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

# runnable from a checkout without installing the package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# the machine tests' bare ELF loader (a page table and the segments, no kernel)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "machine"))

from pyucore.machine import STOP_BUDGET, Machine  # noqa: E402
from bare_loader import load_elf  # noqa: E402
from pyucore.user.build import build_c  # noqa: E402

CHUNK = 10000

PROGRAMS = {
    "alu": r"""
int main(void) {
    unsigned long a = 1, b = 2, c = 3;
    for (unsigned long i = 0; i < (1UL << 40); i++) {
        a = a * 5 + b;
        b ^= a >> 7;
        c += (a & b) | (i << 3);
    }
    return (int)(a ^ b ^ c);
}
""",
    "load/store": r"""
static unsigned long arr[512];
static unsigned int small[256];
int main(void) {
    unsigned long s = 0;
    for (unsigned long i = 0; i < (1UL << 40); i++) {
        arr[i & 511] = arr[(i * 7) & 511] + i;
        small[i & 255] += (unsigned int)s;
        s += arr[(i + 3) & 511];
    }
    return (int)s;
}
""",
    "branchy": r"""
static unsigned long collatz(unsigned long n) {
    unsigned long steps = 0;
    while (n != 1) {
        if (n & 1)
            n = 3 * n + 1;
        else
            n >>= 1;
        steps++;
    }
    return steps;
}
int main(void) {
    unsigned long total = 0;
    for (unsigned long i = 1; i < (1UL << 40); i++)
        total += collatz(i);
    return (int)total;
}
""",
}


def python_machine():
    """Returns a fresh Machine with the pure-Python CPU."""
    return Machine()


def unicorn_machine():
    """Returns a fresh machine with the unicorn CPU."""
    from pyucore.machine.unicorn_cpu import UnicornMachine
    return UnicornMachine()


BACKENDS = {"python": python_machine, "unicorn": unicorn_machine}


def build(name, source, scratch):
    """Returns the ELF image of one benchmark program."""
    path = Path(scratch) / f"bench_{name.replace('/', '_')}.c"
    path.write_text(source)
    return build_c(path)


def measure(make_machine, image, insns, repeats, chunk=CHUNK):
    """Runs image for insns instructions in chunk-sized run() calls, repeats times; returns the best
    instructions per CPU second (the best run is the one least disturbed by other load on the host)."""
    machine = make_machine()
    load_elf(machine, image)
    cpu = machine.cpu
    cpu.run(chunk)  # warm up: translate the loop before timing
    best = 0.0
    for _ in range(repeats):
        start = time.process_time()
        done = 0
        while done < insns:
            if cpu.run(chunk) != STOP_BUDGET:
                raise RuntimeError(f"benchmark program trapped at pc {cpu.pc:#x}")
            done += chunk
        best = max(best, done / (time.process_time() - start))
    return best


def main():
    """Prints M instructions per CPU second per backend and program."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", choices=list(BACKENDS) + ["all"], default="all")
    parser.add_argument("--insns", type=int, default=10_000_000, help="instructions per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per program (best is shown)")
    parser.add_argument("--chunk", type=int, default=CHUNK, help="instructions per run() call")
    args = parser.parse_args()
    backends = list(BACKENDS) if args.cpu == "all" else [args.cpu]
    with tempfile.TemporaryDirectory() as scratch:
        images = {name: build(name, src, scratch) for name, src in PROGRAMS.items()}
    print(f"{'program':<12}" + "".join(f"{b:>16}" for b in backends))
    for name, image in images.items():
        rates = [measure(BACKENDS[b], image, args.insns, args.repeats, args.chunk) for b in backends]
        print(f"{name:<12}" + "".join(f"{r / 1e6:>12.2f} M/s" for r in rates))


if __name__ == "__main__":
    main()
