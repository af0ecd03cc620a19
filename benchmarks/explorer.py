"""What the explorer page costs and how it behaves in a browser, for forktree and a real fork bomb.

    python benchmarks/explorer.py [--repeat N]

For each program: run time without and with --html (best of N), the page's size, then in headless
Chromium (the tests' helper): time until the page is ready, time to scroll the timeline to its last
row in 20 steps (each step waits for two frames), and time to move the cursor to the middle of the run.
The fork bomb is tests/kern/programs/forkbomb.c: about 4,000 processes.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "tools"))

from explorer_browser import OpenPage, launch  # noqa: E402  (the tests' helper, found through sys.path)
from pyucore.api import boot  # noqa: E402
from pyucore.user.build import build_c  # noqa: E402

TWO_FRAMES = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def best_run(repeat, **options):
    """(best wall time, BootResult) of repeat boots with options."""
    best, result = None, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = boot(quiet_boot=True, **options)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def in_browser(browser, path, end):
    """(seconds to ready, seconds to scroll to the last row, seconds to move the cursor) of a page."""
    start = time.perf_counter()
    opened = OpenPage(browser, path)
    ready = time.perf_counter() - start
    start = time.perf_counter()
    height = opened.page.eval_on_selector("#scroller", "s => s.scrollHeight")
    for step in range(1, 21):
        opened.page.eval_on_selector("#scroller", "(s, top) => { s.scrollTop = top; }", height * step // 20)
        opened.page.evaluate(TWO_FRAMES)
    scrolled = time.perf_counter() - start
    start = time.perf_counter()
    opened.move_cursor(end // 2)
    opened.page.evaluate(TWO_FRAMES)
    moved = time.perf_counter() - start
    if opened.problems:
        raise SystemExit("page problems: %s" % opened.problems)
    opened.close()
    return ready, scrolled, moved


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the best is kept")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    programs = [("forktree", {"program": "forktree"}),
                ("forkbomb", {"elf": build_c(str(ROOT / "tests" / "kern" / "programs" / "forkbomb.c")),
                              "name": "forkbomb"})]
    print("%-10s %6s %9s %9s %10s %9s %9s %9s" % ("program", "procs", "run (s)", "+html (s)", "page (KB)",
                                                  "ready (s)", "scroll (s)", "cursor (s)"))
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch(playwright)
        for name, options in programs:
            plain, _ = best_run(args.repeat, **options)
            path = os.path.join(tmp, name + ".html")
            with_page, result = best_run(args.repeat, html=path, **options)
            procs = sum(e["kind"] == "fork" for e in result.events)
            ready, scrolled, moved = in_browser(browser, path, result.stats["instructions"])
            print("%-10s %6d %9.2f %9.2f %10d %9.2f %9.2f %9.2f" % (
                name, procs, plain, with_page, os.path.getsize(path) // 1024, ready, scrolled, moved))
        browser.close()


if __name__ == "__main__":
    main()
