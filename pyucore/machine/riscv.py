"""RISC-V architectural constants shared by the machine and the kernel (like ucore's riscv.h / mmu.h)."""

# Sv39 page-table entry bits (privileged spec 4.4.1)
PTE_V = 0x001
PTE_R = 0x002
PTE_W = 0x004
PTE_X = 0x008
PTE_U = 0x010
PTE_G = 0x020
PTE_A = 0x040
PTE_D = 0x080
PTE_SOFT = 0x300          # two bits reserved for software (RSW)
PTE_PPN_SHIFT = 10

PGSIZE = 4096
PGSHIFT = 12

SATP_MODE_SV39 = 8 << 60

# scause values for exceptions
CAUSE_MISALIGNED_FETCH = 0
CAUSE_FETCH_ACCESS = 1
CAUSE_ILLEGAL_INSTRUCTION = 2
CAUSE_BREAKPOINT = 3
CAUSE_MISALIGNED_LOAD = 4
CAUSE_LOAD_ACCESS = 5
CAUSE_MISALIGNED_STORE = 6
CAUSE_STORE_ACCESS = 7
CAUSE_USER_ECALL = 8
CAUSE_SUPERVISOR_ECALL = 9
CAUSE_HYPERVISOR_ECALL = 10
CAUSE_MACHINE_ECALL = 11
CAUSE_FETCH_PAGE_FAULT = 12
CAUSE_LOAD_PAGE_FAULT = 13
CAUSE_STORE_PAGE_FAULT = 15

# SC and the AMOs are store/AMO accesses (privileged spec, exception codes 6, 7, 15 are "store/AMO"):
# the store/AMO cause of each kind of load cause
_STORE_AMO_CAUSES = {CAUSE_MISALIGNED_LOAD: CAUSE_MISALIGNED_STORE, CAUSE_LOAD_ACCESS: CAUSE_STORE_ACCESS,
                     CAUSE_LOAD_PAGE_FAULT: CAUSE_STORE_PAGE_FAULT}


def store_amo_cause(cause):
    """Returns the store/AMO cause of the same kind as a load cause; any other cause unchanged."""
    return _STORE_AMO_CAUSES.get(cause, cause)

INTERRUPT_BIT = 1 << 63
IRQ_S_TIMER = 5

# sstatus bits the kernel manipulates for a return to user mode
SSTATUS_SIE = 1 << 1
SSTATUS_SPIE = 1 << 5
SSTATUS_SPP = 1 << 8
SSTATUS_SUM = 1 << 18

# kinds of memory access, as the MMU checks them
ACCESS_FETCH = 0
ACCESS_LOAD = 1
ACCESS_STORE = 2

# physical memory of the emulated board (QEMU virt)
RAM_BASE = 0x80000000
RAM_SIZE = 128 * 1024 * 1024

# Address spaces whose TLB entries and pc -> block entries are kept while another runs (as a TLB holds
# a bounded number of ASIDs): the ones left longest ago go first, so a page flush, which must reach
# every kept space, costs the same with 4,000 processes as with 10.
KEPT_SPACES = 32
