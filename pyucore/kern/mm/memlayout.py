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
