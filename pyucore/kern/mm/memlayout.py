"""Memory layout of pyucore (ucore's memlayout.h): constants, and the `Page` struct of every physical page."""

from pyucore.machine.riscv import PGSIZE, RAM_BASE, RAM_SIZE

from ..debug.panic import panic

KERNBASE = 0xFFFFFFFFC0200000
KERNEL_BEGIN_PADDR = 0x80200000
KERNEL_BEGIN_VADDR = KERNBASE
PHYSICAL_MEMORY_OFFSET = 0xFFFFFFFF40000000   # va_pa_offset: kernel VA = PA + this
PHYSICAL_MEMORY_END = RAM_BASE + RAM_SIZE
KMEMSIZE = 0x7E00000
KERNTOP = KERNBASE + KMEMSIZE
DRAM_BASE = RAM_BASE
NBASE = DRAM_BASE // PGSIZE                   # ppn of the first page of RAM

KSTACKPAGE = 2
KSTACKSIZE = KSTACKPAGE * PGSIZE

USERTOP = 0x80000000
USTACKTOP = USERTOP
USTACKPAGE = 256
USTACKSIZE = USTACKPAGE * PGSIZE
USERBASE = 0x00200000
UTEXT = 0x00800000
USTAB = USERBASE

# Page.flags bits
PG_reserved = 0
PG_property = 1


def USER_ACCESS(start, end):
    """True iff [start, end) is a non-empty range inside user space."""
    return USERBASE <= start < end <= USERTOP


def KERN_ACCESS(start, end):
    """True iff [start, end) is a non-empty range inside the kernel window."""
    return KERNBASE <= start < end <= KERNTOP


class Page:
    """struct Page: bookkeeping of one physical page (ref count, flags, free-block size, swap links)."""

    __slots__ = ("ppn", "ref", "flags", "property", "pra_vaddr")

    def __init__(self, ppn):
        self.ppn = ppn
        self.ref = 0
        self.flags = 0
        self.property = 0
        self.pra_vaddr = 0

    def __repr__(self):
        return f"Page(pa={self.ppn << 12:#x}, ref={self.ref})"


class page_array:
    """ucore's `struct Page pages[npage]`: the Page of every physical page, indexed by ppn - nbase (a
    list's indexing and slicing; the same Page every time).

    A Page is made when it is first used. Until then it is in the state it was given last, for every
    page at once: reserved (page_init), or free with flags, property and ref 0 once the allocator has
    been handed its range (unreserve). A boot thus builds the few hundred Pages it uses, not one per
    page of RAM (32,768 for 128 MiB)."""

    __slots__ = ("_made", "nbase", "_unreserved")

    def __init__(self, n, nbase):
        """Needs the number of pages and the ppn of the first; every page starts reserved."""
        self._made = [None] * n
        self.nbase = nbase
        self._unreserved = []     # (first, end) index ranges whose pages not yet made start free

    def __len__(self):
        """The number of pages (npage - nbase)."""
        return len(self._made)

    def __getitem__(self, i):
        """The Page at index i, or a list of those of a slice; IndexError past the end."""
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self._made)))]
        return self._made[i] or self._make(i)

    def __iter__(self):
        """Every Page in order (making them all)."""
        return (self[i] for i in range(len(self._made)))

    def _make(self, i):
        """Makes and keeps the Page at index i (an index into the array, negative from the end)."""
        i = range(len(self._made))[i]
        page = self._made[i] = Page(self.nbase + i)
        if not any(first <= i < end for first, end in self._unreserved):
            SetPageReserved(page)
        return page

    def unreserve(self, first, n):
        """The n pages from index first start free (flags, property and ref 0) from now on; returns the
        Pages of the range already made, which the caller must clear itself."""
        self._unreserved.append((first, first + n))
        return [page for page in self._made[first:first + n] if page is not None]


def set_page_ref(page, val):
    """Sets page's reference count to val."""
    page.ref = val


def page_ref_inc(page):
    """Adds one reference to page; returns the new count."""
    page.ref += 1
    return page.ref


def page_ref_dec(page):
    """Drops one reference from page; returns the new count. A count below zero is a kernel bug: panic."""
    page.ref -= 1
    if page.ref < 0:
        panic("page at pa 0x%lx has a negative reference count %d", page.ppn << 12, page.ref)
    return page.ref


def SetPageReserved(page):
    """Marks page as not managed by the allocator (kernel image, firmware)."""
    page.flags |= 1 << PG_reserved


def PageReserved(page):
    """True iff page is not managed by the allocator."""
    return bool(page.flags & (1 << PG_reserved))


def SetPageProperty(page):
    """Marks page as the head of a free block of page.property pages."""
    page.flags |= 1 << PG_property


def ClearPageProperty(page):
    """page no longer heads a free block."""
    page.flags &= ~(1 << PG_property)


def PageProperty(page):
    """True iff page heads a free block."""
    return bool(page.flags & (1 << PG_property))
