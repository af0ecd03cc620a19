"""What the differential tests reach with other numbers of random programs: the lines and branches of
pyucore/machine they run, and how often each instruction is drawn (the argument for their count).

    pip install coverage    # not a dependency of pyucore: only this script needs it
    python benchmarks/differential_coverage.py 50/30 25/20 13/10

Each PROGRAMS/LOOPS runs tests/machine/test_cpu_differential.py (pytest, one process) with PROGRAMS
programs in each test and LOOPS in each loop test (the seeds stay, so a smaller count runs the first
programs of the same seeds) under coverage.py in branch mode, then prints the lines and branches
reached, the instructions drawn and the least drawn, and what the first PROGRAMS/LOOPS reached that this
one did not.
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Counts:
    """A pytest plugin: runs programs programs in each test of the module and loops in each loop test
    (the one whose count is not check_sequences' default), and counts the instructions drawn."""

    def __init__(self, programs, loops):
        self.programs, self.loops = programs, loops
        self.drawn = collections.Counter()

    def pytest_collection_finish(self, session):
        """Wraps check_sequences and random_program of the collected differential module."""
        import test_cpu_differential as module
        from pyucore.machine.decode import decode
        check, generate = module.check_sequences, module.random_program

        default = module.check_sequences.__defaults__[0]

        def counted_check(pair, seed, kinds, count=default, length=25):
            return check(pair, seed, kinds, self.programs if count == default else self.loops, length)

        def counted_program(r, kinds, length):
            code, end = generate(r, kinds, length)
            at = 0
            while at < len(code):
                word = int.from_bytes(code[at:at + 4].ljust(4, b"\0"), "little")
                self.drawn[decode(word).op] += 1
                at += 4 if word & 3 == 3 else 2
            return code, end
        module.check_sequences, module.random_program = counted_check, counted_program


def measure(counts, out_path):
    """In this process: runs the module with counts ("PROGRAMS/LOOPS") under coverage; writes the
    lines, branches and instruction counts to out_path as JSON."""
    import coverage
    cov = coverage.Coverage(branch=True, source=[str(ROOT / "pyucore" / "machine")], data_file=None)
    cov.start()
    import pytest
    plugin = Counts(*(int(n) for n in counts.split("/")))
    status = pytest.main([str(ROOT / "tests" / "machine" / "test_cpu_differential.py"), "-q", "-n", "0",
                          "-p", "no:cacheprovider"], plugins=[plugin])
    cov.stop()
    data = cov.get_data()
    files = sorted(data.measured_files())
    result = {"status": int(status), "drawn": plugin.drawn,
              "lines": sorted("%s:%d" % (os.path.relpath(f, ROOT), n) for f in files for n in data.lines(f)),
              "arcs": sorted("%s:%d>%d" % (os.path.relpath(f, ROOT), a, b) for f in files
                             for a, b in data.arcs(f) or ())}
    Path(out_path).write_text(json.dumps(result))


def main():
    if sys.argv[1:2] == ["--one"]:
        measure(sys.argv[2], sys.argv[3])
        return
    runs = sys.argv[1:] or ["50/30", "25/20"]
    first = None
    for counts in runs:
        with tempfile.TemporaryDirectory(prefix="differential-coverage-") as scratch:
            out = Path(scratch) / "result.json"
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "benchmarks"),
                                                                             os.environ.get("PYTHONPATH")])))
            subprocess.run([sys.executable, __file__, "--one", counts, str(out)], cwd=ROOT, env=env,
                           check=True, stdout=subprocess.DEVNULL)
            result = json.loads(out.read_text())
        if result["status"] != 0:
            sys.exit("pytest failed (exit %d) with %s: its coverage would mean nothing" % (result["status"], counts))
        drawn = result["drawn"]
        least = sorted(drawn.items(), key=lambda item: item[1])[:3]
        print("%s: %d lines, %d branches, %d instructions drawn %d times, least: %s"
              % (counts, len(result["lines"]), len(result["arcs"]), len(drawn),
                 sum(drawn.values()), ", ".join("%s %d" % item for item in least)))
        if first is None:
            first = result
            continue
        missed = sorted(set(first["lines"]) - set(result["lines"])) + sorted(set(first["arcs"]) - set(result["arcs"]))
        missed += sorted(set(first["drawn"]) - set(drawn))
        print("  reached with %s but not here: %s" % (runs[0], ", ".join(missed) or "nothing"))


if __name__ == "__main__":
    main()
