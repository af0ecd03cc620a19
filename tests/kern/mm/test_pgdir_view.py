"""The pgdir view (SYS_pgdir, --pgdir-at-exit): a tree of VMAs and merged runs with COW marks and refs."""

import pathlib
import re

import pytest

from pyucore.api import boot
from pyucore.tools import cli
from pyucore.user.build import build_c

COWVIEW = pathlib.Path(__file__).with_name("cowview.c")
TABLE = re.compile(r"---- page table of (.*?): root at pa 0x[0-9a-f]+ ----\n(.*?)---- end of page table ----\n", re.S)
RUN = re.compile(r"^ {4}0x([0-9a-f]+)\.\.0x([0-9a-f]+) ", re.M)


@pytest.fixture(scope="module")
def cowview_elf():
    return build_c(COWVIEW)


def tables(console):
    """[(title, body)] of every page table printed on the console."""
    return TABLE.findall(console)


def run_line(body, addr):
    """The line of a table body whose run covers virtual address addr."""
    for line in body.splitlines():
        m = RUN.match(line)
        if m and int(m.group(1), 16) <= addr <= int(m.group(2), 16):
            return line
    raise AssertionError("no run covers 0x%x in:\n%s" % (addr, body))


def vma_lines(body, header):
    """The run lines under the vma whose header line ends with header (e.g. `rw-`)."""
    lines, inside = [], False
    for line in body.splitlines():
        if line.startswith("  vma "):
            inside = line.split(":")[0].endswith(header)
        elif inside and line.startswith("    "):
            lines.append(line)
    return lines


def buffer_address(console):
    return int(re.search(r"buffer at 0x([0-9a-f]+)", console).group(1), 16)


def test_a_forked_child_sees_its_writable_pages_marked_cow_before_a_write_and_private_after(cowview_elf):
    result = boot(elf=cowview_elf, name="cowview", quiet_boot=True)
    assert "cowview pass." in result.console
    (before_title, before), (after_title, after) = tables(result.console)
    assert before_title == after_title == "pid 3 (cowview)"
    buffer = buffer_address(result.console)
    data_before = vma_lines(before, "rw-")
    assert data_before and all(" COW " in line and "ref 2" in line for line in data_before)
    assert " COW " not in run_line(after, buffer) and "RW-U-" in run_line(after, buffer)
    assert "ref 1" in run_line(after, buffer)
    assert " COW " in run_line(after, buffer + 4096), "the page not written stays shared"


def test_the_view_counts_cow_pages_in_its_header_and_the_write_removes_exactly_one(cowview_elf):
    result = boot(elf=cowview_elf, name="cowview", quiet_boot=True)
    (_, before), (_, after) = tables(result.console)
    cow_before = int(re.search(r"\((\d+) copy-on-write\)", before).group(1))
    cow_after = int(re.search(r"\((\d+) copy-on-write\)", after).group(1))
    cow_lines = [line for line in before.splitlines() if " COW " in line]
    assert cow_after == cow_before - 1
    assert cow_before == sum(int(re.search(r" (\d+) pages? ", line).group(1)) for line in cow_lines)


def test_without_cow_no_page_is_marked_and_every_user_page_has_one_reference(cowview_elf):
    result = boot(elf=cowview_elf, name="cowview", quiet_boot=True, cow=False)
    assert "cowview pass." in result.console
    for _, body in tables(result.console):
        assert "(0 copy-on-write)" in body and " COW " not in body
        assert all("ref 1" in line for line in body.splitlines() if RUN.match(line))


def test_the_pgdir_program_keeps_its_graded_lines_and_shows_vmas_and_the_kernel_window_end():
    result = boot(program="pgdir", quiet_boot=True)
    lines = result.console.splitlines()
    assert "I am 2, print pgdir." in lines and "pgdir pass." in lines
    (title, body), = tables(result.console)
    assert title == "pid 2 (pgdir)"
    assert re.search(r"^  vma 0x00800000\.\.0x[0-9a-f]+ r-x: 2 of 2 pages mapped$", body, re.M)
    assert re.search(r"^  vma 0x7ff00000\.\.0x7fffffff rw- stack: 4 of 256 pages mapped$", body, re.M)
    assert re.search(r"^  kernel 0xffffffffc0000000\.\.0xffffffffffffffff  262144 pages \(1 GiB\) RWX--", body, re.M)


def test_pgdir_at_exit_prints_each_process_table_before_its_memory_is_freed(cowview_elf):
    result = boot(elf=cowview_elf, name="cowview", quiet_boot=True, pgdir_at_exit=True)
    titles = [title for title, _ in tables(result.console)]
    assert titles[2:] == ["pid 3 (cowview) at exit", "pid 2 (cowview) at exit"]
    parent = tables(result.console)[3][1]
    assert all(" COW " in line for line in vma_lines(parent, "rw-")), "the parent never wrote: still marked"
    assert "init check memory pass." in result.console


def test_the_cli_pgdir_at_exit_option_prints_the_tables_on_the_console(capsys):
    assert cli.main(["run", "exit", "--quiet-boot", "--pgdir-at-exit", "--no-cow"]) == 0
    out = capsys.readouterr().out
    titles = [title for title, _ in tables(out)]
    assert titles and all(title.endswith(" at exit") for title in titles)
    assert " COW " not in out
