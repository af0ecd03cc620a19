"""Differential tests: random instruction sequences run on our CPU and on unicorn must end identically.

Both machines run the same code at 0x80000000 against the same data page; unicorn runs in its default
M-mode, our CPU in bare mode, and the sequences contain only instructions whose semantics are the same
in every privilege mode. The cause (8 for the final ecall), the pc, all 32 registers and the whole data
page are compared at the end.
"""

import contextlib
import random

import pytest
from unicorn import UC_ARCH_RISCV, UC_HOOK_INTR, UC_MODE_RISCV64, Uc
from unicorn import riscv_const as rc

import machine_asm as asm
from pyucore.machine import Machine
from pyucore.machine.decode import decode

CODE = 0x80000000
DATA = 0x80010000
POINTERS = {2: DATA + 0x800, 8: DATA + 0x100, 28: DATA + 0x400, 29: DATA + 0x600, 30: DATA + 0xA00,
            31: DATA + 0xC00}
COUNTER = 27                      # loop counter of gen_loop, never a random destination
DEST = [1, 3, 4, 5, 6, 7] + list(range(9, 27))
CDEST = list(range(9, 16))
M64 = (1 << 64) - 1
EDGES = [0, 1, 2, M64, M64 - 1, 1 << 63, (1 << 63) - 1, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF,
         0xFFFFFFFF80000000, 0x100000000, 63, 64, 31, 32]
UC_REGS = [getattr(rc, f"UC_RISCV_REG_X{i}") for i in range(32)]
# unicorn (QEMU 5's single-threaded TCG) runs an SC/AMO as a load then a store and reports the load's
# cause; the RISC-V spec makes SC and AMOs store/AMO accesses, and our CPU reports the spec's cause
SPEC_CAUSE_OF_ATOMIC = {4: 6, 5: 7, 13: 15}


class Program:
    """Instructions plus forward jumps whose offsets are resolved once the layout is known."""

    def __init__(self):
        """An empty program."""
        self.items = []
        self.inside_loop = False

    def add(self, insn, target_ok=True):
        """Appends a fixed instruction (target_ok False: the tail of a pair, never a jump target).

        Items are (length, encode(addrs, index), target from outside loops ok, tail of a pair)."""
        self.items.append((2 if insn & 3 != 3 else 4, lambda addrs, i: insn,
                           target_ok and not self.inside_loop, not target_ok))

    def add_jump_to(self, length, make, target):
        """Appends a jump to the item target() names once the program is complete (or the next item
        that is not the tail of a pair)."""
        def encode(addrs, i):
            index = target()
            while self.items[index][3]:
                index += 1
            return make(addrs[index] - addrs[i])
        self.items.append((length, encode, not self.inside_loop, False))

    def add_jump(self, length, make, origin_back, skip):
        """Appends a jump: make(offset) with offset = target - the address origin_back items back.

        origin_back > 0 makes this the tail of a pair started origin_back items back.
        """
        def encode(addrs, i):
            target = min(i + 1 + skip, len(addrs) - 1)
            while not self.items[target][2]:
                target += 1
            return make(addrs[target] - addrs[i - origin_back])
        self.items.append((length, encode, origin_back == 0 and not self.inside_loop, origin_back > 0))

    def assemble(self):
        """Returns (code bytes ending in ecall, address of that ecall)."""
        self.add(asm.ECALL)
        addrs, pc = [], CODE
        for length, *_ in self.items:
            addrs.append(pc)
            pc += length
        code = b"".join(asm.encode(enc(addrs, i)) for i, (_, enc, *_) in enumerate(self.items))
        return code, addrs[-1]


def _value(r):
    """A register value: an edge case or a random 64-bit number."""
    return r.choice(EDGES) if r.random() < 0.6 else r.getrandbits(64)


def gen_alu(r, p):
    """RV64I ALU, immediates, shifts (0..63), LUI/AUIPC, W forms."""
    kind = r.randrange(5)
    rd, a, b = r.choice(DEST), r.randrange(32), r.randrange(32)
    if kind == 0:
        p.add(asm.reg(r.choice(asm.REG_OPS[:10] + ["addw", "subw", "sllw", "srlw", "sraw"]), rd, a, b))
    elif kind == 1:
        value = r.choice([0, 1, -1, 2047, -2048, r.randrange(-2048, 2048)])
        p.add(asm.imm(r.choice(asm.IMM_OPS + ["addiw"]), rd, a, value))
    elif kind == 2:
        op = r.choice(["slli", "srli", "srai", "slliw", "srliw", "sraiw"])
        top = 31 if op.endswith("w") else 63
        p.add(asm.shift(op, rd, a, r.choice([0, 1, top, top - 1, r.randrange(top + 1)])))
    elif kind == 3:
        p.add(asm.lui(rd, r.getrandbits(20)))
    else:
        p.add(asm.auipc(rd, r.getrandbits(20)))


def gen_muldiv(r, p):
    """RV64M with edge operands."""
    op = r.choice(asm.REG_OPS[10:] + ["mulw", "divw", "divuw", "remw", "remuw"])
    p.add(asm.reg(op, r.choice(DEST), r.randrange(32), r.randrange(32)))


def gen_control(r, p):
    """Forward branches (taken or not), JAL and AUIPC+JALR, with links."""
    kind = r.randrange(3)
    skip = r.randrange(4)
    if kind == 0:
        op, a, b = r.choice(asm.BRANCH_OPS), r.randrange(32), r.randrange(32)
        p.add_jump(4, lambda off: asm.branch(op, a, b, off), 0, skip)
    elif kind == 1:
        rd = r.choice(DEST + [0])
        p.add_jump(4, lambda off: asm.jal(rd, off), 0, skip)
    else:
        base, rd = r.choice(DEST), r.choice(DEST + [0])
        p.add(asm.auipc(base, 0))
        p.add_jump(4, lambda off: asm.jalr(rd, base, off), 1, skip)


def gen_memory(r, p):
    """Loads and stores of every width, aligned and misaligned, around the pointer registers."""
    base = r.choice([28, 29, 30, 31])
    offset = r.randrange(-128, 128)
    if r.random() < 0.7:
        offset &= ~7
    if r.random() < 0.5:
        p.add(asm.load(r.choice(asm.LOAD_OPS), r.choice(DEST + [0]), base, offset))
    else:
        p.add(asm.store(r.choice(asm.STORE_OPS), r.randrange(32), base, offset))


def gen_atomic(r, p):
    """LR/SC pairs and every AMO, .W and .D, on aligned pointers."""
    width, base = r.choice("wd"), r.choice([28, 29, 30, 31])
    if r.random() < 0.3:
        p.add(asm.amo("lr", width, r.choice(DEST), base))
        if r.random() < 0.3:
            gen_memory(r, p)
        p.add(asm.amo("sc", r.choice("wd") if r.random() < 0.2 else width, r.choice(DEST), base,
                      r.randrange(32)))
    else:
        op = r.choice([o for o in asm.AMO_OPS if o != "lr"])
        p.add(asm.amo(op, width, r.choice(DEST + [0]), base, r.randrange(32)))


def gen_misaligned_atomic(r, p):
    """An LR, SC or AMO, .W or .D, on a pointer moved off alignment: LR and AMOs trap, SC (without a
    reservation, as none can match a misaligned address) fails."""
    width, base, pointer = r.choice("wd"), r.choice([28, 29, 30, 31]), r.choice(DEST)
    p.add(asm.imm("addi", pointer, base, r.randrange(1, 4 if width == "w" else 8)))
    op = r.choice(asm.AMO_OPS)
    p.add(asm.amo(op, width, r.choice(DEST + [0]), pointer, 0 if op == "lr" else r.randrange(32)))


def gen_compressed(r, p):
    """Every RV64C instruction class (no floating point)."""
    kind = r.randrange(14)
    rd, rdp, rsp = r.choice(DEST), r.choice(CDEST), r.randrange(8, 16)
    if kind == 0:
        p.add(asm.c_addi4spn(rdp, 4 * r.randrange(1, 256)))
    elif kind == 1:
        op = r.choice(["lw", "ld", "sw", "sd"])
        scale = 4 if op in ("lw", "sw") else 8
        p.add(asm.c_mem(op, rdp if op[0] == "l" else rsp, 8, scale * r.randrange(32)))
    elif kind == 2:
        p.add(asm.c_imm(r.choice(["addi", "addiw", "li"]), rd, r.randrange(-32, 32)))
    elif kind == 3:
        p.add(asm.c_addi16sp(16 * r.choice([-4, -3, -2, -1, 1, 2, 3, 4])))
    elif kind == 4:
        p.add(asm.c_lui(rd, r.choice([v for v in range(-32, 32) if v])))
    elif kind == 5:
        op = r.choice(["srli", "srai", "andi"])
        p.add(asm.c_shift_andi(op, rdp, r.randrange(-32, 32) if op == "andi" else r.randrange(64)))
    elif kind == 6:
        p.add(asm.c_alu(r.choice(["sub", "xor", "or", "and", "subw", "addw"]), rdp, rsp))
    elif kind == 7:
        p.add_jump(2, asm.c_j, 0, r.randrange(4))
    elif kind == 8:
        op = r.choice(["beqz", "bnez"])
        p.add_jump(2, lambda off: asm.c_bz(op, rsp, off), 0, r.randrange(4))
    elif kind == 9:
        p.add(asm.c_slli(rd, r.randrange(64)))
    elif kind == 10:
        op = r.choice(["lwsp", "ldsp"])
        p.add(asm.c_lsp(op, rd, (4 if op == "lwsp" else 8) * r.randrange(32)))
    elif kind == 11:
        op = r.choice(["swsp", "sdsp"])
        p.add(asm.c_ssp(op, r.randrange(32), (4 if op == "swsp" else 8) * r.randrange(32)))
    elif kind == 12:
        p.add(r.choice([asm.c_mv, asm.c_add])(rd, r.randrange(1, 32)))
    else:
        gen_compressed_jump_register(r, p)


def gen_compressed_jump_register(r, p):
    """c.jr / c.jalr through a register loaded by auipc + addi."""
    base = r.choice(DEST[1:])
    p.add(asm.auipc(base, 0))
    p.add_jump(4, lambda off: asm.imm("addi", base, base, off), 1, 1 + r.randrange(3))
    p.add(r.choice([asm.c_jr, asm.c_jalr])(base), target_ok=False)


def gen_loop(r, p):
    """A counted loop (1..6 passes) whose body has branches inside it, some leaving the loop.

    Jumps from outside can only reach the counter set-up, so the loop always terminates."""
    p.add(asm.imm("addi", COUNTER, 0, r.randrange(1, 7)))
    p.inside_loop = True
    body = len(p.items)
    decrement = []
    for _ in range(r.randrange(3, 10)):
        if r.random() < 0.3:
            op, a, b, at = r.choice(asm.BRANCH_OPS), r.randrange(32), r.randrange(32), len(p.items)
            skip = r.randrange(1, 4)
            p.add_jump_to(4, lambda off, op=op, a=a, b=b: asm.branch(op, a, b, off),
                          lambda at=at, skip=skip: min(at + skip, decrement[0]))
        else:
            GENERATORS[r.choice(["alu", "memory", "muldiv", "compressed", "atomic"])](r, p)
    decrement.append(len(p.items))
    p.add(asm.imm("addi", COUNTER, COUNTER, -1))
    p.add_jump_to(4, lambda off: asm.branch("bne", COUNTER, 0, off), lambda: body)
    p.inside_loop = False


def gen_upper_chain(r, p):
    """LUI/AUIPC, then shifts, adds and multiplies of the result: the translator drops 64-bit masks where
    it believes a value is narrow, so values that grow past 64 bits must still wrap."""
    rd = r.choice(DEST)
    p.add(asm.lui(rd, r.getrandbits(20)) if r.random() < 0.5 else asm.auipc(rd, r.getrandbits(20)))
    for _ in range(r.randrange(1, 4)):
        src, kind = rd, r.randrange(3)
        rd = r.choice(DEST)
        if kind == 0:
            p.add(asm.shift("slli", rd, src, r.randrange(64)))
        elif kind == 1:
            p.add(asm.reg(r.choice(["add", "mul"]), rd, src, r.choice([src, r.randrange(32)])))
        else:
            p.add(asm.imm("addi", rd, src, r.randrange(1, 2048)))


GENERATORS = {"alu": gen_alu, "muldiv": gen_muldiv, "control": gen_control, "memory": gen_memory,
              "atomic": gen_atomic, "compressed": gen_compressed, "loop": gen_loop,
              "upper chain": gen_upper_chain, "misaligned atomic": gen_misaligned_atomic}
# every generator whose instructions never trap (a misaligned atomic ends most programs early)
NON_TRAPPING = [name for name in GENERATORS if name != "misaligned atomic"]


def random_program(r, kinds, length):
    """A random program of about `length` generator steps drawn from kinds."""
    p = Program()
    for _ in range(length):
        GENERATORS[r.choice(kinds)](r, p)
    return p.assemble()


class Pair:
    """Our machine and a unicorn instance with the same memory layout."""

    def __init__(self):
        """Creates both machines once (they are reset per sequence)."""
        self.machine = Machine(ram_size=1 << 20)
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        self.uc.mem_map(CODE, 0x20000)
        self.uc_traps = []
        self.uc.hook_add(UC_HOOK_INTR, lambda uc, intno, _: (self.uc_traps.append(intno), uc.emu_stop()))

    def run(self, code, end, regs, data):
        """Runs code on both; returns ((cause, pc, regs, data) ours, (cause, pc, regs, data) unicorn)."""
        m, uc = self.machine, self.uc
        m.ram.write(CODE, code)
        m.ram.write(DATA, data)
        m.cpu.regs[:] = regs
        m.cpu.pc = CODE
        m.cpu.reservation = None
        cause = m.cpu.run(100000)
        uc.mem_write(CODE, code)
        # unicorn keeps translated blocks across mem_write: drop them, the code is new
        uc.ctl_remove_cache(CODE, CODE + len(code))
        uc.mem_write(DATA, data)
        for i in range(1, 32):
            uc.reg_write(UC_REGS[i], regs[i])
        self.uc_traps.clear()
        uc.emu_start(CODE, end, count=100000)
        ours = (cause, m.cpu.pc, list(m.cpu.regs), m.ram.read(DATA, 0x1000))
        theirs = (*self.uc_outcome(end), [uc.reg_read(UC_REGS[i]) for i in range(32)],
                  bytes(uc.mem_read(DATA, 0x1000)))
        return ours, theirs

    def uc_outcome(self, end):
        """Returns (cause, pc) of unicorn's run as the spec has them: 8 at end for a run that reached the
        final ecall, else the trap's cause (an atomic's as the spec's) at the trapping instruction."""
        if not self.uc_traps:
            assert self.uc.reg_read(rc.UC_RISCV_REG_PC) == end
            return 8, end
        # unicorn leaves pc 4 bytes past the trapping instruction, whatever its length
        pc = self.uc.reg_read(rc.UC_RISCV_REG_PC) - 4
        cause = self.uc_traps[0]
        name = decode(int.from_bytes(self.uc.mem_read(pc, 4), "little")).op.split(".")[0]
        if name in asm.AMO_OPS and name != "lr":
            cause = SPEC_CAUSE_OF_ATOMIC.get(cause, cause)
        return cause, pc


@contextlib.contextmanager
def translations_in_memory_only():
    """Machines made inside the with block keep their translations in memory only: random code never
    runs again, so writing it to the disk cache would only cost time (it doubles these tests')."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYUCORE_TRANSLATION_CACHE", "")
        yield


@pytest.fixture(scope="module")
def pair():
    """One machine pair per test module (worker), translating in memory only."""
    with translations_in_memory_only():
        return Pair()


def random_state(r):
    """Random registers (pointer registers fixed) and a random data page."""
    regs = [0] + [_value(r) for _ in range(31)]
    for i, v in POINTERS.items():
        regs[i] = v
    return regs, r.randbytes(0x1000)


# Each test's seed is fixed, so every run compares the same programs: 68 tests of 13 programs and 8 of
# 20 loops, 1,044 programs in all. Translating new code is most of their cost, and more programs of the
# same seeds reach nothing more of the CPU: these run the same lines and branches of pyucore/machine as
# 25 and 20, and those the same as 50 and 30 (3,640 programs), and they draw every one of their 85
# instructions at least 67 times, by `python benchmarks/differential_coverage.py 25/20 13/20 10/20`
# (coverage.py in branch mode; 10 programs reach them too); 10 loops a loop test already miss a path
# of the loop translator (an addiw induction register that only grows).
def check_sequences(pair, seed, kinds, count=13, length=25):
    """Runs count random programs made of kinds on both CPUs and compares the final states."""
    r = random.Random(seed)
    for n in range(count):
        code, end = random_program(r, kinds, length)
        regs, data = random_state(r)
        ours, theirs = pair.run(code, end, regs, data)
        if ours != theirs:
            diff = [(i, hex(a), hex(b)) for i, (a, b) in enumerate(zip(ours[2], theirs[2])) if a != b]
            pytest.fail(f"seed {seed} program {n} code {code.hex()} regs {[hex(x) for x in regs]}: "
                        f"(cause, pc) ours {ours[:2]} unicorn {theirs[:2]}; register differences (x, ours, "
                        f"unicorn) {diff}; data equal: {ours[3] == theirs[3]}")
        assert ours[0] == 8 or "misaligned atomic" in kinds


@pytest.mark.parametrize("seed", range(8))
def test_random_alu_immediate_shift_and_upper_sequences_match_unicorn(pair, seed):
    check_sequences(pair, 1000 + seed, ["alu"])


@pytest.mark.parametrize("seed", range(4))
def test_random_upper_immediates_shifted_added_and_multiplied_wrap_like_unicorn(pair, seed):
    check_sequences(pair, 9000 + seed, ["upper chain"])


@pytest.mark.parametrize("seed", range(8))
def test_random_multiply_divide_sequences_with_edge_values_match_unicorn(pair, seed):
    check_sequences(pair, 2000 + seed, ["muldiv", "alu"])


@pytest.mark.parametrize("seed", range(8))
def test_random_branch_and_jump_sequences_match_unicorn(pair, seed):
    check_sequences(pair, 3000 + seed, ["control", "alu"])


@pytest.mark.parametrize("seed", range(8))
def test_random_load_store_sequences_of_all_widths_match_unicorn(pair, seed):
    check_sequences(pair, 4000 + seed, ["memory", "alu"])


@pytest.mark.parametrize("seed", range(8))
def test_random_atomic_sequences_match_unicorn(pair, seed):
    check_sequences(pair, 5000 + seed, ["atomic", "memory", "alu"])


@pytest.mark.parametrize("seed", range(8))
def test_random_compressed_sequences_match_unicorn(pair, seed):
    check_sequences(pair, 6000 + seed, ["compressed", "alu"])


@pytest.mark.parametrize("seed", range(8))
def test_random_mixed_sequences_of_every_class_match_unicorn(pair, seed):
    check_sequences(pair, 7000 + seed, [g for g in NON_TRAPPING if g != "loop"])


@pytest.mark.parametrize("seed", range(8))
def test_random_misaligned_atomics_trap_with_the_spec_cause_or_fail_like_unicorn(pair, seed):
    check_sequences(pair, 5500 + seed, ["misaligned atomic", "atomic", "memory", "alu"], length=12)


@pytest.mark.parametrize("seed", range(8))
def test_random_loops_with_branches_inside_match_unicorn(pair, seed):
    check_sequences(pair, 8000 + seed, ["loop", "alu", "control"], count=20, length=8)
