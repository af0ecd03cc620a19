"""Fork cost with copy-on-write and with the template's eager copy.

    python benchmarks/fork.py

For a small program and for one with 4 MiB of touched data, each forking 20 children that write one
word and exit: pages copied per fork (at fork time, and later by COW breaks) and the kernel's CPU time
per do_fork call (the process's CPU time, so that other load on the host does not count).
"""

import pathlib
import time

from pyucore.api import boot
from pyucore.kern.process import proc
from pyucore.user.build import build_c

HERE = pathlib.Path(__file__).parent / "programs"


def measure(elf, name, cow):
    """(forks, pages copied at fork, pages copied by COW breaks, seconds per do_fork) of one run."""
    spent = []
    real_do_fork = proc.do_fork

    def timed_do_fork(*args):
        start = time.process_time()
        try:
            return real_do_fork(*args)
        finally:
            spent.append(time.process_time() - start)
    proc.do_fork = timed_do_fork
    try:
        result = boot(elf=elf, name=name, cow=cow, quiet_boot=True, keep_events=True)
    finally:
        proc.do_fork = real_do_fork
    assert result.exit_status == 0, result.halt_reason
    user_forks = [e for e in result.events if e["kind"] == "fork" and e["pid"] >= 2]
    n = len(user_forks)
    user_spent = spent[-n:]
    return n, result.stats["pages_copied_by_fork"], result.stats["cow_copies"], sum(user_spent) / n


def main():
    print("%-18s %-6s %8s %14s %14s %14s" % ("program", "mode", "forks", "copied/fork",
                                             "cow copies/fork", "cpu ms/fork"))
    for stem in ("forkbench", "forkbench_4mib"):
        elf = build_c(str(HERE / (stem + ".c")))
        for cow in (True, False):
            n, copied, cow_copies, per_fork = measure(elf, stem, cow)
            print("%-18s %-6s %8d %14.1f %14.1f %14.3f" % (stem, "cow" if cow else "eager", n,
                                                           copied / n, cow_copies / n, per_fork * 1e3))


if __name__ == "__main__":
    main()
