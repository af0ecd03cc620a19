"""Start-up cost: `pyucore run hello --quiet-boot` with a cold and a warm translation cache, and testbss.

    python benchmarks/startup.py [--tree DIR ...] [--repeat N]

Each figure is one pyucore process started afresh, running `pyucore run PROGRAM --quiet-boot` as a user
does, from `python -m pyucore`'s entry point: its in-process time (the CPU time the process spent
from importing pyucore's command line to the end of the run, time.process_time()), its whole CPU
time (user + system from the operating system's accounting of the child, interpreter start-up
included) and its wall time; medians of --repeat runs. CPU times count only that process's work, so
they stay meaningful on a loaded host; wall times do not. "outside CPU" is the in-process time less
what the python CPU's run() took (the user program's instructions, their TLB misses and translations):
what the kernel and the tools around it cost, the part the load moves least.
- cold: the translation cache is a new empty directory, so every block is compiled (and stored);
- warm: the same directory again, so the blocks come from the cache;
- testbss: warm, the CPU-heaviest lab5 program (4 MiB of BSS checked and written).
--tree DIR measures the pyucore checkout DIR (repeatable; default: the one holding this script), its
runs interleaved with the other trees' round by round, so they share the host's load. A tree whose
kernel has no translation cache measures the same thing cold and warm. The runs use Python's bytecode
cache (.pyc, as an installed package has), written by an unmeasured first run of each tree; ELF images
come from pyucore's build cache, built before timing.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


# what the child runs: the command line's main(), timed from its import to its end, and the CPU's
# run() within it
DRIVER = """
import sys, time
start = time.process_time()
from pyucore.machine.cpu import CPU
inside, run = [0.0], CPU.run
def timed_run(self, budget):
    began = time.process_time()
    try:
        return run(self, budget)
    finally:
        inside[0] += time.process_time() - began
CPU.run = timed_run
from pyucore.tools.cli import main
status = main(sys.argv[1:])
sys.stderr.write("in-process %.6f %.6f\\n" % (time.process_time() - start, inside[0]))
sys.exit(status)
"""


def run_child(tree, program, cache_dir):
    """Runs `pyucore run program --quiet-boot` in a new process from tree with the translation cache in
    cache_dir; returns (in-process CPU seconds, whole CPU seconds, wall seconds, in-process seconds
    outside the CPU's run()). Raises CalledProcessError if it fails."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYUCORE_TRANSLATION_CACHE=str(cache_dir))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # run from tree: `python -c` puts the current directory first on the path
    done = subprocess.run([sys.executable, "-c", DRIVER, "run", program, "--quiet-boot"], env=env, cwd=tree,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    in_process, inside = map(float, done.stderr.rsplit("in-process ", 1)[1].split())
    return in_process, cpu, wall, in_process - inside


def measure_round(tree, scratch):
    """One cold hello, one warm hello and one warm testbss of tree; returns {figure: run_child's times}."""
    cache = Path(tempfile.mkdtemp(dir=scratch))
    cold = run_child(tree, "hello", cache)
    warm = run_child(tree, "hello", cache)
    run_child(tree, "testbss", cache)       # puts testbss's blocks in the cache
    return {"hello cold": cold, "hello warm": warm, "testbss warm": run_child(tree, "testbss", cache)}


def trees_and_rounds(description):
    """Parses the command line of a benchmark comparing checkouts: --tree DIR (repeatable; default: the
    one holding this script) and --repeat N (default 5); returns (the trees' resolved paths, N)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tree", action="append", type=Path, help="a pyucore checkout to measure (repeatable)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; medians are printed (default 5)")
    args = parser.parse_args()
    return [tree.resolve() for tree in args.tree or [HERE]], args.repeat


def main():
    trees, repeat = trees_and_rounds(__doc__.splitlines()[0])
    figures = {tree: {} for tree in trees}
    with tempfile.TemporaryDirectory(prefix="pyucore-startup-") as scratch:
        for tree in trees:
            run_child(tree, "hello", Path(tempfile.mkdtemp(dir=scratch)))    # builds, writes .pyc files
        for _ in range(repeat):
            for tree in trees:
                for name, value in measure_round(tree, scratch).items():
                    figures[tree].setdefault(name, []).append(value)
    print("medians of %d rounds; CPU = the child's user + system time" % repeat)
    for tree in trees:
        print(tree)
        for name, values in figures[tree].items():
            in_process, cpu, wall, outside = (statistics.median(v[i] for v in values) for i in range(4))
            print("  %-14s in-process %6.3f s   CPU %6.3f s   wall %6.3f s   outside CPU %6.3f s"
                  % (name, in_process, cpu, wall, outside))


if __name__ == "__main__":
    main()
