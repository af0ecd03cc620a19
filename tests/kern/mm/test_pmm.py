"""Physical memory: first fit, reference counts, and the memory check that can fail."""

import pytest

from pyucore.api import boot
from pyucore.kern.debug.panic import KernelPanic
from pyucore.kern.mm import pmm
from pyucore.kern.mm.default_pmm import default_pmm_manager
from pyucore.kern.mm.memlayout import Page, PageReserved, page_array, page_ref_dec
from pyucore.kern.process import proc as P


def _manager(npages):
    pages = page_array(npages, 0x80000)
    manager = default_pmm_manager(pages, 0x80000)
    manager.init_memmap(pages[0], npages)
    return manager, pages


def test_first_fit_takes_the_lowest_block_that_is_big_enough():
    m, pages = _manager(16)
    a, b, c = m.alloc_pages(2), m.alloc_pages(3), m.alloc_pages(2)
    m.free_pages(a, 2)
    m.free_pages(c, 2)
    assert m.alloc_pages(2) is a
    assert m.alloc_pages(4) is pages[5]


def test_freed_neighbours_merge_into_one_block():
    m, pages = _manager(8)
    a, b = m.alloc_pages(4), m.alloc_pages(4)
    m.free_pages(b, 4)
    m.free_pages(a, 4)
    assert len(m.area.free_list) == 1 and m.area.free_list[0].property == 8
    assert m.alloc_pages(8) is pages[0]


def test_allocation_beyond_free_memory_returns_none():
    m, _ = _manager(4)
    assert m.alloc_pages(5) is None
    assert m.alloc_pages(4) is not None and m.alloc_pages(1) is None


def test_freeing_a_page_twice_is_a_kernel_panic():
    m, pages = _manager(4)
    p = m.alloc_pages(1)
    m.free_pages(p, 1)
    with pytest.raises(KernelPanic):
        m.free_pages(p, 1)


def test_a_reference_count_below_zero_is_a_kernel_panic():
    with pytest.raises(KernelPanic):
        page_ref_dec(Page(0x80000))


def test_a_leaked_page_makes_the_init_memory_check_fail(monkeypatch):
    monkeypatch.setattr(P, "put_kstack", lambda proc: None)
    result = boot(program="hello", quiet_boot=True)
    assert result.exit_status == 1
    assert "init check memory pass." not in result.console
    assert "init check memory failed: 2 pages not given back." in result.console


@pytest.mark.parametrize("cow", [True, False])
def test_every_page_reference_is_dropped_after_a_fork_tree_exits(cow):
    result = boot(program="forktree", cow=cow, quiet_boot=True)
    assert result.exit_status == 0
    assert [p for p in pmm.pages if p.ref != 0] == []


def test_boot_reports_the_memory_map_of_a_smaller_ram():
    result = boot(program="hello", ram_mib=16)
    assert "  memory: 0x00e00000, [0x80200000, 0x80ffffff]." in result.console
    assert "init check memory pass." in result.console


def test_a_cow_copy_range_that_runs_out_of_memory_leaves_no_stale_writable_translation(monkeypatch):
    from pyucore.kern import hw
    from pyucore.kern.libs.error import E_NO_MEM
    from pyucore.kern.mm import vmm
    from pyucore.kern.mm.mmu import PGSHIFT, PTE_R, PTE_U, PTE_W
    from pyucore.machine import MachineTrap
    from pyucore.machine.riscv import ACCESS_STORE, CAUSE_STORE_PAGE_FAULT, SATP_MODE_SV39
    assert boot(program="hello", quiet_boot=True).exit_status == 0     # a kernel to call directly
    parent, child = vmm.mm_create(), vmm.mm_create()
    assert P.setup_pgdir(parent) == 0 and P.setup_pgdir(child) == 0
    # two pages 2 MiB apart: the child needs a second page table for the second one
    for la in (0x800000, 0xA00000):
        assert pmm.pgdir_alloc_page(parent.pgdir, la, PTE_U | PTE_R | PTE_W) is not None
    hw.mmu.satp = SATP_MODE_SV39 | (parent.pgdir >> PGSHIFT)
    hw.mmu.translate(0x800000, ACCESS_STORE)                             # a writable translation, cached
    tables = []

    def alloc_pages_until_the_second_table(n):
        tables.append(n)
        return None if len(tables) > 2 else real_alloc_pages(n)
    real_alloc_pages = pmm.alloc_pages
    monkeypatch.setattr(pmm, "alloc_pages", alloc_pages_until_the_second_table)
    assert pmm.copy_range(child.pgdir, parent.pgdir, 0x800000, 0xA01000, 1) == -E_NO_MEM
    monkeypatch.setattr(pmm, "alloc_pages", real_alloc_pages)
    with pytest.raises(MachineTrap) as trap:
        hw.mmu.translate(0x800000, ACCESS_STORE)
    assert trap.value.cause == CAUSE_STORE_PAGE_FAULT, "the page was write-protected for COW"


def test_pages_are_made_on_first_use_in_the_state_their_range_was_last_given():
    pages = page_array(8, 0x80000)
    early = pages[3]
    assert PageReserved(early) and early.ppn == 0x80003
    assert pages.unreserve(2, 4) == [early]      # the caller clears the Pages already made
    early.flags = 0
    assert [PageReserved(p) for p in pages] == [True, True, False, False, False, False, True, True]
    assert pages[4] is pages[4] and pages[-1] is pages[7] and pages[1:3] == [pages[1], pages[2]]
    assert (pages[5].ref, pages[5].flags, pages[5].property, len(pages)) == (0, 0, 0, 8)
    with pytest.raises(IndexError):
        pages[8]


def test_a_boot_makes_only_the_pages_it_uses():
    result = boot(program="hello", quiet_boot=True)
    assert "init check memory pass." in result.console
    made = sum(page is not None for page in pmm.pages._made)
    assert made < len(pmm.pages) // 20, f"{made} of {len(pmm.pages)} Pages made"
