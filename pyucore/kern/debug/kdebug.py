"""Where a user instruction comes from (ucore's kdebug.c: debuginfo_eip, from STABS there, from the
ELF's DWARF line table and symbol table here), and what it is (capstone's disassembly).

Reading an ELF's tables with pyelftools, and disassembling with capstone, cost more than a whole
boot's start-up (most of it importing them), so what they give is kept: in this process (the last few
images), and on disk, one entry per image in `debug/` of pyucore's cache directory holding its line
rows, its function symbols and the disassembly of the instructions reported in it so far. An entry's
key is a hash of the image's bytes and of the reader's version (this module's source and the
pyelftools and capstone it runs with), so an entry is never stale; a damaged one fails its checksum
and is read again from the image; a cache that cannot be written only means reading the image each
time. The entries grow as the build cache does: at most one small entry per image whose source
lines or instructions were asked for (a fault report, --verbose, the grader).
"""

import bisect
import functools
import hashlib
import importlib.util
import io
import marshal
import os
from pathlib import Path

from pyucore.cachedir import pyucore_cache_dir, read_checked, write_checked

_CACHED_IMAGES = 8
# disassemblies an image's entry keeps: a program that faults everywhere does not grow it without end
MAX_INSTRUCTIONS = 64


class _DebugTables:
    """The line rows and function symbols of one ELF image, sorted by address, and the disassembled
    instructions reported in it; kept in the entry file path (None: memory only) under key."""

    def __init__(self, rows, functions, instructions, path=None, key=b""):
        """Needs rows [(address, file or None at an end of sequence, line)], functions [(start, end,
        name)], instructions {(code, address): text or None}, each as _read_image gives them."""
        self.rows = sorted(rows, key=lambda row: row[0])
        self.functions = sorted(functions)
        self.instructions = instructions
        self.path, self.key = path, key
        self.addresses = [row[0] for row in self.rows]
        self.starts = [f[0] for f in self.functions]

    def line(self, addr):
        """(file, line) of the row covering addr, or None."""
        i = bisect.bisect_right(self.addresses, addr) - 1
        if i < 0 or self.rows[i][1] is None or self.rows[i][2] == 0:
            return None
        return self.rows[i][1], self.rows[i][2]

    def function(self, addr):
        """Name of the function symbol whose range holds addr, or None."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0 and addr < self.functions[i][1]:
            return self.functions[i][2]
        return None

    def disassemble(self, code, addr):
        """disassemble(code, addr), kept with this image's tables (up to MAX_INSTRUCTIONS of them)."""
        if (code, addr) in self.instructions:
            return self.instructions[code, addr]
        text = _capstone_text(code, addr)
        if len(self.instructions) < MAX_INSTRUCTIONS:
            self.instructions[code, addr] = text
            self.store()
        return text

    def store(self):
        """Writes these tables to their entry file, if they have one (nothing when it cannot be written)."""
        if self.path is not None:
            data = marshal.dumps((self.rows, self.functions, self.instructions))
            write_checked(self.path, self.key, data)


def _read_image(image):
    """(rows, functions) of an ELF image as _DebugTables needs them: its DWARF line programs and FUNC
    symbols, none of either when the image has no such sections or they cannot be read."""
    # imported here, not with the kernel: they cost more than a whole boot's start-up, and most runs
    # never report a fault
    from elftools.elf.elffile import ELFFile
    try:
        elf = ELFFile(io.BytesIO(image))
    except Exception:
        return [], []       # not even a readable ELF header (see _unless_broken)
    return _unless_broken(lambda: _line_rows(elf)), _unless_broken(lambda: _function_symbols(elf))


def _unless_broken(read):
    """read(), or [] when it fails: pyelftools raises all kinds of errors (its own, assertions,
    overflows) on a damaged section, and a broken ELF still runs, its faults just name no source."""
    try:
        return read()
    except Exception:
        return []


def _function_symbols(elf):
    """(start, end, name) of every sized FUNC symbol of elf (pyelftools' ELFFile)."""
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return []
    return [(s["st_value"], s["st_value"] + s["st_size"], s.name) for s in symtab.iter_symbols()
            if s["st_info"]["type"] == "STT_FUNC" and s["st_size"] > 0]


def _line_rows(elf):
    """Every row of every compilation unit's line program of elf (pyelftools' ELFFile)."""
    if not elf.has_dwarf_info():
        return []
    dwarf = elf.get_dwarf_info()
    rows = []
    names = {}              # one string per file name, so an entry stores each name once
    for cu in dwarf.iter_CUs():
        program = dwarf.line_program_for_CU(cu)
        if program is None:
            continue
        files = program["file_entry"]
        base = 0 if program["version"] >= 5 else 1     # DWARF 5 numbers files from 0
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            if state.end_sequence:
                rows.append((state.address, None, 0))
            elif 0 <= state.file - base < len(files):
                name = os.path.basename(files[state.file - base].name.decode("utf-8", "replace"))
                rows.append((state.address, names.setdefault(name, name), state.line))
    return rows


@functools.cache
def reader_version():
    """A hash of what an entry's content depends on besides the image: this module's source and the
    sources of the pyelftools and capstone packages' entry modules (which carry their versions)."""
    digest = hashlib.blake2b(digest_size=16)
    for origin in (__file__, *(_origin(name) for name in ("elftools", "capstone"))):
        try:
            digest.update(Path(origin).read_bytes() + b"\0")
        except (OSError, TypeError):
            digest.update(b"?\0")       # not installed (or unreadable): a version of its own
    return digest.digest()


def _origin(package):
    """The file of package's entry module, found without importing it, or None."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def cache_directory():
    """The directory of the debug tables' disk entries: debug/ in pyucore's cache directory."""
    return pyucore_cache_dir() / "debug"


def load_tables(image, directory):
    """The _DebugTables of image (bytes): from its entry in directory (None: no disk entry) when that
    is whole and of this reader, else read from the image (and stored there)."""
    if directory is None:
        return _DebugTables(*_read_image(image), {})
    key = hashlib.blake2b(reader_version() + image, digest_size=20).digest()
    path = Path(directory) / key.hex()
    data = read_checked(path, key)
    if data is not None:
        try:
            return _DebugTables(*marshal.loads(data), path, key)
        except (EOFError, ValueError, TypeError, IndexError):
            pass            # an entry of an unexpected shape: read the image again
    tables = _DebugTables(*_read_image(image), {}, path, key)
    tables.store()
    return tables


@functools.lru_cache(maxsize=_CACHED_IMAGES)
def _tables(image):
    """The _DebugTables of image (bytes), read once in this process."""
    return load_tables(image, cache_directory())


def debuginfo_eip(image, addr):
    """`file.c:LINE, function` for the instruction at addr of the ELF image (the parts it knows), or
    None when image is None or knows nothing of addr."""
    if image is None:
        return None
    tables = _tables(image)
    line, function = tables.line(addr), tables.function(addr)
    parts = (["%s:%d" % line] if line else []) + ([function] if function else [])
    return ", ".join(parts) or None


def source_line(image, addr):
    """`file.c:LINE` of the instruction at addr of the ELF image, or None."""
    line = _tables(image).line(addr) if image is not None else None
    return "%s:%d" % line if line else None


@functools.cache
def _disassembler():
    """A capstone RV64GC disassembler."""
    import capstone     # only a fault report needs it: not imported with the kernel (see _read_image)
    return capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)


def _capstone_text(code, addr):
    """The first instruction of code (bytes at addr) as capstone decodes it, or None."""
    for insn in _disassembler().disasm(code, addr, 1):
        return ("%s %s" % (insn.mnemonic, insn.op_str)).strip()
    return None


def disassemble(code, addr, image=None):
    """The first instruction of code (bytes at addr) as `mnemonic operands`, or None if capstone
    decodes none; kept with the debug tables of the ELF image the process runs, if given."""
    code = bytes(code)
    return _tables(image).disassemble(code, addr) if image is not None else _capstone_text(code, addr)
