"""The single-process programs and the library, run on the stand-in kernel of conftest.py."""

import io

import pytest
from elftools.elf.elffile import ELFFile

from pyucore.user.build import build_c, build_program

E_PANIC = 10
SYS_EXIT, SYS_FORK, SYS_WAIT, SYS_YIELD, SYS_KILL, SYS_GETPID, SYS_PUTC, SYS_PGDIR = 1, 2, 3, 10, 12, 18, 30, 31

EXPECTED = {
    "hello": ("Hello world!!.\nI am process 2.\nhello pass.\n", 0),
    "yield": (
        "Hello, I am process 2.\n"
        + "".join(f"Back in process 2, iteration {i}.\n" for i in range(5))
        + "All done in process 2.\nyield pass.\n",
        0,
    ),
    "pgdir": ("I am 2, print pgdir.\npgdir pass.\n", 0),
    "divzero": ("value is -1.\nuser panic at user/divzero.c:9:\n    FAIL: T.T\n\n", -E_PANIC),
    "badsegment": ("user panic at user/badsegment.c:10:\n    FAIL: T.T\n\n", -E_PANIC),
    "softint": ("", 0),
}


def run_c(run_user, tmp_path, name: str, text: str, **options):
    path = tmp_path / name
    path.write_text(text)
    return run_user(build_c(path), **options)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_single_process_programs_print_exactly_the_originals_lines(run_user, name):
    console, code = EXPECTED[name]
    run = run_user(build_program(name))
    assert run.console == console
    assert run.exit_code == code


def test_every_character_is_its_own_putc_system_call(run_user):
    run = run_user(build_program("hello"))
    putcs = [call for call in run.syscalls if call[0] == SYS_PUTC]
    assert "".join(chr(call[1]) for call in putcs) == run.console
    assert len(putcs) == len(run.console)


def test_faultread_faults_loading_address_0(run_user):
    run = run_user(build_program("faultread"))
    assert run.fault_addr == 0
    assert run.console == "" and run.exit_code is None


def test_faultreadkernel_faults_loading_0xfac00000(run_user):
    run = run_user(build_program("faultreadkernel"))
    assert run.fault_addr == 0xFAC00000
    assert run.console == "" and run.exit_code is None


def test_testbss_checks_its_bss_then_writes_4_KiB_past_its_end_on_an_unmapped_page(run_user):
    image = build_program("testbss")
    run = run_user(image, max_insns=100_000_000)
    assert run.console == (
        "Making sure bss works right...\n"
        "Yes, good.  Now doing a wild write off the end...\n"
        "testbss may pass.\n"
    )
    segments = [s for s in ELFFile(io.BytesIO(image)).iter_segments() if s["p_type"] == "PT_LOAD"]
    bss_end = segments[-1]["p_vaddr"] + segments[-1]["p_memsz"]
    assert run.fault_addr == bss_end + 4096
    assert all(not s["p_vaddr"] <= run.fault_addr < s["p_vaddr"] + s["p_memsz"] + 4096 for s in segments)
    assert run.exit_code is None


def test_system_calls_use_a0_for_the_number_and_a1_to_a5_for_arguments(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "calls.c", (
        "#include <ulib.h>\n"
        "int main(void) {\n"
        "    int code;\n"
        "    fork(); wait(); waitpid(7, &code); yield(); kill(9); getpid(); print_pgdir();\n"
        "    return 42;\n"
        "}\n"
    ))
    numbers = [call[0] for call in run.syscalls]
    assert numbers == [SYS_FORK, SYS_WAIT, SYS_WAIT, SYS_YIELD, SYS_KILL, SYS_GETPID, SYS_PGDIR, SYS_EXIT]
    wait_any, wait_seven, kill = run.syscalls[1], run.syscalls[2], run.syscalls[4]
    assert wait_any[1:3] == (0, 0)
    assert wait_seven[1] == 7 and 0x7FF00000 <= wait_seven[2] < 0x80000000
    assert kill[1] == 9
    assert run.syscalls[-1][1] == 42 and run.exit_code == 42


def test_a_negative_exit_code_reaches_the_kernel_as_an_int(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "neg.c", "#include <ulib.h>\nint main(void) { exit(-0x10384); }\n")
    assert run.exit_code == -0x10384


def test_the_syscall_result_is_read_as_an_int(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "ret.c", (
        '#include <stdio.h>\n#include <ulib.h>\n'
        'int main(void) { cprintf("%d %d %d\\n", fork(), wait(), kill(5)); return 0; }\n'
    ))
    assert run.console == "-5 -2 -3\n"


def test_an_exit_that_returns_prints_bug_and_spins(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "bug.c", "int main(void) { return 0; }\n", max_insns=200_000, exit_returns=True)
    assert run.console == "BUG: exit failed.\n"
    assert [call[0] for call in run.syscalls].count(SYS_EXIT) == 1


def test_assert_panics_with_the_expression_text_file_and_line(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "check.c", (
        "#include <ulib.h>\n"
        "int main(void) {\n"
        "    int two = 2;\n"
        "    assert(two + 2 == 5);\n"
        "    return 0;\n"
        "}\n"
    ))
    assert run.console == "user panic at user/check.c:4:\n    assertion failed: two + 2 == 5\n"
    assert run.exit_code == -E_PANIC


def test_warn_prints_a_warning_and_goes_on(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "warn.c", (
        '#include <ulib.h>\nint main(void) {\n    warn("careful %d", 3);\n    return 5;\n}\n'
    ))
    assert run.console == "user warning at user/warn.c:3:\n    careful 3\n"
    assert run.exit_code == 5


# (format, arguments as C source, expected output) as ucore's vprintfmt prints them
FORMATS = [
    ("%d", "-42", "-42"),
    ("%d", "0x7fffffff", "2147483647"),
    ("%u", "4294967295u", "4294967295"),
    ("%x", "0xdeadbeefUL", "deadbeef"),
    ("%X", "0xdeadbeefU", "DEADBEEF"),                   # pyucore's addition: upper-case hex
    ("%lX %s", '0xabcdef012UL, "next"', "ABCDEF012 next"),
    ("%08x", "0xffffffffc020003eUL", "c020003e"),          # no l: only the low 32 bits
    ("%lx", "0xffffffffc020003eUL", "ffffffffc020003e"),
    ("%llx", "0x123456789abcdefULL", "123456789abcdef"),
    ("%ld", "-5000000000L", "-5000000000"),
    ("%o", "8", "10"),
    ("%04x", "2", "0002"),
    ("%5d|", "42", "   42|"),
    ("%-5d|", "42", "42   |"),
    ("%-6s|", '"ab"', "ab    |"),
    ("%6s|", '"ab"', "    ab|"),
    ("%.2s", '"abcdef"', "ab"),
    ("%s", "(char *)0", "(null)"),
    ("%c%c", "'o', 'k'", "ok"),
    ("%p", "(void *)0xffffffffc04b7ee0UL", "0xffffffffc04b7ee0"),
    ("%p", "(void *)0x800020", "0x800020"),
    ("100%%", "0", "100%"),
    ("%e", "-3", "invalid parameter"),
    ("%e", "9", "process is killed"),
    ("%e", "-10", "panic failure"),
    ("%e", "-7", "error 7"),
    ("%e", "11", "error 11"),
    ("%y", "0", "%y"),
]


def test_cprintf_formats_like_ucores_vprintfmt(run_user, tmp_path):
    lines = "".join(f'    cprintf("{fmt}\\n", {args});\n' for fmt, args, _ in FORMATS)
    run = run_c(run_user, tmp_path, "fmt.c", (
        "#include <stdio.h>\n#include <ulib.h>\n"
        "int main(void) {\n" + lines + "    return 0;\n}\n"
    ))
    assert run.console.split("\n")[:-1] == [expected for _, _, expected in FORMATS]


def test_cprintf_returns_the_count_and_cputs_adds_a_newline(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "count.c", (
        '#include <stdio.h>\n#include <ulib.h>\n'
        'int main(void) { int n = cprintf("abc%d", 12); int m = cputs("xy"); cprintf("%d %d\\n", n, m); return 0; }\n'
    ))
    assert run.console == "abc12xy\n5 3\n"


def test_snprintf_truncates_and_terminates(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "snp.c", (
        '#include <stdio.h>\n#include <ulib.h>\n'
        "int main(void) {\n"
        "    char buf[5];\n"
        '    int n = snprintf(buf, sizeof(buf), "%s%c", "0110", \'1\');\n'
        '    cprintf("%s %d\\n", buf, n);\n'
        "    return 0;\n"
        "}\n"
    ))
    assert run.console == "0110 5\n"


def test_string_and_memory_helpers(run_user, tmp_path):
    run = run_c(run_user, tmp_path, "str.c", (
        '#include <stdio.h>\n#include <string.h>\n#include <ulib.h>\n'
        "struct big { char bytes[300]; };\n"
        "int main(void) {\n"
        "    struct big a, b;\n"
        "    char s[16];\n"
        "    memset(a.bytes, 'z', sizeof(a.bytes));\n"
        "    b = a;\n"
        '    strcpy(s, "hello");\n'
        "    memmove(s + 1, s, 5);\n"
        '    cprintf("%d %d %s %d %d %d\\n", (int)strlen("four"), memcmp(&a, &b, sizeof(a)), s,\n'
        '            strcmp("a", "b") < 0, strncmp("abc", "abd", 2), strchr("xyz", \'y\') != NULL);\n'
        "    return 0;\n"
        "}\n"
    ))
    assert run.console == "4 0 hhello 1 0 1\n"
