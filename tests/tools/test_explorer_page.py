"""The explorer page in a real browser: Debian's headless Chromium driven by playwright, from file:// URLs.

One browser serves the whole module. Locally the tests skip when Chromium or playwright is missing;
in CI (CI=true) they never skip: .ci/run installs Chromium.
"""

import os

import pytest

from explorer_browser import OpenPage, launch, pixel_variance, chromium_path, take_screenshot
from kernel_helpers import PROGRAMS
from pyucore.api import boot
from pyucore.tools.explorer import write_page
from pyucore.tools.stats import format_report
from pyucore.tools.trace import build_trace
from pyucore.user.build import build_c

IN_CI = os.environ.get("CI") == "true"
BOMB_CHILDREN = 4000


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the test session (a worker), however xdist interleaves this module's
    tests with others'."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            raise
        pytest.skip("playwright is not installed")
    if chromium_path() is None and not IN_CI:
        pytest.skip("chromium is not installed")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def forktree(tmp_path_factory, browser):
    """(BootResult, OpenPage) of forktree's explorer page."""
    path = tmp_path_factory.mktemp("explorer") / "forktree.html"
    result = boot(program="forktree", quiet_boot=True, html=str(path))
    opened = OpenPage(browser, path)
    yield result, opened
    opened.close()


@pytest.fixture(scope="module")
def forkwrite(tmp_path_factory, browser):
    """(BootResult, OpenPage) of the page of a program whose child writes a global after fork."""
    path = tmp_path_factory.mktemp("explorer") / "forkwrite.html"
    result = boot(elf=build_c(str(PROGRAMS / "forkwrite.c")), name="forkwrite", quiet_boot=True,
                  html=str(path))
    opened = OpenPage(browser, path)
    yield result, opened
    opened.close()


def first(events, kind, **fields):
    """The first event of kind whose fields have the given values."""
    return next(e for e in events if e["kind"] == kind and all(e[k] == v for k, v in fields.items()))


def tree_node(opened, pid):
    """The text of pid's node in the process tree, or None when pid is not in the tree."""
    node = opened.page.query_selector('#tree .node[data-pid="%d"]' % pid)
    return None if node is None else node.inner_text()


def test_forktree_has_one_timeline_row_per_process_32_with_init(forktree):
    result, opened = forktree
    rows = [int(pid) for pid in opened.page.eval_on_selector_all(
        "#labels .row", "rows => rows.map(r => r.dataset.pid)")]
    forked = sorted(e["child"] for e in result.events if e["kind"] == "fork")
    assert len(rows) == 32 and rows == forked
    assert opened.page.inner_text('#labels .row[data-pid="1"]') == "pid 1 init"
    assert opened.problems == []


def test_moving_the_cursor_shows_a_zombie_appear_then_disappear_from_the_tree(forktree):
    result, opened = forktree
    exits = {e["pid"]: e["t"] for e in result.events if e["kind"] == "exit"}
    reaps = {e["child"]: e["t"] for e in result.events if e["kind"] == "reap"}
    pid = next(p for p in sorted(exits) if reaps[p] > exits[p])
    opened.move_cursor(exits[pid] - 1)
    assert "zombie" not in tree_node(opened, pid)
    opened.move_cursor(exits[pid])
    assert "zombie" in tree_node(opened, pid) and "exit 0" in tree_node(opened, pid)
    opened.move_cursor(reaps[pid])
    assert tree_node(opened, pid) is None
    assert opened.problems == []


def test_an_orphan_shows_as_reparented_to_init_once_its_parent_exited(forktree):
    result, opened = forktree
    parents = {e["child"]: e["pid"] for e in result.events if e["kind"] == "fork"}
    exits = {e["pid"]: e["t"] for e in result.events if e["kind"] == "exit"}
    child = next(c for c, p in sorted(parents.items()) if p > 1 and exits[p] < exits[c])
    opened.move_cursor(exits[parents[child]] - 1)
    assert "reparented" not in tree_node(opened, child)
    opened.move_cursor(exits[parents[child]])
    assert "reparented to init" in tree_node(opened, child)
    init_subtree = opened.page.inner_text('#tree .node[data-pid="1"] + ul')
    assert "\n%d " % child in "\n" + init_subtree


def test_clicking_a_console_line_moves_the_cursor_to_when_it_was_printed(forktree):
    result, opened = forktree
    printed = first(result.events, "console", text="0007: I am '00'")
    opened.move_cursor(0)
    opened.page.click("#console .line:has-text(\"I am '00'\")")
    assert opened.cursor() == printed["t"] > 0
    assert opened.page.get_attribute("body", "data-selected") == str(printed["pid"])
    assert "current" in opened.page.get_attribute("#console .line:has-text(\"I am '00'\")", "class")
    assert opened.problems == []


def test_clicking_the_timeline_selects_the_row_and_moves_the_cursor_there(forktree):
    result, opened = forktree
    opened.page.click("#zoom-fit")
    canvas = opened.page.query_selector("#rows").bounding_box()
    row_of_pid_4 = 3                                         # rows: pid 1, 2, 3, 4, ...
    opened.page.mouse.click(canvas["x"] + canvas["width"] / 2, canvas["y"] + 18 * row_of_pid_4 + 9)
    assert opened.page.get_attribute("body", "data-selected") == "4"
    middle = result.stats["instructions"] / 2
    assert abs(opened.cursor() - middle) <= result.stats["instructions"] / canvas["width"] + 1
    assert "pid 4 (forktree)" in opened.page.inner_text("#memory-title")


def test_hovering_a_slice_tells_its_state_and_zooming_changes_the_view(forktree):
    _, opened = forktree
    opened.page.click("#zoom-fit")
    canvas = opened.page.query_selector("#rows").bounding_box()
    opened.page.mouse.move(canvas["x"] + 5, canvas["y"] + 9)           # pid 1 (init) at the start
    tip = opened.page.inner_text("#tooltip")
    assert tip.startswith("pid 1 (init)") and "t=" in tip
    before = opened.page.inner_text("#time-readout")
    opened.page.click("#zoom-in")
    assert opened.page.inner_text("#time-readout") != before
    opened.page.click("#zoom-fit")
    assert opened.problems == []


def test_the_forked_child_shares_the_global_copy_on_write_until_it_writes_it(forkwrite):
    result, opened = forkwrite
    fork = first(result.events, "fork", pid=2)
    child, parent = fork["child"], fork["pid"]
    copy = first(result.events, "cow", pid=child, copied=True)
    row = '#pages tr[data-va="0x%08x"]' % copy["addr"]
    opened.select(child)
    opened.move_cursor(fork["t"])
    assert "cow-shared" in opened.page.get_attribute(row, "class")
    assert "COW-shared, ref 2 (pids %d, %d)" % (parent, child) in opened.page.inner_text(row) or \
        "COW-shared, ref 2 (pids %d, %d)" % (child, parent) in opened.page.inner_text(row)
    opened.move_cursor(copy["t"])
    assert "cow-copied" in opened.page.get_attribute(row, "class")
    assert "ref 1" in opened.page.inner_text(row)
    opened.select(parent)
    assert "last reference (ref 1)" in opened.page.inner_text(row)
    assert opened.problems == []


def test_a_screenshot_of_the_page_is_not_blank(forktree, browser):
    result, opened = forktree
    png = take_screenshot(opened, result.events)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert pixel_variance(opened.page, png) > 100
    assert opened.problems == []


def fork_bomb_events(children):
    """Kernel-like events of a parent (pid 2) that forks children, each of which exits at once and is
    reaped later: the shape of a big fork bomb, made without running one."""
    events, t = [], 0

    def emit(kind, pid, **fields):
        events.append(dict(fields, t=t, kind=kind, pid=pid))

    emit("state", 1, old="uninit", new="runnable", name="init")
    emit("fork", 0, child=1)
    emit("switch", 1, prev=0)
    emit("state", 2, old="uninit", new="runnable", name="bomb")
    emit("fork", 1, child=2)
    emit("state", 1, old="runnable", new="sleeping", name="init")
    emit("switch", 2, prev=1)
    emit("exec", 2, name="bomb")
    for child in range(3, 3 + children):
        t += 40
        emit("state", child, old="uninit", new="runnable", name="bomb")
        emit("fork", 2, child=child)
        emit("mm", child, why="fork", vmas=[[0x800000, 0x802000, 5]], pages=[[0x800, 0x1B, 0x80200 + child]])
        if child % 100 == 0:
            emit("console", 2, text="forked %d" % child)
    for child in range(3, 3 + children):
        emit("switch", child, prev=2 if child == 3 else child - 1)
        t += 10
        emit("state", child, old="runnable", new="zombie", name="bomb")
        emit("exit", child, code=0, parent=2)
    emit("switch", 2, prev=2 + children)
    for child in range(3, 3 + children):
        t += 5
        emit("reap", 2, child=child, code=0)
    return events


@pytest.mark.slow
def test_a_page_of_4000_processes_opens_and_scrolls_to_its_last_row(tmp_path, browser):
    events = fork_bomb_events(BOMB_CHILDREN)
    end = events[-1]["t"] + 100
    path = tmp_path / "bomb.html"
    write_page(build_trace(events, end, format_report(events, {"instructions": end}, end)), path)
    opened = OpenPage(browser, path)
    assert opened.page.eval_on_selector_all("#labels .row", "rows => rows.length") == BOMB_CHILDREN + 2
    opened.page.eval_on_selector("#scroller", "s => { s.scrollTop = s.scrollHeight; }")
    opened.page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    last = opened.page.query_selector('#labels .row[data-pid="%d"]' % (2 + BOMB_CHILDREN))
    assert last.is_visible()
    assert pixel_variance(opened.page, opened.page.query_selector("#rows").screenshot()) > 100
    opened.move_cursor(40 * BOMB_CHILDREN)
    assert "more processes not shown" in opened.page.inner_text("#tree")
    assert opened.problems == []
    opened.close()
