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
    # ucore's cputs ends the line, so the next line starts on its own
    assert re.search(r'^mm != NULL\npid \d+: exec of "junk" failed: invalid elf file$', result.console, re.M)
    assert "badptr pass." in result.console and "init check memory pass." in result.console


def test_each_misbehaving_child_is_killed_alone(run_c):
    result = run_c("adversary")
    assert result.exit_status == 0, result.halt_reason
    codes = re.findall(r"^case (\d+): exit code (-?\d+)$", result.console, re.M)
    assert [int(c) for _, c in codes] == [-E_KILLED] * 10
    assert "survived" not in result.console
    kills = re.findall(r"^pid \d+ \(adversary\) killed: (.*), epc 0x[0-9a-f]+(?: \(.*\))?$", result.console, re.M)
    assert kills == [
        "load page fault at 0xffffffffc0200000", "instruction page fault at 0xffffffffc0200000",
        kills[2], "illegal instruction 0xffffffff", "undefined syscall 99",
        "store page fault at 0x800020", "breakpoint", kills[7], "illegal instruction 0x10001073",
        "undefined syscall -1"]
    assert re.fullmatch(r"instruction page fault at 0x80[0-9a-f]{4}", kills[2])
    assert re.fullmatch(r"store page fault at 0x7fef[0-9a-f]{4}", kills[7])
    assert "adversary pass." in result.console and "init check memory pass." in result.console
    # pyucore's additions: the source line and function, then the faulting instruction (if it has one)
    assert re.search(r"killed: load page fault at 0xffffffffc0200000, epc 0x[0-9a-f]+ "
                     r"\(adversary\.c:\d+, misbehave\)\n    (c\.)?lw a\d, 0\(a\d\)\n", result.console)
    assert re.search(r"killed: instruction page fault at 0xffffffffc0200000, epc 0xffffffffc0200000\n"
                     r"case 1:", result.console)
    assert re.search(r"killed: illegal instruction 0xffffffff, epc 0x[0-9a-f]+ \(adversary\.c:\d+, misbehave\)\n"
                     r"    \(capstone decodes no instruction from 0xffffffff\)\n", result.console)
    assert re.search(r"killed: illegal instruction 0x10001073, .*\n    csrw sstatus, zero\n", result.console)
    assert re.search(r"killed: undefined syscall 99, epc 0x[0-9a-f]+ \(rawsys\.h:\d+, misbehave\)\n    ecall\n",
                     result.console)


def test_a_bss_bigger_than_ram_fails_the_exec_cleanly(run_c):
    # its 200 MiB BSS is bigger than the default 128 MiB too; 32 MiB runs out after fewer pages
    result = run_c("hugebss", keep_events=True, ram_mib=32)
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


def test_odd_syscall_arguments_get_answers_and_init_cannot_be_killed(run_c):
    result = run_c("oddcalls")
    assert result.exit_status == 0, result.halt_reason
    lines = result.console.splitlines()
    assert "kill init -> -3" in lines and "kill idle -> -3" in lines and "kill nobody -> -3" in lines
    assert "getpid with high bits in a0 -> 2" in lines
    assert "wait for myself -> -2" in lines and "wait with no children -> -2" in lines
    assert "\\xff\n" in result.console
    assert "oddcalls pass." in lines and "init check memory pass." in lines


def test_an_unknown_syscall_prints_the_original_message_before_the_kill_line(run_c):
    console = run_c("adversary").console
    assert "undefined syscall 99, pid = 7, name = adversary.\npid 7 (adversary) killed: " in console


def test_an_empty_or_non_elf_image_fails_the_exec_with_invalid_elf():
    from pyucore.api import boot
    for image in (b"", b"not an elf at all" * 10):
        result = boot(elf=image, name="junk", quiet_boot=True)
        assert result.exit_status == 0, result.halt_reason
        assert 'pid 2: exec of "junk" failed: invalid elf file' in result.console
        assert "init check memory pass." in result.console


def test_a_program_too_big_for_the_ram_is_a_clear_error():
    import pytest
    from pyucore.api import boot
    with pytest.raises(ValueError, match="does not fit in a RAM of 4 MiB"):
        boot(elf=b"\x7fELF" + bytes(3 << 20), name="big", ram_mib=4)


def test_a_program_name_outside_latin1_still_boots():
    from pyucore.api import boot
    from pyucore.user.build import build_program
    result = boot(elf=build_program("hello"), name="程序", quiet_boot=True)
    assert result.exit_status == 0 and "hello pass." in result.console


def test_a_fault_that_never_gets_served_for_good_kills_the_process_instead_of_hanging(monkeypatch):
    from pyucore.api import boot
    from pyucore.kern.mm import vmm
    from pyucore.kern.trap import trap
    real = vmm.do_pgfault
    monkeypatch.setattr(vmm, "do_pgfault",
                        lambda mm, cause, addr: 0 if addr == 0 and mm is not vmm.check_mm_struct
                        else real(mm, cause, addr))
    result = boot(program="faultread", quiet_boot=True, keep_events=True)
    assert result.exit_status == 0, result.halt_reason
    assert ("pid 2 (faultread) killed: load page fault at 0x0: no progress after %d page faults in a row"
            % trap.MAX_FAULTS_WITHOUT_PROGRESS) in result.console
    faults = [e for e in result.events if e["kind"] == "pgfault" and e["pid"] == 2]
    assert len(faults) == trap.MAX_FAULTS_WITHOUT_PROGRESS + 1
    assert "init check memory pass." in result.console


def test_eager_forks_of_a_big_process_fail_with_out_of_memory_instead_of_thrashing(run_c):
    # 32 MiB: the 4 MiB process's eighth or so eager copy runs out, as its 33rd does in 128 MiB
    result = run_c("oom4", cow=False, ram_mib=32)
    assert result.exit_status == 0, result.halt_reason
    assert "failed -4" in result.console and "init check memory pass." in result.console
