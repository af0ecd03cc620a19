"""Source lines, functions and instructions of user code for the fault reports (kern/debug/kdebug.py),
and the disk entries that keep them."""

import io
import re

import pytest
from elftools.elf.elffile import ELFFile

from pyucore.kern.debug import kdebug
from pyucore.user.build import LIBS_DIR, PROGRAMS_DIR, build_program

STORE_CODE = bytes.fromhex("23200500")      # sw zero, 0(a0)


def _symbol(image, name):
    """The address of function symbol name in image."""
    return ELFFile(io.BytesIO(image)).get_section_by_name(".symtab").get_symbol_by_name(name)[0]["st_value"]


def _definition_line(name, program="testbss"):
    """(file name, line) where the user library or program's source defines function name (ucore's
    style: the name starts the line), or None."""
    for path in sorted(LIBS_DIR.glob("*.c")) + [PROGRAMS_DIR / (program + ".c")]:
        for number, text in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"%s\(.*\)\s*\{" % name, text):
                return path.name, number
    return None


@pytest.fixture(scope="module")
def testbss():
    """The image of the built-in testbss."""
    return build_program("testbss")


def test_an_address_in_main_names_its_file_line_and_function():
    image = build_program("faultread")
    where = kdebug.debuginfo_eip(image, _symbol(image, "main"))
    assert where.startswith("faultread.c:") and where.endswith(", main")
    assert kdebug.source_line(image, _symbol(image, "main")) == where.split(",")[0]


def test_the_first_instruction_of_each_function_names_the_line_defining_it(testbss):
    names = ("main", "cputch", "exit", "strlen", "memmove", "vprintfmt", "sys_putc")
    for name in names:
        assert kdebug.debuginfo_eip(testbss, _symbol(testbss, name)) == "%s:%d, %s" % (
            *_definition_line(name), name)


def test_an_address_outside_the_program_names_nothing():
    image = build_program("faultread")
    assert kdebug.debuginfo_eip(image, 0x10) is None
    assert kdebug.debuginfo_eip(None, 0x800000) is None


def test_an_image_without_debug_info_or_not_an_elf_names_nothing():
    assert kdebug.debuginfo_eip(b"not an elf at all", 0x800000) is None


def test_an_elf_without_dwarf_names_only_the_function(testbss):
    no_dwarf = testbss.replace(b".debug_", b".nodbg_")
    assert kdebug.debuginfo_eip(no_dwarf, _symbol(testbss, "main")) == "main"
    assert kdebug.source_line(no_dwarf, _symbol(testbss, "main")) is None


def test_a_stripped_elf_names_nothing(testbss):
    stripped = testbss.replace(b".debug_", b".nodbg_").replace(b".symtab", b".nosymt")
    assert kdebug.debuginfo_eip(stripped, _symbol(testbss, "main")) is None


def test_damaged_or_truncated_elfs_name_what_they_still_can(testbss):
    main = _symbol(testbss, "main")
    for cut in (16, 64, len(testbss) // 2, len(testbss) - 1):
        where = kdebug.debuginfo_eip(testbss[:cut], main)
        assert where is None or where.endswith("main")
    garbled = bytearray(testbss)
    for offset in range(0x1000, len(garbled), 997):
        garbled[offset] ^= 0x5A
    where = kdebug.debuginfo_eip(bytes(garbled), main)
    assert where is None or isinstance(where, str)


def test_the_tables_of_an_image_are_read_once():
    image = build_program("hello")
    kdebug.debuginfo_eip(image, 0x800000)
    hits = kdebug._tables.cache_info().hits
    kdebug.debuginfo_eip(image, 0x800004)
    assert kdebug._tables.cache_info().hits == hits + 1


def test_disassembly_of_compressed_and_full_instructions():
    assert kdebug.disassemble(bytes.fromhex("83270000"), 0x800000) == "lw a5, 0(zero)"
    assert kdebug.disassemble(bytes.fromhex("0290"), 0x800000) == "c.ebreak"
    assert kdebug.disassemble(bytes.fromhex("ffffffff"), 0x800000) is None


def _no_reading(monkeypatch):
    """Makes any reading of an image or any disassembly fail the test: answers must come from an entry."""
    def fail(*args):
        raise AssertionError("read the image again")
    monkeypatch.setattr(kdebug, "_read_image", fail)
    monkeypatch.setattr(kdebug, "_capstone_text", fail)


def test_a_second_process_takes_lines_functions_and_instructions_from_the_entry(testbss, tmp_path, monkeypatch):
    first = kdebug.load_tables(testbss, tmp_path)
    main = _symbol(testbss, "main")
    assert first.disassemble(STORE_CODE, main) == "sw zero, 0(a0)"
    _no_reading(monkeypatch)
    again = kdebug.load_tables(testbss, tmp_path)
    assert (again.line(main + 6), again.function(main + 6)) == (first.line(main + 6), "main")
    assert again.disassemble(STORE_CODE, main) == "sw zero, 0(a0)"


def test_an_entry_of_another_reader_version_or_image_is_not_used(testbss, tmp_path, monkeypatch):
    kdebug.load_tables(testbss, tmp_path)
    monkeypatch.setattr(kdebug, "reader_version", lambda: b"another reader")
    read = []
    monkeypatch.setattr(kdebug, "_read_image", lambda image: read.append(image) or ([], []))
    kdebug.load_tables(testbss, tmp_path)
    kdebug.load_tables(testbss + b"\0", tmp_path)
    assert len(read) == 2


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "another key's"])
def test_a_damaged_entry_is_read_again_from_the_image_and_rewritten(testbss, tmp_path, monkeypatch, damage):
    kdebug.load_tables(testbss, tmp_path)
    (entry,) = tmp_path.iterdir()
    good = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(good[:len(good) // 2])
    elif damage == "flipped":
        entry.write_bytes(good[:-10] + bytes([good[-10] ^ 1]) + good[-9:])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        kdebug.load_tables(build_program("hello"), tmp_path)
        other = next(path for path in tmp_path.iterdir() if path != entry)
        entry.write_bytes(other.read_bytes())
    main = _symbol(testbss, "main")
    assert kdebug.load_tables(testbss, tmp_path).function(main) == "main"
    _no_reading(monkeypatch)
    assert kdebug.load_tables(testbss, tmp_path).function(main) == "main"


def test_an_unwritable_cache_directory_only_means_reading_the_image(testbss, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_bytes(b"")
    tables = kdebug.load_tables(testbss, blocker / "debug")
    main = _symbol(testbss, "main")
    assert tables.function(main) == "main" and tables.line(main) == _definition_line("main")
    assert tables.disassemble(STORE_CODE, main) == "sw zero, 0(a0)"
    assert blocker.read_bytes() == b""
