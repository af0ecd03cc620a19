"""Sv39 address arithmetic and PTE helpers (ucore's mmu.h)."""

from pyucore.machine.riscv import (  # noqa: F401  (re-exported for the kernel, as mmu.h does)
    PGSHIFT, PGSIZE, PTE_A, PTE_D, PTE_G, PTE_PPN_SHIFT, PTE_R, PTE_SOFT, PTE_U, PTE_V, PTE_W, PTE_X,
    SATP_MODE_SV39,
)

NPTEENTRY = 512
PTSIZE = PGSIZE * NPTEENTRY
PDX1SHIFT = 30
PDX0SHIFT = 21
PTXSHIFT = 12

PTE_USER = PTE_R | PTE_W | PTE_X | PTE_U | PTE_V
READ_WRITE = PTE_R | PTE_W | PTE_V
PTE_COW = 0x100          # first RSW bit: a page shared copy-on-write by fork


def PDX1(la):
    """Index into the root (level-2) table."""
    return (la >> PDX1SHIFT) & 0x1FF


def PDX0(la):
    """Index into the level-1 table."""
    return (la >> PDX0SHIFT) & 0x1FF


def PTX(la):
    """Index into the level-0 table."""
    return (la >> PTXSHIFT) & 0x1FF


def ROUNDDOWN(a, n):
    return a - a % n


def ROUNDUP(a, n):
    return ROUNDDOWN(a + n - 1, n)


def PTE_ADDR(pte):
    """Physical address held in a PTE."""
    return ((pte >> PTE_PPN_SHIFT) & ((1 << 44) - 1)) << PGSHIFT


def pte_create(ppn, perm):
    """A PTE mapping physical page number ppn with perm (V set)."""
    return (ppn << PTE_PPN_SHIFT) | PTE_V | perm


def ptd_create(ppn):
    """A non-leaf entry: V only (QEMU >= 7.1 treats U/R/W/X/A/D on a non-leaf as reserved)."""
    return (ppn << PTE_PPN_SHIFT) | PTE_V
