"""The swap "file system" (ucore's fs/swapfs.c): page-sized slots on the swap disk, named by swap entries.

A swap entry (ucore's swap_entry_t) is what a non-present PTE holds for a page that is on disk: the
slot number shifted left by 8 (bit 0, V, stays clear). Slot 0 is never used, so that an entry is never
0, which means "nothing mapped". Slot i covers the PAGE_NSECT sectors from i * PAGE_NSECT.
"""

from ..debug.panic import panic
from ..driver.ide import (
    SECTSIZE, ide_copy_secs, ide_device_size, ide_device_valid, ide_exchange_secs, ide_read_secs,
    ide_write_secs,
)
from ..mm.mmu import PGSIZE

PAGE_NSECT = PGSIZE // SECTSIZE
SWAP_DEV_NO = 1
MAX_SWAP_OFFSET_LIMIT = 1 << 24      # slots a swap entry can name (its offset field is 24 bits wide)

max_swap_offset = 0                  # slots on the swap disk, slot 0 included


def swapfs_init():
    """Sizes the slot space from the swap disk; panics if the disk is missing."""
    global max_swap_offset
    if not ide_device_valid(SWAP_DEV_NO):
        panic("swap fs isn't available.\n")
    max_swap_offset = ide_device_size(SWAP_DEV_NO) // PAGE_NSECT


def swap_entry(offset):
    """The swap entry of slot offset."""
    return offset << 8


def swap_offset(entry):
    """The slot named by swap entry entry; a kernel panic if it names no slot of the disk."""
    offset = entry >> 8
    if not (entry & 0xFF == 0 and 0 < offset < max_swap_offset):
        panic("invalid swap_entry_t = %08x.\n", entry)
    return offset


def swapfs_read(entry, page_pa):
    """Reads slot entry into the page at physical address page_pa; 0, or -1 on a disk error."""
    return ide_read_secs(SWAP_DEV_NO, swap_offset(entry) * PAGE_NSECT, page_pa, PAGE_NSECT)


def swapfs_write(entry, page_pa):
    """Writes the page at physical address page_pa into slot entry; 0, or -1 on a disk error."""
    return ide_write_secs(SWAP_DEV_NO, swap_offset(entry) * PAGE_NSECT, page_pa, PAGE_NSECT)


def swapfs_copy(dst_entry, src_entry):
    """Copies slot src_entry into slot dst_entry; 0, or -1 on a disk error."""
    return ide_copy_secs(SWAP_DEV_NO, swap_offset(dst_entry) * PAGE_NSECT,
                         swap_offset(src_entry) * PAGE_NSECT, PAGE_NSECT)


def swapfs_exchange(entry, page_pa):
    """Swaps slot entry with the page at physical address page_pa (each gets the other's data); 0, or
    -1 on a disk error."""
    return ide_exchange_secs(SWAP_DEV_NO, swap_offset(entry) * PAGE_NSECT, page_pa, PAGE_NSECT)
