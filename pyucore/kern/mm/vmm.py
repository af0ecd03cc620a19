"""Virtual memory areas and the page-fault handler (ucore's vmm.c).

mm_struct holds a process's VMAs (sorted by address) and its page directory; do_pgfault serves
demand-paged stack pages and copy-on-write breaks, and reports every fault it cannot serve.
"""

import bisect

from .. import hw
from ..debug import events
from ..debug.events import emit
from ..debug.panic import kassert
from ..libs.error import E_INVAL, E_NO_MEM
from ..fs.swapfs import swap_offset
from ..libs.stdio import cprintf
from . import pmm, swap
from .memlayout import KERN_ACCESS, USER_ACCESS
from ..process import proc
from ..trap import trap
from .mmu import (
    PGSIZE, PTE_A, PTE_ADDR, PTE_COW, PTE_D, PTE_R, PTE_U, PTE_USER, PTE_V, PTE_W, PTE_X, PTSIZE, ROUNDDOWN, ROUNDUP,
    pte_create,
)
from pyucore.machine.riscv import (
    ACCESS_STORE, CAUSE_FETCH_PAGE_FAULT, CAUSE_STORE_ACCESS, CAUSE_STORE_PAGE_FAULT,
)

VM_READ = 0x1
VM_WRITE = 0x2
VM_EXEC = 0x4
VM_STACK = 0x8

check_mm_struct = None     # the mm of a boot self-check, while one runs (faults then print their address)
pgfault_num = 0


class vma_struct:
    """A virtual memory area [vm_start, vm_end) of one mm, with VM_* flags."""

    __slots__ = ("vm_mm", "vm_start", "vm_end", "vm_flags")

    def __init__(self, vm_start, vm_end, vm_flags):
        self.vm_mm = None
        self.vm_start = vm_start
        self.vm_end = vm_end
        self.vm_flags = vm_flags


class mm_struct:
    """A process's address space: sorted VMAs, a lookup cache, the page directory and a share count."""

    def __init__(self):
        self.mmap_list = []          # vma_struct, sorted by vm_start
        self.mmap_cache = None
        self.pgdir = 0               # physical address of the page directory (0 = none yet)
        self.map_count = 0
        self.mm_count = 0
        self.sm_priv = None          # the swap manager's per-mm state


def mm_create():
    """A new, empty mm_struct (swap managers hook in through swap_init_mm)."""
    mm = mm_struct()
    if swap.swap_init_ok:
        swap.swap_init_mm(mm)
    return mm


def vma_create(vm_start, vm_end, vm_flags):
    """A new VMA [vm_start, vm_end) with vm_flags, not yet in any mm."""
    return vma_struct(vm_start, vm_end, vm_flags)


def mm_count_inc(mm):
    """One more process uses mm; returns the new count."""
    mm.mm_count += 1
    return mm.mm_count


def mm_count_dec(mm):
    """One process fewer uses mm; returns the new count."""
    mm.mm_count -= 1
    return mm.mm_count


def find_vma(mm, addr):
    """The VMA of mm that contains addr, or None; uses and updates mm's one-entry cache."""
    if mm is None:
        return None
    vma = mm.mmap_cache
    if vma is not None and vma.vm_start <= addr < vma.vm_end:
        return vma
    for vma in mm.mmap_list:
        if vma.vm_start <= addr < vma.vm_end:
            mm.mmap_cache = vma
            return vma
    return None


def insert_vma_struct(mm, vma):
    """Inserts vma in address order; panics if it overlaps a neighbour."""
    kassert(vma.vm_start < vma.vm_end, "empty vma")
    starts = [v.vm_start for v in mm.mmap_list]
    i = bisect.bisect_left(starts, vma.vm_start)
    if i > 0:
        kassert(mm.mmap_list[i - 1].vm_end <= vma.vm_start, "vma overlaps the previous one")
    if i < len(mm.mmap_list):
        kassert(vma.vm_end <= mm.mmap_list[i].vm_start, "vma overlaps the next one")
    vma.vm_mm = mm
    mm.mmap_list.insert(i, vma)
    mm.map_count += 1


def mm_destroy(mm):
    """Drops mm's VMAs, its swap state and the mm itself (its pages must already be unmapped)."""
    if mm.sm_priv is not None:
        swap.swap_exit_mm(mm)
    mm.mmap_list = []
    mm.mmap_cache = None
    mm.map_count = 0


def mm_map(mm, addr, length, vm_flags):
    """Adds the VMA covering [addr, addr+length) rounded to pages; 0, or -E_INVAL outside user space or
    overlapping an existing VMA."""
    start, end = ROUNDDOWN(addr, PGSIZE), ROUNDUP(addr + length, PGSIZE)
    if not USER_ACCESS(start, end):
        return -E_INVAL
    kassert(mm is not None)
    if any(vma.vm_start < end and start < vma.vm_end for vma in mm.mmap_list):
        return -E_INVAL
    insert_vma_struct(mm, vma_create(start, end, vm_flags))
    return 0


def dup_mmap(to, from_, share):
    """Copies every VMA of from_ into to and their pages with copy_range; 0 or -E_NO_MEM."""
    for vma in from_.mmap_list:
        insert_vma_struct(to, vma_create(vma.vm_start, vma.vm_end, vma.vm_flags))
        if pmm.copy_range(to.pgdir, from_.pgdir, vma.vm_start, vma.vm_end, share) != 0:
            return -E_NO_MEM
    return 0


def exit_mmap(mm):
    """Unmaps every page of mm's VMAs, then frees their page tables (mm must be unshared)."""
    kassert(mm is not None and mm.mm_count == 0)
    for vma in mm.mmap_list:
        pmm.unmap_range(mm.pgdir, vma.vm_start, vma.vm_end)
    for vma in mm.mmap_list:
        pmm.exit_range(mm.pgdir, vma.vm_start, vma.vm_end)


def vma_perm(vma):
    """PTE permissions for a page of vma (ucore gives a read-only VMA no R; pyucore fixes that)."""
    perm = PTE_U
    if vma.vm_flags & VM_READ:
        perm |= PTE_R
    if vma.vm_flags & VM_WRITE:
        perm |= PTE_R | PTE_W
    if vma.vm_flags & VM_EXEC:
        perm |= PTE_X
    return perm


def _access_allowed(vma, error_code):
    """True iff the VMA's flags permit the access that faulted."""
    if error_code in (CAUSE_STORE_PAGE_FAULT, CAUSE_STORE_ACCESS):
        return bool(vma.vm_flags & VM_WRITE)
    if error_code == CAUSE_FETCH_PAGE_FAULT:
        return bool(vma.vm_flags & VM_EXEC)
    return bool(vma.vm_flags & (VM_READ | VM_WRITE))


def _report(error_code, fmt, *args):
    """Prints why a fault cannot be served, after the fault's name (served faults stay silent, so the
    console does not depend on demand paging or copy-on-write; a boot self-check printed it already)."""
    if check_mm_struct is None:
        cprintf("%s\n", trap.exception_message(error_code))
    cprintf(fmt, *args)


def do_cow_page(mm, la, ptep, pte):
    """Breaks copy-on-write at page la: a private copy, or W restored on the last reference; 0 or -E_NO_MEM."""
    pmm.stats["cow_faults"] += 1
    # LAB5:CHALLENGE do_cow_page BEGIN
    # copy-on-write break - a store to a shared page: give mm a page of its own that it may write
    # (1) page = pmm.pte2page(pte); the PTE's new permissions: perm = ((pte & PTE_USER) | PTE_W)
    #     without PTE_COW
    # (2) page.ref == 1, no other PTE maps the page any more: it is mm's alone, so write the PTE back
    #     in place with perm (keeping its A and D bits: pte & (PTE_A | PTE_D)),
    #     hw.ram.write_u64(ptep, pte_create(page.ppn, ...)), pmm.tlb_invalidate(mm.pgdir, la), and
    #     when mm has a replacement list (mm.sm_priv is not None) let the swap manager take the page
    #     again: swap.swap_map_swappable(mm, la, page, 0); copied = False
    # (3) otherwise map a private copy: pmm.map_page_copy(mm.pgdir, la, page, perm) (None: out of
    #     memory, return -E_NO_MEM); copied = True
    page = pmm.pte2page(pte)
    perm = ((pte & PTE_USER) | PTE_W) & ~PTE_COW
    if page.ref == 1:
        hw.ram.write_u64(ptep, pte_create(page.ppn, perm | (pte & (PTE_A | PTE_D))))
        pmm.tlb_invalidate(mm.pgdir, la)
        if mm.sm_priv is not None:      # now private to mm: the swap manager may take it again
            swap.swap_map_swappable(mm, la, page, 0)
        copied = False
    else:
        if pmm.map_page_copy(mm.pgdir, la, page, perm) is None:
            return -E_NO_MEM
        copied = True
    # LAB5:CHALLENGE do_cow_page END
    _cow_event(la, copied)
    return 0


def _cow_event(la, copied):
    """Records a `cow` event (copied: a private copy was made) and counts a copy against current."""
    pid = proc.current.pid if proc.current is not None else 0
    if copied:
        pmm.stats["cow_copies"] += 1
    if copied and proc.current is not None:
        proc.current.stats["cow_copies"] += 1
    emit("cow", pid, addr=la, copied=copied)


def mm_event(mm, why, addrs=None):
    """With events.detail on, records an `mm` event for the process owning mm (current's, else found in
    proc_list; none for a self-check's mm). Without addrs, a full snapshot: vmas as [start, end, VM_*
    flags] and every user page; with addrs (page addresses), a delta: only those pages, vmas None.
    A page is [va >> 12, PTE bits, ppn] when present, [va >> 12, 0, swap slot] when on the swap disk,
    [va >> 12, 0, 0] when unmapped."""
    if not events.detail:
        return
    owner = proc.current
    if owner is None or owner.mm is not mm:
        owner = next((p for p in proc.proc_list if p.mm is mm), None)
    if owner is None:
        return
    if addrs is None:
        vmas = [[v.vm_start, v.vm_end, v.vm_flags] for v in mm.mmap_list]
        ptes = [(la, pte) for v in mm.mmap_list
                for la, _, pte in pmm.present_ptes(mm.pgdir, v.vm_start, v.vm_end)]
    else:
        vmas = None
        ptes = [(la, _pte_of(mm, la)) for la in addrs]
    emit("mm", owner.pid, why=why, vmas=vmas, pages=[_page_entry(la, pte) for la, pte in ptes])


def _pte_of(mm, la):
    """The PTE of page la in mm (0 when its table is missing)."""
    ptep = pmm.get_pte(mm.pgdir, la, False)
    return 0 if ptep is None else hw.ram.read_u64(ptep)


def _page_entry(la, pte):
    """One page of an `mm` event (see mm_event)."""
    if pte & PTE_V:
        return [la >> 12, pte & (PTE_USER | PTE_COW), pte >> 10]
    return [la >> 12, 0, swap_offset(pte) if pte else 0]


def do_pgfault(mm, error_code, addr):
    """Serves a page fault at addr of kind error_code (scause): maps a zeroed page where a VMA allows the
    access, breaks COW, or brings a page back from swap. Returns 0, -E_INVAL (no VMA / not allowed)
    or -E_NO_MEM."""
    global pgfault_num
    pgfault_num += 1
    vma = find_vma(mm, addr)
    if vma is None or vma.vm_start > addr:
        _report(error_code, "not valid addr %x, and  can not find it in vma\n", addr)
        return -E_INVAL
    if not _access_allowed(vma, error_code):
        _report(error_code, "not valid access to addr %x: its vma does not allow it\n", addr)
        return -E_INVAL
    la = ROUNDDOWN(addr, PGSIZE)
    perm = vma_perm(vma)
    # LAB3:EXERCISE1 do_pgfault BEGIN
    # do_pgfault - find the PTE of the faulting page la, and map a new page there when it has none
    # (1) ptep = pmm.get_pte(mm.pgdir, la, True): the address of la's PTE, page tables made as needed;
    #     None (no memory for a table): _report(error_code, "get_pte in do_pgfault failed\n") and
    #     return -E_NO_MEM
    # (2) pte = hw.ram.read_u64(ptep); when it is 0, la was never mapped: map a new page there with
    #     the VMA's permissions, pmm.pgdir_alloc_page(mm.pgdir, la, perm), and return 0; when that
    #     gives None: _report(error_code, "pgdir_alloc_page in do_pgfault failed\n"), return -E_NO_MEM
    # A non-zero pte is left to the code after the blank (copy-on-write, swap).
    ptep = pmm.get_pte(mm.pgdir, la, True)
    if ptep is None:
        _report(error_code, "get_pte in do_pgfault failed\n")
        return -E_NO_MEM
    pte = hw.ram.read_u64(ptep)
    if pte == 0:
        if pmm.pgdir_alloc_page(mm.pgdir, la, perm) is None:
            _report(error_code, "pgdir_alloc_page in do_pgfault failed\n")
            return -E_NO_MEM
        return 0
    # LAB3:EXERCISE1 do_pgfault END
    if pte & PTE_V:
        if error_code == CAUSE_STORE_PAGE_FAULT and pte & PTE_COW:
            ret = do_cow_page(mm, la, ptep, pte)
            if ret != 0:
                _report(error_code, "copy-on-write of addr %x failed: out of memory\n", addr)
            return ret
        _report(error_code, "not valid access to addr %x: the page does not allow it\n", addr)
        return -E_INVAL
    if not swap.swap_init_ok:
        _report(error_code, "no swap_init_ok but ptep is %x, failed\n", pte)
        return -E_INVAL
    # LAB3:EXERCISE2 do_pgfault BEGIN
    # do_pgfault swap-in - the PTE holds a swap entry: bring the page back from the swap disk
    # (1) page = swap.swap_in(mm, la): a new page holding the data from disk, or None when no page can
    #     be had: cprintf("swap_in in do_pgfault failed: out of memory\n"), return -E_NO_MEM
    # (2) map it at la with perm: pmm.page_insert(mm.pgdir, page, la, perm) (kassert that it gives 0)
    # (3) tell the swap manager the page is in memory again: swap.swap_map_swappable(mm, la, page, 1)
    # (4) return 0
    page = swap.swap_in(mm, la)
    if page is None:
        cprintf("swap_in in do_pgfault failed: out of memory\n")
        return -E_NO_MEM
    kassert(pmm.page_insert(mm.pgdir, page, la, perm) == 0, "page_insert over a swap entry failed")
    swap.swap_map_swappable(mm, la, page, 1)
    return 0
    # LAB3:EXERCISE2 do_pgfault END


def user_mem_check(mm, addr, length, write):
    """True iff [addr, addr+length) lies in mm's VMAs with the needed right (a write to a stack VMA must
    stay above its lowest, guard page); with mm None, iff it lies in the kernel window."""
    if mm is None:
        return KERN_ACCESS(addr, addr + length)
    if not USER_ACCESS(addr, addr + length):
        return False
    start, end = addr, addr + length
    while start < end:
        vma = find_vma(mm, start)
        if vma is None or start < vma.vm_start:
            return False
        if not vma.vm_flags & (VM_WRITE if write else VM_READ):
            return False
        if write and vma.vm_flags & VM_STACK and start < vma.vm_start + PGSIZE:
            return False
        start = vma.vm_end
    return True


def _user_page(mm, va, write):
    """Physical address of va in mm for a kernel access, faulting the page in (or breaking COW) first
    as the MMU would; None if that fails."""
    la = ROUNDDOWN(va, PGSIZE)
    ptep = pmm.get_pte(mm.pgdir, la, False)
    pte = 0 if ptep is None else hw.ram.read_u64(ptep)
    if not pte & PTE_V or (write and not pte & PTE_W):
        if do_pgfault(mm, CAUSE_STORE_PAGE_FAULT if write else 13, va) != 0:
            return None
        mm_event(mm, "fault", [la])
        pte = hw.ram.read_u64(pmm.get_pte(mm.pgdir, la, False))
    return PTE_ADDR(pte) + (va - la)


def copy_from_user(mm, addr, length):
    """The bytes at [addr, addr+length) of mm (or of the kernel window when mm is None), or None if the
    range is not readable."""
    if not user_mem_check(mm, addr, length, False):
        return None
    if mm is None:
        return hw.ram.read(pmm.PADDR(addr), length)
    out = bytearray()
    va, end = addr, addr + length
    while va < end:
        n = min(end, ROUNDDOWN(va, PGSIZE) + PGSIZE) - va
        pa = _user_page(mm, va, False)
        if pa is None:
            return None
        out += hw.ram.read(pa, n)
        va += n
    return bytes(out)


def copy_to_user(mm, addr, data):
    """Writes data at addr in mm through its page table (breaking COW as a user store would);
    True, or False if the range is not writable."""
    if not user_mem_check(mm, addr, len(data), True):
        return False
    va, end, off = addr, addr + len(data), 0
    while va < end:
        n = min(end, ROUNDDOWN(va, PGSIZE) + PGSIZE) - va
        pa = _user_page(mm, va, True)
        if pa is None:
            return False
        hw.ram.write(pa, data[off:off + n])
        va += n
        off += n
    return True


def copy_string(mm, addr, maxlen):
    """A NUL-terminated string of at most maxlen bytes from addr, or None if unreadable."""
    out = bytearray()
    while len(out) < maxlen:
        b = copy_from_user(mm, addr + len(out), 1)
        if b is None:
            return None
        if b == b"\0":
            break
        out += b
    return out.decode("latin-1")


def vmm_init():
    """Runs the VMM self-checks."""
    check_vmm()


def check_vmm():
    """The VMA and page-fault self-checks, which must give back every page they take."""
    nr_free_store = pmm.nr_free_pages()
    check_vma_struct()
    check_pgfault()
    kassert(nr_free_store == pmm.nr_free_pages(), "check_vmm leaked pages")
    cprintf("check_vmm() succeeded.\n")


def check_vma_struct():
    """Inserts 100 VMAs out of order and checks their order, lookups and the gaps between them."""
    mm = mm_create()
    step1, step2 = 10, 100
    for i in range(step1, 0, -1):
        insert_vma_struct(mm, vma_create(i * 5, i * 5 + 2, 0))
    for i in range(step1 + 1, step2 + 1):
        insert_vma_struct(mm, vma_create(i * 5, i * 5 + 2, 0))
    kassert(mm.map_count == step2)
    for i, vma in enumerate(mm.mmap_list, start=1):
        kassert(vma.vm_start == i * 5 and vma.vm_end == i * 5 + 2, "vmas are out of order")
    for i in range(5, 5 * step2 + 1, 5):
        vma1 = find_vma(mm, i)
        kassert(vma1 is not None and vma1.vm_start == i and vma1.vm_end == i + 2)
        kassert(find_vma(mm, i + 1) is vma1)
        for gap in (i + 2, i + 3, i + 4):
            kassert(find_vma(mm, gap) is None, "an address between vmas was found in one")
    for i in range(4, -1, -1):
        kassert(find_vma(mm, i) is None, "an address below every vma was found in one")
    mm_destroy(mm)
    cprintf("check_vma_struct() succeeded!\n")


def check_pgfault():
    """Stores 100 bytes at 0x100 through the MMU in a fresh mm: the first store faults and do_pgfault
    serves it; the values read back equal those written; everything is freed again."""
    global check_mm_struct
    nr_free_store = pmm.nr_free_pages()
    check_mm_struct = mm = mm_create()
    mm.pgdir = pmm.boot_pgdir
    kassert(hw.ram.read_u64(mm.pgdir) == 0)
    vma = vma_create(0, PTSIZE, VM_WRITE)
    insert_vma_struct(mm, vma)
    addr = 0x100
    kassert(find_vma(mm, addr) is vma)
    total = 0
    for i in range(100):
        trap.kernel_store(addr + i, 1, i)
        total += i
    for i in range(100):
        total -= trap.kernel_load(addr + i, 1)
    kassert(total == 0, "bytes read back differ from those written")
    pmm.page_remove(mm.pgdir, ROUNDDOWN(addr, PGSIZE))
    pmm.exit_range(mm.pgdir, 0, PTSIZE)
    kassert(hw.ram.read_u64(mm.pgdir) == 0)
    mm.pgdir = 0
    mm_destroy(mm)
    check_mm_struct = None
    kassert(nr_free_store == pmm.nr_free_pages(), "check_pgfault leaked pages")
    cprintf("check_pgfault() succeeded!\n")


def print_mm(mm, title):
    """Prints mm's page table as pmm.print_pgdir does, its user mappings grouped by VMA."""
    vmas = [(vma.vm_start, vma.vm_end, _vma_text(vma)) for vma in mm.mmap_list]
    pmm.print_pgdir(mm.pgdir, title, vmas)


def _vma_text(vma):
    """`rw- stack`-style description of a VMA's flags."""
    text = "".join(c if vma.vm_flags & bit else "-" for c, bit in (("r", VM_READ), ("w", VM_WRITE),
                                                                   ("x", VM_EXEC)))
    return text + (" stack" if vma.vm_flags & VM_STACK else "")
