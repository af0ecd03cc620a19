"""The kernel's detail events (`mm` snapshots, `console` lines): off for a plain run, and when on,
always up to date with the page tables and the frames' reference counts."""

import pathlib

import pytest

from pyucore.api import boot
from pyucore.kern.mm import pmm
from pyucore.kern.mm.mmu import PTE_COW, PTE_USER, PTE_V
from pyucore.kern.process import proc
from pyucore.user.build import build_c

KERN_TESTS = pathlib.Path(__file__).parent.parent


def test_a_run_without_trace_or_page_records_no_detail_events():
    kinds = {e["kind"] for e in boot(program="forktree", quiet_boot=True, keep_events=True).events}
    assert "fork" in kinds and not kinds & {"mm", "console"}


class SnapshotChecker:
    """An event listener that, at every switch, compares each living process's latest `mm` snapshot
    with its page table (walked afresh) and the frames' holders with the kernel's page refs."""

    def __init__(self):
        self.latest, self.checks = {}, 0

    def __call__(self, e):
        if e["kind"] == "mm":
            pages = {} if e["vmas"] is not None else self.latest[e["pid"]]
            pages.update({page[0]: page for page in e["pages"]})
            self.latest[e["pid"]] = {vpn: page for vpn, page in pages.items() if page[1] or page[2]}
        elif e["kind"] == "exit":
            self.latest.pop(e["pid"], None)
        elif e["kind"] == "switch":
            self.check()

    def check(self):
        holders = {}
        for p in proc.proc_list:
            if p.mm is None or p.pid not in self.latest:
                continue
            snap = self.latest[p.pid].values()
            walked = sorted([va >> 12, pte & (PTE_USER | PTE_COW), pa >> 12]
                            for va, pa, size, pte in pmm.walk_mappings(p.mm.pgdir) if size == 4096 and not va >> 38)
            on_disk = sorted([la >> 12, 0, pte >> 8] for vma in p.mm.mmap_list
                             for la, _, pte in pmm.present_ptes(p.mm.pgdir, vma.vm_start, vma.vm_end)
                             if not pte & PTE_V)
            assert sorted(page for page in snap if page[1] & PTE_V) == walked, "stale pages of pid %d" % p.pid
            assert sorted(page for page in snap if not page[1]) == on_disk, "stale swap of pid %d" % p.pid
            for _, _, ppn in walked:
                holders[ppn] = holders.get(ppn, 0) + 1
        for ppn, count in holders.items():
            assert pmm.pages[ppn - pmm.NBASE].ref == count, "frame 0x%x" % ppn
        self.checks += 1


@pytest.mark.parametrize("source, ram_mib", [("programs/cowiso.c", 128), ("programs/forkstress.c", 128),
                                            ("mm/swapfork.c", 8)])
def test_memory_snapshots_match_the_page_tables_and_frame_refs_at_every_switch(tmp_path, source, ram_mib):
    checker = SnapshotChecker()
    result = boot(elf=build_c(str(KERN_TESTS / source)), quiet_boot=True, ram_mib=ram_mib,
                  trace=str(tmp_path / "t.json"), on_event=checker)
    assert result.exit_status == 0 and checker.checks >= 5
    if ram_mib == 8:
        assert any(e["kind"] == "mm" and e["why"] == "swap-out" for e in result.events)


def test_console_events_are_the_console_lines_with_the_printing_process():
    result = boot(program="forktree", quiet_boot=True, html="/dev/null")
    lines = [e for e in result.events if e["kind"] == "console"]
    assert "".join(e["text"] + "\n" for e in lines) == result.console
    assert any(e["pid"] == 2 and e["text"].endswith("I am ''") for e in lines)
    assert [e["t"] for e in lines] == sorted(e["t"] for e in lines) and lines[-1]["t"] > 0
