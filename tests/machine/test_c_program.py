"""A C program built by the project's toolchain runs on the machine to its exit ecall."""

from bare_loader import load_elf
from pyucore.machine import STOP_BUDGET, Machine
from pyucore.user.build import build_c

SOURCE = r"""
static volatile unsigned long seed = 1469598103934665603UL;
static unsigned long table[64];
static unsigned char bytes[100];

static long f(long x) { return x * x - 3 * x + 7; }

int main(void) {
    unsigned long h = seed;
    for (int i = 0; i < 64; i++)
        table[i] = (unsigned long)f(i) ^ ((unsigned long)i << 7);
    for (int i = 0; i < 64; i++) {
        h ^= table[i];
        h *= 1099511628211UL;
    }
    for (int i = 0; i < 100; i++)
        bytes[i] = (unsigned char)(h >> (i % 56));
    unsigned sum = 0;
    for (int i = 0; i < 100; i++)
        sum += bytes[i];
    long q = (long)h / 12345, r = (long)h % 12345;
    return (int)(((h >> 32) ^ h ^ (unsigned long)q ^ (unsigned long)r ^ sum) & 0x7fffffff);
}
"""
M64 = (1 << 64) - 1


def expected_result():
    """What main returns, computed with 64-bit C semantics."""
    h = 1469598103934665603
    table = [((i * i - 3 * i + 7) & M64) ^ (i << 7) for i in range(64)]
    for value in table:
        h = ((h ^ value) * 1099511628211) & M64
    total = sum((h >> (i % 56)) & 0xFF for i in range(100))
    signed = h - (1 << 64) if h >> 63 else h
    q = abs(signed) // 12345 * (1 if signed >= 0 else -1)
    r = signed - q * 12345
    return ((h >> 32) ^ h ^ (q & M64) ^ (r & M64) ^ total) & 0x7FFFFFFF


def test_c_program_built_by_the_toolchain_runs_to_its_exit_ecall(tmp_path):
    source = tmp_path / "machine_check.c"
    source.write_text(SOURCE)
    machine = Machine()
    load_elf(machine, build_c(source))
    cause = STOP_BUDGET
    while cause == STOP_BUDGET:
        cause = machine.cpu.run(10000)
    regs = machine.cpu.regs
    assert cause == 8
    assert regs[10] == 1                     # SYS_exit
    assert regs[11] == expected_result()     # exit code = main's return value
