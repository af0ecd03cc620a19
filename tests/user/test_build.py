"""The toolchain: every built-in program links to a loadable ucore user ELF; errors and caching."""

import io
import os
import re

import capstone
import pytest
from elftools.elf.elffile import ELFFile

from pyucore.user import build
from pyucore.user.build import (
    BuildError, NO_RUNTIME_NOTE, build_c, build_c_with_warnings, build_program, compile_c, program_names,
)

PGSIZE = 4096
PF_X, PF_W, PF_R = 1, 2, 4

LAB5_PROGRAMS = [
    "hello", "exit", "yield", "forktest", "forktree", "spin", "waitkill", "badarg", "badsegment",
    "divzero", "softint", "faultread", "faultreadkernel", "testbss", "pgdir",
]
LAB6_PROGRAMS = ["priority", "matrix"]
ALL_PROGRAMS = LAB5_PROGRAMS + LAB6_PROGRAMS


def elf_of(image: bytes) -> ELFFile:
    return ELFFile(io.BytesIO(image))


def load_segments(elf: ELFFile) -> list:
    return [seg for seg in elf.iter_segments() if seg["p_type"] == "PT_LOAD"]


def pages_of(seg) -> set[int]:
    """The page numbers a segment's memory image touches."""
    start, end = seg["p_vaddr"], seg["p_vaddr"] + seg["p_memsz"]
    return set(range(start // PGSIZE, (end + PGSIZE - 1) // PGSIZE))


def symbol(elf: ELFFile, name: str):
    return next(s for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name == name)


def function_instructions(elf: ELFFile, name: str) -> list:
    """The disassembled instructions of function `name`."""
    func = symbol(elf, name)
    text = elf.get_section_by_name(".text")
    offset = func["st_value"] - text["sh_addr"]
    code = text.data()[offset:offset + func["st_size"]]
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    return list(md.disasm(code, func["st_value"]))


def write_c(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_fifteen_lab5_and_two_lab6_programs_are_listed_each_with_a_one_line_description():
    assert program_names(lab=5) == LAB5_PROGRAMS and program_names(lab=6) == LAB6_PROGRAMS
    assert program_names() == ALL_PROGRAMS
    assert [build.program_lab(name) for name in ALL_PROGRAMS] == [5] * 15 + [6] * 2
    for name in program_names():
        description = build.program_description(name)
        assert description and "\n" not in description


@pytest.mark.parametrize("name", ALL_PROGRAMS)
def test_every_program_builds_with_entry_at_0x800020(name):
    elf = elf_of(build_program(name))
    assert elf.header["e_machine"] == "EM_RISCV" and elf.elfclass == 64
    assert elf.header["e_entry"] == 0x800020
    assert symbol(elf, "_start")["st_value"] == 0x800020
    assert elf.get_section_by_name(".text")["sh_addr"] == 0x800020


@pytest.mark.parametrize("name", ALL_PROGRAMS)
def test_text_and_data_segments_never_share_a_page(name):
    elf = elf_of(build_program(name))
    segments = load_segments(elf)
    assert 1 <= len(segments) <= 2
    text, data = segments[0], segments[1:]
    assert text["p_flags"] == PF_R | PF_X
    for seg in data:
        assert seg["p_flags"] == PF_R | PF_W
        assert seg["p_vaddr"] % PGSIZE == 0
        assert not pages_of(text) & pages_of(seg)
    for seg in segments:
        assert 0 < seg["p_memsz"] and seg["p_filesz"] <= seg["p_memsz"]


@pytest.mark.parametrize("name", ALL_PROGRAMS)
def test_programs_have_no_unwind_tables_or_extra_loadable_segments(name):
    elf = elf_of(build_program(name))
    assert elf.get_section_by_name(".eh_frame") is None
    kinds = {seg["p_type"] for seg in elf.iter_segments()}
    assert "PT_GNU_EH_FRAME" not in kinds and "PT_INTERP" not in kinds and "PT_DYNAMIC" not in kinds


@pytest.mark.parametrize("name", ALL_PROGRAMS)
def test_all_of_text_is_instructions_that_never_use_gp_or_tp(name):
    elf = elf_of(build_program(name))
    text = elf.get_section_by_name(".text")
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    instructions = list(md.disasm(text.data(), text["sh_addr"]))
    # capstone stops at the first undecodable word, so this also means no data sits in .text
    assert sum(insn.size for insn in instructions) == text["sh_size"]
    # _start never sets gp or tp, so code must not rely on them
    assert not [insn for insn in instructions if "gp" in insn.op_str or "tp" in insn.op_str]


def test_divzero_contains_a_real_divide_instruction():
    elf = elf_of(build_program("divzero"))
    mnemonics = [insn.mnemonic for insn in function_instructions(elf, "main")]
    assert {"div", "divw"} & set(mnemonics), mnemonics


def test_faultread_loads_from_address_zero():
    elf = elf_of(build_program("faultread"))
    loads = [i for i in function_instructions(elf, "main") if i.mnemonic in ("lw", "c.lw", "lwu")]
    assert any(i.op_str.endswith("0(zero)") for i in loads), [i.op_str for i in loads]


def test_testbss_has_a_4_MiB_bigarray_that_ends_the_bss():
    elf = elf_of(build_program("testbss"))
    bigarray = symbol(elf, "bigarray")
    assert bigarray["st_size"] == 4 * 1024 * 1024
    data = load_segments(elf)[-1]
    assert bigarray["st_value"] + bigarray["st_size"] == data["p_vaddr"] + data["p_memsz"]


def test_build_c_compiles_a_users_file_against_the_library(tmp_path):
    source = write_c(tmp_path, "mine.c", '#include <stdio.h>\nint main(void) { cprintf("hi\\n"); return 0; }\n')
    elf = elf_of(build_c(source))
    assert elf.header["e_entry"] == 0x800020


def test_a_program_may_use_the_compilers_own_freestanding_headers(tmp_path):
    source = write_c(tmp_path, "std.c", (
        "#include <stdint.h>\n#include <stddef.h>\n#include <stdbool.h>\n#include <ulib.h>\n"
        "int main(void) { uint64_t x = sizeof(size_t); bool ok = x == 8; return ok ? 0 : 1; }\n"
    ))
    assert build_c(source)


def test_compile_c_writes_the_elf_to_the_output_path(tmp_path):
    source = write_c(tmp_path, "prog.c", "int main(void) { return 3; }\n")
    output = tmp_path / "prog.elf"
    compile_c(source, output)
    assert output.read_bytes() == build_c(source)
    assert os.access(output, os.X_OK)


def test_a_compile_error_becomes_a_build_error_with_the_compilers_message(tmp_path):
    source = write_c(tmp_path, "broken.c", "int main(void) {\n    return undeclared_thing;\n}\n")
    with pytest.raises(BuildError) as info:
        build_c(source)
    message = str(info.value)
    assert "broken.c:2" in message and "undeclared_thing" in message and "error" in message
    assert "Traceback" not in message


def test_a_link_error_becomes_a_build_error(tmp_path):
    source = write_c(tmp_path, "nolink.c", "int missing(void);\nint main(void) { return missing(); }\n")
    with pytest.raises(BuildError, match="missing"):
        build_c(source)


def test_an_unknown_program_name_is_a_build_error_listing_the_known_ones():
    with pytest.raises(BuildError) as info:
        build_program("nosuch")
    assert "nosuch" in str(info.value)
    for name in ALL_PROGRAMS:
        assert name in str(info.value)


def test_a_missing_source_file_is_a_build_error(tmp_path):
    with pytest.raises(BuildError, match="no such file"):
        build_c(tmp_path / "absent.c")


def test_builds_do_not_depend_on_where_the_source_lives(tmp_path):
    text = '#include <ulib.h>\nint main(void) { panic("x"); }\n'
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = build.build_c(write_c(tmp_path / "a", "same.c", text))
    build._MEMO.clear()
    # compile for real in both places: the image must not embed the directory
    second, _ = build._compile_to_bytes((write_c(tmp_path / "b", "same.c", text)).resolve())
    assert first == second
    assert str(tmp_path).encode() not in first


@pytest.fixture(scope="session")
def zig_library_cache(run_dir):
    """A zig cache directory shared by the tests of this run (zig's cache is safe for processes using it
    at once): zig keeps the user library's objects there, so each private build compiles only its
    program (pyucore's own cache stays private)."""
    return run_dir / "zig"


@pytest.fixture
def private_cache(tmp_path, monkeypatch, zig_library_cache):
    """An empty on-disk cache and an empty in-process memo, for this test only; zig's cache of the
    user library's objects is the session's (a program's own compile never uses zig's cache)."""
    monkeypatch.setenv("PYUCORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(zig_library_cache))
    monkeypatch.setattr(build, "_MEMO", {})
    return tmp_path / "cache"


def forbid_compiler(monkeypatch):
    def no_compiler(command, zig_cache=None):
        raise AssertionError("the compiler was called")
    monkeypatch.setattr(build, "_run_compiler", no_compiler)


def test_the_cache_makes_the_second_build_not_call_the_compiler(private_cache, monkeypatch):
    first = build_program("hello")
    assert list((private_cache / "elf").glob("*.elf"))
    # a fresh process: nothing in memory, only the disk cache
    monkeypatch.setattr(build, "_MEMO", {})
    forbid_compiler(monkeypatch)
    assert build_program("hello") == first


def test_the_in_process_memo_serves_repeat_builds_without_touching_disk(private_cache, monkeypatch):
    first = build_program("pgdir")
    for path in (private_cache / "elf").glob("*.elf"):
        path.unlink()
    forbid_compiler(monkeypatch)
    assert build_program("pgdir") == first


def test_changing_the_source_rebuilds(private_cache, tmp_path):
    source = write_c(tmp_path, "change.c", "int main(void) { return 1; }\n")
    first = build_c(source)
    source.write_text("int main(void) { return 2; }\n")
    assert build_c(source) != first


def test_a_corrupt_or_unwritable_cache_only_costs_a_rebuild(tmp_path, monkeypatch, zig_library_cache):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("PYUCORE_CACHE", str(blocker / "cache"))
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(zig_library_cache))
    monkeypatch.setattr(build, "_MEMO", {})
    assert elf_of(build_program("softint")).header["e_entry"] == 0x800020


def test_programs_in_different_directories_share_zig_s_objects_of_the_library(private_cache, tmp_path,
                                                                              monkeypatch):
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(tmp_path / "zig"))
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    build_c(write_c(tmp_path / "one", "p.c", "int main(void) { return 1; }\n"))
    objects = set((tmp_path / "zig" / "o").iterdir())
    build_c(write_c(tmp_path / "two", "q.c", "int main(void) { return 2; }\n"))
    assert set((tmp_path / "zig" / "o").iterdir()) == objects


def test_elf_path_is_the_cached_image_newer_than_its_source(private_cache, tmp_path):
    source = write_c(tmp_path, "dbg.c", "int main(void) { return 3; }\n")
    path = build.elf_path(source)
    assert path.parent == private_cache / "elf"
    assert path.read_bytes() == build_c(source)
    assert path.stat().st_mtime >= source.stat().st_mtime


def test_elf_path_without_a_writable_cache_is_a_temporary_file_with_the_image(tmp_path, monkeypatch):
    image = build_program("softint")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("PYUCORE_CACHE", str(blocker / "cache"))
    path = build.elf_path(build.PROGRAMS_DIR / "softint.c")
    try:
        assert path.read_bytes() == image and path.suffix == ".elf"
    finally:
        path.unlink()


# --- output files -----------------------------------------------------------------------------------

def test_compile_c_into_a_missing_directory_fails_without_creating_it(tmp_path):
    source = write_c(tmp_path, "prog.c", "int main(void) { return 3; }\n")
    output = tmp_path / "nonexist" / "x.elf"
    with pytest.raises(FileNotFoundError):
        compile_c(source, output)
    assert not output.parent.exists()


def test_a_directory_given_as_the_source_is_a_build_error(tmp_path):
    with pytest.raises(BuildError, match="is a directory"):
        build_c(tmp_path)


# --- warnings ---------------------------------------------------------------------------------------

UNUSED = "int main(void) {\n    int unused;\n    return 0;\n}\n"


@pytest.mark.parametrize("name", ALL_PROGRAMS)
def test_the_built_in_programs_compile_without_warnings(name):
    # the build cache keeps the warnings the compiler printed for these very bytes (the tests above and
    # below check that it does), so a cached build answers as a fresh one would
    assert build_c_with_warnings(build.PROGRAMS_DIR / f"{name}.c")[1] == ""


def test_the_user_library_compiles_without_warnings_when_zig_has_nothing_cached(private_cache, monkeypatch,
                                                                                tmp_path):
    # the other private builds share zig's cache of the library: here zig compiles all of it
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(tmp_path / "empty-zig-cache"))
    assert build_c_with_warnings(build.PROGRAMS_DIR / "hello.c")[1] == ""
    assert list((tmp_path / "empty-zig-cache").iterdir()), "zig cached nothing: the library was not built here"


def test_a_build_that_succeeds_returns_the_compilers_warnings_as_it_prints_them(private_cache, tmp_path):
    source = write_c(tmp_path, "warn.c", UNUSED)
    image, warnings = build_c_with_warnings(source)
    assert elf_of(image).header["e_entry"] == 0x800020
    assert f"{source}:2:9: warning: unused variable 'unused'" in warnings
    assert build_c(source) == image


def test_compile_c_returns_the_warnings(private_cache, tmp_path):
    source = write_c(tmp_path, "warn.c", UNUSED)
    assert "warning: unused variable" in compile_c(source, tmp_path / "warn.elf")
    assert compile_c(write_c(tmp_path, "clean.c", "int main(void) { return 0; }\n"), tmp_path / "c.elf") == ""


def test_a_cached_build_gives_the_warnings_again_naming_where_the_source_is_now(private_cache, monkeypatch,
                                                                                 tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = build_c_with_warnings(write_c(tmp_path / "a", "warn.c", UNUSED))[1]
    monkeypatch.setattr(build, "_MEMO", {})     # a fresh process: only the disk cache
    forbid_compiler(monkeypatch)
    moved = write_c(tmp_path / "b", "warn.c", UNUSED)
    again = build_c_with_warnings(moved)[1]
    assert again == first.replace(str(tmp_path / "a"), str(tmp_path / "b"))
    assert f"{moved}:2:9: warning" in again and str(tmp_path / "a") not in again


def test_a_cached_image_without_its_warnings_file_is_rebuilt_with_the_warnings(private_cache, monkeypatch,
                                                                                tmp_path):
    source = write_c(tmp_path, "warn.c", UNUSED)
    build_c(source)
    for path in (private_cache / "elf").glob("*.warnings"):
        path.unlink()       # as a cache written before warnings were kept
    monkeypatch.setattr(build, "_MEMO", {})
    # zig's own cache still holds the program's object: the warnings must not be lost to it
    assert "warning: unused variable" in build_c_with_warnings(source)[1]


FORMAT_MISMATCHES = [
    ('cprintf("%d %s\\n", 1);', "more '%' conversions than data arguments"),
    ('cprintf("%s\\n", 42);', "format specifies type 'char *'"),
    ('panic("%d", "x");', "format specifies type 'int'"),
    ('char b[8]; snprintf(b, sizeof(b), "%s", 1);', "format specifies type 'char *'"),
]


@pytest.fixture(scope="module")
def format_warnings(tmp_path_factory, zig_library_cache):
    """(source path, warnings) of one program making every call of FORMAT_MISMATCHES, the i-th on line
    4 + i, built once for the module with a private cache (one compile instead of one per call)."""
    directory = tmp_path_factory.mktemp("formats")
    calls = "".join(f"    {{ {call} }}\n" for call, _ in FORMAT_MISMATCHES)
    source = write_c(directory, "fmt.c", "#include <stdio.h>\n#include <ulib.h>\n"
                                         f"int main(void) {{\n{calls}    return 0;\n}}\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYUCORE_CACHE", str(directory / "cache"))
        patch.setenv("ZIG_GLOBAL_CACHE_DIR", str(zig_library_cache))
        patch.setattr(build, "_MEMO", {})
        return source, build_c_with_warnings(source)[1]


@pytest.mark.parametrize("line", range(len(FORMAT_MISMATCHES)), ids=[call for call, _ in FORMAT_MISMATCHES])
def test_a_format_that_does_not_match_its_arguments_warns_at_compile_time(format_warnings, line):
    source, warnings = format_warnings
    complaint = FORMAT_MISMATCHES[line][1]
    at_line = [text for text in warnings.splitlines() if text.startswith(f"{source}:{4 + line}:")]
    assert any(complaint in text and "[-Wformat" in text for text in at_line), warnings


# --- runtime helpers the user library lacks ---------------------------------------------------------

@pytest.mark.parametrize("body, helper", [
    ("volatile double x = 1.5; return (int)(x * 3.0);", "__muldf3"),
    ("volatile float x = 1.5f; return (int)(x + 2.0f);", "__addsf3"),
    ("volatile __int128 a = 7, b = 3; return (int)(a / b);", "__divti3"),
])
def test_a_link_error_for_a_floating_point_or_128_bit_helper_adds_a_note(tmp_path, body, helper):
    source = write_c(tmp_path, "fp.c", f"int main(void) {{ {body} }}\n")
    with pytest.raises(BuildError) as info:
        build_c(source)
    message = str(info.value)
    assert f"undefined symbol: {helper}" in message
    assert message.endswith("\n" + NO_RUNTIME_NOTE)
    assert NO_RUNTIME_NOTE == ("note: pyucore's user library has no floating-point or 128-bit arithmetic "
                               "support (like ucore's)")


def test_other_link_errors_get_no_note(tmp_path):
    source = write_c(tmp_path, "nolink.c", "int missing(void);\nint main(void) { return missing(); }\n")
    with pytest.raises(BuildError) as info:
        build_c(source)
    assert "note:" not in str(info.value)


@pytest.mark.parametrize("helper", ["__muldf3", "__addsf3", "__fixdfsi", "__floatsidf", "__fixunssfdi",
                                    "__divti3", "__umodti3", "__ltdf2", "__extendsfdf2"])
def test_the_compiler_runtime_helpers_are_recognised(helper):
    assert build.RUNTIME_HELPER.search(f"ld.lld: error: undefined symbol: {helper}\n")


def test_a_source_named_with_an_upper_case_dot_c_is_compiled_as_c(tmp_path):
    # `class` is a keyword of C++, which clang would otherwise assume for a .C file
    source = write_c(tmp_path, "TREE.C", "int main(void) { int class = 0; return class; }\n")
    assert elf_of(build_c(source)).header["e_entry"] == 0x800020


@pytest.mark.parametrize("name, content, message", [
    ("notes.txt", b"int main(void) { return 0; }\n", "not a C source file"),
    ("prog", b"\x7fELF\x02\x01\x01", "is an ELF file, not C source"),
])
def test_a_file_that_is_not_c_source_is_a_build_error_before_compiling(monkeypatch, tmp_path, name, content,
                                                                       message):
    monkeypatch.setattr(build, "_run_compiler", lambda *a, **k: pytest.fail("the compiler ran"))
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(BuildError, match=message):
        build_c(source)


@pytest.mark.parametrize("program, note", [
    ('#include <stdio.h>\nint main(void) { printf("hi\\n"); return 0; }\n',
     "note: pyucore's user library prints with cprintf (stdio.h), not printf"),
    ("#include <stdlib.h>\nint main(void) { return 0; }\n",
     "note: pyucore's user library has no stdlib.h: exit() is in ulib.h, and there is no malloc"),
    ("#include <math.h>\nint main(void) { return 0; }\n",
     "note: pyucore's user library has the headers defs.h, error.h, stdarg.h, stdio.h"),
])
def test_a_program_written_for_the_c_library_gets_a_one_line_hint(tmp_path, program, note):
    with pytest.raises(BuildError) as info:
        build_c(write_c(tmp_path, "libc.c", program))
    hints = [line for line in str(info.value).splitlines() if line.startswith("note: ")]
    assert len(hints) == 1 and hints[0].startswith(note) and hints[0].endswith("docs/userlib.md in pyucore's repository)")


def test_unistd_h_numbers_only_the_system_calls_the_kernel_serves():
    from pyucore.kern.syscall import syscall
    header = (build.LIBS_DIR / "unistd.h").read_text()
    numbers = {name: int(value) for name, value in re.findall(r"#define (SYS_\w+)\s+(\d+)", header)}
    lab6 = {"SYS_gettime", "SYS_lab6_set_priority"}
    assert {n for name, n in numbers.items() if name not in lab6} == set(syscall.LAB5_SYSCALLS)
    assert set(numbers.values()) == set(syscall.LAB6_SYSCALLS)
    assert not {"SYS_sleep", "SYS_brk", "SYS_mmap"} & numbers.keys()


def test_the_user_library_reference_names_every_function_the_headers_declare():
    docs = (build.USER_DIR.parents[1] / "docs" / "userlib.md").read_text()
    declared = set()
    for header in ("ulib.h", "stdio.h", "string.h", "syscall.h"):
        declared |= set(re.findall(r"\b(\w+)\(", re.sub(r"/\*.*?\*/", "", (build.LIBS_DIR / header).read_text(),
                                                        flags=re.S)))
    declared -= {"__attribute__", "format", "__printf_like", "__panic", "__warn", "if", "while", "_Static_assert"}
    missing = sorted(name for name in declared if name not in docs and not name.startswith("sys_"))
    assert missing == []
    assert "sys_*" in docs or "`sys_" in docs
