"""Hostile user programs: each gets its error or is killed alone; the kernel and the others go on."""

import re

from pyucore.kern.libs.error import E_INVAL, E_INVAL_ELF, E_KILLED, E_NO_MEM


def test_wild_pointers_to_syscalls_get_einval(run_c):
    result = run_c("badptr")
    assert result.exit_status == 0, result.halt_reason
    answers = re.findall(r"^(wait store|exec name|exec binary|exec huge length).* -> (-?\d+)$",
                         result.console, re.M)
    assert len(answers) == 9 + 6 + 6 + 1
    assert all(int(code) == -E_INVAL for _, code in answers)
    assert "exec of junk: exit code %d" % -E_INVAL_ELF in result.console
    assert "badptr pass." in result.console and "init check memory pass." in result.console


def test_each_misbehaving_child_is_killed_alone(run_c):
    result = run_c("adversary")
    assert result.exit_status == 0, result.halt_reason
    codes = re.findall(r"^case (\d+): exit code (-?\d+)$", result.console, re.M)
    assert [int(c) for _, c in codes] == [-E_KILLED] * 10
    assert "survived" not in result.console
    kills = re.findall(r"^pid \d+ \(adversary\) killed: (.*), epc 0x[0-9a-f]+$", result.console, re.M)
    assert kills == [
        "load page fault at 0xffffffffc0200000", "instruction page fault at 0xffffffffc0200000",
        kills[2], "illegal instruction 0xffffffff", "undefined syscall 99",
        "store page fault at 0x800020", "breakpoint", kills[7], "illegal instruction 0x10001073",
        "undefined syscall -1"]
    assert re.fullmatch(r"instruction page fault at 0x80[0-9a-f]{4}", kills[2])
    assert re.fullmatch(r"store page fault at 0x7fef[0-9a-f]{4}", kills[7])
    assert "adversary pass." in result.console and "init check memory pass." in result.console


def test_a_bss_bigger_than_ram_fails_the_exec_cleanly(run_c):
    result = run_c("hugebss")
    assert result.exit_status == 0, result.halt_reason
    assert 'pid 2: exec of "hugebss" failed: out of memory' in result.console
    assert "hugebss ran!" not in result.console
    exits = [e for e in result.events if e["kind"] == "exit"]
    assert exits[0]["code"] == -E_NO_MEM
    assert "init check memory pass." in result.console


def test_a_runaway_program_is_stopped_by_the_instruction_limit():
    from pyucore.api import boot
    result = boot(program="spin", max_insns=200000, quiet_boot=True)
    assert result.exit_status == 3
    assert "200000" in result.halt_reason
