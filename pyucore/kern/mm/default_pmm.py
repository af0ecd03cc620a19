"""First-fit physical page allocator (ucore's default_pmm.c), with its self-check default_check."""

import bisect

from ..debug.panic import kassert
from .memlayout import (
    ClearPageProperty, PageProperty, PageReserved, SetPageProperty, set_page_ref,
)


class free_area_t:
    """The free list: head pages of free blocks ordered by address, and the number of free pages."""

    def __init__(self):
        self.free_list = []      # head Page of every free block, sorted by ppn
        self.keys = []           # their ppns, for bisect
        self.nr_free = 0

    def insert(self, page):
        """Inserts block head page at its address-ordered place."""
        i = bisect.bisect_left(self.keys, page.ppn)
        self.keys.insert(i, page.ppn)
        self.free_list.insert(i, page)
        return i

    def remove(self, i):
        """Removes the i-th block head from the list."""
        del self.keys[i]
        del self.free_list[i]


class default_pmm_manager:
    """pmm_manager with first-fit allocation over the address-ordered free list."""

    name = "default_pmm_manager"

    def __init__(self, pages, nbase):
        self.pages = pages       # every Page of RAM, indexed by ppn - nbase
        self.nbase = nbase
        self.area = free_area_t()

    def init_memmap(self, base, n):
        """Adds the n pages from Page base as one free block; they must be reserved (unused) so far."""
        kassert(n > 0)
        # ucore clears every page of the range here; pages[] makes its Pages when first used, so it
        # makes those of the range free from now on and leaves only the Pages it already made to clear
        for p in self.pages.unreserve(base.ppn - self.nbase, n):
            kassert(PageReserved(p))
            p.flags = 0
            p.property = 0
            set_page_ref(p, 0)
        base.property = n
        SetPageProperty(base)
        self.area.nr_free += n
        self.area.insert(base)

    def alloc_pages(self, n):
        """Takes n contiguous pages from the first block big enough; returns its first Page, or None."""
        kassert(n > 0)
        # LAB2:EXERCISE1 default_alloc_pages BEGIN
        # default_alloc_pages - first fit: take n pages from the first free block big enough
        # self.area.free_list holds the head Page of every free block, in address order; a head's
        # .property is the number of pages of its block; self.area.nr_free counts all free pages.
        # (1) n > self.area.nr_free: there is no room, return None
        # (2) walk free_list in order (for i, page in enumerate(...)); the first page whose property
        #     is >= n heads the block to use: take it off the list with self.area.remove(i)
        # (3) when the block has more than n pages, the rest stays free as a block of its own: its
        #     head is rest = self.pages[page.ppn - self.nbase + n], rest.property = page.property - n,
        #     SetPageProperty(rest), self.area.insert(rest)
        # (4) self.area.nr_free -= n; ClearPageProperty(page) (it heads no free block now); return page
        # (5) no block is big enough: return None
        if n > self.area.nr_free:
            return None
        for i, page in enumerate(self.area.free_list):
            if page.property >= n:
                self.area.remove(i)
                if page.property > n:
                    rest = self.pages[page.ppn - self.nbase + n]
                    rest.property = page.property - n
                    SetPageProperty(rest)
                    self.area.insert(rest)
                self.area.nr_free -= n
                ClearPageProperty(page)
                return page
        return None
        # LAB2:EXERCISE1 default_alloc_pages END

    def free_pages(self, base, n):
        """Returns the n pages from base to the free list, merging with adjacent free blocks."""
        kassert(n > 0)
        # LAB2:EXERCISE1 default_free_pages BEGIN
        # default_free_pages - give the n pages from base back as a free block, merged with free neighbours
        # (1) every page p of the n (self.pages[base.ppn - self.nbase + k]) must be in use:
        #     kassert(not PageReserved(p) and not PageProperty(p)); then p.flags = 0, set_page_ref(p, 0)
        # (2) base heads a free block of n pages: base.property = n, SetPageProperty(base),
        #     self.area.nr_free += n, and i = self.area.insert(base) is its index in free_list
        # (3) the block before it (free_list[i - 1]) ends where base begins
        #     (prev.ppn + prev.property == base.ppn): merge them: prev.property += base.property,
        #     ClearPageProperty(base), self.area.remove(i); the merged block is prev, at i - 1
        # (4) likewise, when the block ends where the next one (free_list[i + 1]) begins, merge that
        #     one into it
        first = base.ppn - self.nbase
        for p in self.pages[first:first + n]:
            kassert(not PageReserved(p) and not PageProperty(p), "freeing a free or reserved page")
            p.flags = 0
            set_page_ref(p, 0)
        base.property = n
        SetPageProperty(base)
        self.area.nr_free += n
        i = self.area.insert(base)
        if i > 0:
            prev = self.area.free_list[i - 1]
            if prev.ppn + prev.property == base.ppn:
                prev.property += base.property
                ClearPageProperty(base)
                self.area.remove(i)
                base, i = prev, i - 1
        if i + 1 < len(self.area.free_list):
            nxt = self.area.free_list[i + 1]
            if base.ppn + base.property == nxt.ppn:
                base.property += nxt.property
                ClearPageProperty(nxt)
                self.area.remove(i + 1)
        # LAB2:EXERCISE1 default_free_pages END

    def nr_free_pages(self):
        """Number of free pages."""
        return self.area.nr_free

    def check(self):
        """default_check: exercises alloc/free/merge on the live allocator and asserts every outcome."""
        area = self.area
        total = sum(p.property for p in area.free_list)
        kassert(total == area.nr_free, "free list disagrees with nr_free")
        self._basic_check()
        p0 = self.alloc_pages(5)
        kassert(p0 is not None and not PageProperty(p0))
        saved, saved_nr = area, area.nr_free
        self.area = free_area_t()
        kassert(self.alloc_pages(1) is None, "empty free list gave a page")
        self.free_pages(self.pages[p0.ppn - self.nbase + 2], 3)
        kassert(self.alloc_pages(4) is None, "3 free pages satisfied a request of 4")
        p1 = self.pages[p0.ppn - self.nbase + 2]
        kassert(PageProperty(p1) and p1.property == 3)
        p1 = self.alloc_pages(3)
        kassert(p1 is not None and self.alloc_pages(1) is None)
        self.free_pages(p0, 1)
        self.free_pages(p1, 3)
        kassert(self.area.nr_free == 4 and len(self.area.free_list) == 2, "blocks 2 pages apart merged")
        p2 = self.alloc_pages(1)
        kassert(p2 is p0, "first fit did not take the lowest block")
        self.free_pages(self.pages[p0.ppn - self.nbase + 1], 1)
        merged = self.area.free_list
        kassert(len(merged) == 1 and merged[0].ppn == p0.ppn + 1 and merged[0].property == 4,
                "adjacent blocks did not merge")
        p3 = self.alloc_pages(4)
        kassert(p3 is not None and p3.ppn == p0.ppn + 1 and self.area.nr_free == 0)
        self.area = saved
        kassert(saved.nr_free == saved_nr)
        self.free_pages(p0, 5)
        kassert(sum(p.property for p in area.free_list) == area.nr_free == total,
                "free page count changed across default_check")

    def _basic_check(self):
        """Three single pages: distinct, unreferenced, given back, and allocated again from the same list."""
        before = self.area.nr_free
        p0, p1, p2 = self.alloc_pages(1), self.alloc_pages(1), self.alloc_pages(1)
        kassert(None not in (p0, p1, p2), "could not allocate three pages")
        kassert(p0 is not p1 and p0 is not p2 and p1 is not p2, "the same page was given twice")
        kassert(p0.ref == 0 and p1.ref == 0 and p2.ref == 0)
        kassert(self.area.nr_free == before - 3)
        for p in (p0, p1, p2):
            self.free_pages(p, 1)
        kassert(self.area.nr_free == before, "freed pages were not counted back")
        q = self.alloc_pages(1)
        kassert(q is p0 or q.ppn <= min(p0.ppn, p1.ppn, p2.ppn), "first fit skipped a lower free page")
        self.free_pages(q, 1)
        kassert(self.area.nr_free == before)
