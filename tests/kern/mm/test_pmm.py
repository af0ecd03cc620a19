"""Physical memory: first fit, reference counts, and the memory check that can fail."""

import pytest

from pyucore.api import boot
from pyucore.kern.debug.panic import KernelPanic
from pyucore.kern.mm import pmm
from pyucore.kern.mm.default_pmm import default_pmm_manager
from pyucore.kern.mm.memlayout import Page, SetPageReserved, page_ref_dec
from pyucore.kern.process import proc as P


def _manager(npages):
    pages = [Page(0x80000 + i) for i in range(npages)]
    for p in pages:
        SetPageReserved(p)
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
