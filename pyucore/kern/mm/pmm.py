"""Physical memory management (ucore's pmm.c): the page allocator, page tables, and their self-checks.

Pointers into physical memory (a page directory, a PTE) are physical addresses here; KADDR gives
the kernel virtual address ucore would print.
"""

import struct

from .. import hw
from ..debug.panic import kassert, panic
from ..libs.error import E_NO_MEM
from ..libs.stdio import cprintf
from .default_pmm import default_pmm_manager
from .memlayout import (
    KERNBASE, KERNEL_BEGIN_PADDR, NBASE, PHYSICAL_MEMORY_OFFSET, page_array, page_ref_dec, page_ref_inc,
    set_page_ref,
)
from .mmu import (
    NPTEENTRY, PDX0, PDX1, PGSHIFT, PGSIZE, PTE_A, PTE_ADDR, PTE_COW, PTE_D, PTE_R, PTE_U, PTE_USER,
    PTE_V, PTE_W, PTE_X, PTSIZE, PTX, ROUNDDOWN, ROUNDUP, SATP_MODE_SV39, ptd_create, pte_create,
)
from pyucore.machine.riscv import ACCESS_LOAD, ACCESS_STORE, PTE_G

from . import swap  # noqa: E402  (swap uses pmm: imported last, used at call time)

va_pa_offset = PHYSICAL_MEMORY_OFFSET
pages = []            # every Page of RAM, indexed by ppn - NBASE
npage = 0
pmm_manager = None
boot_pgdir = 0        # physical address of the boot page directory
boot_cr3 = 0
_zero_page = bytes(PGSIZE)
stats = None          # counters shared with the rest of the kernel (dict), set by pmm_init
# Pages (and swap slots) only page faults may take: enough for a few faults, each of which needs at
# most a page and two page tables. Set inside fault_reserve_kept() (fork, exec): reserve_pages, the
# free pages allocations must leave (FAULT_RESERVE or more; 0 outside), and may_reclaim.
FAULT_RESERVE = 16
reserve_pages = 0
may_reclaim = True
_V_MARKS = bytes(b & PTE_V for b in range(256))    # byte -> its V bit (bit 0)


def KADDR(pa):
    """Kernel virtual address of physical address pa."""
    return pa + va_pa_offset


def PADDR(kva):
    """Physical address of kernel virtual address kva; panics outside the kernel window."""
    if kva < KERNBASE:
        panic("PADDR called with invalid kva %p", kva)
    return kva - va_pa_offset


def page2pa(page):
    """Physical address of the page described by page."""
    return page.ppn << PGSHIFT


def pa2page(pa):
    """The Page describing physical address pa; panics if pa is not RAM."""
    i = (pa >> PGSHIFT) - NBASE
    if not 0 <= i < len(pages):
        panic("pa2page called with invalid pa")
    return pages[i]


def pte2page(pte):
    """The Page a valid PTE maps."""
    if not pte & PTE_V:
        panic("pte2page called with invalid pte")
    return pa2page(PTE_ADDR(pte))


def alloc_pages(n):
    """n contiguous free pages (ref 0), or None when memory is exhausted. Once swap is on, an
    allocation that fails swaps pages out one at a time and retries until it succeeds or nothing more
    can go out (except inside fault_reserve_kept(reclaim=False)). Inside fault_reserve_kept(), the last
    FAULT_RESERVE free pages are out of reach."""
    page = _alloc_outside_reserve(n)
    while page is None and may_reclaim and swap.swap_init_ok and swap.swap_reclaim(1):
        page = _alloc_outside_reserve(n)
    if page is not None:
        stats["pages_allocated"] += n
    return page


def _alloc_outside_reserve(n):
    """n pages from the allocator, or None, also when keeping the reserve forbids taking them."""
    if reserve_pages and pmm_manager.nr_free_pages() - n < reserve_pages:
        return None
    return pmm_manager.alloc_pages(n)


class fault_reserve_kept:
    """`with fault_reserve_kept(reclaim, pages)`: inside, allocations leave `pages` free pages (at least
    FAULT_RESERVE) and (swap.swap_slot_alloc) FAULT_RESERVE free swap slots untouched: fork and exec
    run inside, so they fail with -E_NO_MEM while the page faults of the processes that exist (a stack
    page, a copy-on-write break, a page table) can still be served. With reclaim false they also take
    only free pages, never swapping a user page out: fork takes a new process's kernel stack and page
    tables so (as ucore, whose alloc_pages never swaps for n > 1 and whose lab5 has no user page to
    swap). (A class, not a generator: a fork bomb enters it on every fork.)"""

    def __init__(self, reclaim=True, pages=FAULT_RESERVE):
        self.reclaim = reclaim
        self.pages = max(pages, FAULT_RESERVE)
        self.outer = None

    def __enter__(self):
        global reserve_pages, may_reclaim
        self.outer = reserve_pages, may_reclaim
        reserve_pages, may_reclaim = self.pages, may_reclaim and self.reclaim

    def __exit__(self, *exc):
        global reserve_pages, may_reclaim
        reserve_pages, may_reclaim = self.outer


def fork_table_pages(pgdir, share, other_pages=0):
    """The page-table pages (the root included) a copy of the user memory mapped by pgdir (copy_range
    with share) needs at most, when the copy and other_pages more pages (a kernel stack) can be had
    without touching the fault reserve: those from free pages, a swap slot for each page on disk, and
    with share 0 a page for each page in memory, free or made free by swapping a user page out to a
    free slot. None when they cannot. Swaps nothing; reads each of pgdir's user tables once, and none
    when not even the root table fits."""
    free = nr_free_pages() - FAULT_RESERVE - other_pages
    if free < 1:
        return None
    tables, present, on_disk = user_table_counts(pgdir)
    free -= tables
    slots = (swap.free_slots() - FAULT_RESERVE if swap.swap_init_ok else 0) - on_disk
    if free < 0 or (on_disk and slots < 0) or (not share and present > free + max(slots, 0)):
        return None
    return tables


def user_table_counts(pgdir):
    """(page-table pages of pgdir's user half, the root included; valid user PTEs; swapped-out user
    PTEs), reading each table once at C speed (a fork bomb's failing forks ask it thousands of times);
    the swapped-out PTEs are looked for only while some swap slot is in use."""
    tables, present, nonzero = 1, 0, 0
    any_on_disk = swap.swap_init_ok and swap.swap_slots_in_use() > 0
    for pd0 in _next_tables(pgdir, NPTEENTRY // 2):
        tables += 1
        for pt in _next_tables(pd0, NPTEENTRY):
            tables += 1
            present += len(_valid_marks(pt, NPTEENTRY).translate(None, b"\0"))
            if any_on_disk:
                entries = struct.unpack_from("<%dQ" % NPTEENTRY, hw.ram.data, pt - hw.ram.base)
                nonzero += NPTEENTRY - entries.count(0)
    return tables, present, nonzero - present if any_on_disk else 0


def _valid_marks(pa, n):
    """n bytes, the i-th 1 when the i-th entry of the table at pa is valid, else 0 (a PTE's V bit is
    bit 0 of its first byte)."""
    offset = pa - hw.ram.base
    return bytes(hw.ram.data[offset:offset + n * 8:8]).translate(_V_MARKS)


def _next_tables(pa, n):
    """The physical addresses of the tables the first n entries of the table at pa point to."""
    marks = _valid_marks(pa, n)
    i = marks.find(1)
    while i >= 0:
        pte = hw.ram.read_u64(pa + i * 8)
        if not _is_leaf(pte):
            yield PTE_ADDR(pte)
        i = marks.find(1, i + 1)


def alloc_page():
    """One free page (ref 0), or None when memory is exhausted."""
    return alloc_pages(1)


def free_pages(base, n):
    """Gives back n pages from base; translated code cached for them is dropped."""
    for i in range(n):
        hw.cpu.invalidate_page((base.ppn + i) << PGSHIFT)
    pmm_manager.free_pages(base, n)
    stats["pages_freed"] += n


def free_page(page):
    """Gives back one page."""
    free_pages(page, 1)


def nr_free_pages():
    """Number of free physical pages."""
    return pmm_manager.nr_free_pages()


def init_memmap(base, n):
    """Hands the n pages from base to the allocator as free memory."""
    pmm_manager.init_memmap(base, n)


def page_init(mem_begin, freemem, mem_end):
    """Describes RAM with Page structs, all reserved, then frees [freemem, mem_end) to the allocator."""
    global pages, npage
    npage = mem_end >> PGSHIFT
    pages = page_array(npage - NBASE, NBASE)      # every page reserved, until init_memmap frees some
    cprintf("physcial memory map:\n")
    cprintf("  memory: 0x%08lx, [0x%08lx, 0x%08lx].\n", mem_end - mem_begin, mem_begin, mem_end - 1)
    pmm_manager.pages = pages
    first = pa2page(freemem)
    init_memmap(first, (mem_end - freemem) >> PGSHIFT)


def pmm_init(kernel_end, boot_pgdir_pa):
    """Sets up the allocator over the RAM after the kernel image and the boot page table; runs the checks."""
    global pmm_manager, boot_pgdir, boot_cr3, stats, reserve_pages, may_reclaim
    reserve_pages, may_reclaim = 0, True
    stats = {"pages_allocated": 0, "pages_freed": 0, "pages_copied_by_fork": 0,
             "cow_faults": 0, "cow_copies": 0, "swap_outs": 0, "swap_ins": 0}
    pmm_manager = default_pmm_manager(pages, NBASE)
    cprintf("memory management: %s\n", pmm_manager.name)
    mem_end = hw.machine.ram.base + hw.machine.ram.size
    page_init(KERNEL_BEGIN_PADDR, ROUNDUP(kernel_end, PGSIZE), mem_end)
    cprintf("vapaofset is %llu\n", va_pa_offset)
    check_alloc_page()
    boot_pgdir = boot_pgdir_pa
    boot_cr3 = SATP_MODE_SV39 | (boot_pgdir >> PGSHIFT)
    hw.mmu.satp = boot_cr3
    check_pgdir()
    check_boot_pgdir()


def setup_boot_pgdir(pa):
    """Writes the boot page directory at pa: only the 1 GiB kernel window at entry 511."""
    ram = hw.ram
    ram.zero_page(pa)
    window = pte_create(hw.machine.ram.base >> PGSHIFT, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    ram.write_u64(pa + 511 * 8, window)


def _is_leaf(pte):
    """True iff a valid PTE maps memory (has R, W or X) rather than pointing to the next table."""
    return pte & (PTE_R | PTE_W | PTE_X)


def _next_level(ptep, create):
    """Physical address of the table a directory entry points to, creating it if asked; None if absent."""
    ram = hw.ram
    pde = ram.read_u64(ptep)
    if pde & PTE_V:
        return None if _is_leaf(pde) else PTE_ADDR(pde)
    if not create:
        return None
    page = alloc_page()
    if page is None:
        return None
    set_page_ref(page, 1)
    pa = page2pa(page)
    ram.zero_page(pa)
    ram.write_u64(ptep, ptd_create(page.ppn))
    return pa


def get_pte(pgdir, la, create):
    """Physical address of la's level-0 PTE in pgdir, creating missing tables if create; None if it can't."""
    pd0 = _next_level(pgdir + PDX1(la) * 8, create)
    if pd0 is None:
        return None
    pt = _next_level(pd0 + PDX0(la) * 8, create)
    if pt is None:
        return None
    return pt + PTX(la) * 8


def get_page(pgdir, la):
    """(Page mapped at la, its PTE address), or (None, PTE address or None) when nothing is mapped."""
    ptep = get_pte(pgdir, la, False)
    if ptep is not None:
        pte = hw.ram.read_u64(ptep)
        if pte & PTE_V:
            return pte2page(pte), ptep
    return None, ptep


def user_pa(pgdir, va, perm=0):
    """Physical address of user address va in pgdir when its PTE is valid, user and has perm (e.g.
    PTE_W); None otherwise. Never faults anything in (for the fault reports and the debugger)."""
    if not 0 <= va < 1 << 64:
        return None
    ptep = get_pte(pgdir, ROUNDDOWN(va, PGSIZE), False)
    pte = 0 if ptep is None else hw.ram.read_u64(ptep)
    need = PTE_V | PTE_U | perm
    return PTE_ADDR(pte) + (va & (PGSIZE - 1)) if pte & need == need else None


def tlb_invalidate(pgdir, la):
    """sfence.vma for la: the kernel changed or removed the PTE of la."""
    hw.mmu.flush(la)


def page_remove_pte(pgdir, la, ptep):
    """Unmaps la (PTE at ptep), freeing the page when this was its last reference, or the swap slot
    when the page is on disk (panics on a corrupted swap entry)."""
    ram = hw.ram
    pte = ram.read_u64(ptep)
    if pte & PTE_V:
        page = pte2page(pte)
        if page_ref_dec(page) == 0:
            free_page(page)
        ram.write_u64(ptep, 0)
        tlb_invalidate(pgdir, la)
    elif pte != 0:
        swap.swap_free(pte)
        ram.write_u64(ptep, 0)


def page_remove(pgdir, la):
    """Unmaps la from pgdir if it is mapped."""
    ptep = get_pte(pgdir, la, False)
    if ptep is not None:
        page_remove_pte(pgdir, la, ptep)


def page_insert(pgdir, page, la, perm):
    """Maps page at la with perm (replacing any old mapping); returns 0, or -E_NO_MEM without a table."""
    ptep = get_pte(pgdir, la, True)
    if ptep is None:
        return -E_NO_MEM
    page_ref_inc(page)
    pte = hw.ram.read_u64(ptep)
    if pte & PTE_V:
        if pte2page(pte) is page:
            page_ref_dec(page)
        else:
            page_remove_pte(pgdir, la, ptep)
    hw.ram.write_u64(ptep, pte_create(page.ppn, perm))
    tlb_invalidate(pgdir, la)
    return 0


def pgdir_alloc_page(pgdir, la, perm):
    """Allocates a page and maps it at la; returns the Page, or None (nothing leaked) when out of memory."""
    page = alloc_page()
    if page is None:
        return None
    if page_insert(pgdir, page, la, perm) != 0:
        free_page(page)
        return None
    track_swappable(pgdir, la, page)
    return page


def present_ptes(pgdir, start, end):
    """(la, ptep, pte) of every non-zero level-0 PTE covering [start, end) (page aligned), reading each
    page table once; absent tables are skipped 2 MiB at a time."""
    ram = hw.ram
    la = start
    while la < end:
        ptep = get_pte(pgdir, la, False)
        table_end = min(end, ROUNDDOWN(la + PTSIZE, PTSIZE))
        if ptep is not None:
            n = (table_end - la) >> PGSHIFT
            for i, pte in enumerate(struct.unpack_from("<%dQ" % n, ram.data, ptep - ram.base)):
                if pte:
                    yield la + (i << PGSHIFT), ptep + i * 8, pte
        la = table_end


def unmap_range(pgdir, start, end):
    """Removes every mapping in [start, end) (page aligned, user space)."""
    for la, ptep, _ in present_ptes(pgdir, start, end):
        page_remove_pte(pgdir, la, ptep)


def _table_empty(pa):
    """True iff the page table at pa has no entry at all."""
    return hw.ram.read(pa, PGSIZE) == _zero_page


def exit_range(pgdir, start, end):
    """Frees the (already emptied) level-0 and level-1 tables that cover [start, end)."""
    ram = hw.ram
    for i1 in range(PDX1(start), PDX1(end - 1) + 1):
        pdep1 = pgdir + i1 * 8
        pd0 = _next_level(pdep1, False)
        if pd0 is None:
            continue
        lo = max(start, i1 << 30)
        hi = min(end - 1, ((i1 + 1) << 30) - 1)
        for i0 in range(PDX0(lo), PDX0(hi) + 1):
            pdep0 = pd0 + i0 * 8
            pt = _next_level(pdep0, False)
            if pt is not None and _table_empty(pt):
                free_page(pa2page(pt))
                ram.write_u64(pdep0, 0)
        if _table_empty(pd0):
            free_page(pa2page(pd0))
            ram.write_u64(pdep1, 0)


def copy_range(to, from_, start, end, share):
    """Copies the user mappings of [start, end) (page aligned) from page table from_ into to, page by
    page: a private copy of each page (share == 0), or the same page shared copy-on-write (share == 1:
    a writable page becomes read-only + PTE_COW in both tables). A page on the swap disk gets a copy of
    its slot either way. Returns 0 or -E_NO_MEM."""
    ram = hw.ram
    while start < end:
        ptep = get_pte(from_, start, False)
        if ptep is None:
            start = ROUNDDOWN(start + PTSIZE, PTSIZE)
            continue
        if ram.read_u64(ptep) == 0:
            start = _next_mapped(from_, start, end)
            continue
        with fault_reserve_kept(reclaim=False):     # the child's page tables, like its kernel stack
            nptep = get_pte(to, start, True)
        if nptep is None:
            return -E_NO_MEM
        pte = ram.read_u64(ptep)    # read now: the table's allocation may have swapped the page out
        if not pte & PTE_V:
            if swap.swap_dup(to, start, pte) != 0:
                return -E_NO_MEM
        elif share:
            # LAB5:CHALLENGE copy_range BEGIN
            # copy-on-write fork - map the parent's page in the child too, instead of copying it
            # (1) page = pte2page(pte); perm = pte & (PTE_USER | PTE_COW)
            # (2) a page that may be written (PTE_W, or PTE_COW already) must be read-only +
            #     PTE_COW in both tables, so that the first store to it faults (do_cow_page):
            #     perm = (perm & ~PTE_W) | PTE_COW; when the parent's PTE has PTE_W, write it
            #     back without it, keeping its A and D bits:
            #     ram.write_u64(ptep, pte_create(page.ppn, perm | (pte & (PTE_A | PTE_D)))), and
            #     tlb_invalidate(from_, start) (the parent's TLB may still allow the store)
            # (3) one more PTE maps page: page_ref_inc(page); the child's PTE, at nptep:
            #     ram.write_u64(nptep, pte_create(page.ppn, perm))
            page = pte2page(pte)
            perm = pte & (PTE_USER | PTE_COW)
            if perm & (PTE_W | PTE_COW):
                perm = (perm & ~PTE_W) | PTE_COW
                if pte & PTE_W:
                    ram.write_u64(ptep, pte_create(page.ppn, perm | (pte & (PTE_A | PTE_D))))
                    tlb_invalidate(from_, start)
            page_ref_inc(page)
            ram.write_u64(nptep, pte_create(page.ppn, perm))
            # LAB5:CHALLENGE copy_range END
        else:
            page = pte2page(pte)
            perm = pte & PTE_USER
            npage = alloc_page_keeping(page)
            if npage is None:
                return -E_NO_MEM
            # LAB5:EXERCISE2 copy_range BEGIN
            # copy_range - replicate the content of page to npage, and map npage at start in to
            # (1) src_pa: the physical address of page, page2pa(page)
            # (2) dst_pa: the physical address of npage, page2pa(npage)
            # (3) copy the PGSIZE bytes of the page: hw.ram.copy_page(dst_pa, src_pa)
            # (4) map npage at the linear address start in to, with perm:
            #     ret = page_insert(to, npage, start, perm) (0, or -E_NO_MEM without a page table)
            hw.ram.copy_page(page2pa(npage), page2pa(page))
            ret = page_insert(to, npage, start, perm)
            # LAB5:EXERCISE2 copy_range END
            if ret != 0:
                free_page(npage)
                return ret
            track_swappable(to, start, npage)
            stats["pages_copied_by_fork"] += 1
        start += PGSIZE
    return 0


def _next_mapped(pgdir, la, end):
    """The first page from la up to end, within la's page table, whose PTE in pgdir is not zero, or
    where that table (or the range) ends: copy_range skips an unmapped stretch with one read of the
    table, not a get_pte per page."""
    table_end = min(end, ROUNDDOWN(la + PTSIZE, PTSIZE))
    for mapped, _, _ in present_ptes(pgdir, la, table_end):
        return mapped
    return table_end


def alloc_page_keeping(page):
    """A free page (ref 0) allocated while page cannot be swapped out to make room; None when out of
    memory."""
    page_ref_inc(page)
    npage = alloc_page()
    page_ref_dec(page)
    return npage


def track_swappable(pgdir, la, page):
    """Lists page, just mapped at la in pgdir, with the swap manager when swap is on."""
    if swap.swap_init_ok:
        swap.swap_track(pgdir, la, page)


def map_page_copy(pgdir, la, page, perm):
    """Maps a fresh copy of page at la in pgdir with perm (replacing what la mapped), swappable when
    swap is on; returns the new Page, or None (nothing leaked) when out of memory."""
    npage = alloc_page_keeping(page)
    if npage is None:
        return None
    hw.ram.copy_page(page2pa(npage), page2pa(page))
    if page_insert(pgdir, npage, la, perm) != 0:
        free_page(npage)
        return None
    track_swappable(pgdir, la, npage)
    return npage


def setup_pgdir_page():
    """A new page directory holding a copy of boot_pgdir (the kernel window); its address, or None."""
    page = alloc_page()
    if page is None:
        return None
    pa = page2pa(page)
    hw.ram.copy_page(pa, boot_pgdir)
    return pa


def check_alloc_page():
    """Runs the allocator's own check, then prints its success line."""
    pmm_manager.check()
    cprintf("check_alloc_page() succeeded!\n")


def _pte_at(pgdir, la):
    """The PTE of la in pgdir, or 0 when its tables are absent."""
    ptep = get_pte(pgdir, la, False)
    return 0 if ptep is None else hw.ram.read_u64(ptep)


def check_pgdir():
    """page_insert / get_pte / page_remove against boot_pgdir, with reference counts; frees all it used."""
    nr_free_store = nr_free_pages()
    kassert(npage <= (hw.machine.ram.base + hw.machine.ram.size) >> PGSHIFT)
    kassert(get_page(boot_pgdir, 0)[0] is None, "boot_pgdir maps address 0")
    p1 = alloc_page()
    kassert(page_insert(boot_pgdir, p1, 0x0, 0) == 0)
    ptep = get_pte(boot_pgdir, 0x0, False)
    kassert(ptep is not None and pte2page(hw.ram.read_u64(ptep)) is p1 and p1.ref == 1)
    kassert(get_pte(boot_pgdir, PGSIZE, False) == ptep + 8, "neighbouring PTEs are not adjacent")
    p2 = alloc_page()
    kassert(page_insert(boot_pgdir, p2, PGSIZE, PTE_U | PTE_W | PTE_R) == 0)
    pte = _pte_at(boot_pgdir, PGSIZE)
    kassert(pte & PTE_U and pte & PTE_W and p2.ref == 1)
    kassert(hw.ram.read_u64(boot_pgdir) & PTE_V and not hw.ram.read_u64(boot_pgdir) & PTE_U,
            "a non-leaf entry carries U")
    kassert(page_insert(boot_pgdir, p1, PGSIZE, 0) == 0)
    kassert(p1.ref == 2 and p2.ref == 0, "remapping did not move the references")
    kassert(pte2page(_pte_at(boot_pgdir, PGSIZE)) is p1 and not _pte_at(boot_pgdir, PGSIZE) & PTE_U)
    page_remove(boot_pgdir, 0x0)
    kassert(p1.ref == 1 and p2.ref == 0)
    page_remove(boot_pgdir, PGSIZE)
    kassert(p1.ref == 0 and p2.ref == 0)
    kassert(nr_free_pages() == nr_free_store - 2, "p2 or p1 was not freed with its last reference")
    pd0 = PTE_ADDR(hw.ram.read_u64(boot_pgdir))
    free_page(pa2page(PTE_ADDR(hw.ram.read_u64(pd0))))
    free_page(pa2page(pd0))
    hw.ram.write_u64(boot_pgdir, 0)
    tlb_invalidate(boot_pgdir, 0)
    kassert(nr_free_pages() == nr_free_store, "check_pgdir leaked pages")
    cprintf("check_pgdir() succeeded!\n")


def check_boot_pgdir():
    """The kernel window maps all RAM for S-mode only; a user page at 0x100 is seen through the MMU."""
    nr_free_store = nr_free_pages()
    base, size = hw.machine.ram.base, hw.machine.ram.size
    for pa in range(base, base + size, 1 << 20):
        kassert(hw.mmu.translate(KADDR(pa), ACCESS_LOAD, user=False) == pa, "kernel window is wrong")
    kassert(hw.ram.read_u64(boot_pgdir) == 0, "boot_pgdir maps user space")
    p = alloc_page()
    kassert(page_insert(boot_pgdir, p, 0x100, PTE_W | PTE_R) == 0 and p.ref == 1)
    kassert(page_insert(boot_pgdir, p, 0x100 + PGSIZE, PTE_W | PTE_R) == 0 and p.ref == 2)
    text = b"ucore: Hello world!!"
    for i, b in enumerate(text):
        pa = hw.mmu.translate(0x100 + i, ACCESS_STORE, user=False)
        hw.ram.write_u8(pa, b)
    seen = bytes(hw.ram.read_u8(hw.mmu.translate(0x100 + PGSIZE + i, ACCESS_LOAD, user=False))
                 for i in range(len(text)))
    kassert(seen == text, "two mappings of one page disagree")
    kassert(_pte_at(boot_pgdir, 0x100) & PTE_D, "the MMU did not set D on a store")
    page_remove(boot_pgdir, 0x100)
    page_remove(boot_pgdir, 0x100 + PGSIZE)
    kassert(p.ref == 0)
    exit_range(boot_pgdir, 0, PTSIZE)
    kassert(hw.ram.read_u64(boot_pgdir) == 0, "tables of the check were not freed")
    kassert(nr_free_pages() == nr_free_store, "check_boot_pgdir leaked pages")
    cprintf("check_boot_pgdir() succeeded!\n")


def _perm_text(pte):
    """`RWXUG` with `-` for each clear bit, then ` COW` for a page shared copy-on-write."""
    return "".join(c if pte & bit else "-" for c, bit in
                   (("R", PTE_R), ("W", PTE_W), ("X", PTE_X), ("U", PTE_U), ("G", PTE_G))) + \
        (" COW" if pte & PTE_COW else "")


def _entries(pa):
    """The 512 entries of the page table at physical address pa."""
    return struct.unpack("<%dQ" % NPTEENTRY, hw.ram.read(pa, PGSIZE))


def walk_mappings(pgdir):
    """Every leaf mapping of pgdir as (va, pa, size, pte), in address order (kernel half sign-extended)."""
    out = []
    for i1, e1 in enumerate(_entries(pgdir)):
        if not e1 & PTE_V:
            continue
        va1 = i1 << 30
        if va1 & (1 << 38):
            va1 |= 0xFFFFFF8000000000
        if _is_leaf(e1):
            out.append((va1, PTE_ADDR(e1), 1 << 30, e1))
            continue
        for i0, e0 in enumerate(_entries(PTE_ADDR(e1))):
            if not e0 & PTE_V:
                continue
            va0 = va1 | (i0 << 21)
            if _is_leaf(e0):
                out.append((va0, PTE_ADDR(e0), 1 << 21, e0))
                continue
            for i, e in enumerate(_entries(PTE_ADDR(e0))):
                if e & PTE_V:
                    out.append((va0 | (i << 12), PTE_ADDR(e), PGSIZE, e))
    return out


def count_user_pages(pgdir):
    """Number of 4 KiB user pages (valid leaves below the kernel half) mapped in pgdir."""
    return user_table_counts(pgdir)[1]


def count_table_pages(pgdir):
    """Number of pages pgdir's tables occupy: the root and every table below it."""
    count = 1
    for e1 in _entries(pgdir):
        if e1 & PTE_V and not _is_leaf(e1):
            count += 1 + sum(1 for e0 in _entries(PTE_ADDR(e1)) if e0 & PTE_V and not _is_leaf(e0))
    return count


def merged_mappings(pgdir):
    """walk_mappings as (va, pa, size, pte, ref) runs, merged where va and pa are both contiguous and the
    permissions and page reference counts are equal."""
    mask = PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_COW
    runs = []
    for va, pa, size, pte in walk_mappings(pgdir):
        ref = pa2page(pa).ref if size == PGSIZE else None
        if runs:
            rva, rpa, rsize, rpte, rref = runs[-1]
            if rva + rsize == va and rpa + rsize == pa and (rpte & mask) == (pte & mask) and rref == ref:
                runs[-1] = (rva, rpa, rsize + size, rpte, rref)
                continue
        runs.append((va, pa, size, pte, ref))
    return runs


def _run_text(va, pa, size, pte, ref):
    """One line of print_pgdir: a run of pages, its bits, its pages' reference count, where it maps."""
    npg = size >> PGSHIFT
    count = "%d page%s" % (npg, "" if npg == 1 else "s")
    if size >= 1 << 30:
        count += " (%d GiB)" % (size >> 30)
    elif size >= 1 << 20:
        count += " (%d MiB)" % (size >> 20)
    refs = "" if ref is None else "ref %d" % ref
    target = "pa 0x%08x" % pa if npg == 1 else "pa 0x%08x..0x%08x" % (pa, pa + size - 1)
    return "0x%08x..0x%08x  %-9s %-9s %-5s -> %s" % (va, va + size - 1, count, _perm_text(pte), refs, target)


def print_pgdir(pgdir, title, vmas=()):
    """Prints pgdir's mappings as merged runs with physical pages, R/W/X/U/G bits, COW and page reference
    counts: user runs under the VMA (start, end, description) that holds them, then the kernel window."""
    runs = merged_mappings(pgdir)
    user = [r for r in runs if not r[0] >> 38]
    pages = sum(r[2] >> PGSHIFT for r in user)
    cow = sum(r[2] >> PGSHIFT for r in user if r[3] & PTE_COW)
    cprintf("---- page table of %s: root at pa 0x%08lx ----\n", title, pgdir)
    cprintf("  %d user page%s mapped (%d copy-on-write) in %d vma%s; %d page-table pages\n", pages,
            "" if pages == 1 else "s", cow, len(vmas), "" if len(vmas) == 1 else "s", count_table_pages(pgdir))
    shown = set()
    for start, end, text in vmas:
        inside = [r for r in user if start <= r[0] < end]
        mapped = sum(r[2] >> PGSHIFT for r in inside)
        cprintf("  vma 0x%08lx..0x%08lx %s: %d of %d pages mapped\n", start, end - 1, text, mapped,
                (end - start) >> PGSHIFT)
        for r in inside:
            cprintf("    %s\n", _run_text(*r))
            shown.add(r)
    stray = [r for r in user if r not in shown]
    if stray and vmas:
        cprintf("  outside every vma:\n")
    for r in stray:
        cprintf("    %s\n", _run_text(*r))
    for r in runs:
        if r[0] >> 38:
            cprintf("  kernel %s\n", _run_text(*r))
    cprintf("---- end of page table ----\n")
