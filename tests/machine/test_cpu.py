"""CPU behaviour through the Sv39 MMU: traps, illegal instructions, exact budgets, stale code, edge values."""

import random

import pytest
from unicorn import UC_ARCH_RISCV, UC_HOOK_INTR, UC_MODE_RISCV64, Uc, UcError
from unicorn import riscv_const as rc

import machine_asm as asm
from bare_loader import BareProcess
from pyucore.machine import STOP_BUDGET, Machine
from pyucore.machine import cpu as cpu_module
from pyucore.machine.decode import decode
from pyucore.machine.riscv import PGSIZE, PTE_R, PTE_U, PTE_W, PTE_X

CODE_VA = 0x800000
DATA_VA = 0x900000
M64 = (1 << 64) - 1
A0, A1, A2, A3 = 10, 11, 12, 13


class Env:
    """A machine with one code page (RX or RWX) and one data page mapped for U-mode."""

    def __init__(self, code, writable_code=False):
        """Maps code at CODE_VA, a zeroed data page at DATA_VA; pc = CODE_VA."""
        self.m = Machine(ram_size=4 << 20)
        self.proc = BareProcess(self.m)
        perm = PTE_R | PTE_X | PTE_U | (PTE_W if writable_code else 0)
        self.code_pa = self.proc.map_range(CODE_VA, CODE_VA + 1, perm)[CODE_VA]
        self.data_pa = self.proc.map_range(DATA_VA, DATA_VA + 1, PTE_R | PTE_W | PTE_U)[DATA_VA]
        self.proc.activate()
        self.m.ram.write(self.code_pa, code)
        self.cpu = self.m.cpu
        self.cpu.pc = CODE_VA

    def run(self, budget=100000):
        """Runs the CPU; returns the run() result."""
        return self.cpu.run(budget)


def li(rd, value):
    """Instructions loading a small signed 32-bit value into rd (lui + addiw)."""
    hi = ((value + 0x800) >> 12) & 0xFFFFF
    lo = value - (((value + 0x800) >> 12) << 12)
    return [asm.lui(rd, hi), asm.imm("addiw", rd, rd, lo)]


def run_op(op, a, b):
    """Runs `op a2, a0, a1` with the given operands; returns a2."""
    env = Env(asm.words(asm.reg(op, A2, A0, A1), asm.ECALL))
    env.cpu.regs[A0], env.cpu.regs[A1] = a & M64, b & M64
    assert env.run() == 8
    return env.cpu.regs[A2]


def test_divide_by_zero_gives_all_ones():
    assert run_op("div", 42, 0) == M64
    assert run_op("divu", 42, 0) == M64
    assert run_op("divw", 42, 0) == M64
    assert run_op("divuw", 42, 0) == M64


def test_remainder_by_zero_gives_the_dividend():
    assert run_op("rem", -7, 0) == (-7) & M64
    assert run_op("remu", 7, 0) == 7
    assert run_op("remw", 0x1_8000_0000, 0) == 0xFFFFFFFF80000000
    assert run_op("remuw", 0x1_0000_0005, 0) == 5


def test_signed_division_overflow_gives_the_dividend_and_remainder_zero():
    assert run_op("div", 1 << 63, -1) == 1 << 63
    assert run_op("rem", 1 << 63, -1) == 0
    assert run_op("divw", 0x80000000, -1) == 0xFFFFFFFF80000000
    assert run_op("remw", 0x80000000, -1) == 0


def test_division_truncates_toward_zero():
    assert run_op("div", -7, 2) == (-3) & M64
    assert run_op("rem", -7, 2) == (-1) & M64
    assert run_op("rem", 7, -2) == 1


def test_word_operations_sign_extend_their_result():
    assert run_op("addw", 0x7FFFFFFF, 1) == 0xFFFFFFFF80000000
    assert run_op("mulw", 0x10000, 0x8000) == 0xFFFFFFFF80000000
    assert run_op("subw", 0, 1) == M64


def test_high_multiplies_of_extreme_values():
    assert run_op("mulh", -1, -1) == 0
    assert run_op("mulhu", M64, M64) == M64 - 1
    assert run_op("mulhsu", -1, M64) == M64


def test_ecall_traps_with_cause_8_at_its_own_pc_and_is_not_retired():
    env = Env(asm.words(asm.imm("addi", A0, 0, 5), asm.ECALL))
    assert env.run() == 8
    assert (env.cpu.pc, env.cpu.tval, env.cpu.instret, env.cpu.regs[A0]) == (CODE_VA + 4, 0, 1, 5)


@pytest.mark.parametrize("code", [asm.words(asm.EBREAK), asm.encode(asm.C_EBREAK)])
def test_ebreak_and_c_ebreak_trap_with_cause_3(code):
    env = Env(code)
    assert env.run() == 3
    assert (env.cpu.pc, env.cpu.tval, env.cpu.instret) == (CODE_VA, 0, 0)


ILLEGAL_32 = {
    "fadd.d": 0x02B50553, "flw": 0x0005A007, "csrw cycle": 0xC0059073, "csrrs cycle with rs1": 0xC005A573,
    "csrr mstatus": 0x30002573, "csrr sstatus": 0x10002573, "sret": 0x10200073, "mret": 0x30200073,
    "wfi": 0x10500073, "slli bad funct": 0x08051513, "slliw shamt 32": 0x0205151B,
    "sraiw shamt 32": 0x4205551B, "load funct3 7": 0x00057503, "store funct3 4": 0x00A54023,
    "branch funct3 2": 0x00A52063, "jalr funct3 1": 0x00051067, "lr with rs2": 0x10B5352F,
    "amo funct3 1": 0x00B5152F, "op funct7 2": 0x04B50533, "48-bit prefix": 0x0000001F,
}
ILLEGAL_16 = {"all zero": 0x0000, "c.lui imm 0": 0x6501, "c.addi16sp 0": 0x6101, "c.jr x0": 0x8002,
              "c.lwsp x0": 0x4002, "c.ldsp x0": 0x6002, "c.addiw x0": 0x2001, "c.fld": 0x2000,
              "c.fsdsp": 0xA002, "q0 reserved": 0x8000, "c.subw reserved": 0x9C41}


@pytest.mark.parametrize("name", ILLEGAL_32)
def test_illegal_32_bit_instruction_traps_with_cause_2_and_its_bits_as_tval(name):
    env = Env(asm.words(asm.imm("addi", A0, 0, 1), ILLEGAL_32[name]))
    assert env.run() == 2
    assert (env.cpu.pc, env.cpu.tval, env.cpu.instret) == (CODE_VA + 4, ILLEGAL_32[name], 1)


@pytest.mark.parametrize("name", ILLEGAL_16)
def test_illegal_compressed_instruction_traps_with_its_16_bits_as_tval(name):
    env = Env(asm.encode(asm.C_NOP) + asm.encode(ILLEGAL_16[name]) + bytes(4))
    assert env.run() == 2
    assert (env.cpu.pc, env.cpu.tval) == (CODE_VA + 2, ILLEGAL_16[name])


@pytest.mark.parametrize("csr", [0xC00, 0xC01, 0xC02])
def test_cycle_time_and_instret_read_the_retired_instruction_count(csr):
    env = Env(asm.words(asm.imm("addi", A1, 0, 1), asm.imm("addi", A1, 0, 2), asm.csrr(A0, csr), asm.ECALL))
    env.cpu.instret = 1000
    assert env.run() == 8
    assert env.cpu.regs[A0] == 1002
    assert env.cpu.instret == 1003


def test_misaligned_loads_and_stores_are_performed():
    code = asm.words(asm.store("sd", A1, A0, 3), asm.load("lw", A2, A0, 5), asm.load("lhu", A3, A0, 9), asm.ECALL)
    env = Env(code)
    env.cpu.regs[A0], env.cpu.regs[A1] = DATA_VA, 0x8877665544332211
    assert env.run() == 8
    assert env.m.ram.read(env.data_pa + 3, 8) == bytes.fromhex("1122334455667788")
    assert (env.cpu.regs[A2], env.cpu.regs[A3]) == (0x66554433, 0x8877)


def test_misaligned_load_crossing_into_an_unmapped_page_faults_at_that_page():
    env = Env(asm.words(asm.load("ld", A2, A0, 0), asm.ECALL))
    env.cpu.regs[A0] = DATA_VA + 0xFFC
    assert env.run() == 13
    assert (env.cpu.pc, env.cpu.tval) == (CODE_VA, DATA_VA + 0x1000)


@pytest.mark.parametrize("op,width,cause", [("lr", "w", 4), ("lr", "d", 4), ("amoadd", "w", 6), ("amoadd", "d", 6),
                                            ("amoswap", "w", 6), ("amomaxu", "d", 6)])
def test_misaligned_atomic_traps_as_a_load_for_lr_and_a_store_amo_for_amos(op, width, cause):
    env = Env(asm.words(asm.amo(op, width, A2, A0, 0 if op == "lr" else A1), asm.ECALL))
    env.cpu.regs[A0] = DATA_VA + 4 if width == "d" else DATA_VA + 2
    assert env.run() == cause
    assert (env.cpu.pc, env.cpu.tval, env.cpu.instret) == (CODE_VA, env.cpu.regs[A0], 0)
    assert env.m.ram.read(env.data_pa, 16) == bytes(16)


@pytest.mark.parametrize("op,cause", [("lr", 13), ("amoadd", 15), ("amoswap", 15)])
def test_atomic_on_unmapped_page_faults_as_a_load_for_lr_and_a_store_amo_for_amos(op, cause):
    env = Env(asm.words(asm.amo(op, "d", A2, A0, 0 if op == "lr" else A1), asm.ECALL))
    env.cpu.regs[A0] = 0x4000
    assert env.run() == cause
    assert (env.cpu.pc, env.cpu.tval) == (CODE_VA, 0x4000)


@pytest.mark.parametrize("address", [0x4000, DATA_VA + 4], ids=["unmapped", "misaligned"])
def test_sc_without_a_reservation_fails_without_trapping_even_unmapped_or_misaligned(address):
    # QEMU checks the reservation before touching memory (see the policy in pyucore.machine)
    env = Env(asm.words(asm.amo("sc", "d", A2, A0, A1), asm.ECALL))
    env.cpu.regs[A0], env.cpu.regs[A1] = address, 77
    assert env.run() == 8
    assert env.cpu.regs[A2] == 1 and env.m.ram.read(env.data_pa, 16) == bytes(16)


@pytest.mark.parametrize("op", ["amoadd", "amoswap"])
def test_amo_on_read_only_page_faults_as_a_store(op):
    env = Env(asm.words(asm.amo(op, "d", A2, A0, A1), asm.ECALL))
    env.cpu.regs[A0], env.cpu.regs[A1] = CODE_VA + 8, 5
    before = env.m.ram.read(env.code_pa, 16)
    assert env.run() == 15
    assert (env.cpu.tval, env.cpu.regs[A2], env.m.ram.read(env.code_pa, 16)) == (CODE_VA + 8, 0, before)


def test_sc_with_a_reservation_on_a_read_only_page_faults_as_a_store():
    env = Env(asm.words(asm.amo("lr", "d", A3, A0), asm.amo("sc", "d", A2, A0, A1), asm.ECALL))
    env.cpu.regs[A0], env.cpu.regs[A1] = CODE_VA + 8, 5
    before = env.m.ram.read(env.code_pa, 16)
    assert env.run() == 15
    assert (env.cpu.pc, env.cpu.tval, env.cpu.instret) == (CODE_VA + 4, CODE_VA + 8, 1)
    assert env.cpu.regs[A3] == int.from_bytes(before[8:], "little") and env.m.ram.read(env.code_pa, 16) == before


def test_load_from_unmapped_address_traps_with_registers_of_earlier_instructions_kept():
    env = Env(asm.words(asm.imm("addi", A1, 0, 7), asm.load("ld", A2, 0, 0), asm.imm("addi", A1, 0, 9)))
    assert env.run() == 13
    assert (env.cpu.pc, env.cpu.tval, env.cpu.regs[A1], env.cpu.instret) == (CODE_VA + 4, 0, 7, 1)


def test_store_to_read_only_page_is_a_store_page_fault():
    env = Env(asm.words(asm.store("sw", A1, A0, 0), asm.ECALL))
    env.cpu.regs[A0] = CODE_VA + 8
    assert env.run() == 15
    assert env.cpu.tval == CODE_VA + 8


def test_fetch_from_non_executable_page_is_an_instruction_page_fault():
    env = Env(asm.words(asm.jalr(0, A0, 0)))
    env.cpu.regs[A0] = DATA_VA + 0x40
    assert env.run() == 12
    assert (env.cpu.pc, env.cpu.tval) == (DATA_VA + 0x40, DATA_VA + 0x40)


def test_instruction_straddling_into_an_unmapped_page_faults_at_the_second_page():
    env = Env(b"")
    env.m.ram.write(env.code_pa + 0xFFE, asm.words(asm.imm("addi", A0, 0, 1))[:2])
    env.cpu.pc = CODE_VA + 0xFFE
    assert env.run() == 12
    assert (env.cpu.pc, env.cpu.tval) == (CODE_VA + 0xFFE, CODE_VA + 0x1000)


def counting_loop():
    """A loop of 3 instructions run 1000 times with a store inside, then ecall."""
    return asm.words(
        asm.imm("addi", A0, 0, 1000),                   # 0
        asm.imm("addi", A1, A1, 3),                     # 4: loop
        asm.store("sd", A1, A2, 0),                     # 8
        asm.imm("addi", A0, A0, -1),                    # c
        asm.branch("bne", A0, 0, -12),                  # 10
        asm.ECALL)


def state(env):
    """The architectural state compared by budget tests."""
    return env.cpu.pc, list(env.cpu.regs), env.cpu.instret, env.m.ram.read(env.data_pa, 8)


@pytest.mark.parametrize("budget", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 13, 100, 1001, 2222, 3999, 4000, 4001])
def test_run_retires_exactly_the_budget_even_inside_a_block_or_loop(budget):
    env = Env(counting_loop())
    env.cpu.regs[A2] = DATA_VA
    assert env.run(budget) == STOP_BUDGET
    assert env.cpu.instret == budget
    stepped = Env(counting_loop())
    stepped.cpu.regs[A2] = DATA_VA
    for _ in range(budget):
        assert stepped.run(1) == STOP_BUDGET
    assert state(env) == state(stepped)


def test_chunked_runs_reach_the_same_state_as_one_run():
    r = random.Random(5)
    env = Env(counting_loop())
    env.cpu.regs[A2] = DATA_VA
    while env.run(r.randrange(1, 50)) == STOP_BUDGET:
        pass
    whole = Env(counting_loop())
    whole.cpu.regs[A2] = DATA_VA
    assert whole.run() == 8
    assert state(env) == state(whole) and env.cpu.instret == 4001


def program_returning(value):
    """Code that sets a0 = value and ecalls."""
    return asm.words(*li(A0, value), asm.ECALL)


def test_code_page_rewritten_through_ram_helpers_runs_the_new_code():
    env = Env(program_returning(1))
    assert env.run() == 8 and env.cpu.regs[A0] == 1
    env.m.ram.write(env.code_pa, program_returning(2))
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 2


def test_freed_and_refilled_code_page_runs_the_new_code():
    env = Env(program_returning(1))
    assert env.run() == 8
    env.cpu.invalidate_page(env.code_pa)  # what pmm does on free; the refill below bypasses the helpers
    offset = env.code_pa - env.m.ram.base
    env.m.ram.data[offset:offset + 12] = program_returning(3)
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 3


def test_remapped_code_page_runs_the_new_page_after_flush():
    env = Env(program_returning(1))
    assert env.run() == 8
    other = env.proc.alloc_page()
    env.m.ram.write(other, program_returning(4))
    env.proc.map_page(CODE_VA, other, PTE_R | PTE_X | PTE_U)
    env.m.mmu.flush(CODE_VA)
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 4


def test_store_into_the_running_block_runs_the_stored_instruction():
    new = asm.imm("addi", A0, 0, 42)
    code = asm.words(asm.store("sw", A1, A2, 12), asm.imm("addi", A0, 0, 1), asm.imm("addi", A0, 0, 2),
                     asm.imm("addi", A0, 0, 3), asm.ECALL)
    env = Env(code, writable_code=True)
    env.cpu.regs[A1], env.cpu.regs[A2] = new, CODE_VA
    assert env.run() == 8
    assert env.cpu.regs[A0] == 42
    assert env.cpu.instret == 4


def _run_self_patching_loop(passes):
    """Runs a loop that, on each of its passes, patches the addi at 'target' with an immediate one
    larger, then runs it; returns the Env after the loop's ecall (a0 = the last immediate run)."""
    code = asm.words(
        asm.imm("addi", A3, 0, passes),            # 0: passes
        asm.reg("add", A1, A1, 14),                # 4: loop: bump the immediate field of the patched insn
        asm.store("sw", A1, A2, 16),               # 8: store it over 'target'
        asm.imm("addi", A3, A3, -1),               # c
        asm.imm("addi", A0, 0, 0),                 # 10: target (patched)
        asm.branch("bne", A3, 0, -16),             # 14
        asm.ECALL)
    env = Env(code, writable_code=True)
    env.cpu.regs[A1], env.cpu.regs[A2], env.cpu.regs[14] = asm.imm("addi", A0, 0, 0), CODE_VA, 1 << 20
    assert env.run() == 8
    return env


def test_self_modifying_loop_sees_each_new_instruction():
    assert _run_self_patching_loop(3).cpu.regs[A0] == 3


def test_data_written_next_to_code_on_the_same_page_does_not_corrupt_execution():
    loop = asm.words(asm.imm("addi", A0, 0, 100), asm.store("sd", A0, A2, 0x700), asm.imm("addi", A0, A0, -1),
                     asm.branch("bne", A0, 0, -8), asm.ECALL)
    env = Env(loop, writable_code=True)
    env.cpu.regs[A2] = CODE_VA
    assert env.run() == 8
    assert env.m.ram.read_u64(env.code_pa + 0x700) == 1


def test_lr_sc_succeeds_once_and_fails_without_a_reservation():
    code = asm.words(asm.amo("lr", "d", A3, A0), asm.amo("sc", "d", A2, A0, A1), asm.amo("sc", "d", 14, A0, A1),
                     asm.ECALL)
    env = Env(code)
    env.cpu.regs[A0], env.cpu.regs[A1] = DATA_VA, 77
    assert env.run() == 8
    assert (env.cpu.regs[A2], env.cpu.regs[14], env.m.ram.read_u64(env.data_pa)) == (0, 1, 77)


def test_x0_stays_zero_whatever_is_written_to_it():
    env = Env(asm.words(asm.imm("addi", 0, 0, 5), asm.load("ld", 0, A0, 0), asm.reg("add", A1, 0, 0), asm.ECALL))
    env.cpu.regs[A0] = DATA_VA
    assert env.run() == 8
    assert env.cpu.regs[0] == 0 and env.cpu.regs[A1] == 0


def _unicorn_says_illegal(uc, word, length):
    """Runs one instruction on unicorn; returns True iff it raised an illegal-instruction trap."""
    traps = []
    hook = uc.hook_add(UC_HOOK_INTR, lambda u, intno, _: (traps.append(intno), u.emu_stop()))
    uc.mem_write(0x80000000, word.to_bytes(4, "little"))
    uc.ctl_remove_cache(0x80000000, 0x80000004)
    for i in range(1, 32):
        uc.reg_write(getattr(rc, f"UC_RISCV_REG_X{i}"), 0x80010800)
    try:
        uc.emu_start(0x80000000, 0x80000000 + length, count=1)
    except UcError:
        pass
    uc.hook_del(hook)
    return traps[:1] == [2]


FP_OPCODES = {0x07, 0x27, 0x43, 0x47, 0x4B, 0x4F, 0x53}


def _comparable(word):
    """True for encodings whose legality is the same for unicorn (M-mode, with F/D) and our U-mode CPU."""
    if word & 3 != 3:
        quadrant, f3 = word & 3, (word >> 13) & 7
        return not (quadrant in (0, 2) and f3 in (1, 5))
    return word & 0x7F not in FP_OPCODES | {0x73}


def _reserved_compressed_unicorn_executes(word):
    """True for reserved RV64C encodings that unicorn 2.1.4 executes instead of trapping (we trap)."""
    quadrant, f3 = word & 3, (word >> 13) & 7
    q0_reserved = quadrant == 0 and f3 == 4
    q1_reserved = quadrant == 1 and f3 == 4 and (word >> 10) & 7 == 7 and (word >> 5) & 3 >= 2
    return q0_reserved or q1_reserved


def test_illegal_instruction_classification_matches_unicorn_outside_fp_and_system():
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    uc.mem_map(0x80000000, 0x20000)
    r = random.Random(11)
    checked = 0
    while checked < 1500:
        word = r.getrandbits(16) if r.random() < 0.5 else r.getrandbits(32) | 3
        if not _comparable(word):
            continue
        insn = decode(word)
        word &= 0xFFFF if insn.length == 2 else 0xFFFFFFFF
        ours = insn.op == "illegal"
        if insn.length == 2 and _reserved_compressed_unicorn_executes(word):
            assert ours, hex(word)
        else:
            assert ours == _unicorn_says_illegal(uc, word, insn.length), hex(word)
        checked += 1


def test_instruction_straddling_two_mapped_pages_executes():
    env = Env(b"")
    second = env.proc.map_range(CODE_VA + 0x1000, CODE_VA + 0x1001, PTE_R | PTE_X | PTE_U)[CODE_VA + 0x1000]
    insn = asm.words(asm.imm("addi", A0, 0, 77))
    env.m.ram.write(env.code_pa + 0xFFE, insn[:2])
    env.m.ram.write(second, insn[2:] + asm.words(asm.ECALL))
    env.cpu.pc = CODE_VA + 0xFFE
    assert env.run() == 8
    assert (env.cpu.regs[A0], env.cpu.pc) == (77, CODE_VA + 0x1002)
    env.m.ram.write(second, asm.words(asm.imm("addi", A0, 0, 5))[2:])  # rewrite the second half only
    env.cpu.pc = CODE_VA + 0xFFE
    assert env.run() == 8
    assert env.cpu.regs[A0] == 5


def test_registers_written_out_of_range_by_the_kernel_are_made_canonical():
    env = Env(asm.words(asm.store("sd", A1, A0, 0), asm.imm("addi", A2, A1, 1), asm.ECALL))
    env.cpu.regs[A0], env.cpu.regs[A1], env.cpu.regs[0] = DATA_VA, -1, 5
    assert env.run() == 8
    assert env.m.ram.read_u64(env.data_pa) == M64
    assert (env.cpu.regs[0], env.cpu.regs[A1], env.cpu.regs[A2]) == (0, M64, 0)


def test_odd_pc_is_an_instruction_address_misaligned_trap():
    env = Env(asm.words(asm.ECALL))
    env.cpu.pc = CODE_VA + 1
    assert env.run() == 0
    assert (env.cpu.pc, env.cpu.tval) == (CODE_VA + 1, CODE_VA + 1)


def test_same_code_on_another_physical_page_reuses_the_translation_and_stays_correct():
    env = Env(program_returning(6))
    assert env.run() == 8
    compiled = env.cpu.translations
    copy = env.proc.alloc_page()
    env.m.ram.copy_page(copy, env.code_pa)
    env.proc.map_page(CODE_VA, copy, PTE_R | PTE_X | PTE_U)
    env.m.mmu.flush()
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 6
    assert env.cpu.translations == compiled
    env.m.ram.write(copy, program_returning(9))
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 9


def test_jump_to_itself_spins_until_the_budget_runs_out():
    env = Env(asm.words(asm.jal(0, 0)))
    assert env.run(12345) == STOP_BUDGET
    assert (env.cpu.pc, env.cpu.instret) == (CODE_VA, 12345)


def branchy_loop():
    """A 200-pass loop with an if/else inside (a region of several blocks), storing every pass."""
    return asm.words(
        asm.imm("addi", A0, 0, 200),                    # 0
        asm.imm("andi", A3, A0, 1),                     # 4: loop
        asm.branch("beq", A3, 0, 12),                   # 8: even -> 0x14
        asm.imm("addi", A1, A1, 3),                     # c
        asm.jal(0, 8),                                  # 10 -> 0x18
        asm.reg("add", A1, A1, A1),                     # 14
        asm.store("sd", A1, A2, 0),                     # 18
        asm.imm("addi", A0, A0, -1),                    # 1c
        asm.branch("bne", A0, 0, -28),                  # 20 -> 4
        asm.ECALL)


@pytest.mark.parametrize("budget", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 50, 333, 1000, 1200])
def test_run_retires_exactly_the_budget_inside_a_loop_with_branches(budget):
    env = Env(branchy_loop())
    env.cpu.regs[A2] = DATA_VA
    assert env.run(budget) == STOP_BUDGET
    assert env.cpu.instret == budget
    stepped = Env(branchy_loop())
    stepped.cpu.regs[A2] = DATA_VA
    for _ in range(budget):
        assert stepped.run(1) == STOP_BUDGET
    assert state(env) == state(stepped)


def test_loop_with_branches_gives_the_same_result_in_any_chunking():
    whole = Env(branchy_loop())
    whole.cpu.regs[A2] = DATA_VA
    assert whole.run() == 8
    r = random.Random(9)
    env = Env(branchy_loop())
    env.cpu.regs[A2] = DATA_VA
    while env.run(r.randrange(1, 40)) == STOP_BUDGET:
        pass
    assert state(env) == state(whole)


def test_store_patching_code_inside_a_loop_with_branches_runs_the_patched_code():
    # like branchy_loop, but each pass first rewrites the `addi a1, a1, K` of the odd path with K = a0
    code = asm.words(
        asm.imm("addi", A0, 0, 20),                     # 0
        asm.reg("add", 14, A0, 0),                      # 4: loop: t = a0
        asm.shift("slli", 14, 14, 20),                  # 8: immediate field
        asm.reg("or", 14, 14, 15),                      # c: | addi a1, a1, 0
        asm.store("sw", 14, A2, 0x20),                  # 10: patch the insn at 0x20
        asm.imm("andi", A3, A0, 1),                     # 14
        asm.branch("beq", A3, 0, 12),                   # 18: even -> 0x24
        asm.jal(0, 4),                                  # 1c -> 0x20
        asm.imm("addi", A1, A1, 0),                     # 20: patched
        asm.imm("addi", A0, A0, -1),                    # 24
        asm.branch("bne", A0, 0, -36),                  # 28 -> 4
        asm.ECALL)
    env = Env(code, writable_code=True)
    env.cpu.regs[A2], env.cpu.regs[15] = CODE_VA, asm.imm("addi", A1, A1, 0)
    assert env.run() == 8
    assert env.cpu.regs[A1] == sum(k for k in range(1, 21) if k % 2)


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_as_code_only_ever_trap_or_stop_never_raise(seed):
    r = random.Random(seed)
    for _ in range(60):
        code = bytes(r.getrandbits(8) for _ in range(256))
        env = Env(code, writable_code=r.random() < 0.5)
        regs = [r.choice([0, M64, 1 << 63, DATA_VA + r.randrange(-16, 4096), CODE_VA + r.randrange(256),
                          r.getrandbits(64)]) for _ in range(32)]
        env.cpu.regs[:] = regs
        env.cpu.pc = CODE_VA + 2 * r.randrange(128)
        for _ in range(5):
            result = env.run(r.choice([1, 7, 100]))
            assert result == STOP_BUDGET or 0 <= result <= 15
            if result != STOP_BUDGET:
                env.cpu.pc += 2  # skip the trapping instruction, as a forgiving kernel might


def test_shifting_an_auipc_result_wraps_at_64_bits():
    code = asm.words(asm.auipc(5, 0), asm.shift("slli", 6, 5, 50), asm.shift("srli", 7, 6, 60),
                     asm.reg("mul", 8, 5, 5), asm.shift("slli", 9, 8, 40), asm.ECALL)
    env = Env(code)
    assert env.run() == 8
    r = env.cpu.regs
    assert r[5] == CODE_VA
    assert r[6] == (CODE_VA << 50) & M64 and r[7] == r[6] >> 60
    assert r[9] == (CODE_VA * CODE_VA << 40) & M64
    assert all(0 <= value <= M64 for value in r)


def test_an_atomic_that_rewrites_a_later_instruction_of_its_loop_runs_the_new_instruction():
    a0, a1, a2, a3, a4 = 10, 11, 12, 13, 14
    code = asm.words(
        asm.imm("addi", a0, 0, 3),
        asm.imm("andi", a3, a0, 1),          # loop: a branch inside makes it a region
        asm.branch("beq", a3, 0, 8),
        asm.jal(0, 4),
        asm.amo("amoswap", "w", 0, a2, a1),  # patches the addi below
        asm.imm("addi", a0, a0, -1),
        asm.imm("addi", a4, a4, 1),
        asm.branch("bne", a0, 0, -24),
        asm.ECALL)
    env = Env(code, writable_code=True)
    env.cpu.regs[a1], env.cpu.regs[a2] = asm.imm("addi", a4, a4, 100), CODE_VA + 0x18
    assert env.run(100000) == 8
    assert env.cpu.regs[a4] == 300


@pytest.mark.parametrize("offset", [0, 2, 0xFF8])
def test_loads_through_one_base_register_agree_with_one_by_one_loads_aligned_misaligned_or_crossing(offset):
    # three loads through one base share one TLB look-up when aligned and on one page; misaligned or
    # crossing into the unmapped next page they fall back to the load-by-load path (and fault there)
    code = asm.words(asm.load("lw", A1, A0, 0), asm.load("lw", A2, A0, 4), asm.load("lw", A3, A0, 8), asm.ECALL)
    env = Env(code)
    env.m.ram.write(env.data_pa, bytes(range(256)) * 16)
    env.cpu.regs[A0] = DATA_VA + offset
    cause = env.run()
    expected = [int.from_bytes((bytes(range(256)) * 16)[offset + 4 * i:offset + 4 * i + 4], "little")
                for i in range(3)]
    if offset == 0xFF8:
        assert (cause, env.cpu.pc, env.cpu.tval) == (13, CODE_VA + 8, DATA_VA + 0x1000)
        assert env.cpu.regs[A1:A3] == [value | (M64 ^ 0xFFFFFFFF if value >> 31 else 0) for value in expected[:2]]
    else:
        assert cause == 8
        assert env.cpu.regs[A1:A3 + 1] == [value | (M64 ^ 0xFFFFFFFF if value >> 31 else 0) for value in expected]


def test_stores_through_one_base_register_stop_at_the_first_that_faults():
    code = asm.words(asm.store("sw", A1, A0, 0), asm.store("sw", A1, A0, 4), asm.store("sw", A1, A0, 8), asm.ECALL)
    env = Env(code)
    env.cpu.regs[A0], env.cpu.regs[A1] = DATA_VA + 0xFF8, 0x11223344
    assert (env.run(), env.cpu.pc, env.cpu.tval) == (15, CODE_VA + 8, DATA_VA + 0x1000)
    assert env.m.ram.read(env.data_pa + 0xFF8, 8) == bytes.fromhex("4433221144332211")


def test_long_products_of_negative_words_wrap_at_64_bits_before_every_comparison_and_write_back():
    # signed word loads and chains of mul/add/sub/xor keep unmasked Python ints between instructions:
    # a branch, a shift right, an address and the registers written back must all see them modulo 2**64
    body = [asm.load("lw", A1, A0, 0), asm.load("lw", A2, A0, 4)]
    body += [asm.reg("mul", A1, A1, A2), asm.reg("sub", A1, A1, A2), asm.reg("xor", A1, A1, A2)] * 12
    body += [asm.shift("srli", A3, A1, 7), asm.reg("sltu", 14, A2, A1), asm.branch("bltu", A1, A2, 8),
             asm.imm("addi", 15, 0, 1), asm.reg("add", 16, A1, A1), asm.ECALL]
    env = Env(asm.words(*body))
    env.m.ram.write(env.data_pa, (0x80000001).to_bytes(4, "little") + (0xFFFFFFFD).to_bytes(4, "little"))
    env.cpu.regs[A0] = DATA_VA
    assert env.run() == 8
    a, b = 0xFFFFFFFF80000001, 0xFFFFFFFFFFFFFFFD
    for _ in range(12):
        a = ((((a * b) & M64) - b) & M64) ^ b
    assert env.cpu.regs[A1:A3 + 1] == [a, b, a >> 7]
    assert env.cpu.regs[14:17] == [int(b < a), 1 if a >= b else 0, (2 * a) & M64]


def test_code_rewritten_with_ever_new_instructions_keeps_the_translation_cache_bounded(monkeypatch):
    # 300 distinct versions of the patched instruction, with room for 40 translations (in memory only:
    # code that never runs again would only cost writes to the disk cache)
    monkeypatch.setattr(cpu_module, "MAX_TRANSLATIONS", 40)
    monkeypatch.setenv("PYUCORE_TRANSLATION_CACHE", "")
    env = _run_self_patching_loop(300)
    assert env.cpu.regs[A0] == 300
    assert len(env.cpu._by_content) <= 40 and len(env.cpu._blocks) + len(env.cpu._single_blocks) <= 80


def test_more_code_than_the_translation_cache_holds_still_runs_correctly(monkeypatch):
    # 12 blocks of two instructions each, chained by jumps, with room for 5 translations at a time
    monkeypatch.setattr(cpu_module, "MAX_TRANSLATIONS", 5)
    body = []
    for _ in range(12):
        body += [asm.imm("addi", A0, A0, 1), asm.jal(0, 4)]
    env = Env(asm.words(*body, asm.ECALL))
    for _ in range(3):
        env.cpu.pc = CODE_VA
        assert env.run() == 8
    assert env.cpu.regs[A0] == 36 and len(env.cpu._blocks) <= 5


def test_code_rewritten_while_another_address_space_runs_is_seen_after_switching_back():
    env = Env(asm.words(asm.imm("addi", A0, 0, 1), asm.ECALL))
    assert env.run() == 8 and env.cpu.regs[A0] == 1
    other = BareProcess(env.m, first_free=env.proc.next_free + 0x100000)
    other.activate()
    assert env.cpu._vcache == {}
    env.m.ram.write(env.code_pa, asm.words(asm.imm("addi", A0, 0, 2)))
    env.proc.activate()
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 2


def test_the_pc_to_block_map_of_an_address_space_comes_back_with_it():
    env = Env(asm.words(asm.imm("addi", A0, 0, 1), asm.ECALL))
    assert env.run() == 8
    kept = dict(env.cpu._vcache)
    BareProcess(env.m, first_free=env.proc.next_free + 0x100000).activate()
    env.proc.activate()
    assert env.cpu._vcache == kept and kept


def test_a_code_page_remapped_while_its_space_is_not_running_runs_the_new_page_when_it_is_back():
    env = Env(program_returning(1))
    assert env.run() == 8
    other_space = BareProcess(env.m, first_free=env.proc.next_free + 0x100000)
    other_space.activate()
    page = env.proc.alloc_page()
    env.m.ram.write(page, program_returning(4))
    env.proc.map_page(CODE_VA, page, PTE_R | PTE_X | PTE_U)
    env.m.mmu.flush(CODE_VA)
    env.proc.activate()
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 4


def test_an_instruction_straddling_into_a_page_remapped_while_its_space_is_not_running_is_read_again():
    env = Env(asm.words(asm.ECALL))
    start = CODE_VA + PGSIZE - 2
    pages = [env.proc.map_range(CODE_VA + PGSIZE, CODE_VA + PGSIZE + 1, PTE_R | PTE_X | PTE_U)[CODE_VA + PGSIZE],
             env.proc.alloc_page()]
    for value, page in zip((1, 5), pages):
        code = asm.words(asm.imm("addi", A0, 0, value), asm.ECALL)
        env.m.ram.write(env.code_pa + PGSIZE - 2, code[:2])
        env.m.ram.write(page, code[2:])
    env.cpu.pc = start
    assert env.run() == 8 and env.cpu.regs[A0] == 1
    BareProcess(env.m, first_free=env.proc.next_free + 0x100000).activate()
    env.proc.map_page(CODE_VA + PGSIZE, pages[1], PTE_R | PTE_X | PTE_U)
    env.m.mmu.flush(CODE_VA + PGSIZE)
    env.proc.activate()
    env.cpu.pc = start
    assert env.run() == 8 and env.cpu.regs[A0] == 5
