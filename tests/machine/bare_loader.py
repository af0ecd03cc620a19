"""A minimal ELF loader for the machine tests and benchmarks/cpu.py (NOT the kernel's load_icode).

It builds a real Sv39 page table in RAM (V-only non-leaf entries, the kernel gigapage at entry 511, user
pages with U and the segment's R/W/X), copies the PT_LOAD segments, maps a stack below 0x80000000 and
points the CPU at the entry with sp = 0x80000000. Pages come from a bump allocator above 0x80200000.
"""

import struct

from pyucore.machine.riscv import PGSIZE, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, RAM_BASE, SATP_MODE_SV39

USTACKTOP = 0x80000000
KERNEL_GIGAPAGE = PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D


class BareProcess:
    """One address space in a Machine: a root table and a page allocator."""

    def __init__(self, machine, first_free=RAM_BASE + 0x200000):
        """Needs a Machine; allocates the root table with the kernel gigapage at entry 511."""
        self.machine = machine
        self.next_free = first_free
        self.root = self.alloc_page()
        machine.ram.write_u64(self.root + 511 * 8, ((RAM_BASE >> 12) << 10) | KERNEL_GIGAPAGE)

    def alloc_page(self):
        """Returns the physical address of a fresh zeroed page."""
        pa = self.next_free
        self.next_free += PGSIZE
        self.machine.ram.zero_page(pa)
        return pa

    def pte_address(self, va):
        """Returns the physical address of va's level-0 PTE, creating V-only tables on the way."""
        ram = self.machine.ram
        table = self.root
        for level in (2, 1):
            slot = table + ((va >> (12 + 9 * level)) & 511) * 8
            pte = ram.read_u64(slot)
            if not pte & PTE_V:
                new = self.alloc_page()
                pte = ((new >> 12) << 10) | PTE_V
                ram.write_u64(slot, pte)
            table = (pte >> 10) << 12
        return table + ((va >> 12) & 511) * 8

    def map_page(self, va, pa, perm):
        """Maps the page at va to pa with perm | V (perm should include U for user pages)."""
        self.machine.ram.write_u64(self.pte_address(va), ((pa >> 12) << 10) | perm | PTE_V)

    def map_range(self, start, end, perm):
        """Maps fresh zeroed pages over [start, end) rounded to pages; returns {page va: pa}."""
        pages = {}
        for va in range(start & ~(PGSIZE - 1), end, PGSIZE):
            pages[va] = self.alloc_page()
            self.map_page(va, pages[va], perm)
        return pages

    def activate(self):
        """Writes satp: the TLB switches to this address space (emptied if it was already running)."""
        self.machine.mmu.satp = SATP_MODE_SV39 | (self.root >> 12)


def _segment_perm(flags):
    """Returns the PTE permissions for ELF p_flags (X=1, W=2, R=4), always with U."""
    perm = PTE_U
    if flags & 4:
        perm |= PTE_R
    if flags & 2:
        perm |= PTE_R | PTE_W
    if flags & 1:
        perm |= PTE_X
    return perm


def load_elf(machine, image, stack_pages=16):
    """Loads a RISC-V64 ELF into a new address space; sets satp, pc and sp; returns the BareProcess."""
    if image[:4] != b"\x7fELF":
        raise ValueError("not an ELF image")
    entry, phoff = struct.unpack_from("<QQ", image, 0x18)
    phentsize, phnum = struct.unpack_from("<HH", image, 0x36)
    proc = BareProcess(machine)
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz = struct.unpack_from(
            "<IIQQQQQ", image, phoff + i * phentsize)
        if p_type != 1 or p_memsz == 0:
            continue
        pages = proc.map_range(p_vaddr, p_vaddr + p_memsz, _segment_perm(p_flags))
        data = image[p_offset:p_offset + p_filesz]
        pos = 0
        while pos < len(data):
            va = p_vaddr + pos
            chunk = min(len(data) - pos, PGSIZE - (va & (PGSIZE - 1)))
            machine.ram.write(pages[va & ~(PGSIZE - 1)] + (va & (PGSIZE - 1)), data[pos:pos + chunk])
            pos += chunk
    proc.map_range(USTACKTOP - stack_pages * PGSIZE, USTACKTOP, PTE_U | PTE_R | PTE_W)
    proc.activate()
    machine.cpu.regs[:] = [0] * 32
    machine.cpu.regs[2] = USTACKTOP
    machine.cpu.pc = entry
    return proc
