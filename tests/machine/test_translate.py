"""The translator's loop passes (translate.RegionSource): their bounds computed alone, and loops run on
the python CPU against unicorn, against themselves in small chunks and against one-instruction steps.

The loops walk pointers across pages that are writable, read-only or unmapped, with accesses of every
width, aligned or not, so passes end at page ends, at faults and at budget ends anywhere in a pass."""

import random

import pytest

import machine_asm as asm
from bare_loader import BareProcess
from pyucore.machine import STOP_BUDGET, Machine
from pyucore.machine.decode import decode
from pyucore.machine.riscv import PTE_R, PTE_U, PTE_W, PTE_X
from pyucore.machine.translate import Hoist, hoist_entry, induction_bound, loop_passes
from pyucore.machine.unicorn_cpu import UnicornMachine

M64 = (1 << 64) - 1
CODE_VA = 0x800000
DATA_VA = 0x900000
# the data pages: writable, writable, read-only, then an unmapped page
DATA_PERMS = [PTE_R | PTE_W | PTE_U, PTE_R | PTE_W | PTE_U, PTE_R | PTE_U]
P1, P2, COUNT, WORD_COUNT = 5, 6, 7, 17
VALUES = [10, 11, 12, 13, 14, 15]


def sext32(value):
    """Returns the low 32 bits of value sign-extended to a canonical 64-bit value."""
    value &= 0xFFFFFFFF
    return value | 0xFFFFFFFF00000000 if value & 0x80000000 else value


@pytest.mark.parametrize("word", [False, True], ids=["addi", "addiw"])
def test_induction_bound_allows_exactly_the_passes_whose_additions_need_no_mask(word):
    r = random.Random(word)
    edges = [0, 1, 7, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, M64, 1 << 63, 0xFFFFFFFF80000000]
    for _ in range(1500):
        steps = [(i, r.choice([1, -1, 4, -8, 2047, -2048, r.randrange(-2048, 2048)])) for i in range(r.randrange(1, 4))]
        x = (r.choice(edges) + r.randrange(-40, 40)) & M64
        if word and r.random() < 0.7:
            x = sext32(x)
        namespace = {"x3": x, "k": 200}
        exec("\n".join(induction_bound(3, steps, word)), namespace)
        passes = max(namespace["k"], 0)
        value, exact = x, []
        for _ in range(passes + 1):  # one more pass than allowed
            for _, imm in steps:
                exact.append((sext32(value + imm) if word else (value + imm) & M64) == value + imm)
                value += imm
        assert all(exact[:passes * len(steps)]), (steps, hex(x), passes)
        # no pass refused for nothing (an addiw counter not sign-extended at the entry gets none)
        assert passes == 200 or not all(exact) or word and x != sext32(x), (steps, hex(x), passes)


def test_hoisted_group_runs_only_passes_that_keep_every_access_aligned_on_its_page():
    r = random.Random(3)
    page = 0x7000
    for _ in range(3000):
        shift = r.randrange(4)
        size = 1 << shift
        stride = size * r.choice([0, 1, -1, 2, -3, 16, 64])
        offsets = sorted({size * r.randrange(-8, 8) for _ in range(r.randrange(1, 4))})
        low, span = offsets[0], offsets[-1] - offsets[0] + size
        base = page + r.choice([0, 8, 0xFF8, 0xFFC, 0x800, 0xFFF, 0xFD0]) - low + r.choice([0, 0, 1, 2])
        tlb = {page: page - 0x5000}
        namespace = {"x9": base, "k": 300, "LT": tlb, "ST": tlb}
        group = Hoist("h1", r.choice(["LT", "ST"]), 9, shift, stride, low, span, len(offsets))
        exec("\n".join(hoist_entry(group)), namespace)
        passes = max(namespace["k"], 0)
        for p in range(passes):
            for offset in offsets:
                va = base + offset + p * stride
                assert va & -4096 == page and va % size == 0 and va + size <= page + 4096
                index = namespace["h1"] + p * (stride >> shift) + ((offset - low) >> shift)
                assert index == (va - page + 0x5000) >> shift
        if passes < 300:  # stopped by the page: the next pass would leave it (or misalign)
            vas = [base + offset + passes * stride for offset in offsets]
            assert any(va & -4096 != page or va % size or va + size > page + 4096 for va in vas)


def block(start, *words):
    """Returns (start, [(pc, insn), ...]) of the instruction words placed at start."""
    insns, pc = [], start
    for word in words:
        insns.append((pc, decode(word)))
        pc += 4
    return start, insns


def test_loop_passes_are_the_innermost_loops_of_a_region():
    # 0x0: outer head; 0x8: inner loop (itself); 0xc: outer latch back to 0x0
    blocks = [block(0x0, asm.imm("addi", 5, 0, 3), asm.jal(0, 4)),
              block(0x8, asm.imm("addi", 6, 6, -1), asm.branch("bne", 6, 0, -4)),
              block(0x10, asm.imm("addi", 7, 7, -1), asm.branch("bne", 7, 0, -20))]
    assert loop_passes(blocks) == {0x8: [0x8]}


def test_loop_pass_of_a_loop_with_an_if_inside_is_its_shortest_way_round():
    # 0x0: head, skips 0x8 when a0 == 0; 0x8: then-part; 0xc: latch
    blocks = [block(0x0, asm.imm("addi", 5, 5, 1), asm.branch("beq", 10, 0, 8)),
              block(0x8, asm.imm("addi", 11, 11, 1)),
              block(0xc, asm.imm("addi", 7, 7, -1), asm.branch("bne", 7, 0, -16))]
    assert loop_passes(blocks) == {0x0: [0x0, 0xc]}


class LoopEnv:
    """A machine (python or unicorn) with one code page and the DATA_PERMS pages, in one address space."""

    def __init__(self, machine_class, code, data, regs, writable_code=False):
        """Maps code at CODE_VA and data over the data pages; sets the registers and pc."""
        self.m = machine_class(ram_size=4 << 20)
        self.proc = BareProcess(self.m)
        perm = PTE_R | PTE_X | PTE_U | (PTE_W if writable_code else 0)
        self.code_pa = self.proc.map_range(CODE_VA, CODE_VA + 1, perm)[CODE_VA]
        self.data_pas = []
        for i, data_perm in enumerate(DATA_PERMS):
            va = DATA_VA + 0x1000 * i
            self.data_pas.append(self.proc.map_range(va, va + 1, data_perm)[va])
            self.m.ram.write(self.data_pas[-1], data[0x1000 * i:0x1000 * (i + 1)])
        self.proc.activate()
        self.m.ram.write(self.code_pa, code)
        self.cpu = self.m.cpu
        self.cpu.regs[:] = regs
        self.cpu.pc = CODE_VA

    def outcome(self):
        """Returns everything the kernel could see: cause, pc, tval, instret, registers, memory and PTEs."""
        cpu, ram = self.cpu, self.m.ram
        pages = [ram.read(pa, 0x1000) for pa in [self.code_pa] + self.data_pas]
        ptes = [ram.read_u64(self.proc.pte_address(DATA_VA + 0x1000 * i)) for i in range(len(DATA_PERMS))]
        return cpu.pc, cpu.tval, cpu.instret, list(cpu.regs), pages, ptes


def run_whole(env):
    """Runs env in one run(); returns (cause, outcome)."""
    return env.cpu.run(100000), env.outcome()


def run_chunked(env, r):
    """Runs env in runs of 1 to 40 instructions until a trap; returns (cause, outcome)."""
    while (cause := env.cpu.run(r.randrange(1, 41))) == STOP_BUDGET:
        pass
    return cause, env.outcome()


def run_stepped(env):
    """Runs env one instruction per run() until a trap; returns (cause, outcome)."""
    while (cause := env.cpu.run(1)) == STOP_BUDGET:
        pass
    return cause, env.outcome()


def strided_loop(r):
    """Returns (code words, registers, data) of a random loop: accesses of random widths through two
    pointers (one or both moving by a random stride), a side exit on a loaded zero, an addiw counter,
    and COUNT passes; every program ends at its ecall or at a fault."""
    body = []
    for _ in range(r.randrange(1, 6)):
        width = r.choice([0, 1, 2, 3])
        offset = r.randrange(-24, 24)
        if r.random() < 0.7:
            offset &= ~((1 << width) - 1)
        base = r.choice([P1, P1, P2])
        if r.random() < 0.6:
            body.append(asm.load(r.choice([["lb", "lbu"], ["lh", "lhu"], ["lw", "lwu"], ["ld"]][width]),
                                 r.choice(VALUES), base, offset))
        else:
            body.append(asm.store(["sb", "sh", "sw", "sd"][width], r.choice(VALUES), base, offset))
    if r.random() < 0.5:
        body.append(asm.reg("add", r.choice(VALUES), r.choice(VALUES), r.choice(VALUES)))
    if r.random() < 0.5:
        body.append(asm.imm("addiw", WORD_COUNT, WORD_COUNT, r.choice([1, -1, 3])))
    steps = [asm.imm("addi", P1, P1, r.choice([1, 2, 4, 8, -4, -8, 12, 24, 600, 4096]))]
    if r.random() < 0.5:
        steps.append(asm.imm("addi", P2, P2, r.choice([4, -8, 16])))
    for step in steps:
        body.insert(r.randrange(len(body) + 1), step)
    exit_at = r.randrange(len(body) + 1) if r.random() < 0.7 else None
    code = [asm.imm("addi", COUNT, 0, r.randrange(1, 400))]
    for i, word in enumerate(body + [None]):
        if i == exit_at:
            code.append(("exit", r.choice(VALUES)))
        if word is not None:
            code.append(word)
    code += [asm.imm("addi", COUNT, COUNT, -1), ("back",), asm.ECALL]
    words = []
    for i, item in enumerate(code):
        if isinstance(item, int):
            words.append(item)
        elif item[0] == "exit":
            words.append(asm.branch("beq", item[1], 0, 4 * (len(code) - 1 - i)))
        else:
            words.append(asm.branch("bne", COUNT, 0, -4 * (i - 1)))
    regs = [0] * 32
    for reg in VALUES:
        regs[reg] = r.getrandbits(64)
    regs[P1] = DATA_VA + r.choice([0x10, 0xFF0, 0x1FE0, 0x2FF0, 0x1008, 0x3000]) + r.randrange(-8, 8)
    regs[P2] = DATA_VA + r.choice([0x100, 0xFF8, 0x1800])
    regs[WORD_COUNT] = sext32(r.choice([0, 5, 0x7FFFFFF0, 0x80000005, 0xFFFFFFFF]))
    data = bytearray(r.randbytes(0x1000 * len(DATA_PERMS)))
    for _ in range(40):  # some zero words, for the side exit
        at = r.randrange(0, len(data) - 8)
        data[at:at + 8] = bytes(8)
    return asm.words(*words), regs, bytes(data)


@pytest.mark.parametrize("seed", range(6))
def test_random_strided_loops_end_as_on_unicorn_and_in_any_chunking(seed):
    r = random.Random(seed)
    for n in range(25):
        code, regs, data = strided_loop(r)
        whole = run_whole(LoopEnv(Machine, code, data, regs))
        assert run_whole(LoopEnv(UnicornMachine, code, data, regs)) == whole, f"program {n}: {code.hex()}"
        assert run_chunked(LoopEnv(Machine, code, data, regs), r) == whole, f"program {n}: {code.hex()}"


def pointer_loop(op, stride, passes=2000):
    """A loop of `op` through P1 moving by stride, counted by COUNT, then ecall."""
    access = asm.load(op, 10, P1, 0) if op[0] == "l" else asm.store(op, 10, P1, 0)
    return asm.words(asm.imm("addi", COUNT, 0, passes), access, asm.imm("addi", P1, P1, stride),
                     asm.imm("addi", COUNT, COUNT, -1), asm.branch("bne", COUNT, 0, -12), asm.ECALL)


def both_backends(code, start, writable_code=False, data=bytes(range(256)) * 48, **values):
    """Runs code with P1 = start (and registers by name) over data on both CPUs; asserts they end the
    same and returns the python CPU's (cause, outcome)."""
    results = []
    for machine_class in (Machine, UnicornMachine):
        regs = [0] * 32
        regs[P1], regs[10] = start, 0x1122334455667788
        for reg, value in values.items():
            regs[int(reg[1:])] = value
        env = LoopEnv(machine_class, code, data, regs, writable_code)
        results.append(run_whole(env))
    assert results[0] == results[1]
    return results[0]


@pytest.mark.parametrize("op,stride", [("lw", 4), ("sd", 8), ("lbu", 1), ("lhu", -2), ("sw", -4)])
def test_loop_walking_across_a_page_boundary_goes_on_on_the_next_page(op, stride):
    start = DATA_VA + 0x1000 - 64 if stride > 0 else DATA_VA + 0x1000 + 64
    cause, outcome = both_backends(pointer_loop(op, stride, passes=40), start)
    assert cause == 8 and outcome[3][P1] == start + 40 * stride


@pytest.mark.parametrize("op,cause", [("lw", 13), ("sw", 15)])
def test_loop_running_into_an_unmapped_page_faults_there_with_exact_instret(op, cause):
    # the fourth page is unmapped (and the third read-only for the store)
    start = DATA_VA + (0x3000 if op == "lw" else 0x2000) - 40
    got, (pc, tval, instret, regs, _, _) = both_backends(pointer_loop(op, 4), start)
    assert (got, pc, tval, regs[P1]) == (cause, CODE_VA + 4, start + 40, start + 40)
    assert instret == 1 + 10 * 4


def test_misaligned_access_straddling_two_pages_in_a_loop_is_performed_then_faults_into_the_unmapped():
    start = DATA_VA + 0x1FFE - 8 * 4
    cause, (pc, tval, instret, _, _, _) = both_backends(pointer_loop("lw", 4), start)
    # crossing from the second data page to the third works; from the third into the unmapped faults
    assert (cause, pc, tval, instret) == (13, CODE_VA + 4, DATA_VA + 0x3000, 1 + (8 + 1024) * 4)


def test_induction_register_wrapping_past_2_64_in_a_loop_wraps_exactly():
    # P1 counts up from 2**64 - 5 to 3 with a bne against a limit: its additions must wrap
    code = asm.words(asm.imm("addi", P1, P1, 1), asm.branch("bne", P1, 11, -4), asm.ECALL)
    cause, (_, _, instret, regs, _, _) = both_backends(code, M64 - 4, x11=3)
    assert (cause, regs[P1], instret) == (8, 3, 2 * 8)


def test_addiw_counter_crossing_2_31_in_a_loop_sign_extends_exactly():
    code = asm.words(asm.imm("addiw", 12, 12, 1), asm.imm("addi", COUNT, COUNT, -1),
                     asm.branch("bne", COUNT, 0, -8), asm.ECALL)
    cause, (_, _, _, regs, _, _) = both_backends(code, DATA_VA, x12=0x7FFFFFF0, x7=40)
    assert cause == 8 and regs[12] == sext32(0x7FFFFFF0 + 40)


def test_loop_storing_next_to_its_own_code_ends_each_pass_and_stays_exact():
    # the stores land on the code page (after the code): each one drops the page's translations
    code = pointer_loop("sw", 4, passes=30)
    cause, (_, _, instret, _, pages, _) = both_backends(code, CODE_VA + 0x800, writable_code=True)
    assert cause == 8 and instret == 1 + 30 * 4
    assert pages[0][0x800:0x804] == (0x55667788).to_bytes(4, "little")


def test_loop_rewriting_an_instruction_of_its_own_pass_runs_the_new_one_from_the_next_instruction_on():
    # each pass stores `addi a1, a1, 2` over the `addi a1, a1, 1` ahead of it: every pass from the
    # first on adds 2; one-instruction steps are the reference (unicorn's self-modifying code is not
    # precise inside a translated block)
    patched = asm.imm("addi", 11, 11, 2)
    code = asm.words(asm.imm("addi", COUNT, 0, 50), asm.store("sw", 12, P1, 16), asm.imm("addi", P1, P1, 0),
                     asm.imm("addi", COUNT, COUNT, -1), asm.imm("addi", 11, 11, 1),
                     asm.branch("bne", COUNT, 0, -16), asm.ECALL)
    results = []
    for run in (run_whole, run_stepped):
        regs = [0] * 32
        regs[P1], regs[12] = CODE_VA, patched
        results.append(run(LoopEnv(Machine, code, bytes(0x3000), regs, writable_code=True)))
    assert results[0] == results[1]
    assert results[0][0] == 8 and results[0][1][3][11] == 100


def test_loop_leaving_a_pass_hands_a_loaded_word_over_sign_extended():
    # the pass leaves on a non-zero word, which it compared as loaded (a negative Python int); the block
    # it leaves for shifts it, so it must get the canonical value
    code = asm.words(asm.imm("addi", COUNT, 0, 100), asm.load("lw", 12, P1, 0), asm.branch("bne", 12, 0, 20),
                     asm.imm("addi", P1, P1, 4), asm.imm("addi", COUNT, COUNT, -1), asm.branch("bne", COUNT, 0, -16),
                     asm.ECALL, asm.shift("srli", 14, 12, 32), asm.ECALL)
    data = bytes(40) + (0x80000001).to_bytes(4, "little") + bytes(0x3000 - 44)
    cause, (pc, _, instret, regs, _, _) = both_backends(code, DATA_VA, data=data)
    assert (cause, pc, instret, regs[14]) == (8, CODE_VA + 0x20, 1 + 10 * 5 + 2 + 1, 0xFFFFFFFF)
