"""How the cost of a fork grows with the number of processes (issue 15: it should stay flat).

    python benchmarks/fork_scaling.py [--n 100 --n 1000 --n 4000] [--repeat N] [--cpu python|unicorn]

For a chain of N nested forks (each process forks one child and waits for it: N processes alive at
the deepest point) and for fork-N-then-wait-all (N children that exit at once, then N waits), prints
the time per fork: (T(N) - T(0)) / N, where T(N) is the best CPU time (of this process: the kernel
and the machine run in it) of a whole boot running the program with N forks, so boot and exec are not
counted. CPU time, not wall time, so that other work on a busy host counts less. The last column is
the time per fork at N relative to the first N (1.00 means linear).
"""

import argparse
import pathlib
import tempfile
import time

from pyucore.api import boot
from pyucore.user.build import build_c

HERE = pathlib.Path(__file__).parent / "programs"
PROGRAMS = ("forkchain", "forkwait")
RAM_MIB = 512        # 4,000 live processes need about 50 MiB more than the default 128 MiB leaves


def build(stem, forks, scratch):
    """The ELF of benchmarks/programs/<stem>.c compiled with FORKS = forks."""
    source = pathlib.Path(scratch) / f"{stem}.c"
    source.write_text(f"#define FORKS {forks}\n" + (HERE / f"{stem}.c").read_text())
    return build_c(source)


def best_time(elf, name, cpu, repeat):
    """The best CPU time of `repeat` boots running elf (each must halt cleanly)."""
    best = None
    for _ in range(repeat):
        start = time.process_time()
        result = boot(elf=elf, name=name, cpu=cpu, quiet_boot=True, ram_mib=RAM_MIB)
        spent = time.process_time() - start
        if result.exit_status != 0:
            raise SystemExit(f"{name}: {result.halt_reason}\n{result.console[-500:]}")
        best = spent if best is None else min(best, spent)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="numbers of forks (default 100, 1000, 4000)")
    parser.add_argument("--repeat", type=int, default=3, help="boots per figure; the best is kept")
    parser.add_argument("--cpu", default="python", choices=("python", "unicorn"))
    args = parser.parse_args()
    sizes = args.n or [100, 1000, 4000]
    print("%-10s %6s %12s %12s %9s" % ("program", "N", "CPU time (s)", "ms per fork", "vs first"))
    with tempfile.TemporaryDirectory(prefix="fork-scaling-") as scratch:
        for stem in PROGRAMS:
            empty = build(stem, 0, scratch)
            best_time(empty, stem, args.cpu, 1)      # warm up: imports, translations, caches
            base = best_time(empty, stem, args.cpu, args.repeat)
            first = None
            for n in sizes:
                total = best_time(build(stem, n, scratch), stem, args.cpu, args.repeat)
                per_fork = (total - base) / n
                first = first or per_fork
                print("%-10s %6d %12.2f %12.3f %9.2f" % (stem, n, total, per_fork * 1e3, per_fork / first))


if __name__ == "__main__":
    main()
