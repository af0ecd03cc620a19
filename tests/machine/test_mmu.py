"""Sv39 MMU: permissions, faults (cause and tval), reserved encodings, superpages, A/D bits, TLB flush."""

import pytest

from bare_loader import BareProcess
from pyucore.machine import Machine, MachineTrap
from pyucore.machine.riscv import (ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, KEPT_SPACES, PTE_A, PTE_D, PTE_R,
                                   PTE_U, PTE_V, PTE_W, PTE_X, RAM_BASE, SATP_MODE_SV39)

VA = 0x10000
PAGE_FAULT = {ACCESS_FETCH: 12, ACCESS_LOAD: 13, ACCESS_STORE: 15}
ACCESS_FAULT = {ACCESS_FETCH: 1, ACCESS_LOAD: 5, ACCESS_STORE: 7}
NEEDED = {ACCESS_FETCH: PTE_X, ACCESS_LOAD: PTE_R, ACCESS_STORE: PTE_W}


@pytest.fixture
def space():
    """A machine with an active, empty user address space (kernel gigapage only)."""
    m = Machine(ram_size=4 << 20)
    proc = BareProcess(m)
    proc.activate()
    return m, proc


def fault_of(m, va, access, user=True):
    """Returns (cause, tval) of the fault translating va, or None if it translates."""
    try:
        m.mmu.translate(va, access, user)
    except MachineTrap as trap:
        return trap.cause, trap.tval
    return None


@pytest.mark.parametrize("perm", [PTE_R, PTE_R | PTE_W, PTE_R | PTE_X, PTE_X, PTE_R | PTE_W | PTE_X])
@pytest.mark.parametrize("user_bit", [0, PTE_U])
@pytest.mark.parametrize("access", [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE])
def test_each_permission_combination_allows_exactly_the_matching_user_access(space, perm, user_bit, access):
    m, proc = space
    pa = proc.alloc_page()
    proc.map_page(VA, pa, perm | user_bit)
    allowed = bool(user_bit) and bool(perm & NEEDED[access])
    va = VA + 0x123
    if allowed:
        assert m.mmu.translate(va, access) == pa + 0x123
    else:
        assert fault_of(m, va, access) == (PAGE_FAULT[access], va)


@pytest.mark.parametrize("access", [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE])
def test_unmapped_page_faults_with_the_access_cause_and_the_address_as_tval(space, access):
    m, _ = space
    assert fault_of(m, 0x5678, access) == (PAGE_FAULT[access], 0x5678)


def test_load_sets_accessed_and_store_sets_dirty_in_the_pte_in_ram(space):
    m, proc = space
    proc.map_page(VA, proc.alloc_page(), PTE_R | PTE_W | PTE_U)
    pte_pa = proc.pte_address(VA)
    assert m.ram.read_u64(pte_pa) & (PTE_A | PTE_D) == 0
    m.mmu.translate(VA, ACCESS_LOAD)
    assert m.ram.read_u64(pte_pa) & (PTE_A | PTE_D) == PTE_A
    m.mmu.translate(VA, ACCESS_STORE)
    assert m.ram.read_u64(pte_pa) & (PTE_A | PTE_D) == PTE_A | PTE_D


def test_a_faulting_access_leaves_accessed_and_dirty_clear(space):
    m, proc = space
    proc.map_page(VA, proc.alloc_page(), PTE_R | PTE_U)
    fault_of(m, VA, ACCESS_STORE)
    assert m.ram.read_u64(proc.pte_address(VA)) & (PTE_A | PTE_D) == 0


@pytest.mark.parametrize("perm", [PTE_W, PTE_W | PTE_X])
@pytest.mark.parametrize("access", [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE])
def test_write_without_read_is_reserved_and_page_faults(space, perm, access):
    m, proc = space
    proc.map_page(VA, proc.alloc_page(), perm | PTE_U)
    assert fault_of(m, VA, access) == (PAGE_FAULT[access], VA)


@pytest.mark.parametrize("bit", [PTE_U, PTE_A, PTE_D])
def test_non_leaf_entry_with_u_a_or_d_set_page_faults(space, bit):
    m, proc = space
    proc.map_page(VA, proc.alloc_page(), PTE_R | PTE_U)
    root_slot = proc.root + ((VA >> 30) & 511) * 8
    m.ram.write_u64(root_slot, m.ram.read_u64(root_slot) | bit)
    m.mmu.flush()
    assert fault_of(m, VA, ACCESS_LOAD) == (13, VA)


def test_pte_reserved_high_bits_page_fault(space):
    m, proc = space
    proc.map_page(VA, proc.alloc_page(), PTE_R | PTE_U)
    slot = proc.pte_address(VA)
    m.ram.write_u64(slot, m.ram.read_u64(slot) | (1 << 60))
    assert fault_of(m, VA, ACCESS_LOAD) == (13, VA)


def test_two_megabyte_superpage_translates_every_offset(space):
    m, proc = space
    # a level-1 leaf: root -> level-1 table -> leaf covering 2 MiB
    level1 = proc.alloc_page()
    m.ram.write_u64(proc.root + 2 * 8, ((level1 >> 12) << 10) | PTE_V)
    target = RAM_BASE + 0x200000
    m.ram.write_u64(level1 + 3 * 8, ((target >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_U)
    va = (2 << 30) | (3 << 21)
    assert m.mmu.translate(va + 0x12345, ACCESS_LOAD) == target + 0x12345
    assert m.mmu.translate(va + 0x1FFFFF, ACCESS_STORE) == target + 0x1FFFFF


def test_misaligned_superpage_page_faults(space):
    m, proc = space
    level1 = proc.alloc_page()
    m.ram.write_u64(proc.root + 2 * 8, ((level1 >> 12) << 10) | PTE_V)
    m.ram.write_u64(level1, (((RAM_BASE + 0x1000) >> 12) << 10) | PTE_V | PTE_R | PTE_U)
    assert fault_of(m, 2 << 30, ACCESS_LOAD) == (13, 2 << 30)


def test_gigapage_superpage_translates(space):
    m, proc = space
    m.ram.write_u64(proc.root + 1 * 8, ((RAM_BASE >> 12) << 10) | PTE_V | PTE_R | PTE_U)
    assert m.mmu.translate((1 << 30) + 0x345678, ACCESS_LOAD) == RAM_BASE + 0x345678


def test_kernel_gigapage_faults_for_user_but_serves_supervisor(space):
    m, _ = space
    kva = 0xFFFFFFFFC0200000
    assert fault_of(m, kva, ACCESS_LOAD) == (13, kva)
    assert fault_of(m, kva, ACCESS_FETCH) == (12, kva)
    assert m.mmu.translate(kva + 8, ACCESS_LOAD, user=False) == 0x80200008
    assert m.mmu.translate(kva, ACCESS_STORE, user=False) == 0x80200000


def test_supervisor_store_to_unmapped_low_address_page_faults(space):
    m, _ = space
    assert fault_of(m, 0x1000, ACCESS_STORE, user=False) == (15, 0x1000)


def test_supervisor_may_load_but_not_fetch_a_user_page(space):
    m, proc = space
    pa = proc.alloc_page()
    proc.map_page(VA, pa, PTE_R | PTE_X | PTE_U)
    assert m.mmu.translate(VA, ACCESS_LOAD, user=False) == pa
    assert fault_of(m, VA, ACCESS_FETCH, user=False) == (12, VA)


def test_non_canonical_address_page_faults(space):
    m, _ = space
    va = 1 << 40
    assert fault_of(m, va, ACCESS_LOAD) == (13, va)


@pytest.mark.parametrize("access", [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE])
def test_leaf_ppn_outside_ram_is_an_access_fault(space, access):
    m, proc = space
    proc.map_page(VA, 0x10000000, PTE_R | PTE_W | PTE_X | PTE_U)
    assert fault_of(m, VA, access) == (ACCESS_FAULT[access], VA)


def test_page_table_pointer_outside_ram_is_an_access_fault(space):
    m, proc = space
    m.ram.write_u64(proc.root + 5 * 8, ((0x20000000 >> 12) << 10) | PTE_V)
    assert fault_of(m, 5 << 30, ACCESS_LOAD) == (5, 5 << 30)


def test_bare_mode_maps_physical_addresses_and_faults_outside_ram():
    m = Machine(ram_size=1 << 20)
    assert m.mmu.translate(RAM_BASE + 0x42, ACCESS_STORE) == RAM_BASE + 0x42
    assert fault_of(m, RAM_BASE + (1 << 20), ACCESS_LOAD) == (5, RAM_BASE + (1 << 20))


def test_changed_pte_is_invisible_until_the_tlb_is_flushed(space):
    m, proc = space
    first, second = proc.alloc_page(), proc.alloc_page()
    proc.map_page(VA, first, PTE_R | PTE_U)
    assert m.mmu.translate(VA, ACCESS_LOAD) == first
    proc.map_page(VA, second, PTE_R | PTE_U)
    assert m.mmu.translate(VA, ACCESS_LOAD) == first
    m.mmu.flush(VA)
    assert m.mmu.translate(VA, ACCESS_LOAD) == second


def test_removed_pte_keeps_working_until_flush_then_faults(space):
    m, proc = space
    proc.map_page(VA, proc.alloc_page(), PTE_R | PTE_W | PTE_U)
    m.mmu.translate(VA, ACCESS_STORE)
    m.ram.write_u64(proc.pte_address(VA), 0)
    m.mmu.translate(VA, ACCESS_STORE)
    m.mmu.flush()
    assert fault_of(m, VA, ACCESS_STORE) == (15, VA)


def test_satp_write_flushes_the_tlb(space):
    m, proc = space
    proc.map_page(VA, proc.alloc_page(), PTE_R | PTE_U)
    m.mmu.translate(VA, ACCESS_LOAD)
    m.ram.write_u64(proc.pte_address(VA), 0)
    proc.activate()
    assert fault_of(m, VA, ACCESS_LOAD) == (13, VA)


def test_flushing_one_address_of_a_superpage_forgets_the_whole_superpage(space):
    m, proc = space
    slot = proc.root + 1 * 8
    m.ram.write_u64(slot, ((RAM_BASE >> 12) << 10) | PTE_V | PTE_R | PTE_U)
    far = (1 << 30) + 0x200000
    m.mmu.translate(far, ACCESS_LOAD)
    m.ram.write_u64(slot, 0)
    m.mmu.flush(1 << 30)
    assert fault_of(m, far, ACCESS_LOAD) == (13, far)


def two_spaces():
    """A machine with two address spaces, the first running."""
    m = Machine(ram_size=4 << 20)
    a, b = BareProcess(m), BareProcess(m, first_free=RAM_BASE + 0x300000)
    a.activate()
    return m, a, b


def test_tlb_entries_of_an_address_space_survive_a_switch_away_and_back():
    m, a, b = two_spaces()
    page = a.alloc_page()
    a.map_page(VA, page, PTE_R | PTE_U)
    assert m.mmu.translate(VA, ACCESS_LOAD) == page
    m.ram.write_u64(a.pte_address(VA), 0)     # a stale entry shows that the TLB kept its entry
    b.activate()
    assert fault_of(m, VA, ACCESS_LOAD) == (13, VA)
    a.activate()
    assert m.mmu.translate(VA, ACCESS_LOAD) == page


def test_flushing_a_page_while_another_space_runs_drops_it_in_every_space():
    m, a, b = two_spaces()
    first, second = a.alloc_page(), a.alloc_page()
    a.map_page(VA, first, PTE_R | PTE_U)
    m.mmu.translate(VA, ACCESS_LOAD)
    b.activate()
    a.map_page(VA, second, PTE_R | PTE_U)
    m.mmu.flush(VA)
    a.activate()
    assert m.mmu.translate(VA, ACCESS_LOAD) == second


def run_other_spaces(m, count):
    """Switches through count other (empty) address spaces in turn; the last one stays running."""
    for i in range(count):
        m.mmu.satp = SATP_MODE_SV39 | ((RAM_BASE + 0x380000) >> 12) + i


@pytest.mark.parametrize("others, kept", [(KEPT_SPACES, True), (KEPT_SPACES + 1, False)])
def test_a_space_keeps_its_entries_only_while_it_is_among_the_last_spaces_left(others, kept):
    m, a, b = two_spaces()
    page = a.alloc_page()
    a.map_page(VA, page, PTE_R | PTE_U)
    m.mmu.translate(VA, ACCESS_LOAD)
    m.ram.write_u64(a.pte_address(VA), 0)     # a stale entry shows that the TLB kept its entry
    run_other_spaces(m, others)
    a.activate()
    assert fault_of(m, VA, ACCESS_LOAD) == (None if kept else (13, VA))


def test_the_spaces_kept_by_the_mmu_and_the_cpu_stay_bounded_however_many_run():
    m, a, b = two_spaces()
    run_other_spaces(m, 10 * KEPT_SPACES)
    assert len(m.mmu._spaces) == len(m.cpu._spaces) == KEPT_SPACES


def test_a_freed_root_table_takes_its_kept_entries_with_it():
    m, a, b = two_spaces()
    a.map_page(VA, a.alloc_page(), PTE_R | PTE_U)
    m.mmu.translate(VA, ACCESS_LOAD)
    m.ram.write_u64(a.pte_address(VA), 0)
    b.activate()
    m.cpu.invalidate_page(a.root)              # what pmm does when the page table is freed
    a.activate()
    assert fault_of(m, VA, ACCESS_LOAD) == (13, VA)
