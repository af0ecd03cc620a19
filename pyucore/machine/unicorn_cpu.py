"""A fast user-mode CPU on unicorn (QEMU's TCG), with the interface and behaviour of the reference CPU.

`UnicornCPU` has the reference CPU's interface (regs, pc, tval, instret, run(budget), invalidate_page)
and runs the same RAM and page tables:
- Memory: the RAM's anonymous mmap is mapped into unicorn with mem_map_ptr at RAM_BASE, so the kernel
  and the CPU share one memory (it is never resized; a ctypes view keeps it pinned).
- Page tables: QEMU walks the kernel's Sv39 tables itself (privilege U, satp copied from `mmu.satp`
  before a run) and sets A on the first access, D on the first store, as the reference MMU does.
- TLB: any `mmu.flush()` (also every satp write) empties QEMU's whole TLB before the next run (unicorn
  has no per-page flush; flushing more than asked is invisible to the kernel, which always flushes a
  PTE it changed). QEMU's satp write flushes only on an ASID change, hence the explicit flush.
- Translated code: QEMU may translate code from any page, so the RAM is told that every page holds
  code: each page written through the RAM helpers, and each page the kernel frees (`invalidate_page`),
  is dropped from QEMU's translation cache before the next run; user stores are caught by QEMU itself.
- Instruction counts: a native block hook (blockcount.c, built for the host with zig's clang and cached)
  adds each translated block's instruction count as the block is entered, read from its code (RVC
  lengths from the low two bits), and stops the run before a block that would go past the budget. The
  instructions left of that block then run on a second unicorn instance on the same RAM that counts
  every instruction (unicorn's count), whose translation of the block is kept while the block's code
  stays the same; if they hold an atomic, they run on the main instance instead, from the block
  translated again to end after them (a stop address inside a translation ends it there), so an LR's
  reservation lives on. A trap inside a block retires the instructions of that block before it.
  unicorn's own count (`emu_start(count=...)`) calls a hook at every instruction and is about 5 times
  slower on QEMU's code; the main instance uses it only while breakpoints are set, or when the native
  hook cannot be built. When such a run ends early at a trap, unicorn's public API does not say how
  many instructions ran, so the backend reads unicorn's own counter (uc_struct.emu_counter), whose
  offset it finds once by calibration and checks; the backend refuses to start if the counter cannot
  be found.
- Traps: unicorn calls the interrupt hook with the cause and leaves pc 4 bytes past the trapping
  instruction (whatever its length); the counter already includes the trapping instruction except for
  instruction fetch faults. ebreak ends emu_start with UC_ERR_INSN_INVALID at the ebreak itself. tval
  is recomputed as the reference CPU reports it: the instruction bits, the effective address decoded
  from the instruction at epc (for a page-crossing access, the second page base if the first page
  translates), or the fetch address. An SC/AMO fault gets the store/AMO cause (6, 7, 15) in place of
  the load cause QEMU reports for the load half of its load-then-store AMO (4, 5, 13).
- LR reservation: QEMU drops it on every privilege change, and every run passes through M-mode, so
  each run starts without a reservation: a trap (syscall, fault, timer tick) clears it.
- Exceptions QEMU does not trap but the reference does (FP instructions) are avoided by keeping
  mstatus.FS off, so they are illegal in both.

Known differences (none of them occurs in the lab5 programs):
- reads of cycle and instret return QEMU's host tick counter (QEMU 5 without icount has no
  deterministic value, and U-mode reads of them cannot be made to trap, not even with mcounteren 0);
  hpmcounter3..31 read as 0 and csrrs/csrrc on a counter with a zero source value read instead of
  trapping. A read of time is illegal in QEMU (no timer device): the backend executes it itself and
  returns the instructions retired, as the python CPU does;
- QEMU 5 executes a few reserved compressed encodings and C.FLD/C.FSDSP that the reference calls illegal;
- a store into the translated block currently executing is seen only from the next block on (QEMU's
  RISC-V self-modifying-code handling is not precise); stores to other blocks are seen at once. When
  the stale copy of a rewritten load or store faults and the instruction now there is no memory access,
  the backend drops that fault and runs on from it, so the new instruction executes. A trap later in
  such a block is counted from the code now in memory: if the store changed the length of an earlier
  instruction of the block, the count can differ from the instructions QEMU's stale copy ran.
"""

import ctypes
from pathlib import Path

import unicorn
from unicorn import UC_ARCH_RISCV, UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_INTR, UC_MODE_RISCV64, UC_PROT_ALL, Uc
from unicorn import riscv_const as rc
from unicorn.unicorn_const import (UC_CTL_IO_WRITE, UC_CTL_TLB_FLUSH, UC_ERR_FETCH_UNMAPPED,
                                   UC_ERR_INSN_INVALID, UC_ERR_OK, UC_ERR_READ_UNMAPPED,
                                   UC_ERR_WRITE_UNMAPPED)
from unicorn.unicorn_py3.unicorn import uclib

from .cpu import STOP_BREAKPOINT, STOP_BUDGET
from .decode import decode
from .mmu import MASK64, MMU, PPN_MASK, SATP_MODE_SV39_VALUE, MachineTrap
from .ram import RAM
from .riscv import (ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, CAUSE_BREAKPOINT, CAUSE_MISALIGNED_FETCH, CAUSE_FETCH_ACCESS,
                    CAUSE_FETCH_PAGE_FAULT, CAUSE_ILLEGAL_INSTRUCTION, CAUSE_LOAD_ACCESS,
                    CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS, PGSHIFT, PGSIZE,
                    RAM_SIZE, store_amo_cause)
from .translate import ATOMICS

# pc given to emu_start as the stop address: non-canonical under Sv39, so user code can only reach it
# through a jump that the reference CPU reports as an instruction page fault
UNTIL = 1 << 63
PRIV_U, PRIV_M = 0, 3
CSR_TIME = 0xC01
# x1..x31: x0 is hard-wired in both CPUs
_GPR_IDS = [rc.UC_RISCV_REG_X0 + i for i in range(1, 32)]
_FETCH_CAUSES = (CAUSE_FETCH_PAGE_FAULT, CAUSE_FETCH_ACCESS)
# breakpoint and the environment calls
_NO_TVAL_CAUSES = (CAUSE_BREAKPOINT, 8, 9, 10, 11)
_MISALIGNED_CAUSES = (CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE)
_UNMAPPED_CAUSES = {UC_ERR_READ_UNMAPPED: CAUSE_LOAD_ACCESS, UC_ERR_WRITE_UNMAPPED: CAUSE_STORE_ACCESS,
                    UC_ERR_FETCH_UNMAPPED: CAUSE_FETCH_ACCESS}
_SIZES = {"lb": 1, "lbu": 1, "sb": 1, "lh": 2, "lhu": 2, "sh": 2, "lw": 4, "lwu": 4, "sw": 4,
          "ld": 8, "sd": 8}
_STORES = ("sb", "sh", "sw", "sd")


# the backend reads unicorn's private state (uclib, the handle, uc_struct.emu_counter): only these
# versions are tested (pyproject.toml pins them)
TESTED_VERSIONS = ("2.1.4",)


class _Rewritten(Exception):
    """The instruction at a data fault's epc is no longer a load, store or atomic: QEMU ran a stale copy
    of it, translated before a store into the running block replaced it."""


class _TimeRead(Exception):
    """QEMU (no timer device) calls a read of the time CSR illegal; args = (rd,): the python CPU's
    value, the instructions retired, goes there instead."""


class UnicornUnavailable(RuntimeError):
    """The installed unicorn cannot serve as an exact backend (untested version, or its instruction
    counter was not found)."""


def check_version(version):
    """Raises UnicornUnavailable unless version is one the backend is tested with."""
    if version not in TESTED_VERSIONS:
        raise UnicornUnavailable("unicorn %s is installed, but the unicorn backend is tested only with "
                                 "unicorn %s (pip install 'unicorn==%s'); use --cpu python meanwhile"
                                 % (version, " or ".join(TESTED_VERSIONS), TESTED_VERSIONS[-1]))


def _counter_offset():
    """Returns the byte offset of emu_counter in unicorn's uc_struct, or raises UnicornUnavailable.

    Runs n nops with count=limit and looks for the adjacent fields emu_counter (= n) and emu_count
    (= limit), then checks the offset with a second run."""
    probe = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    probe.mem_map(0x1000, 0x1000)
    probe.mem_write(0x1000, (0x00000013).to_bytes(4, "little") * 16)
    handle = probe._uch.value
    limit = 0x5EED_0000_1234
    probe.emu_start(0x1000, 0x1000 + 4 * 7, count=limit)
    for offset in range(8, 4096, 8):
        fields = (ctypes.c_uint64 * 2).from_address(handle + offset - 8)
        if (fields[0], fields[1]) == (7, limit):
            probe.emu_start(0x1000, 0x1000 + 4 * 3, count=limit + 1)
            if (fields[0], fields[1]) == (3, limit + 1):
                return offset - 8
    raise UnicornUnavailable("unicorn's instruction counter was not found: this unicorn version cannot "
                             "count retired instructions exactly; use the python CPU")


_OFFSET = []
_NATIVE = []
_STOPPED_BEFORE_BLOCK, _UNREADABLE_BLOCK = 1, 2
# blocks whose code the tail instance remembers (beyond, it forgets them all and translates anew)
MAX_TAIL_BLOCKS = 4096
# blockcount.c's memo: MEMO_SLOTS entries of 3 + MEMO_WORDS words
MEMO_BYTES = 1024 * (3 + 32) * 8


class _BlockCounter(ctypes.Structure):
    """struct block_counter of blockcount.c (the fields are described there)."""
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "retired", "limit", "last_pc", "last_insns", "last_end", "stopped", "tail_end", "tail_atomic",
        "tail_size", "tail_pa", "ram", "ram_base", "ram_size", "root", "cached_page", "cached_host",
        "emu_stop", "memos")]


def block_counter_library():
    """Returns blockcount.c built for this host and loaded (once per process), or None when it cannot
    be built or loaded: the backend then counts every instruction (unicorn's count, about 5 times slower)."""
    if not _NATIVE:
        from pyucore.user.build import BuildError, build_native
        try:
            library = ctypes.CDLL(str(build_native(Path(__file__).with_name("blockcount.c"))))
        except (BuildError, OSError):
            library = None
        else:
            library.count_between.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64]
            library.count_between.restype = ctypes.c_uint64
            library.make_tables()
        _NATIVE.append(library)
    return _NATIVE[0]


def counter_offset():
    """Returns the calibrated emu_counter offset (computed once per process)."""
    if not _OFFSET:
        check_version(unicorn.__version__)
        _OFFSET.append(_counter_offset())
    return _OFFSET[0]


class _EveryPage:
    """RAM.code_pages for unicorn: every physical page may hold code QEMU has translated."""

    def __bool__(self):
        """Always true: writes through the RAM helpers must be reported."""
        return True

    def __contains__(self, page):
        """Every page number is a code page."""
        return True

    def pop(self, page, default=None):
        """No translation keys are kept per page; returns default."""
        return default


class UnicornMachine:
    """The board of pyucore.machine.Machine with a UnicornCPU in place of the reference CPU."""

    def __init__(self, ram_size=RAM_SIZE):
        """Needs a RAM size in bytes (a multiple of 4096); returns a machine in bare mode, pc 0."""
        self.ram = RAM(ram_size)
        self.mmu = MMU(self.ram)
        self.cpu = UnicornCPU(self.ram, self.mmu)


class UnicornCPU:
    """One hart in U-mode on unicorn: regs, pc, instret, tval of the last trap; same traps and counts."""

    def __init__(self, ram, mmu):
        """Needs the machine's RAM and MMU; maps the RAM into a new unicorn instance, registers 0."""
        self.ram = ram
        self.mmu = mmu
        self.regs = [0] * 32
        self.pc = 0
        self.instret = 0
        self.tval = 0
        self.uc = uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        self._pinned = (ctypes.c_char * ram.size).from_buffer(ram.data)
        uc.mem_map_ptr(ram.base, ram.size, UC_PROT_ALL, ctypes.addressof(self._pinned))
        self._handle = uc._uch
        self._counter = ctypes.c_uint64.from_address(uc._uch.value + counter_offset())
        self._write_ids = (ctypes.c_int * 33)(*_GPR_IDS, rc.UC_RISCV_REG_PRIV, rc.UC_RISCV_REG_PRIV)
        self._read_ids = (ctypes.c_int * 32)(*_GPR_IDS, rc.UC_RISCV_REG_PC)
        self._values = (ctypes.c_uint64 * 33)(*([0] * 31), PRIV_M, PRIV_U)
        self._pointers = (ctypes.c_void_p * 33)(*(ctypes.addressof(self._values) + 8 * i for i in range(33)))
        self._cause = None
        uc.hook_add(UC_HOOK_INTR, self._on_trap)
        self._blocks = self._add_block_counter()
        self._tail = None
        self._tail_satp = 0
        self._tail_tlb_stale = True
        self._tail_code = {}
        self.breakpoints = frozenset()
        self._break_hooks = []
        self._at_breakpoint = False
        self._satp = 0
        self._tlb_stale = False
        self._stale_pages = set()
        self._stale_blocks = set()
        mmu.flush_listeners.append(self._flushed)
        mmu.switch_listeners.append(self._switched)
        ram.code_pages = _EveryPage()
        ram.code_listener = self._code_written

    @property
    def counts_per_block(self):
        """True iff runs without breakpoints count instructions per translated block (blockcount.c)."""
        return self._blocks is not None

    def _add_block_counter(self):
        """Hooks blockcount.c's on_block to every block; returns its state, or None without the library
        (runs are then counted per instruction)."""
        library = block_counter_library()
        if library is None:
            return None
        self._count_between = library.count_between
        self._memos = ctypes.create_string_buffer(MEMO_BYTES)
        blocks = _BlockCounter(ram=ctypes.addressof(self._pinned), ram_base=self.ram.base,
                               ram_size=self.ram.size, cached_page=MASK64,
                               emu_stop=ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value,
                               memos=ctypes.addressof(self._memos))
        hook = ctypes.c_size_t()
        status = uclib.uc_hook_add(self._handle, ctypes.byref(hook), UC_HOOK_BLOCK,
                                   ctypes.cast(library.on_block, ctypes.c_void_p),
                                   ctypes.c_void_p(ctypes.addressof(blocks)), ctypes.c_uint64(1),
                                   ctypes.c_uint64(0))
        if status != UC_ERR_OK:
            raise RuntimeError("unicorn refused the block counter hook (error %d)" % status)
        return blocks

    def _on_trap(self, uc, cause, _data):
        """Interrupt hook: records the cause and stops the run (unicorn would resume past the trap)."""
        self._cause = cause
        uc.emu_stop()

    def set_breakpoints(self, addresses):
        """From now on run() stops (STOP_BREAKPOINT, nothing retired for it) before executing an
        instruction at any of the virtual addresses, in every address space: one code hook per address
        (QEMU checks a hook's range when it translates, so the translations made so far are dropped)."""
        addresses = frozenset(a & MASK64 for a in addresses)
        if addresses == self.breakpoints:
            return
        for hook in self._break_hooks:
            self.uc.hook_del(hook)
        self._break_hooks = [self.uc.hook_add(UC_HOOK_CODE, self._on_breakpoint, begin=a, end=a)
                             for a in sorted(addresses)]
        self.breakpoints = addresses
        self._stale_pages.update(range(self.ram.base >> PGSHIFT, (self.ram.base + self.ram.size) >> PGSHIFT))

    def _on_breakpoint(self, uc, address, size, _data):
        """Code hook at a breakpoint: stops before the instruction executes (unicorn has counted it)."""
        self._at_breakpoint = True
        uc.emu_stop()

    def _flushed(self, va):
        """The kernel flushed (part of) the TLB: QEMU's whole TLB goes before the next run (of either
        instance)."""
        self._tlb_stale = self._tail_tlb_stale = True

    def _switched(self, old, new):
        """A satp write: QEMU's TLB is not tagged by address space, so all of it goes before the next run."""
        self._tlb_stale = self._tail_tlb_stale = True

    def invalidate_page(self, pa):
        """Drops QEMU's translations made from the physical page holding pa, and the address space the
        MMU kept for it if it was a root table (pmm calls it on free)."""
        self._stale_pages.add(pa >> PGSHIFT)
        self.mmu.forget_space(pa)

    def _code_written(self, page):
        """The RAM helpers wrote physical page number page: its translations go before the next run."""
        self._stale_pages.add(page)

    def _sync(self):
        """Brings unicorn up to date with the kernel's satp, TLB flushes and written or freed pages
        (in M-mode: CSR writes need it, and translation is off so the cache ranges are physical)."""
        uc = self.uc
        if (self.mmu.satp == self._satp and not self._stale_pages and not self._tlb_stale
                and not self._stale_blocks):
            return
        uc.reg_write(rc.UC_RISCV_REG_PRIV, PRIV_M)
        if self.mmu.satp != self._satp:
            uc.reg_write(rc.UC_RISCV_REG_SATP, self.mmu.satp)
            self._satp = self.mmu.satp
            self._tlb_stale = True
        for start, end in _runs(self._stale_pages):
            uc.ctl_remove_cache(start << PGSHIFT, end << PGSHIFT)
        self._stale_pages.clear()
        for start in self._stale_blocks:
            uc.ctl_remove_cache(start, start + 1)
        self._stale_blocks.clear()
        if self._tlb_stale:
            uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
            self._tlb_stale = False

    def run(self, budget):
        """Runs U-mode from pc for at most budget instructions.

        Returns STOP_BUDGET once exactly budget instructions retired, else the cause of the trap
        (pc = the trapping instruction, tval set, the trapping instruction not retired).
        """
        if self.pc & 1:
            # C extension: only an odd pc is misaligned; QEMU would silently clear the bit
            self.tval = self.pc
            return CAUSE_MISALIGNED_FETCH
        self._sync()
        values = self._values
        values[:31] = self.regs[1:]
        # x1..x31, then privilege M and U: the switch drops the LR reservation, as a trap does
        uclib.uc_reg_write_batch(self._handle, self._write_ids, self._pointers, 33)
        self._cause = None
        self._at_breakpoint = False
        if self._blocks is None or self.breakpoints:
            if self._blocks is not None:
                self._arm_blocks(MASK64)  # the block hook stays, but never stops this run
            status = uclib.uc_emu_start(self._handle, self.pc & MASK64, UNTIL, 0, budget)
            retired_before = self._counted_before(self._counter.value)
            handle = self._handle
        else:
            status, retired_before, handle = self._run_blocks(budget)
        uclib.uc_reg_read_batch(handle, self._read_ids, self._pointers, 32)
        self.regs[1:] = values[:31]
        self.regs[0] = 0
        pc = values[31]
        values[31:] = (PRIV_M, PRIV_U)
        try:
            retired, cause = self._outcome(status, pc, budget, retired_before)
        except _Rewritten:
            # the faulting access no longer exists: run on from it, so the instruction now in memory
            # executes, as on the python CPU (what the stale rest of the block did stays done)
            before = retired_before(self.pc, False)
            self.instret += before
            return self.run(budget - before)
        except _TimeRead as read:
            # executes rdtime as the python CPU does: the instructions retired before it
            before = retired_before(self.pc, False)
            self.instret += before
            if read.args[0]:
                self.regs[read.args[0]] = self.instret
            self.instret += 1
            self.pc = (self.pc + 4) & MASK64
            left = budget - before - 1
            return self.run(left) if left > 0 else STOP_BUDGET
        self.instret += retired
        return cause

    def _run_blocks(self, budget):
        """Runs from pc (registers written) counting per block: to the first block that would go past
        budget, then the instructions left of that block alone. Returns (unicorn's status,
        retired_before, the handle of the unicorn instance holding the registers)."""
        blocks = self._arm_blocks(budget)
        status = uclib.uc_emu_start(self._handle, self.pc & MASK64, UNTIL, 0, 0)
        if blocks.stopped == _STOPPED_BEFORE_BLOCK and blocks.retired < budget and not blocks.tail_atomic:
            return self._run_tail(budget - blocks.retired)
        if blocks.stopped == _STOPPED_BEFORE_BLOCK and blocks.retired < budget:
            # an LR's reservation must survive into the rest, so it runs here, from the block translated
            # again to end after it (unicorn's stop address ends a translation there)
            start = self.uc.reg_read(rc.UC_RISCV_REG_PC)
            # still in U-mode (no trap came between), so the range is virtual; the shortened
            # translation goes too before the next run
            self.uc.ctl_remove_cache(start, start + 1)
            self._stale_blocks.add(self.mmu.translate(start, ACCESS_FETCH))
            blocks.stopped = 0
            status = uclib.uc_emu_start(self._handle, start, blocks.tail_end, 0, 0)
            if blocks.stopped == _STOPPED_BEFORE_BLOCK:
                raise RuntimeError("the unicorn backend could not shorten the block at pc %#x" % start)
        if blocks.stopped == _UNREADABLE_BLOCK:
            raise RuntimeError("the unicorn backend could not read the code of the block at pc %#x"
                               % self.uc.reg_read(rc.UC_RISCV_REG_PC))
        return status, self._blocks_before, self._handle

    def _run_tail(self, left):
        """Runs the left instructions from the block the counted run stopped before on a second unicorn
        instance counting every instruction (same RAM, page tables and registers; its translation of
        that block made anew from the code in memory), so the main instance keeps its translations.
        Returns _run_blocks's triple."""
        if self._tail is None:
            self._tail = self._make_tail()
        tail, handle = self._tail
        values = self._values
        uclib.uc_reg_read_batch(self._handle, self._read_ids, self._pointers, 32)
        start = values[31]
        values[31:] = (PRIV_M, PRIV_U)
        # satp, TLB and cache changes need M-mode (CSR writes; translation off, so the range is physical)
        if self._tail_tlb_stale or self._tail_satp != self.mmu.satp:
            tail.reg_write(rc.UC_RISCV_REG_PRIV, PRIV_M)
            tail.reg_write(rc.UC_RISCV_REG_SATP, self.mmu.satp)
            tail.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
            self._tail_satp, self._tail_tlb_stale = self.mmu.satp, False
        pa, size = self._blocks.tail_pa, self._blocks.tail_size
        # the translation of this block there is kept while its code is the same (a block crossing
        # into another page is translated anew each time)
        code = self.ram.read(pa, size) if (pa & (PGSIZE - 1)) + size <= PGSIZE else None
        if code is None or self._tail_code.get(pa) != code:
            tail.reg_write(rc.UC_RISCV_REG_PRIV, PRIV_M)
            tail.ctl_remove_cache(pa, pa + 1)
            if len(self._tail_code) >= MAX_TAIL_BLOCKS:
                self._tail_code.clear()  # forgetting a block's code only makes its next tail translate it
            self._tail_code[pa] = code
        uclib.uc_reg_write_batch(handle, self._write_ids, self._pointers, 33)
        status = uclib.uc_emu_start(handle, start, UNTIL, 0, left)
        counted, before = self._tail_counter.value, self._blocks.retired
        return status, lambda epc, fetch: before + (counted if fetch else counted - 1), handle

    def _make_tail(self):
        """Returns (a second unicorn instance on the same RAM, with the trap hook, its handle)."""
        tail = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        tail.mem_map_ptr(self.ram.base, self.ram.size, UC_PROT_ALL, ctypes.addressof(self._pinned))
        tail.hook_add(UC_HOOK_INTR, self._on_trap)
        self._tail_counter = ctypes.c_uint64.from_address(tail._uch.value + counter_offset())
        return tail, tail._uch

    def _arm_blocks(self, limit):
        """Resets the block counter for a run in the current address space that stops before a block
        taking it past limit instructions; returns it."""
        blocks = self._blocks
        satp = self.mmu.satp
        blocks.retired = blocks.last_pc = blocks.last_insns = blocks.last_end = blocks.stopped = 0
        blocks.limit = limit
        blocks.root = (satp & PPN_MASK) << PGSHIFT if satp >> 60 == SATP_MODE_SV39_VALUE else 0
        blocks.cached_page = MASK64
        return blocks

    def _counted_before(self, counted):
        """retired_before of a run counted per instruction: unicorn's counter includes the instruction
        that stopped the run unless it stopped at its fetch."""
        return lambda epc, fetch: counted if fetch else counted - 1

    def _blocks_before(self, epc, fetch):
        """retired_before of a run counted per block: the blocks entered in full, less the part of the
        last one from epc on. A fetch fault comes before any block holding it is entered; any other
        trap is in the last block entered, or just after it (QEMU leaves an illegal c.illegal out of
        its block's size, though not a 32-bit illegal instruction)."""
        blocks = self._blocks
        if fetch:
            return blocks.retired
        done = self._count_between(ctypes.byref(blocks), blocks.last_pc, epc)
        if not blocks.last_pc <= epc <= blocks.last_end or done > blocks.last_insns:
            raise RuntimeError("the unicorn backend lost count: a trap at %#x outside the block at %#x"
                               % (epc, blocks.last_pc))
        return blocks.retired - blocks.last_insns + done

    def _outcome(self, status, pc, budget, retired_before):
        """Sets pc and tval from how emu_start ended; returns (instructions retired, cause or STOP_BUDGET
        or STOP_BREAKPOINT). retired_before(epc, fetch): the instructions retired before the one at epc
        that stopped the run (fetch: at its fetch)."""
        if self._at_breakpoint and self._cause is None and status == UC_ERR_OK:
            counted = retired_before(pc, True)
            if counted <= budget:
                self.pc = pc
                return counted - 1, STOP_BREAKPOINT
        if self._cause is not None:
            epc = (pc - 4) & MASK64
            retired = retired_before(epc, self._cause in _FETCH_CAUSES)
            if retired >= budget:
                # the budget ran out just before a fetch that would fault: not taken yet
                self.pc = epc
                return budget, STOP_BUDGET
            return retired, self._trap(self._cause, epc)
        if status == UC_ERR_INSN_INVALID:
            return retired_before(pc, False), self._trap(CAUSE_BREAKPOINT, pc)
        if status in _UNMAPPED_CAUSES:
            fetch = status == UC_ERR_FETCH_UNMAPPED
            return retired_before(pc, fetch), self._trap(_UNMAPPED_CAUSES[status], pc)
        if status != UC_ERR_OK:
            raise RuntimeError(f"unicorn stopped with error {status} at pc {pc:#x}")
        counted = retired_before(pc, True)
        if counted > budget or (counted == budget and pc != UNTIL):
            self.pc = pc
            return budget, STOP_BUDGET
        # stopped at UNTIL: the jump there retired, the fetch at a non-canonical address faults
        return counted, self._trap(CAUSE_FETCH_PAGE_FAULT, pc)

    def _trap(self, cause, epc):
        """Sets pc = epc and tval as the reference CPU reports it for cause; returns cause."""
        self.pc = epc
        if cause in _FETCH_CAUSES and self._illegal_at_page_start(epc):
            cause = CAUSE_ILLEGAL_INSTRUCTION
        if cause in _FETCH_CAUSES:
            self.tval = self._fetch_fault_address(epc)
        elif cause == CAUSE_ILLEGAL_INSTRUCTION:
            insn = decode(self._fetch(epc))
            if insn.op == "csrr" and insn.imm == CSR_TIME:
                raise _TimeRead(insn.rd)
            self.tval = insn.raw
        elif cause in _NO_TVAL_CAUSES:
            self.tval = 0
        else:
            cause, self.tval = self._data_fault(cause, epc)
        return cause

    def _illegal_at_page_start(self, epc):
        """True iff the fetch fault QEMU reports at page-aligned epc is really an illegal instruction
        there: QEMU 5 faults on a c.illegal (all-zero halfword) that starts a page whose previous page is
        unmapped, although epc itself is fetchable."""
        if epc & (PGSIZE - 1):
            return False
        try:
            return decode(self._fetch(epc)).op == "illegal"
        except MachineTrap:
            return False

    def _fetch_fault_address(self, epc):
        """Returns the tval of a fetch fault at epc: epc, or epc + 2 for a 32-bit instruction whose first
        half is the last 2 bytes of a fetchable page (the fault is on the second page)."""
        if epc & (PGSIZE - 1) != PGSIZE - 2:
            return epc
        try:
            low = self._read_u16(epc)
        except MachineTrap:
            return epc
        return (epc + 2) & MASK64 if low & 3 == 3 else epc

    def _fetch(self, va):
        """Returns the bits of the instruction at va (16 or 32), which unicorn has just fetched."""
        low = self._read_u16(va)
        if low & 3 != 3:
            return low
        return low | (self._read_u16(va + 2) << 16)

    def _read_u16(self, va):
        """Returns the 16 bits at user virtual address va."""
        pa = self.mmu.translate(va & MASK64, ACCESS_FETCH)
        return self.ram.read_u16(pa)

    def _data_fault(self, cause, epc):
        """Returns (cause, tval) of unicorn's load/store/AMO fault at epc as the reference reports them.

        An SC/AMO gets the store/AMO cause (QEMU runs it as a load then a store and reports the load's
        cause); tval is the effective address, or for an access crossing into a second page when the
        first page translates, that second page's base."""
        insn = decode(self._fetch(epc))
        if insn.op not in _SIZES and insn.op not in ATOMICS:
            raise _Rewritten()
        va = (self.regs[insn.rs1] + insn.imm) & MASK64
        if insn.op in ATOMICS:
            return (cause if insn.op.startswith("lr") else store_amo_cause(cause)), va
        size = _SIZES[insn.op]
        if cause in _MISALIGNED_CAUSES or (va & (PGSIZE - 1)) + size <= PGSIZE:
            return cause, va
        try:
            self.mmu.translate(va, ACCESS_STORE if insn.op in _STORES else ACCESS_LOAD)
        except MachineTrap:
            return cause, va
        return cause, (va + PGSIZE) & ~(PGSIZE - 1) & MASK64


def _runs(pages):
    """Returns the maximal runs of consecutive page numbers in pages as [(first, last + 1), ...]."""
    runs = []
    for page in sorted(pages):
        if runs and runs[-1][1] == page:
            runs[-1][1] = page + 1
        else:
            runs.append([page, page + 1])
    return [tuple(run) for run in runs]
