"""The pure-Python RV64IMAC user-mode CPU: a dispatcher over translated blocks, plus the slow paths.

Execution: `run(budget)` looks up the block for pc (pc -> block dict, rebuilt after every TLB flush;
blocks themselves are cached by (pc, physical address) and survive flushes), calls it, and repeats until
a trap or until exactly `budget` instructions retired. When fewer instructions remain than a block
holds, the dispatcher runs one-instruction blocks instead, so budgets are exact. At a loop head (a
block branching back to itself included), the "block" is a region function covering the whole loop,
which runs it as whole passes (translate.py).
Compiled functions are also shared by content (pc + instruction bits), so the same code on another
physical page (fork's copied text, a program run again) is not compiled twice; their code objects are
kept by content in this process and on disk (codecache.py), so neither is code another boot or another
run of pyucore already translated.

Translations are dropped when their physical page is written (RAM helpers, or a guest store: stores to
code pages never hit the inline path because the MMU keeps such pages out of the store TLB), when the
page is freed (`invalidate_page`). The pc -> block map is kept per address space like the MMU's TLB (a
switch to another process and back finds it again); a flush of one page drops that page's entries in
every space, a full flush all of them. At most MAX_TRANSLATIONS compiled functions are kept: past that
the oldest go, so a program generating code without end runs in bounded memory.
"""

from . import alu, codecache
from .decode import decode, sext
from .mmu import MASK64, PPN_MASK, MachineTrap, keep_recent
from .riscv import (ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, CAUSE_MISALIGNED_FETCH, CAUSE_MISALIGNED_LOAD,
                    CAUSE_MISALIGNED_STORE, PGSHIFT, PGSIZE, store_amo_cause)
from .translate import CSR_READ_EXIT, DEFAULT_NAMES, TERMINATORS, BlockSource, RegionSource, successors

STOP_BUDGET = -1
STOP_BREAKPOINT = -2     # run() stopped before the instruction at a breakpoint (set_breakpoints)
_BREAK_EXIT = 17         # pseudo-cause of the entry that stands for a breakpoint in the dispatcher
MAX_TRANSLATIONS = 4096
MAX_BLOCK = 64
MAX_REGION = 8      # blocks in one region function


class BlockExit(Exception):
    """Raised inside a block to leave it: args = (next_pc, retired, cause)."""


_AMO_OPS = {
    "amoadd": lambda old, src: old + src, "amoswap": lambda old, src: src,
    "amoxor": lambda old, src: old ^ src, "amoand": lambda old, src: old & src,
    "amoor": lambda old, src: old | src,
    "amomin": lambda old, src: old if old <= src else src, "amomax": lambda old, src: old if old >= src else src,
}




class CPU:
    """One hart in U-mode: regs, pc, instret, tval of the last trap; runs through the MMU."""

    def __init__(self, ram, mmu):
        """Needs the machine's RAM and MMU; starts with all registers 0."""
        self.ram = ram
        self.mmu = mmu
        self.regs = [0] * 32
        self.pc = 0
        self.instret = 0
        self.tval = 0
        # LR reservation: (address, value loaded) or None; SC compares both, as QEMU does
        self.reservation = None
        self._vcache = {}
        self._single_vcache = {}
        # satp -> ((vcache, single vcache), mmu.flush_log.clock when left) of each space not running
        self._spaces = {}
        self._blocks = {}
        self._single_blocks = {}
        self._by_content = {}
        self.translations = 0        # block functions made so far (a statistic)
        self.code_cache = codecache.shared_cache()
        self.breakpoints = frozenset()
        self._break_pages = frozenset()
        self._namespace = self._make_namespace()
        ram.code_listener = self._code_written
        mmu.flush_listeners.append(self._flushed)
        mmu.switch_listeners.append(self._switched)

    def _make_namespace(self):
        """Returns the globals the generated block functions are defined in."""
        ram = self.ram
        values = {
            "Q": ram.u64, "I": ram.u32, "H": ram.u16, "B": ram.data, "SI": ram.s32, "SH": ram.s16,
            "SB": ram.s8, "LT": self.mmu.load_tlb, "ST": self.mmu.store_tlb, "C": self,
            "LDS": self._load_slow, "STS": self._store_slow, "AMO": self._atomic,
            "MULH": alu.mulh, "MULHSU": alu.mulhsu, "DIV": alu.div, "DIVU": alu.divu, "REM": alu.rem,
            "REMU": alu.remu, "DIVW": alu.divw, "DIVUW": alu.divuw, "REMW": alu.remw, "REMUW": alu.remuw,
        }
        assert set(values) == set(DEFAULT_NAMES)
        values["BlockExit"] = BlockExit
        return values

    def run(self, budget):
        """Runs U-mode from pc for at most budget instructions.

        Returns STOP_BUDGET once exactly budget instructions retired, else the cause of the trap
        (pc = the trapping instruction, tval set, the trapping instruction not retired).
        """
        regs = self.regs
        # the kernel writes registers between runs: keep them canonical so no Python error can follow
        regs[:] = [0] + [value & MASK64 for value in regs[1:32]]
        # every run follows a trap; like QEMU on a privilege change, a trap drops the LR reservation
        self.reservation = None
        pc = self.pc & MASK64
        left = budget
        lookup = self._vcache.get
        cause = STOP_BUDGET
        while left > 0:
            entry = lookup(pc)
            if entry is None:
                entry = self._find_block(pc)
                if entry.__class__ is MachineTrap:
                    cause, self.tval = entry.cause, entry.tval
                    break
            if entry[1] > left:
                entry = self._find_single(pc)
                if entry.__class__ is MachineTrap:
                    cause, self.tval = entry.cause, entry.tval
                    break
            pc, done, exit_cause = entry[0](regs, left)
            left -= done
            if exit_cause >= 0:
                if exit_cause != CSR_READ_EXIT:
                    cause = exit_cause
                    break
                self._read_counter(regs, budget - left)
                pc += 4
                left -= 1
        self.pc = pc
        self.instret += budget - left
        return STOP_BREAKPOINT if cause == _BREAK_EXIT else cause

    def set_breakpoints(self, addresses):
        """From now on run() stops (STOP_BREAKPOINT, nothing retired for it) before executing an
        instruction at any of the virtual addresses, in every address space.

        On a page holding a breakpoint the dispatcher runs one-instruction blocks (blocks, loops and
        regions never leave their first page without returning to it), so code elsewhere runs at full
        speed and a run with no breakpoints is unchanged."""
        addresses = frozenset(a & MASK64 for a in addresses)
        if addresses != self.breakpoints:
            self.breakpoints = addresses
            self._break_pages = frozenset(a >> PGSHIFT for a in addresses)
            self._vcache.clear()
            self._spaces.clear()  # the address spaces not running see the new breakpoints too

    def _read_counter(self, regs, retired_in_run):
        """Executes a cycle/time/instret read: all three are the instructions retired so far."""
        rd = self.tval
        if rd:
            regs[rd] = (self.instret + retired_in_run) & MASK64

    def invalidate_page(self, pa):
        """Drops every translation made from the physical page holding pa, and the address space whose
        root table it was (pmm calls it on free)."""
        page = pa >> PGSHIFT
        if page in self.ram.code_pages:
            self._code_written(page)
        if self.mmu.forget_space(pa):
            self._spaces = {satp: kept for satp, kept in self._spaces.items()
                            if satp & PPN_MASK != page or not satp >> 60}

    def _code_written(self, page):
        """The physical page changed under its translations: forget them and every pc -> block entry."""
        for key in self.ram.code_pages.pop(page, ()):
            self._blocks.pop(key, None)
            self._single_blocks.pop(key, None)
        self._vcache.clear()
        self._single_vcache.clear()
        self._spaces.clear()

    def _drop_translations(self):
        """Forgets every translation and pc -> block entry (the cache reached MAX_TRANSLATIONS blocks at
        distinct addresses); what runs again is translated again."""
        for cache in (self._blocks, self._single_blocks, self._by_content, self._vcache, self._single_vcache,
                      self._spaces, self.ram.code_pages):
            cache.clear()

    def _flushed(self, va):
        """The TLB was flushed (va's page, or all for None): the pc -> block entries that may now be
        wrong go; blocks by physical address stay."""
        if va is None:
            self._vcache.clear()
            self._single_vcache.clear()
            self._spaces.clear()
            return
        # the kept spaces' entries go when they run again (mmu.flush_log has the page)
        page = va & ~(PGSIZE - 1) & MASK64
        for vcache in (self._vcache, self._single_vcache):
            # a block belongs to its pc's page, or also to the next one for an instruction straddling it
            stale = [pc for pc in vcache if pc & ~(PGSIZE - 1) == page
                     or (pc & ~(PGSIZE - 1)) + PGSIZE == page and pc & (PGSIZE - 1) == PGSIZE - 2]
            for pc in stale:
                del vcache[pc]

    def _switched(self, old, new):
        """satp went from old to new: keeps old's pc -> block entries and brings back new's."""
        log = self.mmu.flush_log
        kept, left_at = self._spaces.pop(new, (({}, {}), log.clock))
        if old != new:
            self._spaces[old] = (self._vcache, self._single_vcache), log.clock
            keep_recent(self._spaces)
        self._vcache, self._single_vcache = (log.fresh(vcache, left_at, straddle=True) for vcache in kept)

    def _find_block(self, pc):
        """Returns (fn, length) of the block at pc (translating it if needed) or the fetch MachineTrap;
        on a page with a breakpoint, a one-instruction block, or the breakpoint's stop."""
        if pc >> PGSHIFT in self._break_pages:
            if pc in self.breakpoints:
                entry = self._vcache[pc] = (lambda regs, left: (pc, 0, _BREAK_EXIT)), 1
                return entry
            entry = self._find_single(pc)
            if entry.__class__ is not MachineTrap:
                self._vcache[pc] = entry
            return entry
        return self._find(pc, self._blocks, self._vcache, MAX_BLOCK)

    def _find_single(self, pc):
        """Returns (fn, 1) of the one-instruction block at pc, or the fetch MachineTrap."""
        entry = self._single_vcache.get(pc)
        if entry is None:
            entry = self._find(pc, self._single_blocks, self._single_vcache, 1)
        return entry

    def _find(self, pc, blocks, vcache, limit):
        """Returns (fn, length) of the block at pc of at most limit instructions, or a MachineTrap."""
        if pc & 1:
            return MachineTrap(CAUSE_MISALIGNED_FETCH, pc)
        try:
            pa = self.mmu.translate(pc, ACCESS_FETCH)
        except MachineTrap as trap:
            return trap
        key = (pc, pa)
        entry = blocks.get(key)
        if entry is None:
            if len(blocks) >= MAX_TRANSLATIONS:
                self._drop_translations()
            built = self._build(pc, pa, limit)
            if built.__class__ is MachineTrap:
                return built
            entry, pages = built
            if len(pages) == 1:
                blocks[key] = entry
            for page in pages:
                self._mark_code(page, key)
        vcache[pc] = entry
        return entry

    def _mark_code(self, page, key):
        """Records that the translation key was built from physical page number page."""
        keys = self.ram.code_pages.get(page)
        if keys is None:
            keys = self.ram.code_pages[page] = set()
            self.mmu.forget_store_page(page << PGSHIFT)
        keys.add(key)

    def _build(self, pc, pa, limit):
        """Decodes and compiles the code at pc (physical pa); returns ((fn, n), pages) or a MachineTrap.

        n is the length of the block at pc. With limit > 1 the function may be a region: the blocks of
        this page reachable from pc, when they loop back to pc (see RegionSource).
        """
        decoded = self._decode(pc, pa, limit, straddle=True)
        if decoded.__class__ is MachineTrap:
            return decoded
        insns, pages = decoded
        blocks = self._region(pc, pa, insns) if limit > 1 and len(pages) == 1 else None
        if blocks is None:
            content = (pc, tuple(insn.raw for _, insn in insns))
        else:
            content = tuple((start, tuple(insn.raw for _, insn in block)) for start, block in blocks)
        # the generated code depends only on the pcs and the instruction bits: a copy of the same code on
        # another physical page (fork's copied text, a program exec'd again) reuses the compiled function
        fn = self._by_content.get(content)
        if fn is None:
            if len(self._by_content) >= MAX_TRANSLATIONS:
                del self._by_content[next(iter(self._by_content))]  # the oldest
            make_source = (lambda: BlockSource(insns, pc)) if blocks is None else (lambda: RegionSource(blocks))
            fn = self._by_content[content] = self._function(content, pc, make_source)
        return (fn, len(insns)), pages

    def _region(self, pc, pa, insns):
        """Returns [(start, insns), ...] of the blocks on pc's page reachable from the block at pc if
        one of them jumps back to pc (a loop with branches inside), else None."""
        last_pc, last = insns[-1]
        if last_pc + last.imm == pc and last.op in ("beq", "bne", "blt", "bge", "bltu", "bgeu", "jal"):
            return [(pc, insns)]  # a block looping on itself: a region of its own, run as whole passes
        blocks = {pc: insns}
        pending = successors(insns)
        page = pc & ~(PGSIZE - 1)
        while pending and len(blocks) < MAX_REGION:
            start = pending.pop(0)
            if start in blocks or start & ~(PGSIZE - 1) != page or start & 1:
                continue
            decoded = self._decode(start, pa - pc + start, MAX_BLOCK, straddle=False)
            if decoded[0]:
                blocks[start] = decoded[0]
                pending += successors(decoded[0])
        if not any(pc in successors(block) for block in blocks.values()):
            return None
        return list(blocks.items())

    def _decode(self, pc, pa, limit, straddle):
        """Decodes up to limit instructions at pc (physical pa) up to a terminator or the page end.

        Returns (insns, physical page numbers used) or the MachineTrap of fetching the second half of an
        instruction that straddles into the next page (straddle=False: stop before such an instruction).
        """
        insns = []
        pages = [pa >> PGSHIFT]
        page_end = (pa | (PGSIZE - 1)) + 1
        u16 = self.ram.u16
        base = self.ram.base
        while len(insns) < limit and pa < page_end:
            word = u16[(pa - base) >> 1]
            if word & 3 == 3:
                if pa + 2 < page_end:
                    word |= u16[(pa + 2 - base) >> 1] << 16
                elif insns or not straddle:
                    break
                else:
                    try:
                        pa2 = self.mmu.translate(pc + 2, ACCESS_FETCH)
                    except MachineTrap as trap:
                        return trap
                    pages.append(pa2 >> PGSHIFT)
                    word |= u16[(pa2 - base) >> 1] << 16
            insn = decode(word)
            insns.append((pc, insn))
            pc += insn.length
            pa += insn.length
            if insn.op in TERMINATORS:
                break
        return insns, pages

    def _function(self, content, start, make_source):
        """Returns a new function running the code described by content (whose first pc is start): its
        code comes from the translation cache, or is compiled from make_source()'s source and kept there."""
        self.translations += 1
        name = f"blk_{start:x}"

        def compile_source():
            return compile(make_source().source(name), f"<block {start:#x}>", "exec")
        exec(self.code_cache.code(content, compile_source), self._namespace)
        return self._namespace.pop(name)

    def _trap(self, trap, pc, done):
        """Returns the BlockExit that stops a block at pc with done retired because of trap."""
        self.tval = trap.tval
        return BlockExit(pc, done, trap.cause)

    def _pieces(self, va, size, access):
        """Translates [va, va+size) for access; returns [(pa, n), ...] (two pieces if it crosses a page)."""
        first = min(size, PGSIZE - (va & (PGSIZE - 1)))
        pieces = [(self.mmu.translate(va, access), first)]
        if first < size:
            pieces.append((self.mmu.translate((va + first) & MASK64, access), size - first))
        return pieces

    def _read_pieces(self, pieces):
        """Returns the little-endian value stored in the physical pieces."""
        data = b"".join(self.ram.data[pa - self.ram.base:pa - self.ram.base + n] for pa, n in pieces)
        return int.from_bytes(data, "little")

    def _write_pieces(self, pieces, value):
        """Stores value little-endian into the physical pieces; returns True if code was overwritten."""
        raw = value.to_bytes(sum(n for _, n in pieces), "little")
        base, pos, hit_code = self.ram.base, 0, False
        for pa, n in pieces:
            self.ram.data[pa - base:pa - base + n] = raw[pos:pos + n]
            pos += n
            if (pa >> PGSHIFT) in self.ram.code_pages:
                self._code_written(pa >> PGSHIFT)
                hit_code = True
        return hit_code

    def _load_slow(self, va, size, signed, pc, done):
        """Loads size bytes at va (any alignment) for the block at pc; returns the canonical value."""
        va &= MASK64
        try:
            value = self._read_pieces(self._pieces(va, size, ACCESS_LOAD))
        except MachineTrap as trap:
            raise self._trap(trap, pc, done) from None
        return sext(value, 8 * size) & MASK64 if signed else value

    def _store_slow(self, va, value, size, pc, done, length):
        """Stores size bytes at va (any alignment); ends the block after it if it overwrote code."""
        va &= MASK64
        try:
            pieces = self._pieces(va, size, ACCESS_STORE)
        except MachineTrap as trap:
            raise self._trap(trap, pc, done) from None
        if self._write_pieces(pieces, value & ((1 << (8 * size)) - 1)):
            raise BlockExit(pc + length, done + 1, -1)

    def _atomic(self, op, va, src, pc, done):
        """Executes LR/SC/AMO op at va; returns the rd value, or raises the BlockExit of its trap."""
        name, width = op.split(".")
        size = 4 if width == "w" else 8
        if name == "sc" and (self.reservation is None or self.reservation[0] != va):
            # QEMU checks the reservation before touching memory; unicorn cannot be made to trap here
            self.reservation = None
            return 1
        try:
            pa = self._atomic_address(va, size, name == "lr")
        except MachineTrap as trap:
            raise self._trap(trap, pc, done) from None
        old = sext(self._read_pieces([(pa, size)]), 8 * size)
        if name == "lr":
            self.reservation = (va, old & MASK64)
            return old & MASK64
        if name == "sc":
            return self._store_conditional(pa, size, src)
        self._write_pieces([(pa, size)], self._amo_result(name, old, src, size) & ((1 << (8 * size)) - 1))
        return old & MASK64

    def _atomic_address(self, va, size, is_lr):
        """Returns the physical address of an LR (is_lr) or SC/AMO of size bytes at va, or raises its
        MachineTrap: LR is a load (4, 13, 5), SC and the AMOs store/AMO accesses (6, 15, 7)."""
        if va & (size - 1):
            raise MachineTrap(CAUSE_MISALIGNED_LOAD if is_lr else CAUSE_MISALIGNED_STORE, va)
        try:
            # the read translation first, as QEMU's single-threaded AMO (a load, then a store) does: it may
            # set A on a page the store then faults on, which the spec allows ("Updates of the A bit may be
            # performed as a result of speculation, even if the associated memory access ultimately is
            # not performed architecturally", privileged spec, Svadu / Sv39 A and D bits)
            pa = self.mmu.translate(va, ACCESS_LOAD)
            if not is_lr:
                self.mmu.translate(va, ACCESS_STORE)
        except MachineTrap as trap:
            if is_lr:
                raise
            raise MachineTrap(store_amo_cause(trap.cause), va) from None
        return pa

    def _store_conditional(self, pa, size, src):
        """Needs a reservation on pa's address; QEMU's cmpxchg: store src if the low size bytes still
        match the reserved value, succeed (0) only if the sign-extended old value equals it entirely."""
        mask = (1 << (8 * size)) - 1
        reserved = self.reservation[1]
        self.reservation = None
        old = self._read_pieces([(pa, size)])
        if old == reserved & mask:
            self._write_pieces([(pa, size)], src & mask)
        return 0 if sext(old, 8 * size) & MASK64 == reserved else 1

    @staticmethod
    def _amo_result(name, old, src, size):
        """Returns the value an AMO writes, given the signed old value and the source register."""
        if name in ("amominu", "amomaxu"):
            mask = (1 << (8 * size)) - 1
            a, b = old & mask, src & mask
            return min(a, b) if name == "amominu" else max(a, b)
        if name in ("amomin", "amomax"):
            src = sext(src & ((1 << (8 * size)) - 1), 8 * size)
        return _AMO_OPS[name](old, src)
