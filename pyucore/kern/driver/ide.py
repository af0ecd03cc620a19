"""The IDE disk driver (ucore's driver/ide.c) over RAM disks: sectors of SECTSIZE bytes in host memory.

ucore's lab5 machine has no real disk: its driver serves every request from a static array of
MAX_DISK_NSECS sectors. Here each device is a bytearray that grows as sectors are written (a sector
never written reads as zeros), so a device can be declared larger than what it uses at no cost.
Device numbers are ucore's: MAX_IDE devices, the swap disk is device 1 (swapfs's SWAP_DEV_NO).
"""

from .. import hw

SECTSIZE = 512
MAX_IDE = 2
MAX_DISK_NSECS = 56

_disks = {}     # ideno -> [number of sectors, bytearray of the sectors written so far]


def ide_init():
    """Attaches MAX_IDE empty RAM disks of MAX_DISK_NSECS sectors each (the original's size)."""
    global _disks
    _disks = {ideno: [MAX_DISK_NSECS, bytearray()] for ideno in range(MAX_IDE)}


def ide_device_valid(ideno):
    """True iff ideno names an attached disk."""
    return ideno in _disks


def ide_device_size(ideno):
    """Number of sectors of disk ideno (which must be valid)."""
    return _disks[ideno][0]


def ide_set_size(ideno, nsecs):
    """Needs a valid ideno and nsecs no smaller than its size: makes the disk nsecs sectors long
    (the new sectors read as zeros)."""
    disk = _disks[ideno]
    if nsecs < disk[0]:
        raise ValueError("a disk cannot shrink")
    disk[0] = nsecs


def _range_ok(ideno, secno, nsecs):
    """True iff sectors [secno, secno+nsecs) exist on a valid disk ideno."""
    return ideno in _disks and 0 <= secno and nsecs >= 0 and secno + nsecs <= _disks[ideno][0]


def _sectors_for_writing(ideno, secno, nsecs):
    """Needs a valid range: (the disk's bytes, grown with zeros to hold it, and its byte bounds lo, hi)."""
    data = _disks[ideno][1]
    lo, hi = secno * SECTSIZE, (secno + nsecs) * SECTSIZE
    if len(data) < hi:
        data.extend(bytes(hi - len(data)))
    return data, lo, hi


def ide_read_secs(ideno, secno, dst, nsecs):
    """Copies nsecs sectors from secno into RAM at physical address dst; 0, or -1 for a bad range."""
    if not _range_ok(ideno, secno, nsecs):
        return -1
    data = _disks[ideno][1]
    lo, hi = secno * SECTSIZE, (secno + nsecs) * SECTSIZE
    chunk = bytes(data[lo:hi])
    hw.ram.write(dst, chunk + bytes(hi - lo - len(chunk)))
    return 0


def ide_write_secs(ideno, secno, src, nsecs):
    """Copies nsecs sectors from RAM at physical address src onto the disk at secno; 0, or -1 for a
    bad range."""
    if not _range_ok(ideno, secno, nsecs):
        return -1
    data, lo, hi = _sectors_for_writing(ideno, secno, nsecs)
    data[lo:hi] = hw.ram.read(src, hi - lo)
    return 0


def ide_copy_secs(ideno, dst_secno, src_secno, nsecs):
    """Copies nsecs sectors from src_secno to dst_secno on disk ideno (the ranges must not overlap);
    0, or -1 for a bad range."""
    if not (_range_ok(ideno, dst_secno, nsecs) and _range_ok(ideno, src_secno, nsecs)):
        return -1
    data = _disks[ideno][1]
    src = bytes(data[src_secno * SECTSIZE:(src_secno + nsecs) * SECTSIZE])
    data, lo, hi = _sectors_for_writing(ideno, dst_secno, nsecs)
    data[lo:hi] = src + bytes(hi - lo - len(src))
    return 0


def ide_exchange_secs(ideno, secno, pa, nsecs):
    """Swaps nsecs sectors from secno with the bytes in RAM at physical address pa (the disk gets what
    RAM held, RAM what the disk held); 0, or -1 for a bad range."""
    if not _range_ok(ideno, secno, nsecs):
        return -1
    data, lo, hi = _sectors_for_writing(ideno, secno, nsecs)
    on_disk = bytes(data[lo:hi])
    data[lo:hi] = hw.ram.read(pa, hi - lo)
    hw.ram.write(pa, on_disk)
    return 0
