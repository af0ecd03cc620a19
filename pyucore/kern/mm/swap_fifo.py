"""The FIFO page-replacement manager (ucore lab3's swap_fifo.c): the victim is the page mapped longest ago.

Per mm, sm_priv holds the replacement list (ucore's pra_list_head): an insertion-ordered dict from
page-aligned virtual address to the Page mapped there; its first entry is the oldest page, the next
victim. Keying by address (not by Page) lets an address that gets a new page (copy-on-write, swap-in)
simply move to the tail.
"""

from collections import OrderedDict

from ..debug.panic import kassert
from ..libs.stdio import cprintf
from . import vmm
from .mmu import PGSIZE
from ..trap import trap


def _fifo_init():
    """Manager-wide set-up: FIFO has none; returns 0."""
    return 0


def _fifo_init_mm(mm):
    """Gives mm an empty replacement list; returns 0."""
    mm.sm_priv = OrderedDict()
    return 0


def _fifo_map_swappable(mm, addr, page, swap_in):
    """Appends page (mapped at addr in mm) to the tail of mm's list, replacing any older entry for
    addr; swap_in tells whether it just came back from disk (FIFO treats both alike). Returns 0."""
    # LAB3:EXERCISE2 _fifo_map_swappable BEGIN
    # FIFO map_swappable - put the page mapped at addr at the tail of mm's replacement list
    # mm.sm_priv is the list: an OrderedDict from page-aligned address to Page, the oldest first
    # (1) kassert that mm has a list (mm.sm_priv is not None)
    # (2) drop any older entry for addr (pra_list.pop(addr, None)), then add addr -> page: it goes
    #     to the tail, as the newest
    # (3) return 0
    pra_list = mm.sm_priv
    kassert(pra_list is not None, "map_swappable on an mm without a replacement list")
    pra_list.pop(addr, None)
    pra_list[addr] = page
    return 0
    # LAB3:EXERCISE2 _fifo_map_swappable END


def _fifo_set_unswappable(mm, addr):
    """Takes the page at addr (if listed) out of mm's list; returns 0."""
    mm.sm_priv.pop(addr, None)
    return 0


def _fifo_swap_out_victim(mm, in_tick):
    """Removes and returns (addr, page) from the head of mm's list (the page mapped longest ago), or
    None when the list is empty. in_tick (a timer-driven call) makes no difference to FIFO."""
    # LAB3:EXERCISE2 _fifo_swap_out_victim BEGIN
    # FIFO swap_out_victim - take the page mapped longest ago off the head of mm's replacement list
    # (1) mm.sm_priv is empty: return None
    # (2) remove its first (oldest) entry and return it as (addr, page): popitem(last=False)
    pra_list = mm.sm_priv
    if not pra_list:
        return None
    return pra_list.popitem(last=False)
    # LAB3:EXERCISE2 _fifo_swap_out_victim END


def _fifo_list(mm):
    """The virtual page numbers in mm's list, oldest first."""
    return [addr // PGSIZE for addr in mm.sm_priv]


# (page, its address and value, pgfault_num after the write, the list after it as page letters)
_PAGES = {letter: ((i + 1) * PGSIZE, 0x0A + i) for i, letter in enumerate("abcde")}
_FIFO_SEQUENCE = (
    ("c", 4, "abcd"), ("a", 4, "abcd"), ("d", 4, "abcd"), ("b", 4, "abcd"),
    ("e", 5, "bcde"), ("b", 5, "bcde"), ("a", 6, "cdea"), ("b", 7, "deab"),
    ("c", 8, "eabc"), ("d", 9, "abcd"), ("e", 10, "bcde"),
)


def _fifo_check_swap():
    """The FIFO part of check_swap, on check_mm_struct holding pages a-d with 4 physical pages: writes
    pages in an order that makes every later access fault, asserting after each access the fault count
    and the list order (which is the order pages were swapped out); the last access reads page a back
    from disk and checks its value. Returns 0 (a failed assertion panics)."""
    mm = vmm.check_mm_struct
    letter_of = {_PAGES[c][0] // PGSIZE: c for c in _PAGES}
    for letter, faults, order in _FIFO_SEQUENCE:
        addr, value = _PAGES[letter]
        cprintf("write Virt Page %c in fifo_check_swap\n", letter)
        trap.kernel_store(addr, 1, value)
        kassert(vmm.pgfault_num == faults, "wrong number of page faults in fifo_check_swap")
        kassert("".join(letter_of[vpn] for vpn in _fifo_list(mm)) == order, "the FIFO order is wrong")
    addr, value = _PAGES["a"]
    cprintf("write Virt Page a in fifo_check_swap\n")
    kassert(trap.kernel_load(addr, 1) == value, "page a came back from swap with other data")
    trap.kernel_store(addr, 1, value)
    kassert(vmm.pgfault_num == 11 and "".join(letter_of[v] for v in _fifo_list(mm)) == "cdea",
            "reading page a back did not fault exactly once")
    return 0


class swap_manager:
    """ucore's struct swap_manager: a name and the operations of one replacement policy."""

    def __init__(self, name, init, init_mm, map_swappable, set_unswappable, swap_out_victim, check_swap):
        self.name = name
        self.init = init
        self.init_mm = init_mm
        self.map_swappable = map_swappable
        self.set_unswappable = set_unswappable
        self.swap_out_victim = swap_out_victim
        self.check_swap = check_swap


swap_manager_fifo = swap_manager(
    name="fifo swap manager",
    init=_fifo_init,
    init_mm=_fifo_init_mm,
    map_swappable=_fifo_map_swappable,
    set_unswappable=_fifo_set_unswappable,
    swap_out_victim=_fifo_swap_out_victim,
    check_swap=_fifo_check_swap,
)
