"""A stand-in for the kernel, so the user side can be tested before (and apart from) pyucore's own.

It runs one user ELF on unicorn's RISC-V CPU: PT_LOAD segments mapped page by page, the 1 MiB stack
below 0x80000000, sp = 0x80000000, pc = e_entry, and the ucore syscall ABI (a0 = number, a1..a5 =
arguments, result in a0) for a single process with pid 2 and no children.
"""

import io
from dataclasses import dataclass, field

import pytest
from elftools.elf.elffile import ELFFile
from unicorn import UC_ARCH_RISCV, UC_HOOK_INTR, UC_HOOK_MEM_INVALID, UC_MODE_RISCV64, Uc, UcError
from unicorn.riscv_const import (
    UC_RISCV_REG_A0, UC_RISCV_REG_A1, UC_RISCV_REG_A2, UC_RISCV_REG_A3, UC_RISCV_REG_A4, UC_RISCV_REG_A5,
    UC_RISCV_REG_PC, UC_RISCV_REG_SP,
)

PGSIZE = 4096
USTACKTOP = 0x80000000
USTACKSIZE = 256 * PGSIZE
CAUSE_USER_ECALL = 8
ARG_REGS = (UC_RISCV_REG_A1, UC_RISCV_REG_A2, UC_RISCV_REG_A3, UC_RISCV_REG_A4, UC_RISCV_REG_A5)

SYS_EXIT, SYS_FORK, SYS_WAIT, SYS_YIELD, SYS_KILL, SYS_GETPID, SYS_PUTC, SYS_PGDIR = 1, 2, 3, 10, 12, 18, 30, 31
E_BAD_PROC, E_INVAL, E_NO_FREE_PROC = 2, 3, 5


@dataclass
class UserRun:
    """What one run under the stand-in kernel did."""
    console: str = ""
    exit_code: int | None = None
    fault_addr: int | None = None
    syscalls: list = field(default_factory=list)   # (number, a1, ..., a5) in call order


def _as_int(value: int) -> int:
    """A register value read as a C int (low 32 bits, signed), as the kernel reads exit codes."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


def _load_segments(uc: Uc, image: bytes) -> int:
    """Map and fill every PT_LOAD segment of image; return e_entry."""
    elf = ELFFile(io.BytesIO(image))
    for seg in elf.iter_segments():
        if seg["p_type"] != "PT_LOAD":
            continue
        start = seg["p_vaddr"] & ~(PGSIZE - 1)
        end = (seg["p_vaddr"] + seg["p_memsz"] + PGSIZE - 1) & ~(PGSIZE - 1)
        uc.mem_map(start, end - start)
        uc.mem_write(seg["p_vaddr"], seg.data())
    return elf.header["e_entry"]


def _syscall_result(run: UserRun, num: int, args: list[int]) -> int:
    """The kernel side of one system call for a lone process (pid 2, no children)."""
    if num == SYS_PUTC:
        run.console += chr(args[0] & 0xFF)
        return 0
    if num == SYS_GETPID:
        return 2
    if num in (SYS_YIELD, SYS_PGDIR):
        return 0
    if num == SYS_FORK:
        return -E_NO_FREE_PROC
    if num == SYS_WAIT:
        return -E_BAD_PROC
    return -E_INVAL     # kill (there is no other process) and any unknown number


def run_user_image(image: bytes, max_insns: int = 50_000_000, exit_returns: bool = False) -> UserRun:
    """Run image until it exits, faults or executes max_insns instructions."""
    run = UserRun()
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    entry = _load_segments(uc, image)
    uc.mem_map(USTACKTOP - USTACKSIZE, USTACKSIZE)
    uc.reg_write(UC_RISCV_REG_SP, USTACKTOP)

    def on_trap(uc, cause, _data):
        pc = uc.reg_read(UC_RISCV_REG_PC)
        assert cause == CAUSE_USER_ECALL, f"unexpected trap cause {cause} at {pc:#x}"
        num = uc.reg_read(UC_RISCV_REG_A0)
        args = [uc.reg_read(r) for r in ARG_REGS]
        run.syscalls.append((num, *args))
        if num == SYS_EXIT:
            run.exit_code = _as_int(args[0])
            if not exit_returns:
                uc.emu_stop()
                return
        uc.reg_write(UC_RISCV_REG_A0, _syscall_result(run, num, args) & (2**64 - 1))
        uc.reg_write(UC_RISCV_REG_PC, pc + 4)

    def on_bad_access(uc, _access, address, _size, _value, _data):
        run.fault_addr = address
        return False

    uc.hook_add(UC_HOOK_INTR, on_trap)
    uc.hook_add(UC_HOOK_MEM_INVALID, on_bad_access)
    try:
        uc.emu_start(entry, 0, count=max_insns)
    except UcError:
        assert run.fault_addr is not None, "the CPU stopped for a reason other than a bad access"
    return run


@pytest.fixture
def run_user():
    """run_user(image, **options) -> UserRun: run a user ELF under the stand-in kernel."""
    return run_user_image
