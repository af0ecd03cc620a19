"""Where a user instruction comes from (ucore's kdebug.c: debuginfo_eip, from STABS there, from the
ELF's DWARF line table and symbol table here), and what it is (capstone's disassembly).

The tables of an ELF are read once and kept (the last few images), so a fault report costs a binary
search, not a parse.
"""

import bisect
import functools
import io
import os

_CACHED_IMAGES = 8


class _DebugTables:
    """The line rows and function symbols of one ELF image, sorted by address."""

    def __init__(self, image):
        """Reads image's DWARF line programs and FUNC symbols (none when it has no such sections)."""
        # imported here, not with the kernel: they cost more than a whole boot's start-up, and most
        # runs never report a fault
        from elftools.common.exceptions import ELFError
        from elftools.elf.elffile import ELFFile
        self.rows = []          # (address, file or None at an end of sequence, line)
        self.functions = []     # (start, end, name)
        try:
            elf = ELFFile(io.BytesIO(image))
            if elf.has_dwarf_info():
                self._read_lines(elf.get_dwarf_info())
            symtab = elf.get_section_by_name(".symtab")
            if symtab is not None:
                self.functions = sorted(
                    (s["st_value"], s["st_value"] + s["st_size"], s.name) for s in symtab.iter_symbols()
                    if s["st_info"]["type"] == "STT_FUNC" and s["st_size"] > 0)
        except (ELFError, ValueError, KeyError, IndexError, AttributeError):
            pass                # a broken ELF still runs; its faults just name no source
        self.rows.sort(key=lambda row: row[0])
        self.addresses = [row[0] for row in self.rows]
        self.starts = [f[0] for f in self.functions]

    def _read_lines(self, dwarf):
        """Collects every row of every compilation unit's line program."""
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
                    self.rows.append((state.address, None, 0))
                elif 0 <= state.file - base < len(files):
                    name = os.path.basename(files[state.file - base].name.decode("utf-8", "replace"))
                    self.rows.append((state.address, name, state.line))

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


@functools.lru_cache(maxsize=_CACHED_IMAGES)
def _tables(image):
    """The _DebugTables of image (bytes), read once."""
    return _DebugTables(image)


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
    import capstone     # only a fault report needs it: not imported with the kernel (see _DebugTables)
    return capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)


def disassemble(code, addr):
    """The first instruction of code (bytes at addr) as `mnemonic operands`, or None if capstone
    decodes none."""
    for insn in _disassembler().disasm(code, addr, 1):
        return ("%s %s" % (insn.mnemonic, insn.op_str)).strip()
    return None
