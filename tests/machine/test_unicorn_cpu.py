"""The unicorn backend through the project's own CPU interface: the CPU engineer's behaviour tests rerun
on a UnicornMachine, and random programs run on both backends must end in identical states."""

import random

import pytest

import machine_asm as asm
import test_cpu
import test_cpu_differential as diff
from bare_loader import BareProcess
from pyucore.machine import STOP_BUDGET, Machine
from pyucore.machine import unicorn_cpu
from pyucore.machine.cpu import STOP_BREAKPOINT
from pyucore.machine.riscv import PTE_A, PTE_D, PTE_R, PTE_U, PTE_X
from pyucore.machine.unicorn_cpu import (TESTED_VERSIONS, UnicornMachine, UnicornUnavailable, check_version,
                                         counter_offset)

# Behaviour tests of tests/machine/test_cpu.py that hold on unicorn too, rerun with Machine = unicorn.
# Left out, as documented in unicorn_cpu.py: counter CSR reads and writes (QEMU returns host ticks, and
# only reads when the source value is 0), reserved compressed encodings and C.FLD/C.FSDSP (QEMU 5
# executes them), a store into the translation block being executed (QEMU's RISC-V SMC is not precise:
# the rest of the block runs the old code), and the reference CPU's own translation cache.
from test_cpu import (  # noqa: F401  (collected by pytest under the names below)
    test_amo_on_read_only_page_faults_as_a_store as test_unicorn_amo_on_read_only_page_faults_as_a_store,
    test_atomic_on_unmapped_page_faults_as_a_load_for_lr_and_a_store_amo_for_amos as test_unicorn_atomic_on_unmapped_page_faults_with_the_spec_cause,
    test_chunked_runs_reach_the_same_state_as_one_run as test_unicorn_chunked_runs_reach_the_same_state_as_one_run,
    test_code_page_rewritten_through_ram_helpers_runs_the_new_code as test_unicorn_code_page_rewritten_through_ram_helpers_runs_the_new_code,
    test_data_written_next_to_code_on_the_same_page_does_not_corrupt_execution as test_unicorn_data_written_next_to_code_does_not_corrupt_execution,
    test_divide_by_zero_gives_all_ones as test_unicorn_divide_by_zero_gives_all_ones,
    test_ebreak_and_c_ebreak_trap_with_cause_3 as test_unicorn_ebreak_and_c_ebreak_trap_with_cause_3,
    test_ecall_traps_with_cause_8_at_its_own_pc_and_is_not_retired as test_unicorn_ecall_traps_with_cause_8_at_its_own_pc,
    test_fetch_from_non_executable_page_is_an_instruction_page_fault as test_unicorn_fetch_from_non_executable_page_is_an_instruction_page_fault,
    test_freed_and_refilled_code_page_runs_the_new_code as test_unicorn_freed_and_refilled_code_page_runs_the_new_code,
    test_instruction_straddling_into_an_unmapped_page_faults_at_the_second_page as test_unicorn_instruction_straddling_into_an_unmapped_page_faults_at_the_second_page,
    test_instruction_straddling_two_mapped_pages_executes as test_unicorn_instruction_straddling_two_mapped_pages_executes,
    test_jump_to_itself_spins_until_the_budget_runs_out as test_unicorn_jump_to_itself_spins_until_the_budget_runs_out,
    test_load_from_unmapped_address_traps_with_registers_of_earlier_instructions_kept as test_unicorn_load_from_unmapped_address_keeps_earlier_registers,
    test_lr_sc_succeeds_once_and_fails_without_a_reservation as test_unicorn_lr_sc_succeeds_once_and_fails_without_a_reservation,
    test_misaligned_atomic_traps_as_a_load_for_lr_and_a_store_amo_for_amos as test_unicorn_misaligned_atomic_traps_with_the_spec_cause,
    test_misaligned_load_crossing_into_an_unmapped_page_faults_at_that_page as test_unicorn_misaligned_load_crossing_into_an_unmapped_page_faults_at_that_page,
    test_misaligned_loads_and_stores_are_performed as test_unicorn_misaligned_loads_and_stores_are_performed,
    test_odd_pc_is_an_instruction_address_misaligned_trap as test_unicorn_odd_pc_is_an_instruction_address_misaligned_trap,
    test_registers_written_out_of_range_by_the_kernel_are_made_canonical as test_unicorn_registers_written_out_of_range_are_made_canonical,
    test_remapped_code_page_runs_the_new_page_after_flush as test_unicorn_remapped_code_page_runs_the_new_page_after_flush,
    test_run_retires_exactly_the_budget_even_inside_a_block_or_loop as test_unicorn_run_retires_exactly_the_budget,
    test_sc_with_a_reservation_on_a_read_only_page_faults_as_a_store as test_unicorn_sc_with_a_reservation_on_a_read_only_page_faults_as_a_store,
    test_sc_without_a_reservation_fails_without_trapping_even_unmapped_or_misaligned as test_unicorn_sc_without_a_reservation_fails_without_trapping,
    test_store_to_read_only_page_is_a_store_page_fault as test_unicorn_store_to_read_only_page_is_a_store_page_fault,
    test_x0_stays_zero_whatever_is_written_to_it as test_unicorn_x0_stays_zero_whatever_is_written_to_it,
)

CODE_VA, DATA_VA, A0, A1, A2 = test_cpu.CODE_VA, test_cpu.DATA_VA, 10, 11, 12
UNICORN_EXECUTES = ("c.fld", "c.fsdsp", "q0 reserved", "c.subw reserved")


@pytest.fixture(autouse=True)
def unicorn_machines(monkeypatch):
    """The imported behaviour tests build their machines with the unicorn backend."""
    monkeypatch.setattr(test_cpu, "Machine", UnicornMachine)


@pytest.mark.parametrize("name", [name for name in test_cpu.ILLEGAL_32 if "cycle" not in name])
def test_unicorn_illegal_32_bit_instruction_traps_with_its_bits_as_tval(name):
    # writes to the counter CSRs are left out: QEMU treats csrrs with a zero source value as a read
    test_cpu.test_illegal_32_bit_instruction_traps_with_cause_2_and_its_bits_as_tval(name)


@pytest.mark.parametrize("name", [name for name in test_cpu.ILLEGAL_16 if name not in UNICORN_EXECUTES])
def test_unicorn_illegal_compressed_instruction_traps_with_its_16_bits_as_tval(name):
    test_cpu.test_illegal_compressed_instruction_traps_with_its_16_bits_as_tval(name)


def test_store_to_code_of_an_earlier_block_runs_the_stored_instruction():
    # the patched instruction is reached through a jump, so it is in a block translated after the store
    new = asm.imm("addi", A0, 0, 42)
    code = asm.words(asm.store("sw", A1, A2, 8), asm.jal(0, 4), asm.imm("addi", A0, 0, 1), asm.ECALL)
    env = test_cpu.Env(code, writable_code=True)
    env.cpu.regs[A1], env.cpu.regs[A2] = new, CODE_VA
    assert env.run() == 8
    assert (env.cpu.regs[A0], env.cpu.instret) == (42, 3)


def test_the_instruction_counter_of_unicorn_is_found():
    assert counter_offset() > 0


def two_envs(code, writable_code=False):
    """The same code and page tables on a reference machine and on a unicorn machine."""
    envs = []
    for machine in (Machine, UnicornMachine):
        test_cpu.Machine = machine
        envs.append(test_cpu.Env(code, writable_code))
    return envs


def outcome(env, budget=100000):
    """Runs env; returns everything the kernel could observe afterwards."""
    cause = env.run(budget)
    cpu = env.cpu
    ptes = [env.m.ram.read_u64(env.proc.pte_address(va)) for va in (CODE_VA, DATA_VA)]
    return cause, cpu.pc, cpu.tval, cpu.instret, list(cpu.regs), env.m.ram.read(env.data_pa, 4096), ptes


TRAPS = {
    "load unmapped": asm.words(asm.load("ld", A0, A1, 0)),
    "load crossing into unmapped": asm.words(asm.load("lw", A0, A2, 0xFFE)),
    "store crossing into unmapped": asm.words(asm.store("sd", A0, A2, 0xFFD)),
    "store to text": asm.words(asm.store("sw", A0, A1, 0)),
    "compressed load unmapped": asm.encode(asm.c_mem("ld", 10, 11, 0)) + bytes(2),
    "amo unmapped": asm.words(asm.amo("amoadd", "d", A0, A1, A0)),
    "amoswap to text": asm.words(asm.amo("amoswap", "w", A0, A1, A0)),
    "amoadd.w misaligned": asm.words(asm.amo("amoadd", "w", A0, A2, A0)),
    "amoadd.d misaligned": asm.words(asm.amo("amoadd", "d", A0, A2, A0)),
    "lr.w unmapped": asm.words(asm.amo("lr", "w", A0, A1)),
    "lr.d misaligned": asm.words(asm.amo("lr", "d", A0, A2)),
    "sc.d misaligned without reservation": asm.words(asm.amo("sc", "d", A0, A2, A1), asm.ECALL),
    "jump unmapped": asm.words(asm.jalr(0, A1, 0)),
    "jump non-canonical": asm.words(asm.jalr(0, A1, 0)),
    "illegal": asm.words(asm.imm("addi", A0, 0, 1), 0xFFFFFFFF),
    "ecall after work": asm.words(*[asm.imm("addi", A0, A0, 1)] * 50, asm.ECALL),
}
A1_VALUES = {"load unmapped": 0x1234000, "store to text": CODE_VA, "compressed load unmapped": 0x7000000,
             "amo unmapped": 0x5000, "jump unmapped": 0x4000000, "jump non-canonical": 1 << 63,
             "amoswap to text": CODE_VA + 8, "lr.w unmapped": 0x5000}
A2_VALUES = {"amoadd.w misaligned": DATA_VA + 6, "amoadd.d misaligned": DATA_VA + 4,
             "lr.d misaligned": DATA_VA + 4,
             "sc.d misaligned without reservation": DATA_VA + 4}


@pytest.mark.parametrize("name", TRAPS)
def test_traps_have_the_same_cause_epc_tval_count_and_pte_bits_on_both_backends(name):
    results = []
    for env in two_envs(TRAPS[name]):
        env.cpu.regs[A1] = A1_VALUES.get(name, 0)
        env.cpu.regs[A2] = A2_VALUES.get(name, DATA_VA)
        env.cpu.instret = 77
        results.append(outcome(env))
    assert results[0][:4] == results[1][:4]
    assert results[0] == results[1]


@pytest.mark.parametrize("name,cause", [("amoswap to text", 15), ("amo unmapped", 15), ("amoadd.w misaligned", 6),
                                        ("amoadd.d misaligned", 6), ("lr.w unmapped", 13), ("lr.d misaligned", 4),
                                        ("sc.d misaligned without reservation", 8)])
def test_atomics_trap_with_the_spec_cause_and_the_address_as_tval_on_both_backends(name, cause):
    for env in two_envs(TRAPS[name]):
        env.cpu.regs[A1] = A1_VALUES.get(name, 0)
        env.cpu.regs[A2] = A2_VALUES.get(name, DATA_VA)
        address = env.cpu.regs[A1] if "misaligned" not in name else env.cpu.regs[A2]
        assert env.run() == cause
        assert env.cpu.tval == (0 if cause == 8 else address)


def test_amo_on_a_read_only_page_never_accessed_sets_its_a_bit_on_both_backends_and_faults():
    # the load half of QEMU's AMO sets A before the store half faults; the spec allows A set speculatively
    ptes = []
    for env in two_envs(asm.words(asm.amo("amoadd", "d", A0, A1, A0))):
        ro = env.proc.map_range(DATA_VA + 0x1000, DATA_VA + 0x1001, PTE_R | PTE_U)[DATA_VA + 0x1000]
        env.cpu.regs[A1] = DATA_VA + 0x1000
        assert env.run() == 15 and env.cpu.tval == DATA_VA + 0x1000
        assert env.m.ram.read(ro, 8) == bytes(8)
        ptes.append(env.m.ram.read_u64(env.proc.pte_address(DATA_VA + 0x1000)) & (PTE_A | PTE_D))
    assert ptes == [PTE_A, PTE_A]


@pytest.mark.parametrize("budget", [1, 2, 3, 50, 51, 52])
def test_budget_ending_just_before_a_faulting_fetch_stops_for_the_budget(budget):
    code = asm.words(*[asm.imm("addi", A0, A0, 1)] * 50, asm.jalr(0, A1, 0))
    results = []
    for env in two_envs(code):
        env.cpu.regs[A1] = 0x4000000
        results.append(outcome(env, budget))
    assert results[0] == results[1]
    assert results[0][0] == (STOP_BUDGET if budget <= 51 else 12)


def test_accessed_and_dirty_bits_are_set_alike_by_loads_stores_and_fetches():
    code = asm.words(asm.load("ld", A0, A2, 0), asm.store("sd", A0, A2, 8), asm.ECALL)
    ptes = []
    for env in two_envs(code):
        env.cpu.regs[A2] = DATA_VA
        assert env.run() == 8
        ptes.append([env.m.ram.read_u64(env.proc.pte_address(va)) & (PTE_A | PTE_D) for va in (CODE_VA, DATA_VA)])
    assert ptes[0] == ptes[1] == [PTE_A, PTE_A | PTE_D]


def test_a_changed_pte_takes_effect_on_unicorn_only_after_the_kernel_flushes():
    env = test_cpu.Env(test_cpu.program_returning(1))
    assert env.run() == 8
    other = env.proc.alloc_page()
    env.m.ram.write(other, test_cpu.program_returning(2))
    env.proc.map_page(CODE_VA, other, PTE_R | PTE_X | PTE_U)
    env.m.mmu.flush()
    env.cpu.pc = CODE_VA
    assert env.run() == 8 and env.cpu.regs[A0] == 2


def test_switching_satp_between_two_address_spaces_runs_each_ones_code():
    m = UnicornMachine(ram_size=4 << 20)
    spaces = []
    for value, first_free in ((11, 0x80200000), (22, 0x80300000)):
        proc = BareProcess(m, first_free)
        pa = proc.map_range(CODE_VA, CODE_VA + 1, PTE_R | PTE_X | PTE_U)[CODE_VA]
        m.ram.write(pa, test_cpu.program_returning(value))
        spaces.append(proc)
    for proc, value in [(spaces[0], 11), (spaces[1], 22), (spaces[0], 11)]:
        proc.activate()
        m.cpu.pc = CODE_VA
        assert m.cpu.run(1000) == 8 and m.cpu.regs[A0] == value


def run_random_programs_on_both_backends(seed, kinds, length):
    """Runs 25 random programs of kinds on both backends; returns the causes (the end states must match)."""
    r = random.Random(seed)
    with diff.translations_in_memory_only():
        machines = [Machine(ram_size=1 << 20), UnicornMachine(ram_size=1 << 20)]
    causes = []
    for _ in range(25):
        code, end = diff.random_program(r, kinds, length)
        regs, data = diff.random_state(r)
        results = []
        for m in machines:
            m.ram.write(diff.CODE, code)
            m.ram.write(diff.DATA, data)
            m.cpu.regs[:] = regs
            m.cpu.pc = diff.CODE
            cause = m.cpu.run(100000)
            cpu = m.cpu
            results.append((cause, cpu.pc, cpu.instret, cpu.tval, list(cpu.regs), m.ram.read(diff.DATA, 4096)))
        assert results[0] == results[1], f"code {code.hex()}"
        assert results[0][0] != 8 or results[0][1] == end
        causes.append(results[0][0])
    return causes


# 13 programs a seed run the same lines and branches of pyucore/machine as 25 (coverage.py in branch
# mode over these six tests)
@pytest.mark.parametrize("seed", range(6))
def test_random_programs_of_every_class_end_identically_on_both_backends(seed):
    assert set(run_random_programs_on_both_backends(9000 + seed, diff.NON_TRAPPING, 13)) == {8}


@pytest.mark.parametrize("seed", range(3))
def test_random_programs_with_misaligned_atomics_trap_identically_on_both_backends(seed):
    kinds = ["misaligned atomic", "atomic", "memory", "alu"]
    causes = run_random_programs_on_both_backends(9500 + seed, kinds, 12)
    assert set(causes) <= {4, 6, 8} and 6 in causes


def test_an_untested_unicorn_version_is_refused_with_the_version_to_install():
    check_version(TESTED_VERSIONS[0])
    with pytest.raises(UnicornUnavailable, match=r"unicorn 2\.0\.1 is installed.*unicorn==2\.1\.4"):
        check_version("2.0.1")


def test_a_stale_load_faulting_after_being_rewritten_in_its_running_block_runs_the_new_instruction():
    # QEMU runs the rest of the block as translated: the old load at +8 faults although an addi is now
    # there; the backend must run the addi (as the python CPU does), not decode it as a load
    new = asm.imm("addi", 13, 0, 7)
    code = asm.words(asm.store("sw", A1, A2, 8), asm.imm("addi", A0, 0, 1), asm.load("lw", 13, 0, 0), asm.ECALL)
    env = test_cpu.Env(code, writable_code=True)
    env.cpu.regs[A1], env.cpu.regs[A2] = new, CODE_VA
    assert env.run() == 8
    assert (env.cpu.regs[13], env.cpu.regs[A0], env.cpu.instret, env.cpu.pc) == (7, 1, 3, CODE_VA + 12)


@pytest.mark.parametrize("budget", [3, 100])
def test_rdtime_reads_the_retired_instruction_count_as_on_the_python_cpu(budget):
    code = asm.words(asm.imm("addi", A0, 0, 1), asm.csrr(A1, 0xC01), asm.csrr(0, 0xC01), asm.csrr(A2, 0xC01),
                     asm.ECALL)
    env = test_cpu.Env(code)
    env.cpu.instret = 1000
    cause = env.run(budget)
    if budget == 3:
        assert (cause, env.cpu.pc, env.cpu.instret, env.cpu.regs[A1]) == (-1, CODE_VA + 12, 1003, 1001)
    else:
        assert (cause, env.cpu.pc, env.cpu.instret) == (8, CODE_VA + 16, 1004)
        assert (env.cpu.regs[A1], env.cpu.regs[A2]) == (1001, 1003)


def test_c_illegal_at_a_page_start_after_an_unmapped_page_is_an_illegal_instruction_as_on_the_python_cpu():
    env = test_cpu.Env(bytes(4) + asm.words(asm.ECALL))
    assert (env.run(), env.cpu.pc, env.cpu.tval, env.cpu.instret) == (2, CODE_VA, 0, 0)


def test_breakpoints_stop_before_their_instruction_with_exact_counts_on_both_backends():
    # +0 addi a0, a0, 1; +4 addi a1, a1, 1; +8 j +4 (a loop the python CPU compiles into one block)
    code = asm.words(asm.imm("addi", A0, A0, 1), asm.imm("addi", A1, A1, 1), asm.jal(0, -4))
    steps = [({CODE_VA + 4}, 100), ((), 1), ({CODE_VA + 4}, 100), ((), 10), ({CODE_VA + 8}, 100)]
    seen = []
    for env in two_envs(code):
        cpu, trace = env.cpu, []
        for breakpoints, budget in steps:
            cpu.set_breakpoints(breakpoints)
            trace.append((cpu.run(budget), cpu.pc - CODE_VA, cpu.instret, cpu.regs[A1]))
        seen.append(trace)
    assert seen[0] == seen[1] == [(STOP_BREAKPOINT, 4, 1, 0), (STOP_BUDGET, 8, 2, 1),
                                  (STOP_BREAKPOINT, 4, 3, 1), (STOP_BUDGET, 4, 13, 6),
                                  (STOP_BREAKPOINT, 8, 14, 7)]


def mixed_loop():
    """40 turns of a loop of compressed and 32-bit instructions with a store, then a load from 0."""
    return b"".join([
        asm.words(asm.imm("addi", 13, 0, 40)),      # 0: a3 = 40
        asm.encode(asm.c_imm("addi", A0, 1)),       # 4: loop: c.addi a0, 1
        asm.words(asm.imm("addi", A1, A1, 3)),      # 6
        asm.encode(asm.c_imm("addi", A0, 1)),       # 10
        asm.words(asm.store("sd", A0, A2, 0)),      # 12
        asm.encode(asm.c_imm("addi", 13, -1)),      # 16
        asm.words(asm.branch("bne", 13, 0, -14)),   # 18: back to 4
        asm.words(asm.load("ld", 14, 0, 0)),        # 22: load page fault
    ])


def chunked_trace(env, chunk):
    """Runs env in runs of chunk instructions until a trap; returns what each run ended with."""
    env.cpu.regs[A2] = DATA_VA
    trace = []
    while not trace or trace[-1][0] == STOP_BUDGET:
        cause = env.cpu.run(chunk)
        trace.append((cause, env.cpu.pc - CODE_VA, env.cpu.instret, env.cpu.regs[A0], env.cpu.regs[A1]))
    return trace


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 13, 64, 1000])
def test_runs_ending_anywhere_in_a_block_count_the_same_on_both_backends(chunk):
    python, fast = (chunked_trace(env, chunk) for env in two_envs(mixed_loop()))
    assert fast == python
    assert fast[-1][:3] == (13, 22, 1 + 40 * 6)


def test_unicorn_counts_per_block_with_the_native_counter():
    assert test_cpu.Env(mixed_loop()).cpu.counts_per_block


def test_without_the_native_counter_unicorn_counts_every_instruction_with_the_same_result(monkeypatch):
    monkeypatch.setattr(unicorn_cpu, "_NATIVE", [None])
    env = test_cpu.Env(mixed_loop())
    assert not env.cpu.counts_per_block
    assert chunked_trace(env, 7) == chunked_trace(two_envs(mixed_loop())[0], 7)


def lr_sc_loop():
    """20 turns of lr.w / addi / sc.w on the data page (a1 = the sc result), then a load from 0."""
    return asm.words(
        asm.imm("addi", 13, 0, 20),                 # 0: a3 = 20
        asm.amo("lr", "w", A0, A2),                 # 4: loop
        asm.imm("addi", A0, A0, 1),                 # 8
        asm.amo("sc", "w", A1, A2, A0),             # c
        asm.imm("addi", 13, 13, -1),                # 10
        asm.branch("bne", 13, 0, -16),              # 14: back to 4
        asm.load("ld", 14, 0, 0))                   # 18: load page fault


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 7, 100])
def test_runs_ending_between_lr_and_sc_keep_the_reservation_as_on_the_python_cpu(chunk):
    python, fast = (chunked_trace(env, chunk) for env in two_envs(lr_sc_loop()))
    assert fast == python
    assert fast[-1][:3] == (13, 0x18, 1 + 20 * 5)
