"""A tiny RV64IMAC assembler for the machine tests (encodings written from the ISA manual)."""

import struct

_BRANCH = {"beq": 0, "bne": 1, "blt": 4, "bge": 5, "bltu": 6, "bgeu": 7}
_LOAD = {"lb": 0, "lh": 1, "lw": 2, "ld": 3, "lbu": 4, "lhu": 5, "lwu": 6}
_STORE = {"sb": 0, "sh": 1, "sw": 2, "sd": 3}
_IMM = {"addi": 0, "slti": 2, "sltiu": 3, "xori": 4, "ori": 6, "andi": 7}
_REG = {"add": (0, 0), "sub": (0x20, 0), "sll": (0, 1), "slt": (0, 2), "sltu": (0, 3), "xor": (0, 4),
        "srl": (0, 5), "sra": (0x20, 5), "or": (0, 6), "and": (0, 7), "mul": (1, 0), "mulh": (1, 1),
        "mulhsu": (1, 2), "mulhu": (1, 3), "div": (1, 4), "divu": (1, 5), "rem": (1, 6), "remu": (1, 7)}
_REGW = {"addw": (0, 0), "subw": (0x20, 0), "sllw": (0, 1), "srlw": (0, 5), "sraw": (0x20, 5),
         "mulw": (1, 0), "divw": (1, 4), "divuw": (1, 5), "remw": (1, 6), "remuw": (1, 7)}
_AMO = {"amoadd": 0, "amoswap": 1, "amoxor": 4, "amoand": 12, "amoor": 8, "amomin": 16, "amomax": 20,
        "amominu": 24, "amomaxu": 28, "lr": 2, "sc": 3}
REG_OPS, REGW_OPS, IMM_OPS = list(_REG), list(_REGW), list(_IMM)
LOAD_OPS, STORE_OPS, BRANCH_OPS, AMO_OPS = list(_LOAD), list(_STORE), list(_BRANCH), list(_AMO)


def i_type(opcode, f3, rd, rs1, imm):
    """I-type word."""
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def r_type(opcode, f3, f7, rd, rs1, rs2):
    """R-type word."""
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def reg(op, rd, rs1, rs2):
    """add/sub/.../remu and the W forms."""
    if op in _REG:
        f7, f3 = _REG[op]
        return r_type(0x33, f3, f7, rd, rs1, rs2)
    f7, f3 = _REGW[op]
    return r_type(0x3B, f3, f7, rd, rs1, rs2)


def imm(op, rd, rs1, value):
    """addi/slti/sltiu/xori/ori/andi, addiw."""
    if op == "addiw":
        return i_type(0x1B, 0, rd, rs1, value)
    return i_type(0x13, _IMM[op], rd, rs1, value)


def shift(op, rd, rs1, shamt):
    """slli/srli/srai (shamt 0..63) and slliw/srliw/sraiw (0..31)."""
    word = op.endswith("w")
    f3 = 1 if op.startswith("sll") else 5
    top = 0x400 if op.startswith("sra") else 0
    return i_type(0x1B if word else 0x13, f3, rd, rs1, top | shamt)


def lui(rd, value):
    """lui rd, value (value = the 20-bit upper immediate)."""
    return ((value & 0xFFFFF) << 12) | (rd << 7) | 0x37


def auipc(rd, value):
    """auipc rd, value (20-bit upper immediate)."""
    return ((value & 0xFFFFF) << 12) | (rd << 7) | 0x17


def load(op, rd, rs1, offset):
    """lb ... lwu rd, offset(rs1)."""
    return i_type(0x03, _LOAD[op], rd, rs1, offset)


def store(op, rs2, rs1, offset):
    """sb ... sd rs2, offset(rs1)."""
    offset &= 0xFFF
    return ((offset >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (_STORE[op] << 12) | ((offset & 31) << 7) | 0x23


def branch(op, rs1, rs2, offset):
    """beq ... bgeu rs1, rs2, offset (even, +-4 KiB)."""
    o = offset & 0x1FFF
    return (((o >> 12) & 1) << 31) | (((o >> 5) & 0x3F) << 25) | (rs2 << 20) | (rs1 << 15) \
        | (_BRANCH[op] << 12) | (((o >> 1) & 0xF) << 8) | (((o >> 11) & 1) << 7) | 0x63


def jal(rd, offset):
    """jal rd, offset (even, +-1 MiB)."""
    o = offset & 0x1FFFFF
    return (((o >> 20) & 1) << 31) | (((o >> 1) & 0x3FF) << 21) | (((o >> 11) & 1) << 20) \
        | (((o >> 12) & 0xFF) << 12) | (rd << 7) | 0x6F


def jalr(rd, rs1, offset):
    """jalr rd, offset(rs1)."""
    return i_type(0x67, 0, rd, rs1, offset)


def amo(op, width, rd, rs1, rs2=0):
    """lr/sc/amo*.w or .d (width 'w' or 'd'), aq = rl = 0."""
    return r_type(0x2F, 2 if width == "w" else 3, _AMO[op] << 2, rd, rs1, rs2)


ECALL = 0x00000073
EBREAK = 0x00100073


def csrr(rd, csr):
    """csrrs rd, csr, x0 (a counter read)."""
    return i_type(0x73, 2, rd, 0, csr)


def _scatter(value, fields):
    """Places bit ranges of value into a halfword: fields = [(inst_hi, inst_lo, value_lo), ...]."""
    out = 0
    for hi, lo, vlo in fields:
        width = hi - lo + 1
        out |= ((value >> vlo) & ((1 << width) - 1)) << lo
    return out


def c_addi4spn(rdp, value):
    """c.addi4spn rd', sp, value (value a nonzero multiple of 4 < 1024)."""
    return _scatter(value, [(12, 11, 4), (10, 7, 6), (6, 6, 2), (5, 5, 3)]) | ((rdp - 8) << 2)


_CLW = [(12, 10, 3), (6, 6, 2), (5, 5, 6)]
_CLD = [(12, 10, 3), (6, 5, 6)]


def c_mem(op, rp, rs1p, offset):
    """c.lw/c.ld/c.sw/c.sd with registers x8..x15 (rp = rd' or rs2')."""
    f3 = {"lw": 2, "ld": 3, "sw": 6, "sd": 7}[op]
    fields = _CLW if op in ("lw", "sw") else _CLD
    return (f3 << 13) | _scatter(offset, fields) | ((rs1p - 8) << 7) | ((rp - 8) << 2)


def c_imm(op, rd, value):
    """c.addi / c.addiw / c.li rd, value (6-bit signed)."""
    f3 = {"addi": 0, "addiw": 1, "li": 2}[op]
    return (f3 << 13) | (((value >> 5) & 1) << 12) | (rd << 7) | ((value & 31) << 2) | 1


def c_addi16sp(value):
    """c.addi16sp value (nonzero multiple of 16 in -512..496)."""
    return (3 << 13) | _scatter(value, [(12, 12, 9), (6, 6, 4), (5, 5, 6), (4, 3, 7), (2, 2, 5)]) | (2 << 7) | 1


def c_lui(rd, value):
    """c.lui rd, value (6-bit signed nonzero upper immediate, rd not 0 or 2)."""
    return (3 << 13) | (((value >> 5) & 1) << 12) | (rd << 7) | ((value & 31) << 2) | 1


def c_shift_andi(op, rdp, value):
    """c.srli / c.srai / c.andi rd', value."""
    kind = {"srli": 0, "srai": 1, "andi": 2}[op]
    return (4 << 13) | (((value >> 5) & 1) << 12) | (kind << 10) | ((rdp - 8) << 7) | ((value & 31) << 2) | 1


def c_alu(op, rdp, rs2p):
    """c.sub/xor/or/and/subw/addw rd', rs2'."""
    b12, f2 = {"sub": (0, 0), "xor": (0, 1), "or": (0, 2), "and": (0, 3), "subw": (1, 0), "addw": (1, 1)}[op]
    return (4 << 13) | (b12 << 12) | (3 << 10) | ((rdp - 8) << 7) | (f2 << 5) | ((rs2p - 8) << 2) | 1


def c_j(offset):
    """c.j offset."""
    return (5 << 13) | _scatter(offset, [(12, 12, 11), (11, 11, 4), (10, 9, 8), (8, 8, 10), (7, 7, 6),
                                         (6, 6, 7), (5, 3, 1), (2, 2, 5)]) | 1


def c_bz(op, rs1p, offset):
    """c.beqz / c.bnez rs1', offset."""
    f3 = 6 if op == "beqz" else 7
    return (f3 << 13) | _scatter(offset, [(12, 12, 8), (11, 10, 3), (6, 5, 6), (4, 3, 1), (2, 2, 5)]) \
        | ((rs1p - 8) << 7) | 1


def c_slli(rd, shamt):
    """c.slli rd, shamt."""
    return (((shamt >> 5) & 1) << 12) | (rd << 7) | ((shamt & 31) << 2) | 2


def c_lsp(op, rd, offset):
    """c.lwsp / c.ldsp rd, offset(sp)."""
    if op == "lwsp":
        return (2 << 13) | _scatter(offset, [(12, 12, 5), (6, 4, 2), (3, 2, 6)]) | (rd << 7) | 2
    return (3 << 13) | _scatter(offset, [(12, 12, 5), (6, 5, 3), (4, 2, 6)]) | (rd << 7) | 2


def c_ssp(op, rs2, offset):
    """c.swsp / c.sdsp rs2, offset(sp)."""
    if op == "swsp":
        return (6 << 13) | _scatter(offset, [(12, 9, 2), (8, 7, 6)]) | (rs2 << 2) | 2
    return (7 << 13) | _scatter(offset, [(12, 10, 3), (9, 7, 6)]) | (rs2 << 2) | 2


def c_mv(rd, rs2):
    """c.mv rd, rs2."""
    return (4 << 13) | (rd << 7) | (rs2 << 2) | 2


def c_add(rd, rs2):
    """c.add rd, rs2."""
    return (4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2


def c_jr(rs1):
    """c.jr rs1."""
    return (4 << 13) | (rs1 << 7) | 2


def c_jalr(rs1):
    """c.jalr rs1."""
    return (4 << 13) | (1 << 12) | (rs1 << 7) | 2


C_EBREAK = 0x9002
C_NOP = 0x0001


def words(*insns):
    """Bytes of 32-bit instructions."""
    return b"".join(struct.pack("<I", w) for w in insns)


def encode(insn):
    """Bytes of one instruction: 2 bytes if it is compressed (low bits != 11), else 4."""
    return struct.pack("<H", insn) if insn & 3 != 3 else struct.pack("<I", insn)
