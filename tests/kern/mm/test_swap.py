"""Swap (lab3's FIFO manager): the boot self-check's lines, FIFO order, data across swap-out and
swap-in, slot accounting, fork of swapped-out pages, corrupted entries, and user programs bigger
than a small RAM."""

import pathlib
import re

import pytest

from pyucore.api import boot
from pyucore.kern import hw
from pyucore.kern.fs import swapfs
from pyucore.kern.libs.error import E_NO_MEM
from pyucore.kern.mm import pmm, swap, swap_fifo, vmm
from pyucore.kern.mm.mmu import PGSIZE, PTE_R, PTE_U, PTE_V, PTE_W
from pyucore.kern.process import proc
from pyucore.user.build import build_c

HERE = pathlib.Path(__file__).parent
BOOT_OUT = HERE.parent.parent / "tools" / "fixtures" / "ucore" / "boot.out"   # the original under QEMU
USER_RW = PTE_U | PTE_R | PTE_W


def _swap_lines(console):
    """The console lines from `check_vmm() succeeded.` to `++ setup timer interrupts`, with the
    build-dependent free-page total masked."""
    lines = console.splitlines()
    part = lines[lines.index("check_vmm() succeeded."):lines.index("++ setup timer interrupts") + 1]
    return [re.sub(r"total \d+$", "total N", line) for line in part]


@pytest.fixture(scope="module")
def elf():
    """Builds a C program of this directory by stem."""
    return lambda stem: build_c(str(HERE / (stem + ".c")))


@pytest.fixture
def kernel():
    """A kernel left running after a boot of hello: its pmm, swap and vmm serve direct calls."""
    result = boot(program="hello", quiet_boot=True)
    assert result.exit_status == 0
    return result


def _user_mm(pages):
    """A new mm with its own page directory and one writable VMA of `pages` pages at 0x800000."""
    mm = vmm.mm_create()
    assert proc.setup_pgdir(mm) == 0
    assert vmm.mm_map(mm, 0x800000, pages * PGSIZE, vmm.VM_READ | vmm.VM_WRITE) == 0
    return mm


def _fill(mm, la, byte):
    """Maps a new page at la in mm (listed with the swap manager) filled with byte."""
    page = pmm.pgdir_alloc_page(mm.pgdir, la, USER_RW)
    hw.ram.write(pmm.page2pa(page), bytes([byte]) * PGSIZE)
    return page


def _read(mm, la):
    """The page at la of mm as a user load would see it (a swapped-out page faults back in)."""
    return vmm.copy_from_user(mm, la, PGSIZE)


def _pte(mm, la):
    """The PTE of la in mm."""
    return hw.ram.read_u64(pmm.get_pte(mm.pgdir, la, False))


def _free_mm(mm):
    """Everything of mm back: pages, swap slots, page tables, the mm."""
    vmm.exit_mmap(mm)
    proc.put_pgdir(mm)
    vmm.mm_destroy(mm)


def test_the_boot_console_has_the_original_swap_check_lines_in_order():
    console = boot(program="hello").console
    expected = _swap_lines(BOOT_OUT.read_text())
    assert _swap_lines(console) == expected
    assert len(expected) == 56


def test_check_swap_counts_the_real_free_pages_of_the_machine():
    totals = [int(re.search(r"BEGIN check_swap: count 1, total (\d+)", boot(program="hello", ram_mib=m).console)
                  .group(1)) for m in (8, 16)]
    assert totals[1] - totals[0] == (8 << 20) // PGSIZE


def test_fifo_picks_the_page_mapped_longest_ago_and_a_remapped_address_goes_to_the_tail():
    class MM:
        sm_priv = None
    mm = MM()
    swap_fifo._fifo_init_mm(mm)
    for addr in (0x1000, 0x2000, 0x3000, 0x4000):
        swap_fifo._fifo_map_swappable(mm, addr, "page%x" % addr, 0)
    swap_fifo._fifo_map_swappable(mm, 0x1000, "new", 1)
    swap_fifo._fifo_set_unswappable(mm, 0x3000)
    victims = [swap_fifo._fifo_swap_out_victim(mm, 0) for _ in range(4)]
    assert victims == [(0x2000, "page2000"), (0x4000, "page4000"), (0x1000, "new"), None]


def test_data_written_before_swap_out_reads_back_equal_after_swap_in(kernel):
    mm = _user_mm(3)
    for i in range(3):
        _fill(mm, 0x800000 + i * PGSIZE, 0x41 + i)
    assert swap.swap_out(mm, 2, 0) == 2
    for i in range(2):
        assert not _pte(mm, 0x800000 + i * PGSIZE) & PTE_V, "the oldest pages did not go out first"
    assert _pte(mm, 0x802000) & PTE_V
    assert swap.swap_slots_in_use() == 2
    for i in range(3):
        assert _read(mm, 0x800000 + i * PGSIZE) == bytes([0x41 + i]) * PGSIZE
    assert swap.swap_slots_in_use() == 0, "a page came back but its slot stayed in use"
    _free_mm(mm)


@pytest.mark.parametrize("share", [1, 0])
def test_fork_of_a_swapped_out_page_gives_the_child_its_own_copy_on_disk(kernel, share):
    parent = _user_mm(2)
    _fill(parent, 0x800000, 0x5A)
    _fill(parent, 0x801000, 0x5B)
    assert swap.swap_out(parent, 1, 0) == 1
    child = vmm.mm_create()
    assert proc.setup_pgdir(child) == 0
    assert vmm.dup_mmap(child, parent, share) == 0
    entry_p, entry_c = _pte(parent, 0x800000), _pte(child, 0x800000)
    assert not entry_p & PTE_V and not entry_c & PTE_V and entry_p != entry_c
    assert swap.swap_slots_in_use() == 2
    assert vmm.copy_to_user(child, 0x800000, b"\x01")
    assert _read(parent, 0x800000) == b"\x5A" * PGSIZE
    assert _read(child, 0x800000) == b"\x01" + b"\x5A" * (PGSIZE - 1)
    assert _read(child, 0x801000) == b"\x5B" * PGSIZE
    _free_mm(child)
    _free_mm(parent)
    assert swap.swap_slots_in_use() == 0


def test_unmapping_swapped_out_pages_frees_their_slots_and_no_page_leaks(kernel):
    free_before = pmm.nr_free_pages()
    mm = _user_mm(4)
    for i in range(4):
        _fill(mm, 0x800000 + i * PGSIZE, i)
    assert swap.swap_out(mm, 4, 0) == 4
    assert swap.swap_slots_in_use() == 4
    _free_mm(mm)
    assert swap.swap_slots_in_use() == 0
    assert pmm.nr_free_pages() == free_before


def test_a_shared_copy_on_write_page_is_not_swapped_out(kernel):
    parent = _user_mm(1)
    _fill(parent, 0x800000, 7)
    child = vmm.mm_create()
    assert proc.setup_pgdir(child) == 0
    assert vmm.dup_mmap(child, parent, 1) == 0
    assert swap.swap_out(parent, 1, 0) == 0
    assert _pte(parent, 0x800000) & PTE_V
    _free_mm(child)
    _free_mm(parent)


@pytest.mark.parametrize("bad_entry", [0x7FFFFF00, 6 << 8], ids=["off the disk", "a free slot"])
def test_a_corrupted_swap_entry_is_a_clear_kernel_panic(elf, monkeypatch, bad_entry):
    real = swap.swap_in

    def corrupting(mm, la):
        hw.ram.write_u64(pmm.get_pte(mm.pgdir, la, False), bad_entry)
        return real(mm, la)
    monkeypatch.setattr(swap, "swap_in", corrupting)
    result = boot(elf=elf("swapbig"), name="swapbig", ram_mib=8, quiet_boot=True)
    assert result.exit_status == 1
    assert "kernel panic at kern/" in result.console
    assert "invalid swap_entry_t = 7fffff00." in result.console if bad_entry == 0x7FFFFF00 else \
        "names slot 6, which holds no page." in result.console
    assert "Traceback" not in result.console


@pytest.mark.parametrize("cow", [True, False])
def test_a_program_bigger_than_a_small_ram_runs_correctly_with_swap(elf, cow):
    result = boot(elf=elf("swapbig"), name="swapbig", ram_mib=8, cow=cow, quiet_boot=True)
    assert result.exit_status == 0, result.halt_reason
    assert "swapbig: 1700 pages, 0 bad values" in result.console
    assert "swapbig pass." in result.console and "init check memory pass." in result.console
    assert result.stats["swap_outs"] > result.stats["swap_ins"] > 1700, "the program did not swap"
    assert swap.swap_slots_in_use() == 0, "pages on disk at exit kept their slots"


@pytest.mark.parametrize("cow", [True, False])
def test_parent_and_child_bigger_than_a_small_ram_each_keep_their_data(elf, cow):
    result = boot(elf=elf("swapfork"), name="swapfork", ram_mib=8, cow=cow, quiet_boot=True)
    assert result.exit_status == 0, result.halt_reason
    assert "child: 0 bad pages" in result.console
    assert "parent: 0 bad pages, child exit code 0" in result.console
    assert "swapfork pass." in result.console and "init check memory pass." in result.console
    assert result.stats["swap_outs"] > 0
    assert swap.swap_slots_in_use() == 0


def test_the_swap_disk_grows_for_user_processes_after_the_boot_check():
    boot(program="hello", ram_mib=8, quiet_boot=True)
    assert swapfs.max_swap_offset == (8 << 20) // PGSIZE // 4
    boot(program="hello", ram_mib=128, quiet_boot=True)
    assert swapfs.max_swap_offset == swap.USER_SWAP_PAGES


def _counting_swap_outs(monkeypatch):
    """Counts the calls of swap.swap_out from now on; returns the list that grows by one per call."""
    calls, real = [], swap.swap_out
    monkeypatch.setattr(swap, "swap_out", lambda mm, n, in_tick: calls.append(mm) or real(mm, n, in_tick))
    return calls


def test_a_failed_reclaim_visits_no_process_whose_list_is_empty(kernel, monkeypatch):
    # 40 processes whose only page is shared copy-on-write: the first reclaim drops them from the lists
    # once; later ones visit none of them, so a failed allocation costs the same with 40 as with none
    parent = _user_mm(1)
    _fill(parent, 0x800000, 1)
    children = []
    for _ in range(40):
        children.append(vmm.mm_create())
        assert proc.setup_pgdir(children[-1]) == 0 and vmm.dup_mmap(children[-1], parent, 1) == 0
    calls = _counting_swap_outs(monkeypatch)
    assert swap.swap_reclaim(1) == 0
    first = len(calls)
    assert swap.swap_reclaim(1) == 0 and swap.swap_reclaim(1) == 0
    assert len(calls) == first, "a failed reclaim visited processes with nothing to give again"
    for mm in children + [parent]:
        _free_mm(mm)


def test_a_reclaim_with_the_swap_disk_full_visits_no_process(kernel, monkeypatch):
    mms = [_user_mm(1) for _ in range(20)]
    for mm in mms:
        _fill(mm, 0x800000, 2)
    monkeypatch.setattr(swap, "swap_map", bytearray(b"\x01" * len(swap.swap_map)))
    calls = _counting_swap_outs(monkeypatch)
    assert swap.swap_reclaim(1) == 0 and calls == []
    monkeypatch.undo()
    for mm in mms:
        _free_mm(mm)


def test_a_swap_in_with_memory_and_the_disk_full_trades_places_with_a_victim(kernel, monkeypatch):
    mm = _user_mm(2)
    _fill(mm, 0x800000, 0x61)
    _fill(mm, 0x801000, 0x62)
    assert swap.swap_out(mm, 1, 0) == 1                       # 0x800000 goes to disk
    slot = swapfs.swap_offset(_pte(mm, 0x800000))
    full = bytearray(b"\x01" * len(swap.swap_map))
    monkeypatch.setattr(swap, "swap_map", full)
    monkeypatch.setattr(pmm.pmm_manager, "alloc_pages", lambda n: None)
    assert _read(mm, 0x800000) == b"\x61" * PGSIZE           # back, though no page and no slot was free
    assert not _pte(mm, 0x801000) & PTE_V and swapfs.swap_offset(_pte(mm, 0x801000)) == slot
    monkeypatch.undo()
    assert _read(mm, 0x801000) == b"\x62" * PGSIZE
    _free_mm(mm)


def test_the_table_counts_fork_asks_find_the_pages_in_memory_and_on_disk(kernel):
    mm = _user_mm(3)
    for i in range(3):
        _fill(mm, 0x800000 + i * PGSIZE, i)
    assert pmm.user_table_counts(mm.pgdir) == (3, 3, 0)     # the root, a level-1 and a level-0 table
    assert swap.swap_out(mm, 1, 0) == 1
    assert pmm.user_table_counts(mm.pgdir) == (3, 2, 1)
    assert pmm.count_table_pages(mm.pgdir) == 3 and pmm.count_user_pages(mm.pgdir) == 2
    _free_mm(mm)


def test_a_fork_that_would_eat_into_the_fault_reserve_is_refused_before_it_takes_anything(kernel, monkeypatch):
    mm = _user_mm(4)
    for i in range(4):
        _fill(mm, 0x800000 + i * PGSIZE, i)
    free = pmm.FAULT_RESERVE + 3                              # room for the tables, not for 4 copies
    monkeypatch.setattr(pmm, "nr_free_pages", lambda: free)
    assert pmm.fork_table_pages(mm.pgdir, 1) == 3
    assert pmm.fork_table_pages(mm.pgdir, 1, other_pages=1) is None
    monkeypatch.setattr(swap, "free_slots", lambda: pmm.FAULT_RESERVE + 3)
    assert pmm.fork_table_pages(mm.pgdir, 0) is None, "4 copies fit in 3 free slots"
    monkeypatch.setattr(swap, "free_slots", lambda: pmm.FAULT_RESERVE + 4)
    assert pmm.fork_table_pages(mm.pgdir, 0) == 3
    monkeypatch.undo()
    _free_mm(mm)


def test_fork_builds_the_kernel_stack_and_page_tables_of_a_child_from_free_pages_only(kernel, monkeypatch):
    # as ucore's alloc_pages, which never swaps for a kernel stack: a new process does not push the
    # pages of the processes that exist to disk
    mm = _user_mm(2)
    _fill(mm, 0x800000, 1)
    calls = _counting_swap_outs(monkeypatch)
    monkeypatch.setattr(pmm.pmm_manager, "alloc_pages", lambda n: None)
    proc.current.mm, saved = mm, proc.current.mm
    try:
        assert proc.setup_kstack(proc.alloc_proc()) == -E_NO_MEM
        assert proc.copy_mm(0, proc.alloc_proc(), 1) == -E_NO_MEM
    finally:
        proc.current.mm = saved
    assert calls == [] and _pte(mm, 0x800000) & PTE_V
    monkeypatch.undo()
    _free_mm(mm)
