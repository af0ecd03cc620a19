"""Physical RAM: one anonymous mmap at RAM_BASE, with typed views for the CPU's fast paths.

`data` is an anonymous `mmap.mmap(-1, size)`: the OS hands out zeroed pages on first touch, so a 128 MiB
machine costs nothing to create (a bytearray would be zeroed up front, ~70 ms per boot), and the memory
goes back to the OS when the RAM object and its views are garbage-collected (no close() needed). It
supports slicing, memoryview casts, struct pack_into/unpack_from and ctypes from_buffer like a bytearray.
`data` is never resized or replaced (a unicorn backend maps its address, and the views below pin it).
The RAM also keeps the set of physical pages that hold translated code: every write through the helpers
of this class to such a page calls `code_listener(page_number)` so the CPU drops the stale translations.
"""

import mmap

from .riscv import PGSHIFT, PGSIZE, RAM_BASE, RAM_SIZE


class RAM:
    """size bytes of RAM at physical RAM_BASE (size a multiple of the page size)."""

    def __init__(self, size=RAM_SIZE):
        """Needs size > 0, a multiple of 4096; guarantees zeroed RAM and its typed views."""
        if size <= 0 or size % PGSIZE:
            raise ValueError(f"RAM size {size} is not a positive multiple of the page size")
        self.base = RAM_BASE
        self.size = size
        self.end = RAM_BASE + size
        self.data = mmap.mmap(-1, size)
        view = memoryview(self.data)
        # unsigned and signed views; index = (pa - RAM_BASE) // width
        self.u64, self.u32, self.u16 = view.cast("Q"), view.cast("I"), view.cast("H")
        self.s32, self.s16, self.s8 = view.cast("i"), view.cast("h"), view.cast("b")
        # physical page number -> set of translation keys built from that page
        self.code_pages = {}
        self.code_listener = None

    def contains(self, pa, n=1):
        """Returns True iff [pa, pa+n) lies inside RAM."""
        return self.base <= pa and pa + n <= self.end

    def _offset(self, pa, n):
        """Needs [pa, pa+n) inside RAM (else ValueError); returns pa's offset into data."""
        if not self.contains(pa, n):
            raise ValueError(f"physical range {pa:#x}+{n} is outside RAM")
        return pa - self.base

    def _written(self, pa, n):
        """Tells the code listener about every page holding translated code in [pa, pa+n)."""
        if not self.code_pages:
            return
        for page in range(pa >> PGSHIFT, ((pa + n - 1) >> PGSHIFT) + 1):
            if page in self.code_pages and self.code_listener is not None:
                self.code_listener(page)

    def read(self, pa, n):
        """Returns the n bytes at pa (ValueError outside RAM)."""
        off = self._offset(pa, n)
        return bytes(self.data[off:off + n])

    def write(self, pa, data):
        """Stores data at pa (ValueError outside RAM) and invalidates code translated from it."""
        n = len(data)
        off = self._offset(pa, n)
        self.data[off:off + n] = data
        self._written(pa, n)

    def read_uint(self, pa, width):
        """Returns the little-endian unsigned width-byte integer at pa."""
        off = self._offset(pa, width)
        return int.from_bytes(self.data[off:off + width], "little")

    def write_uint(self, pa, width, value):
        """Stores value modulo 2**(8*width) little-endian at pa, invalidating translated code."""
        self.write(pa, (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little"))

    def read_u64(self, pa):
        """Returns the unsigned 64-bit value at pa (one typed-view read when pa is aligned: a PTE)."""
        off = pa - self.base
        if not off & 7 and 0 <= off < self.size:
            return self.u64[off >> 3]
        return self.read_uint(pa, 8)

    def write_u64(self, pa, value):
        """Stores the low 64 bits of value at pa (one typed-view write when pa is aligned: a PTE)."""
        off = pa - self.base
        if off & 7 or not 0 <= off < self.size:
            self.write_uint(pa, 8, value)
            return
        self.u64[off >> 3] = value & 0xFFFFFFFFFFFFFFFF
        if self.code_pages and pa >> PGSHIFT in self.code_pages and self.code_listener is not None:
            self.code_listener(pa >> PGSHIFT)

    def write_u32(self, pa, value):
        """Stores the low 32 bits of value at pa."""
        self.write_uint(pa, 4, value)

    def read_u16(self, pa):
        """Returns the unsigned 16-bit value at pa."""
        return self.read_uint(pa, 2)

    def read_u8(self, pa):
        """Returns the byte at pa."""
        return self.data[self._offset(pa, 1)]

    def write_u8(self, pa, value):
        """Stores the low 8 bits of value at pa."""
        self.write_uint(pa, 1, value)

    def zero_page(self, pa):
        """Needs a page-aligned pa in RAM; zeroes that page."""
        off = self._offset(pa, PGSIZE)
        self.data[off:off + PGSIZE] = bytes(PGSIZE)
        self._written(pa, PGSIZE)

    def copy_page(self, dst_pa, src_pa):
        """Needs page-aligned pages in RAM; copies the page at src_pa over the page at dst_pa."""
        src = self._offset(src_pa, PGSIZE)
        dst = self._offset(dst_pa, PGSIZE)
        self.data[dst:dst + PGSIZE] = self.data[src:src + PGSIZE]
        self._written(dst_pa, PGSIZE)
