"""The fork bomb that never waits, `for (;;) fork();` (issue 14): what a failed fork costs with about
10 and with about 4,000 processes, and an eager (--no-cow) bomb next to a copy-on-write one.

    python benchmarks/forkbomb.py [--cpu python|unicorn] [--insns N1,N2] [--compare DIR]

Every figure comes from whole boots of tests/kern/programs/forkforever.c, each in a fresh Python
process and timed by that process's CPU time (the kernel and the machine run in it). Per case: the
processes that exist when the run ends (memory ran out long before), the CPU time of a run stopped
after N1 and after N2 user instructions (default 1,000,000 and 3,000,000), and the CPU time per
failed fork between the two, (T(N2) - T(N1)) / (failed forks between): what a fork costs once memory
is full. The cases: copy-on-write at 128 MiB (about 4,000 processes), the same eager (--no-cow), and
copy-on-write at 16 MiB with a first process that first writes pages enough to leave room for about
10 processes.

--compare DIR also runs every boot on the pyucore source tree DIR (say `git worktree add /tmp/old
bf8ad63`), alternating between the two trees boot by boot, and prints DIR's figures under this
tree's. A run that stays in the kernel longer than --limit CPU seconds is stopped and shown as such.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from pyucore.api import boot
from pyucore.user.build import build_c

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests" / "kern" / "programs" / "forkforever.c"
HOG_RAM_MIB = 16
HOG_ROOM_PAGES = 150         # free pages the hog leaves: room for about 10 bomb processes (measured)

# Runs in the child: boots the ELF at argv[1] with the JSON options of argv[2]; prints the figures.
CHILD = """
import json, sys, time
from pyucore.api import boot
options = json.loads(sys.argv[2])
elf = open(sys.argv[1], "rb").read()
counts = {"forks": 0, "calls": 0}
def on_event(event):
    if event["kind"] == "fork" and event["pid"] >= 2:
        counts["forks"] += 1
    elif event["kind"] == "syscall" and event.get("name") == "fork":
        counts["calls"] += 1
start = time.process_time()
result = boot(elf=elf, name="forkforever", quiet_boot=True, on_event=on_event, **options)
print(json.dumps({"cpu": time.process_time() - start, "processes": counts["forks"] + 1,
                  "failed": counts["calls"] - counts["forks"], "status": result.exit_status}))
"""


def free_pages_at_boot(ram_mib):
    """The free pages the boot's swap check counts (`BEGIN check_swap: count 1, total N`)."""
    console = boot(program="hello", ram_mib=ram_mib).console
    return int(re.search(r"BEGIN check_swap: count \d+, total (\d+)", console).group(1))


def build(scratch, hog_pages=None):
    """The path of forkforever's ELF, with HOG_PAGES defined when hog_pages is given."""
    source = pathlib.Path(scratch) / ("forkforever%s.c" % ("" if hog_pages is None else "_hog"))
    define = "" if hog_pages is None else "#define HOG_PAGES %d\n" % hog_pages
    source.write_text(define + PROGRAM.read_text())
    elf = source.with_suffix(".elf")
    elf.write_bytes(build_c(source))
    return elf


def one_boot(tree, elf, options, limit):
    """The child's figures for one boot on the pyucore source tree `tree`, or None past `limit` CPU
    seconds."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    with tempfile.TemporaryDirectory() as cwd:    # not a tree root: the import must come from `tree`
        try:
            done = subprocess.run([sys.executable, "-c", CHILD, str(elf), json.dumps(options)], env=env,
                                  cwd=cwd, capture_output=True, text=True, timeout=limit * 3)
        except subprocess.TimeoutExpired:
            return None
    if done.returncode != 0:
        raise SystemExit("boot on %s failed:\n%s" % (tree, done.stderr[-2000:]))
    figures = json.loads(done.stdout.splitlines()[-1])
    return None if figures["cpu"] > limit else figures


def row(label, tree_name, low, high):
    """One line of the table."""
    if low is None or high is None:
        return "%-30s %-8s %s" % (label, tree_name, "over the limit")
    per_fork = (high["cpu"] - low["cpu"]) / max(high["failed"] - low["failed"], 1)
    return "%-30s %-8s %9d %11.2f %11.2f %15.1f" % (label, tree_name, high["processes"], low["cpu"],
                                                     high["cpu"], per_fork * 1e6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", default="python", choices=("python", "unicorn"))
    parser.add_argument("--insns", default="1000000,3000000", help="N1,N2: the two instruction limits")
    parser.add_argument("--compare", type=pathlib.Path, help="another pyucore source tree to run too")
    parser.add_argument("--limit", type=float, default=300, help="CPU seconds a boot may take")
    args = parser.parse_args()
    n1, n2 = (int(n) for n in args.insns.split(","))
    trees = [("this", ROOT)] + ([("compare", args.compare.resolve())] if args.compare else [])
    hog = free_pages_at_boot(HOG_RAM_MIB) - HOG_ROOM_PAGES
    with tempfile.TemporaryDirectory(prefix="forkbomb-") as scratch:
        plain, hogging = build(scratch), build(scratch, hog)
        cases = [("cow, 128 MiB", plain, {"ram_mib": 128, "cow": True}),
                 ("eager (--no-cow), 128 MiB", plain, {"ram_mib": 128, "cow": False}),
                 ("cow, %d MiB, %d pages written" % (HOG_RAM_MIB, hog), hogging,
                  {"ram_mib": HOG_RAM_MIB, "cow": True})]
        print("%-30s %-8s %9s %11s %11s %15s" % ("case", "tree", "processes", "T(N1) s", "T(N2) s",
                                                 "us/failed fork"))
        print("(cpu %s, N1 = %d, N2 = %d user instructions)" % (args.cpu, n1, n2))
        for label, elf, options in cases:
            results = {name: [] for name, _ in trees}
            for insns in (n1, n2):
                for name, tree in trees:       # interleaved: the trees take turns, boot by boot
                    figures = one_boot(tree, elf, dict(options, cpu=args.cpu, max_insns=insns), args.limit)
                    results[name].append(figures)
            for name, _ in trees:
                print(row(label, name, *results[name]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
