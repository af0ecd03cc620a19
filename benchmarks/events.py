"""Memory of a long run: a program making N system calls, with the kernel's events kept or not.

    python benchmarks/events.py                          # 10^7 getpid calls, events not kept (the default)
    python benchmarks/events.py --syscalls 300000 --keep-events

Prints the run's wall time and this process's peak resident set size (ru_maxrss) before and after the
boot. Without kept events (no --trace, --stats or keep_events) the kernel only counts them, so the peak
does not grow with N; kept, each system call costs a few hundred bytes.
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

from pyucore.api import boot
from pyucore.user.build import build_c

SOURCE = """#include <stdio.h>
#include <ulib.h>

int
main(void) {
    long i, sum = 0;
    for (i = 0; i < %dL; i++) {
        sum += getpid();
    }
    cprintf("getpid sum %%ld\\n", sum);
    return 0;
}
"""


def peak_mib():
    """This process's peak resident set size so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--syscalls", type=int, default=10_000_000)
    parser.add_argument("--keep-events", action="store_true")
    parser.add_argument("--cpu", default="python", choices=("python", "unicorn"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "syscalls.c"
        source.write_text(SOURCE % args.syscalls)
        elf = build_c(source)
    before = peak_mib()
    start = time.perf_counter()
    result = boot(elf=elf, name="syscalls", quiet_boot=True, cpu=args.cpu, keep_events=args.keep_events)
    seconds = time.perf_counter() - start
    assert result.exit_status == 0, result.halt_reason
    print(f"{result.stats['syscalls']} system calls ({args.cpu} CPU, events "
          f"{'kept' if args.keep_events else 'not kept'}): {seconds:.1f} s, "
          f"peak RSS {before:.0f} MiB before the boot, {peak_mib():.0f} MiB after")


if __name__ == "__main__":
    main()
