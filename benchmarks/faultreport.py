"""What the source line and instruction of a fault report cost: testbss's kill line, looked up afresh.

    python benchmarks/faultreport.py [--tree DIR ...] [--repeat N]

Each figure is one new process of the pyucore checkout DIR (--tree, repeatable; default: the one holding
this script) that imports the kernel, then times (time.process_time(), in-process CPU time) what
testbss's kill line needs: kdebug.debuginfo_eip (`testbss.c:32, main`) and kdebug.disassemble (`sw
zero, 0(a0)`) of the faulting instruction; medians of --repeat runs, the trees interleaved round by
round. cold: pyucore's cache directory is a new empty one in each round (the image is read and its
entry written); warm: the same directory again. A tree whose kdebug keeps no entries measures the same
thing cold and warm.
"""

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from startup import HERE, trees_and_rounds      # benchmarks/ is the script's directory, first on the path

FAULT_PC = 0x8000C6         # testbss's store past its BSS (tests/kern/fixtures/testbss.out)
STORE = "23200500"          # sw zero, 0(a0)

# what the child runs: argv = the ELF file; prints "<where> | <instruction> | <seconds>"
DRIVER = """
import inspect, sys, time
from pyucore.kern.debug import kdebug
image = open(sys.argv[1], "rb").read()
start = time.process_time()
where = kdebug.debuginfo_eip(image, %d)
extra = (image,) if "image" in inspect.signature(kdebug.disassemble).parameters else ()
insn = kdebug.disassemble(bytes.fromhex("%s"), %d, *extra)
print("%%s | %%s | %%.6f" %% (where, insn, time.process_time() - start))
""" % (FAULT_PC, STORE, FAULT_PC)


def run_child(tree, elf_path, cache_dir):
    """Looks up testbss's fault in a new process of tree with pyucore's cache in cache_dir; returns
    (seconds, the kill line's parts). Raises CalledProcessError if it fails."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYUCORE_CACHE=str(cache_dir))
    done = subprocess.run([sys.executable, "-c", DRIVER, str(elf_path)], env=env, cwd=tree,
                          capture_output=True, text=True, check=True)
    where, insn, seconds = done.stdout.strip().rsplit(" | ", 2)
    return float(seconds), "%s | %s" % (where, insn)


def main():
    trees, repeat = trees_and_rounds(__doc__.splitlines()[0])
    sys.path.insert(0, str(HERE))
    from pyucore.user.build import build_program
    figures = {tree: {"cold": [], "warm": []} for tree in trees}
    answers = set()
    with tempfile.TemporaryDirectory(prefix="pyucore-faultreport-") as scratch:
        elf_path = Path(scratch) / "testbss.elf"
        elf_path.write_bytes(build_program("testbss"))
        for tree in trees:
            run_child(tree, elf_path, Path(tempfile.mkdtemp(dir=scratch)))     # writes .pyc files
        for _ in range(repeat):
            for tree in trees:
                cache = Path(tempfile.mkdtemp(dir=scratch))
                for name in ("cold", "warm"):
                    seconds, answer = run_child(tree, elf_path, cache)
                    figures[tree][name].append(seconds)
                    answers.add(answer)
    print("testbss's kill line: %s (every run: %s)" % (" / ".join(sorted(answers)),
                                                     "the same" if len(answers) == 1 else "DIFFERENT"))
    print("medians of %d rounds, in-process CPU time of debuginfo_eip + disassemble" % repeat)
    for tree in trees:
        print("%s\n  cold %7.1f ms   warm %7.1f ms" % (tree, *(statistics.median(figures[tree][name]) * 1e3
                                                           for name in ("cold", "warm"))))


if __name__ == "__main__":
    main()
