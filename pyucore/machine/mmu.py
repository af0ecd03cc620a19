"""Sv39 MMU: page walks over the page tables in RAM, permission checks, A/D updates, a software TLB.

The TLB is three dicts keyed by virtual page address (va with the low 12 bits clear), one per access
kind, holding only user-mode translations that passed their checks (a store entry exists only once D is
set, and never for a physical page holding translated code, so the CPU's inline store path can never
modify code). Entries are tagged by address space, as with ASIDs, the space being the satp value: a
satp write keeps the entries of the space left for its return and brings back those of the space
entered (writing the value already there empties the space). `flush(va)` (sfence.vma of a page)
drops va's page in every space (in a kept one when it runs again: a FlushLog says which of its pages
went stale meanwhile), `flush()` everything, and freeing a page that is the root of a kept
space (`forget_space`) drops that space, so a root page reused for a new page table starts empty. At
most KEPT_SPACES spaces are kept; the one left longest ago goes first (it starts empty when it runs).
The CPU reads the dicts directly:
    load_tlb[page] / store_tlb[page] = page - (pa_page - RAM_BASE), so ram offset = va - entry
    fetch_tlb[page] = pa_page
"""

from .riscv import (ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, CAUSE_FETCH_ACCESS, CAUSE_FETCH_PAGE_FAULT,
                    CAUSE_LOAD_ACCESS, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_ACCESS, CAUSE_STORE_PAGE_FAULT,
                    KEPT_SPACES, PGSHIFT, PTE_A, PTE_D, PTE_PPN_SHIFT, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X)

MASK64 = (1 << 64) - 1
PAGE_MASK = MASK64 ^ 0xFFF
PPN_MASK = (1 << 44) - 1
SATP_MODE_BARE = 0
SATP_MODE_SV39_VALUE = 8

_PAGE_FAULT = {ACCESS_FETCH: CAUSE_FETCH_PAGE_FAULT, ACCESS_LOAD: CAUSE_LOAD_PAGE_FAULT,
               ACCESS_STORE: CAUSE_STORE_PAGE_FAULT}
_ACCESS_FAULT = {ACCESS_FETCH: CAUSE_FETCH_ACCESS, ACCESS_LOAD: CAUSE_LOAD_ACCESS,
                 ACCESS_STORE: CAUSE_STORE_ACCESS}
_NEEDED = {ACCESS_FETCH: PTE_X, ACCESS_LOAD: PTE_R, ACCESS_STORE: PTE_W}


class MachineTrap(Exception):
    """A synchronous exception: cause (scause value) and tval, as the hardware would report them."""

    def __init__(self, cause, tval):
        """Records cause and tval."""
        super().__init__(cause, tval)
        self.cause = cause
        self.tval = tval

    def __repr__(self):
        """Returns e.g. MachineTrap(cause=13, tval=0x0)."""
        return f"MachineTrap(cause={self.cause}, tval={self.tval:#x})"


class FlushLog:
    """Which virtual pages were flushed, and when (a count of single-page flushes): a cache kept for an
    address space that is not running drops its stale pages when the space runs again, in one pass,
    instead of at every flush. Holds one entry per distinct page flushed since the last clear() (a full
    flush, which the kernel never asks for): bounded by the user pages ever mapped, few in ucore, whose
    processes all use the same addresses."""

    def __init__(self):
        """Starts with no page flushed, at clock 0."""
        self.clock = 0
        self._last = {}

    def record(self, page):
        """Notes that page (a virtual page address) was flushed now."""
        self.clock += 1
        self._last[page] = self.clock

    def clear(self):
        """Forgets every page (the caller dropped every kept cache); the clock goes on."""
        self._last.clear()

    def fresh(self, cache, since, straddle=False):
        """cache (a dict keyed by virtual address) without the keys whose page was flushed after clock
        since; with straddle, also those at the last halfword of a page before a flushed page (an
        instruction starting there lies on both pages). Returns cache itself when nothing was flushed."""
        if since == self.clock:
            return cache
        last = self._last
        return {key: value for key, value in cache.items()
                if last.get(key & PAGE_MASK, 0) <= since
                and not (straddle and key & 0xFFF == 0xFFE
                         and last.get((key & PAGE_MASK) + 0x1000, 0) > since)}


def keep_recent(spaces):
    """Needs spaces (a dict by satp in the order the spaces were left); drops the oldest entries until
    at most KEPT_SPACES remain."""
    while len(spaces) > KEPT_SPACES:
        del spaces[next(iter(spaces))]


class MMU:
    """Translates virtual addresses of the single hart through satp's page tables in `ram`."""

    def __init__(self, ram):
        """Needs a RAM; starts in bare mode (satp = 0) with an empty TLB."""
        self.ram = ram
        self._satp = 0
        self.load_tlb = {}
        self.store_tlb = {}
        self.fetch_tlb = {}
        self._tlbs = {ACCESS_FETCH: self.fetch_tlb, ACCESS_LOAD: self.load_tlb, ACCESS_STORE: self.store_tlb}
        # called with the flushed va (or None for all) so the CPU can drop its pc -> block cache
        self.flush_listeners = []
        # called with (satp left, satp entered) so the CPU can keep its pc -> block cache per space
        self.switch_listeners = []
        # satp -> (the three TLB dicts' contents, flush_log.clock when left) of each space not running
        self._spaces = {}
        self.flush_log = FlushLog()
        # True once a superpage translation is cached: its 4 KiB entries all die with any flush(va)
        self._superpage_cached = False

    @property
    def satp(self):
        """The satp value last written."""
        return self._satp

    @satp.setter
    def satp(self, value):
        """Needs MODE 0 (bare) or 8 (Sv39), else ValueError; sets satp, switching the TLB to the entries
        kept for that address space (none if it never ran or was forgotten); the same value again
        empties the current space."""
        mode = (value >> 60) & 0xF
        if mode not in (SATP_MODE_BARE, SATP_MODE_SV39_VALUE):
            raise ValueError(f"satp mode {mode} is not supported (only 0 = bare and 8 = Sv39)")
        value &= MASK64
        old = self._satp
        if value == old:
            self._forget_current()
        else:
            tlbs = (self.load_tlb, self.store_tlb, self.fetch_tlb)
            kept, left_at = self._spaces.pop(value, (({}, {}, {}), self.flush_log.clock))
            self._spaces[old] = tuple(dict(tlb) for tlb in tlbs), self.flush_log.clock
            keep_recent(self._spaces)
            for tlb, entries in zip(tlbs, kept):
                tlb.clear()
                tlb.update(self.flush_log.fresh(entries, left_at))
            self._satp = value
        for listener in self.switch_listeners:
            listener(old, value)

    def _forget_current(self):
        """Empties the TLB of the running address space."""
        self.load_tlb.clear()
        self.store_tlb.clear()
        self.fetch_tlb.clear()

    def forget_space(self, pa):
        """The physical page holding pa was freed: if it is the root of a kept address space, that
        space's entries go (a new page table there must not see them); returns True if one went."""
        root = pa >> PGSHIFT
        gone = [satp for satp in self._spaces if satp & PPN_MASK == root and satp >> 60]
        for satp in gone:
            del self._spaces[satp]
        return bool(gone)

    def flush(self, va=None):
        """sfence.vma: forgets every cached translation (va None) or those of va's page."""
        if va is None or self._superpage_cached:
            self._superpage_cached = False
            self._forget_current()
            self._spaces.clear()
        else:
            page = va & PAGE_MASK
            for tlb in self._tlbs.values():
                tlb.pop(page, None)
        if va is None:
            self.flush_log.clear()      # the listeners drop every kept cache too
        else:
            self.flush_log.record(va & PAGE_MASK)
        for listener in self.flush_listeners:
            listener(va)

    def forget_store_page(self, pa_page):
        """Removes every store-TLB entry, of any address space, that maps onto the physical page at
        pa_page."""
        offset = pa_page - self.ram.base
        for store_tlb in [self.store_tlb] + [kept[1] for kept, _ in self._spaces.values()]:
            for page, delta in list(store_tlb.items()):
                if page - delta == offset:
                    del store_tlb[page]

    def translate(self, va, access, user=True):
        """Returns the physical address of va for this access, or raises MachineTrap(cause, va).

        user=True: a U-mode access, served from and cached in the TLB.
        user=False: a supervisor access with SUM=1, never cached.
        """
        va &= MASK64
        page = va & PAGE_MASK
        if user:
            entry = self._tlbs[access].get(page)
            if entry is not None:
                if access == ACCESS_FETCH:
                    return entry | (va & 0xFFF)
                return va - entry + self.ram.base
        pa, level = self._walk(va, access, user)
        if user:
            self._superpage_cached |= level > 0
            self._fill(page, pa & PAGE_MASK, access)
        return pa

    def _fill(self, page, pa_page, access):
        """Caches page -> pa_page for access (store entries never for pages holding translated code)."""
        if access == ACCESS_FETCH:
            self.fetch_tlb[page] = pa_page
        elif access == ACCESS_LOAD:
            self.load_tlb[page] = page - (pa_page - self.ram.base)
        elif (pa_page >> PGSHIFT) not in self.ram.code_pages:
            self.store_tlb[page] = page - (pa_page - self.ram.base)

    def _walk(self, va, access, user):
        """Walks the tables (or bare mode); returns (pa, level of the leaf: 0 for a 4 KiB page), sets
        A/D, raises MachineTrap on a fault."""
        if self._satp >> 60 != SATP_MODE_SV39_VALUE:
            return self._physical(va, va, access), 0
        page_fault = MachineTrap(_PAGE_FAULT[access], va)
        if (va >> 38) not in (0, (1 << 26) - 1):
            raise page_fault
        table = (self._satp & PPN_MASK) << PGSHIFT
        level = 2
        while True:
            pte_pa = table + ((va >> (PGSHIFT + 9 * level)) & 511) * 8
            pte = self._read_pte(pte_pa, va, access)
            if not pte & PTE_V or (pte & PTE_W and not pte & PTE_R) or pte >> 54:
                raise page_fault
            if pte & (PTE_R | PTE_X):
                break
            if pte & (PTE_U | PTE_A | PTE_D) or level == 0:
                raise page_fault
            table = ((pte >> PTE_PPN_SHIFT) & PPN_MASK) << PGSHIFT
            level -= 1
        return self._leaf(va, access, user, pte, pte_pa, level, page_fault), level

    def _leaf(self, va, access, user, pte, pte_pa, level, page_fault):
        """Checks a leaf PTE for this access, updates A/D in RAM; returns pa or raises MachineTrap."""
        ppn = (pte >> PTE_PPN_SHIFT) & PPN_MASK
        span_bits = 9 * level
        if ppn & ((1 << span_bits) - 1):
            raise page_fault
        if user and not pte & PTE_U:
            raise page_fault
        if not user and pte & PTE_U and access == ACCESS_FETCH:
            raise page_fault
        if not pte & _NEEDED[access]:
            raise page_fault
        updated = pte | PTE_A | (PTE_D if access == ACCESS_STORE else 0)
        if updated != pte:
            self.ram.write_u64(pte_pa, updated)
        pa = (ppn << PGSHIFT) | (va & ((1 << (PGSHIFT + span_bits)) - 1))
        return self._physical(pa, va, access)

    def _read_pte(self, pte_pa, va, access):
        """Returns the PTE at pte_pa, or raises an access fault if it is outside RAM."""
        if not self.ram.contains(pte_pa, 8):
            raise MachineTrap(_ACCESS_FAULT[access], va)
        return self.ram.u64[(pte_pa - self.ram.base) >> 3]

    def _physical(self, pa, va, access):
        """Returns pa if it is in RAM, else raises the access fault for va."""
        if not self.ram.contains(pa):
            raise MachineTrap(_ACCESS_FAULT[access], va)
        return pa
