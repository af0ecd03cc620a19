"""Instruction decoder for RV64IMAC user mode.

`decode(word)` turns the bits of one instruction into an `Insn`: the operation name, rd, rs1, rs2, imm
and the instruction length. Compressed instructions are decoded straight into the operation of their
32-bit expansion (C.ADDI -> addi, C.J -> jal x0, ...), so the translator knows only 32-bit operations.
Anything that is not a valid user-mode RV64IMAC instruction decodes to op "illegal" (reserved
compressed encodings included; compressed HINTs are legal and do nothing useful, as the spec says).
"""

from collections import namedtuple

Insn = namedtuple("Insn", "op rd rs1 rs2 imm length raw")

_BRANCHES = {0: "beq", 1: "bne", 4: "blt", 5: "bge", 6: "bltu", 7: "bgeu"}
_LOADS = {0: "lb", 1: "lh", 2: "lw", 3: "ld", 4: "lbu", 5: "lhu", 6: "lwu"}
_STORES = {0: "sb", 1: "sh", 2: "sw", 3: "sd"}
_OP_IMM = {0: "addi", 2: "slti", 3: "sltiu", 4: "xori", 6: "ori", 7: "andi"}
_OP = {(0, 0): "add", (0x20, 0): "sub", (0, 1): "sll", (0, 2): "slt", (0, 3): "sltu", (0, 4): "xor",
       (0, 5): "srl", (0x20, 5): "sra", (0, 6): "or", (0, 7): "and",
       (1, 0): "mul", (1, 1): "mulh", (1, 2): "mulhsu", (1, 3): "mulhu", (1, 4): "div", (1, 5): "divu",
       (1, 6): "rem", (1, 7): "remu"}
_OP_32 = {(0, 0): "addw", (0x20, 0): "subw", (0, 1): "sllw", (0, 5): "srlw", (0x20, 5): "sraw",
          (1, 0): "mulw", (1, 4): "divw", (1, 5): "divuw", (1, 6): "remw", (1, 7): "remuw"}
_AMO = {0b00000: "amoadd", 0b00001: "amoswap", 0b00100: "amoxor", 0b01100: "amoand", 0b01000: "amoor",
        0b10000: "amomin", 0b10100: "amomax", 0b11000: "amominu", 0b11100: "amomaxu",
        0b00010: "lr", 0b00011: "sc"}
# user-readable counters: cycle, time, instret
COUNTER_CSRS = (0xC00, 0xC01, 0xC02)


def sext(value, bits):
    """Needs value < 2**bits; returns it read as a bits-wide two's-complement number."""
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def decode(word):
    """Needs the instruction bits (16 or 32 significant); returns an Insn, op "illegal" if invalid."""
    if word & 3 != 3:
        return _decode16(word & 0xFFFF)
    return _decode32(word & 0xFFFFFFFF)


def _illegal(raw, length):
    """Returns the Insn standing for an illegal instruction with these bits."""
    return Insn("illegal", 0, 0, 0, 0, length, raw)


def _decode32(w):
    """Needs 32 instruction bits; returns the Insn for them."""
    opcode = w & 0x7F
    rd, f3, rs1, rs2, f7 = (w >> 7) & 31, (w >> 12) & 7, (w >> 15) & 31, (w >> 20) & 31, w >> 25
    imm_i = sext(w >> 20, 12)

    def mk(op, imm=0, rd=rd, rs1=rs1, rs2=rs2):
        """Returns the Insn of this word as op (unused register fields passed as 0)."""
        return Insn(op, rd, rs1, rs2, imm, 4, w)

    if opcode == 0x37:
        return mk("lui", sext(w & 0xFFFFF000, 32), rs1=0, rs2=0)
    if opcode == 0x17:
        return mk("auipc", sext(w & 0xFFFFF000, 32), rs1=0, rs2=0)
    if opcode == 0x6F:
        imm = ((w >> 31) << 20) | (((w >> 12) & 0xFF) << 12) | (((w >> 20) & 1) << 11) | (((w >> 21) & 0x3FF) << 1)
        return mk("jal", sext(imm, 21), rs1=0, rs2=0)
    if opcode == 0x67 and f3 == 0:
        return mk("jalr", imm_i, rs2=0)
    if opcode == 0x63 and f3 in _BRANCHES:
        imm = ((w >> 31) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 0x3F) << 5) | (((w >> 8) & 0xF) << 1)
        return mk(_BRANCHES[f3], sext(imm, 13), rd=0)
    if opcode == 0x03 and f3 in _LOADS:
        return mk(_LOADS[f3], imm_i, rs2=0)
    if opcode == 0x23 and f3 in _STORES:
        return mk(_STORES[f3], sext((f7 << 5) | rd, 12), rd=0)
    if opcode == 0x13:
        return _decode_op_imm(w, mk, f3, imm_i)
    if opcode == 0x1B:
        return _decode_op_imm32(w, mk, f3, imm_i)
    if opcode == 0x33 and (f7, f3) in _OP:
        return mk(_OP[(f7, f3)])
    if opcode == 0x3B and (f7, f3) in _OP_32:
        return mk(_OP_32[(f7, f3)])
    if opcode == 0x2F:
        return _decode_amo(w, mk, f3, rs2)
    if opcode == 0x0F and f3 in (0, 1):
        return mk("fence", rd=0, rs1=0, rs2=0)
    if opcode == 0x73:
        return _decode_system(w, mk, f3, rd, rs1)
    return _illegal(w, 4)


def _decode_op_imm(w, mk, f3, imm):
    """Decodes OP-IMM (addi ... srai) or returns illegal."""
    if f3 in _OP_IMM:
        return mk(_OP_IMM[f3], imm, rs2=0)
    shamt, top = (w >> 20) & 0x3F, w >> 26
    if f3 == 1 and top == 0:
        return mk("slli", shamt, rs2=0)
    if f3 == 5 and top in (0, 0x10):
        return mk("srai" if top else "srli", shamt, rs2=0)
    return _illegal(w, 4)


def _decode_op_imm32(w, mk, f3, imm):
    """Decodes OP-IMM-32 (addiw, slliw, srliw, sraiw) or returns illegal."""
    if f3 == 0:
        return mk("addiw", imm, rs2=0)
    shamt, top = (w >> 20) & 0x1F, w >> 25
    if f3 == 1 and top == 0:
        return mk("slliw", shamt, rs2=0)
    if f3 == 5 and top in (0, 0x20):
        return mk("sraiw" if top else "srliw", shamt, rs2=0)
    return _illegal(w, 4)


def _decode_amo(w, mk, f3, rs2):
    """Decodes LR/SC/AMO*.W/.D (aq/rl bits ignored: one hart) or returns illegal."""
    name = _AMO.get(w >> 27)
    if f3 not in (2, 3) or name is None or (name == "lr" and rs2 != 0):
        return _illegal(w, 4)
    return mk(name + (".w" if f3 == 2 else ".d"))


def _decode_system(w, mk, f3, rd, rs1):
    """Decodes ecall, ebreak and reads of cycle/time/instret; everything else is illegal in U-mode."""
    if w == 0x00000073:
        return mk("ecall", rd=0, rs1=0, rs2=0)
    if w == 0x00100073:
        return mk("ebreak", rd=0, rs1=0, rs2=0)
    csr = w >> 20
    # only csrrs/csrrc with rs1 = x0 and csrrsi/csrrci with uimm = 0 are pure reads
    if csr in COUNTER_CSRS and f3 in (2, 3, 6, 7) and rs1 == 0:
        return mk("csrr", csr, rs1=0, rs2=0)
    return _illegal(w, 4)


def _bit(h, pos, to):
    """Returns bit pos of h moved to position to."""
    return ((h >> pos) & 1) << to


def _field(h, hi, lo, to):
    """Returns bits hi..lo of h moved so that bit lo lands at position to."""
    return ((h >> lo) & ((1 << (hi - lo + 1)) - 1)) << to


def _decode16(h):
    """Needs 16 instruction bits with low bits != 11; returns the Insn of the RV64C instruction."""
    quadrant, f3 = h & 3, h >> 13
    if quadrant == 0:
        insn = _decode_c0(h, f3)
    elif quadrant == 1:
        insn = _decode_c1(h, f3)
    else:
        insn = _decode_c2(h, f3)
    return insn or _illegal(h, 2)


def _c(op, rd, rs1, rs2, imm, h):
    """Returns the Insn of a compressed instruction expanded to op."""
    return Insn(op, rd, rs1, rs2, imm, 2, h)


def _decode_c0(h, f3):
    """Quadrant 0: C.ADDI4SPN, C.LW, C.LD, C.SW, C.SD (C.FLD/C.FSD and reserved -> None)."""
    rd_, rs1_ = 8 + ((h >> 2) & 7), 8 + ((h >> 7) & 7)
    if f3 == 0:
        imm = _field(h, 12, 11, 4) | _field(h, 10, 7, 6) | _bit(h, 6, 2) | _bit(h, 5, 3)
        return _c("addi", rd_, 2, 0, imm, h) if imm else None
    imm_w = _field(h, 12, 10, 3) | _bit(h, 6, 2) | _bit(h, 5, 6)
    imm_d = _field(h, 12, 10, 3) | _field(h, 6, 5, 6)
    if f3 == 2:
        return _c("lw", rd_, rs1_, 0, imm_w, h)
    if f3 == 3:
        return _c("ld", rd_, rs1_, 0, imm_d, h)
    if f3 == 6:
        return _c("sw", 0, rs1_, rd_, imm_w, h)
    if f3 == 7:
        return _c("sd", 0, rs1_, rd_, imm_d, h)
    return None


def _decode_c1(h, f3):
    """Quadrant 1: C.ADDI, C.ADDIW, C.LI, C.ADDI16SP, C.LUI, ALU ops, C.J, C.BEQZ, C.BNEZ."""
    rd = (h >> 7) & 31
    imm6 = sext(_bit(h, 12, 5) | _field(h, 6, 2, 0), 6)
    if f3 == 0:
        return _c("addi", rd, rd, 0, imm6, h)
    if f3 == 1:
        return _c("addiw", rd, rd, 0, imm6, h) if rd else None
    if f3 == 2:
        return _c("addi", rd, 0, 0, imm6, h)
    if f3 == 3:
        return _decode_c_lui(h, rd)
    if f3 == 4:
        return _decode_c_alu(h)
    if f3 == 5:
        imm = (_bit(h, 12, 11) | _bit(h, 11, 4) | _field(h, 10, 9, 8) | _bit(h, 8, 10) | _bit(h, 7, 6)
               | _bit(h, 6, 7) | _field(h, 5, 3, 1) | _bit(h, 2, 5))
        return _c("jal", 0, 0, 0, sext(imm, 12), h)
    imm = _bit(h, 12, 8) | _field(h, 11, 10, 3) | _field(h, 6, 5, 6) | _field(h, 4, 3, 1) | _bit(h, 2, 5)
    return _c("beq" if f3 == 6 else "bne", 0, 8 + ((h >> 7) & 7), 0, sext(imm, 9), h)


def _decode_c_lui(h, rd):
    """C.ADDI16SP (rd = sp) or C.LUI; a zero immediate is reserved (None)."""
    if rd == 2:
        imm = sext(_bit(h, 12, 9) | _bit(h, 6, 4) | _bit(h, 5, 6) | _field(h, 4, 3, 7) | _bit(h, 2, 5), 10)
        return _c("addi", 2, 2, 0, imm, h) if imm else None
    imm = sext(_bit(h, 12, 17) | _field(h, 6, 2, 12), 18)
    return _c("lui", rd, 0, 0, imm, h) if imm else None


def _decode_c_alu(h):
    """C.SRLI, C.SRAI, C.ANDI, C.SUB/XOR/OR/AND/SUBW/ADDW (reserved encodings -> None)."""
    rd_ = 8 + ((h >> 7) & 7)
    kind = (h >> 10) & 3
    shamt = _bit(h, 12, 5) | _field(h, 6, 2, 0)
    if kind == 0:
        return _c("srli", rd_, rd_, 0, shamt, h)
    if kind == 1:
        return _c("srai", rd_, rd_, 0, shamt, h)
    if kind == 2:
        return _c("andi", rd_, rd_, 0, sext(shamt, 6), h)
    rs2_ = 8 + ((h >> 2) & 7)
    ops = ("sub", "xor", "or", "and") if not (h >> 12) & 1 else ("subw", "addw", None, None)
    op = ops[(h >> 5) & 3]
    return _c(op, rd_, rd_, rs2_, 0, h) if op else None


def _decode_c2(h, f3):
    """Quadrant 2: C.SLLI, C.LWSP, C.LDSP, C.JR/C.MV/C.EBREAK/C.JALR/C.ADD, C.SWSP, C.SDSP."""
    rd, rs2 = (h >> 7) & 31, (h >> 2) & 31
    if f3 == 0:
        return _c("slli", rd, rd, 0, _bit(h, 12, 5) | _field(h, 6, 2, 0), h)
    if f3 == 2:
        imm = _bit(h, 12, 5) | _field(h, 6, 4, 2) | _field(h, 3, 2, 6)
        return _c("lw", rd, 2, 0, imm, h) if rd else None
    if f3 == 3:
        imm = _bit(h, 12, 5) | _field(h, 6, 5, 3) | _field(h, 4, 2, 6)
        return _c("ld", rd, 2, 0, imm, h) if rd else None
    if f3 == 4:
        return _decode_c_jr_mv_add(h, rd, rs2)
    if f3 == 6:
        return _c("sw", 0, 2, rs2, _field(h, 12, 9, 2) | _field(h, 8, 7, 6), h)
    if f3 == 7:
        return _c("sd", 0, 2, rs2, _field(h, 12, 10, 3) | _field(h, 9, 7, 6), h)
    return None


def _decode_c_jr_mv_add(h, rd, rs2):
    """C.JR, C.MV, C.EBREAK, C.JALR, C.ADD (C.JR with rs1 = x0 is reserved -> None)."""
    if not (h >> 12) & 1:
        if rs2:
            return _c("add", rd, 0, rs2, 0, h)
        return _c("jalr", 0, rd, 0, 0, h) if rd else None
    if rs2:
        return _c("add", rd, rd, rs2, 0, h)
    if rd:
        return _c("jalr", 1, rd, 0, 0, h)
    return _c("ebreak", 0, 0, 0, 0, h)
