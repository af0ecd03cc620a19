"""Page replacement (ucore lab3's swap.c): user pages go to the swap disk when memory runs out and come
back on the page fault that touches them again. The policy is a swap_manager (swap_fifo.py).

How pyucore's swap works, and where it differs from ucore's:
- A swapped-out page's PTE holds its swap entry (slot << 8, V clear; see fs/swapfs.py); slot 0 is
  never used. `swap_map` marks the slots in use, shared by every process.
- Slot choice: ucore always writes the page at vaddr to slot vaddr/PGSIZE + 1, which only works for one
  small address space. pyucore takes that "home" slot when it is on the disk and free, else the lowest
  free slot; so check_swap prints the original's entries 2..6, and any number of processes share the
  disk. A slot is freed when its page comes back (swap_in) or its PTE is removed (exit, exec).
- Disk size: check_swap runs on the original's 56-sector disk (7 slots; its output depends on it).
  Once the check passed, the disk grows to a quarter of RAM, at most USER_SWAP_PAGES (16 MiB): a
  program a good deal larger than a small machine's free memory runs, while one that can never fit
  (say a 200 MiB BSS on 128 MiB) fails after a bounded amount of swapping instead of minutes of it, and
  a copy-on-write break still runs out of memory where RAM plus swap is exhausted.
- Which pages: the user pages of every mm created after swap_init: those mapped by pgdir_alloc_page,
  copied by an eager fork, brought back from swap, or written after a copy-on-write fork (do_cow_page
  lists the page, copied or not). Page tables and kernel stacks never. A page mapped by more than one
  PTE (shared by a COW fork, ref > 1) cannot go out, since pyucore has no reverse map to find the other
  PTEs: swap_out drops it from the list when it meets it, so each shared page costs one look, and it is
  listed again by the write fault that makes it private. Shared pages never written (program text)
  stay in memory until their processes exit.
- Under memory pressure alloc_pages calls swap_reclaim: the victims come from check_mm_struct while the
  self-check runs (as ucore's swap_out(check_mm_struct, ...)), else from the mms with listed pages in
  the order they got them, current's mm last (ucore lab5 never swaps user processes at all). An mm
  whose list is found empty is not visited again until a page is listed, and a full disk ends a
  reclaim at once, so a failed allocation costs the same with 4,000 processes as with 10.
- fork never swaps a page out for a new process's kernel stack or page tables (only free pages, as
  ucore's alloc_pages for a kernel stack), and checks first that the child fits (pmm.fork_table_pages),
  so that a fork bomb's failing forks push nobody's pages to disk; an eager fork's page copies may swap.
- fork and exec leave a reserve of free pages and free slots (pmm.fault_reserve_kept) for the page
  faults of the processes that exist; a swap-in that finds memory and the disk full trades places with
  a victim (the victim goes into the slot the page leaves), so a fork bomb gets -E_NO_MEM while its
  parent can still bring its own pages back.
- fork of a page that is on disk (copy_range) copies its slot to a new slot for the child, disk to disk:
  it needs no memory, and the child brings its copy in on its own fault. Same with and without COW.
- The `swap_out:` / `swap_in:` lines are printed for the boot self-check only (check_mm_struct set),
  where the original prints them; for user processes they would make the console depend on the RAM
  size, so they are counted in the stats (swap_outs, swap_ins) instead.
- A corrupted swap entry (slot off the disk or not in use) is a kernel panic.
"""

from .. import hw
from ..debug.panic import kassert, panic
from ..driver.ide import ide_set_size
from ..fs import swapfs
from ..libs.error import E_NO_MEM
from ..libs.stdio import cprintf
from . import pmm, swap_fifo, vmm
from .default_pmm import free_area_t
from .memlayout import page_ref_dec
from .mmu import PGSIZE, PTE_V, PTSIZE
from ..process import proc
from ..trap import trap

USER_SWAP_PAGES = 4096

# check_swap's layout, as ucore's: 5 virtual pages from 0x1000 over 4 physical pages
BEING_CHECK_VALID_VADDR = 0x1000
CHECK_VALID_VIR_PAGE_NUM = 5
CHECK_VALID_VADDR = (CHECK_VALID_VIR_PAGE_NUM + 1) * PGSIZE
CHECK_VALID_PHY_PAGE_NUM = 4

swap_init_ok = False
sm = None                # the swap_manager in use
swap_map = bytearray()   # one byte per slot: 1 while the slot holds a page (slot 0 is always marked)
_mms = {}                # id(mm) -> mm, for every mm with a replacement list, in creation order
_by_pgdir = {}           # pgdir -> mm, for those of them whose page directory has been looked up
_indexed = {}            # id(mm) -> the pgdir under which mm is in _by_pgdir
_unindexed = {}          # id(mm) -> mm, for those not in _by_pgdir yet (their pgdir may be unset)
_listed = {}             # id(mm) -> mm, for the mms whose replacement list may hold pages, in the
                         # order they got one listed: reclaim visits only these


def swap_init():
    """Brings up swap on the swap disk with the FIFO manager, runs check_swap, then grows the disk for
    user processes. Returns 0; panics on a disk of unusable size."""
    global swap_init_ok, sm, swap_map, _mms, _by_pgdir, _indexed, _unindexed, _listed
    swap_init_ok, _mms, _by_pgdir, _indexed, _unindexed, _listed = False, {}, {}, {}, {}, {}
    swapfs.swapfs_init()
    if not 7 <= swapfs.max_swap_offset < swapfs.MAX_SWAP_OFFSET_LIMIT:
        panic("bad max_swap_offset %08x.\n", swapfs.max_swap_offset)
    swap_map = bytearray(swapfs.max_swap_offset)
    swap_map[0] = 1
    sm = swap_fifo.swap_manager_fifo
    kassert(sm.init() == 0, "the swap manager failed to initialise")
    swap_init_ok = True
    cprintf("SWAP: manager = %s\n", sm.name)
    check_swap()
    _grow_swap_disk()
    return 0


def _grow_swap_disk():
    """Makes the swap disk a quarter of RAM (at most USER_SWAP_PAGES slots, at least its current size)."""
    global swap_map
    slots = max(swapfs.max_swap_offset, min(len(pmm.pages) // 4, USER_SWAP_PAGES))
    ide_set_size(swapfs.SWAP_DEV_NO, slots * swapfs.PAGE_NSECT)
    swapfs.swapfs_init()
    swap_map += bytes(swapfs.max_swap_offset - len(swap_map))


def swap_init_mm(mm):
    """Gives the new mm the manager's replacement state and makes it a source of victims; returns 0."""
    _mms[id(mm)] = mm
    _unindexed[id(mm)] = mm
    return sm.init_mm(mm)


def swap_exit_mm(mm):
    """The mm is being destroyed: it stops being a source of victims and loses its replacement state."""
    _mms.pop(id(mm), None)
    pgdir = _indexed.pop(id(mm), None)
    if pgdir is not None and _by_pgdir.get(pgdir) is mm:
        del _by_pgdir[pgdir]
    _unindexed.pop(id(mm), None)
    _listed.pop(id(mm), None)
    mm.sm_priv = None


def swap_map_swappable(mm, addr, page, swap_in):
    """Tells the manager that page is now mapped at addr in mm (swap_in: it just came from disk);
    records addr in page.pra_vaddr. Returns 0."""
    page.pra_vaddr = addr
    _listed.setdefault(id(mm), mm)
    return sm.map_swappable(mm, addr, page, swap_in)


def swap_set_unswappable(mm, start, end):
    """Takes the pages of [start, end) of mm out of the manager's list (they are about to be unmapped);
    returns 0."""
    if mm.sm_priv is not None:
        for addr in range(start, end, PGSIZE):
            sm.set_unswappable(mm, addr)
    return 0


def swap_mm_of_pgdir(pgdir):
    """The mm with a replacement list whose page directory is pgdir, or None. Each mm is indexed by
    its pgdir on the first lookup after the pgdir was set (mm_create comes before setup_pgdir)."""
    mm = _by_pgdir.get(pgdir)
    if mm is None or mm.pgdir != pgdir:
        for new in [m for m in _unindexed.values() if m.pgdir != 0]:
            del _unindexed[id(new)]
            _by_pgdir[new.pgdir] = new
            _indexed[id(new)] = new.pgdir
        mm = _by_pgdir.get(pgdir)
    return mm if mm is not None and mm.pgdir == pgdir else None


def swap_track(pgdir, la, page):
    """Makes page, just mapped at la in page directory pgdir, swappable if pgdir belongs to an mm with
    a replacement list (a user mm created after swap_init, or check_mm_struct)."""
    mm = swap_mm_of_pgdir(pgdir)
    if mm is not None:
        swap_map_swappable(mm, la, page, 0)


def swap_slot_alloc(addr):
    """A free slot for the page at addr, now marked in use: addr's home slot addr/PGSIZE + 1 when it is
    on the disk and free, else the lowest free one; None when the disk is full, or down to its last
    pmm.FAULT_RESERVE free slots inside pmm.fault_reserve_kept()."""
    if not slot_available():
        return None
    slot = addr // PGSIZE + 1
    if slot >= len(swap_map) or swap_map[slot]:
        slot = swap_map.find(0)
        if slot < 0:
            return None
    swap_map[slot] = 1
    return slot


def slot_available():
    """True iff swap_slot_alloc can give a slot now."""
    if pmm.reserve_pages:
        return free_slots() > pmm.FAULT_RESERVE
    return swap_map.find(0) >= 0


def free_slots():
    """Number of slots holding no page."""
    return swap_map.count(0)


def _used_slot(entry):
    """The slot of swap entry entry; a kernel panic if the entry is corrupted or its slot is free."""
    slot = swapfs.swap_offset(entry)
    if not swap_map[slot]:
        panic("swap entry %08x names slot %d, which holds no page.\n", entry, slot)
    return slot


def swap_free(entry):
    """Releases the slot of swap entry entry (panics if it is not a slot in use)."""
    swap_map[_used_slot(entry)] = 0


def swap_out(mm, n, in_tick):
    """Writes up to n of mm's pages to the swap disk, victims chosen by the manager, leaving their swap
    entries in the PTEs and freeing the pages. Listed pages no longer mapped at their address, or
    shared (ref > 1), leave the list. Returns how many pages went out (fewer when mm has no evictable
    page or the disk is full)."""
    i, gone = 0, []
    while i < n and slot_available():
        victim = _next_victim(mm, in_tick)
        if victim is None:
            break
        addr, page, ptep = victim
        slot = swap_slot_alloc(addr)
        entry = swapfs.swap_entry(slot)
        kassert(swapfs.swapfs_write(entry, pmm.page2pa(page)) == 0, "swap disk write failed")
        if vmm.check_mm_struct is not None:
            cprintf("swap_out: i %d, store page in vaddr 0x%x to disk swap entry %d\n", i, addr, slot)
        _unmap_victim(mm, addr, page, ptep, entry)
        pmm.free_page(page)
        gone.append(addr)
        i += 1
    if gone:
        vmm.mm_event(mm, "swap-out", gone)
    return i


def _next_victim(mm, in_tick):
    """(addr, page, ptep) of the page the manager picks from mm's list that can go out (mapped at its
    address and not shared; the others leave the list on the way), or None when the list has none
    (mm then stops being visited by swap_reclaim until a page is listed again)."""
    while True:
        victim = sm.swap_out_victim(mm, in_tick)
        if victim is None:
            _listed.pop(id(mm), None)
            return None
        addr, page = victim
        ptep = pmm.get_pte(mm.pgdir, addr, False)
        pte = 0 if ptep is None else hw.ram.read_u64(ptep)
        if pte & PTE_V and pmm.pte2page(pte) is page and page.ref == 1:
            return addr, page, ptep


def _unmap_victim(mm, addr, page, ptep, entry):
    """The victim page at addr of mm is on disk under entry: its PTE holds the entry now and the page
    has no reference left (the caller reuses or frees it)."""
    hw.ram.write_u64(ptep, entry)
    pmm.tlb_invalidate(mm.pgdir, addr)
    kassert(page_ref_dec(page) == 0)
    pmm.stats["swap_outs"] += 1


def _reclaim_order():
    """Yields the mms to take victims from, in order: check_mm_struct alone while a self-check runs,
    else the mms with listed pages, current's last (taking the running process's own pages first makes
    it evict the page it needs next, fault after fault). Lazily: the first that has a victim ends the
    search in a step or two however many mms there are (an mm found empty has left _listed)."""
    if vmm.check_mm_struct is not None:
        yield vmm.check_mm_struct
        return
    last = proc.current.mm if proc.current is not None else None
    seen = set()
    while True:
        mm = next((m for m in _listed.values() if m is not last and id(m) not in seen), None)
        if mm is None:
            break
        seen.add(id(mm))
        yield mm
    if last is not None and id(last) in _listed:
        yield last


def swap_reclaim(n):
    """Swaps out up to n pages to make room, from the mms of _reclaim_order(). Returns how many went
    out. Its cost does not grow with the number of processes: only mms with listed pages are visited
    (each listed page that cannot go out is dropped at its first look), and a full disk ends it at
    once."""
    done = 0
    for mm in _reclaim_order():
        if not slot_available():
            break
        done += swap_out(mm, n - done, 0)
        if done == n:
            break
    return done


def swap_in(mm, addr):
    """Reads the page whose swap entry is in mm's PTE for addr into a new page and frees its slot (the
    PTE itself is left to the caller). Returns the page (ref 0), or None when no page can be had.
    With no free page and no slot to make one, a victim takes the slot the page leaves
    (_swap_in_exchange). ucore's swap_in(mm, addr, ptr_result) returns it through ptr_result."""
    entry = hw.ram.read_u64(pmm.get_pte(mm.pgdir, addr, False))
    _used_slot(entry)
    page = pmm.alloc_page()
    if page is None:
        return _swap_in_exchange(entry)
    kassert(swapfs.swapfs_read(entry, pmm.page2pa(page)) == 0, "swap disk read failed")
    swap_free(entry)
    if vmm.check_mm_struct is not None:
        cprintf("swap_in: load disk swap entry %d with swap_page in vadr 0x%x\n", entry >> 8, addr)
    pmm.stats["swap_ins"] += 1
    return page


def _swap_in_exchange(entry):
    """swap_in when memory and the disk are both full: the next victim of _reclaim_order() and the page
    in slot entry trade places (the disk exchanges the slot with the victim's page), so bringing a page
    back never needs a free slot. Returns the page now holding entry's data (ref 0), or None when no
    page can go out."""
    for victim_mm in _reclaim_order():
        victim = _next_victim(victim_mm, 0)
        if victim is not None:
            break
    else:
        return None
    addr, page, ptep = victim
    kassert(swapfs.swapfs_exchange(entry, pmm.page2pa(page)) == 0, "swap disk exchange failed")
    hw.cpu.invalidate_page(pmm.page2pa(page))       # new contents: drop code translated from the old
    _unmap_victim(victim_mm, addr, page, ptep, entry)
    vmm.mm_event(victim_mm, "swap-out", [addr])
    pmm.stats["swap_ins"] += 1
    return page


def swap_dup(pgdir, la, entry):
    """fork of a page on disk: the PTE of la in pgdir (its table exists) gets a new slot holding a copy
    of entry's slot. Returns 0, or -E_NO_MEM when the disk is full."""
    _used_slot(entry)
    slot = swap_slot_alloc(la)
    if slot is None:
        return -E_NO_MEM
    copy = swapfs.swap_entry(slot)
    kassert(swapfs.swapfs_copy(copy, entry) == 0, "swap disk copy failed")
    hw.ram.write_u64(pmm.get_pte(pgdir, la, False), copy)
    return 0


def swap_slots_in_use():
    """Number of slots holding a page."""
    return len(swap_map) - free_slots() - 1


def check_content_set():
    """Writes pages a-d (0x1000..0x4000) of check_mm_struct: each first write faults a page in."""
    for i in range(CHECK_VALID_PHY_PAGE_NUM):
        addr, value = (i + 1) * PGSIZE, 0x0A + i
        trap.kernel_store(addr, 1, value)
        kassert(vmm.pgfault_num == i + 1, "a first write did not fault exactly once")
        trap.kernel_store(addr + 0x10, 1, value)
        kassert(vmm.pgfault_num == i + 1, "a second write to a present page faulted")


def check_swap():
    """ucore's check_swap: an mm of 5 virtual pages over boot_pgdir gets only 4 physical pages (the free
    list is swapped for one holding 4 pages), the manager's check makes faults swap pages out and in,
    then everything is given back: the free list, its page count, no slot in use."""
    area = pmm.pmm_manager.area
    count, total = len(area.free_list), sum(p.property for p in area.free_list)
    kassert(total == pmm.nr_free_pages(), "the free list disagrees with nr_free")
    cprintf("BEGIN check_swap: count %d, total %d\n", count, total)
    mm = vmm.mm_create()
    kassert(vmm.check_mm_struct is None)
    vmm.check_mm_struct = mm
    mm.pgdir = pmm.boot_pgdir
    kassert(hw.ram.read_u64(mm.pgdir) == 0, "boot_pgdir maps user space")
    vmm.insert_vma_struct(mm, vmm.vma_create(BEING_CHECK_VALID_VADDR, CHECK_VALID_VADDR,
                                             vmm.VM_WRITE | vmm.VM_READ))
    cprintf("setup Page Table for vaddr 0X1000, so alloc a page\n")
    kassert(pmm.get_pte(mm.pgdir, BEING_CHECK_VALID_VADDR, True) is not None)
    cprintf("setup Page Table vaddr 0~4MB OVER!\n")
    check_rp = [pmm.alloc_page() for _ in range(CHECK_VALID_PHY_PAGE_NUM)]
    kassert(None not in check_rp, "no pages for check_swap")
    saved_area = pmm.pmm_manager.area
    pmm.pmm_manager.area = free_area_t()
    for page in check_rp:
        pmm.free_page(page)
    kassert(pmm.nr_free_pages() == CHECK_VALID_PHY_PAGE_NUM)
    cprintf("set up init env for check_swap begin!\n")
    vmm.pgfault_num = 0
    check_content_set()
    kassert(pmm.nr_free_pages() == 0, "check_content_set left a page free")
    for i, page in enumerate(check_rp):
        pte = hw.ram.read_u64(pmm.get_pte(mm.pgdir, (i + 1) * PGSIZE, False))
        kassert(pte & PTE_V and pmm.pte2page(pte) is page, "pages a-d are not the 4 check pages")
    cprintf("set up init env for check_swap over!\n")
    kassert(sm.check_swap() == 0)
    _check_swap_restore(mm, check_rp, saved_area)
    kassert(pmm.nr_free_pages() == total and len(area.free_list) == count, "check_swap leaked pages")
    cprintf("check_swap() succeeded!\n")


def _check_swap_restore(mm, check_rp, saved_area):
    """Unmaps check_swap's pages (freeing their slots), hands the 4 pages back to the real free list,
    frees the page tables and the mm."""
    swap_set_unswappable(mm, BEING_CHECK_VALID_VADDR, CHECK_VALID_VADDR)
    for la in range(BEING_CHECK_VALID_VADDR, CHECK_VALID_VADDR, PGSIZE):
        pmm.page_remove(mm.pgdir, la)
    kassert(swap_slots_in_use() == 0, "check_swap leaked swap slots")
    kassert(pmm.nr_free_pages() == CHECK_VALID_PHY_PAGE_NUM, "check_swap lost one of its pages")
    pages = [pmm.alloc_page() for _ in range(CHECK_VALID_PHY_PAGE_NUM)]
    kassert(set(map(id, pages)) == set(map(id, check_rp)), "check_swap's pages changed")
    pmm.pmm_manager.area = saved_area
    for page in pages:
        pmm.free_page(page)
    pmm.exit_range(mm.pgdir, 0, PTSIZE)
    kassert(hw.ram.read_u64(mm.pgdir) == 0, "check_swap's page tables were not freed")
    mm.pgdir = 0
    vmm.mm_destroy(mm)
    vmm.check_mm_struct = None
