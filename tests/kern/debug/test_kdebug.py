"""Source lines, functions and instructions of user code for the fault reports (kern/debug/kdebug.py)."""

from elftools.elf.elffile import ELFFile
import io

from pyucore.kern.debug import kdebug
from pyucore.user.build import build_program


def _symbol(image, name):
    """The address of function symbol name in image."""
    return ELFFile(io.BytesIO(image)).get_section_by_name(".symtab").get_symbol_by_name(name)[0]["st_value"]


def test_an_address_in_main_names_its_file_line_and_function():
    image = build_program("faultread")
    where = kdebug.debuginfo_eip(image, _symbol(image, "main"))
    assert where.startswith("faultread.c:") and where.endswith(", main")
    assert kdebug.source_line(image, _symbol(image, "main")) == where.split(",")[0]


def test_an_address_outside_the_program_names_nothing():
    image = build_program("faultread")
    assert kdebug.debuginfo_eip(image, 0x10) is None
    assert kdebug.debuginfo_eip(None, 0x800000) is None


def test_an_image_without_debug_info_or_not_an_elf_names_nothing():
    assert kdebug.debuginfo_eip(b"not an elf at all", 0x800000) is None


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
