"""Translator: a decoded basic block -> the Python source of one function that executes it.

The generated function is `blk(R, left)`: R is the register list, left the remaining budget (the caller
guarantees left >= the block's length). It keeps the guest registers it touches in Python locals
x1..x31 and returns (next_pc, retired, cause) with cause -1 when it ended normally. Register values are
canonical unsigned 64-bit ints everywhere.

Shape of the generated code:
    x5 = R[5] ...                         load every register the block touches
    try:
        <one or two statements per instruction>
        <terminator: branch / jump / trap exit>
    except BlockExit as e:                a slow path trapped or ended the block early
        R[5] = x5 ...                     write back every register the block writes
        return e.args
A loop becomes a region (RegionSource): the blocks of the page reachable from the loop head (a block
branching back to itself alone), run in one `while True:` that dispatches on pc, with the budget
checked before each block; at a loop's head, the blocks of one pass of the loop run as one straight
body in a `for` loop over as many whole passes as the budget allows, so a hot C loop runs many
iterations per call without dispatching.

Memory accesses are inline: the TLB dict is indexed with the address masked so that only an aligned
address on a cached page hits (`LT[v & ~0xFF8]` for 8 bytes); a miss, a misaligned or out-of-range
address raises KeyError and goes to the CPU's slow path, which walks the page tables, handles misaligned
accesses and raises BlockExit on a trap.
"""

import re
from collections import namedtuple

M = "0xFFFFFFFFFFFFFFFF"
S = "0x8000000000000000"
CSR_READ_EXIT = 16          # pseudo-cause: the dispatcher reads a counter CSR and resumes
_BRANCH_OPS = {"beq", "bne", "blt", "bge", "bltu", "bgeu"}
_TRAP_EXITS = {"ecall", "ebreak", "illegal", "csrr"}     # leave the block without retiring
ATOMICS = {f"{op}.{w}" for op in ("lr", "sc", "amoadd", "amoswap", "amoxor", "amoand", "amoor", "amomin",
                                  "amomax", "amominu", "amomaxu") for w in "wd"}
# instructions that end a block: control flow, traps, and atomics (done by a CPU helper)
TERMINATORS = _BRANCH_OPS | _TRAP_EXITS | ATOMICS | {"jal", "jalr"}
# everything the generated code needs, bound as default arguments (fast locals)
DEFAULT_NAMES = ("Q", "I", "H", "B", "SI", "SH", "SB", "LT", "ST", "C", "LDS", "STS", "AMO",
                 "MULH", "MULHSU", "DIV", "DIVU", "REM", "REMU", "DIVW", "DIVUW", "REMW", "REMUW")
_NAME_PATTERN = re.compile(r"\b(" + "|".join(DEFAULT_NAMES) + r")\b")

# load op -> (view name, log2 size, signed view?)
_LOADS = {"ld": ("Q", 3, False), "lw": ("SI", 2, True), "lwu": ("I", 2, False), "lh": ("SH", 1, True),
          "lhu": ("H", 1, False), "lb": ("SB", 0, True), "lbu": ("B", 0, False)}
_STORES = {"sd": ("Q", 3, ""), "sw": ("I", 2, " & 0xFFFFFFFF"), "sh": ("H", 1, " & 0xFFFF"),
           "sb": ("B", 0, " & 0xFF")}
# address masks that keep the page bits and the misalignment bits (negative: out-of-range stays a miss)
_KEY = {3: ~0xFF8, 2: ~0xFFC, 1: ~0xFFE, 0: ~0xFFF}
# aligned accesses through one base register that share one TLB look-up (fewer are not worth it)
MIN_GROUP = 3
# A group of accesses hoisted out of a loop pass (RegionSource._hoistable): they go through one TLB
# (table) and base register, have one size (1 << shift), move by stride bytes a pass, and lie from
# offset low from the register's value at the pass's start, span bytes in all; name is their index local
Hoist = namedtuple("Hoist", "name table reg shift stride low span count")
# a loop pass hoists the TLB look-up of an access whose address moves by at most this many bytes a pass
# (one moving faster leaves its page too soon to repay the look-up at each entry into the loop)
HOIST_STRIDE = 512


def page_groups(insns, skip=()):
    """Returns {index: group} for the loads (or stores) of insns, except those at the indexes in skip,
    that go through one base register not written in between, at offsets aligned to their size, in runs
    of at least MIN_GROUP. A group is
    (TLB name, base register, index of its first access, lowest offset, bytes spanned, alignment mask,
    common shift or None)."""
    runs, open_runs = [], {}
    for j, (_, insn) in enumerate(insns):
        table = "LT" if insn.op in _LOADS else "ST" if insn.op in _STORES else None
        if table and insn.rs1 and insn.imm % (1 << _shift(insn.op)) == 0 and j not in skip:
            open_runs.setdefault((table, insn.rs1), []).append(j)
        if insn.rd and insn.op != "csrr" and insn.op not in _STORES:
            for key in [key for key in open_runs if key[1] == insn.rd]:
                runs.append((key, open_runs.pop(key)))
    runs += open_runs.items()
    groups = {}
    for (table, reg), members in runs:
        if len(members) < MIN_GROUP:
            continue
        low = min(insns[j][1].imm for j in members)
        high = max(insns[j][1].imm + (1 << _shift(insns[j][1].op)) for j in members)
        shifts = {_shift(insns[j][1].op) for j in members}
        group = (table, reg, members[0], low, high - low, (1 << max(shifts)) - 1,
                 shifts.pop() if len(shifts) == 1 else None)
        if high - low <= 4096:
            groups.update(dict.fromkeys(members, group))
    return groups


def _shift(op):
    """Returns log2 of the access size of load or store op."""
    return (_LOADS.get(op) or _STORES[op])[1]


def _sext32(expr):
    """Returns an expression sign-extending the low 32 bits of expr to a canonical u64 (uses local t)."""
    return f"(t if (t := ({expr}) & 0xFFFFFFFF) < 0x80000000 else t | 0xFFFFFFFF00000000)"


def _signed32(expr):
    """Returns an expression for the low 32 bits of expr as a signed Python int."""
    return f"(((({expr}) + 0x80000000) & 0xFFFFFFFF) - 0x80000000)"


def _addi(a, imm):
    """Returns the expression a + imm (mod 2**64), folded when a is x0 or imm is 0."""
    if a == "0":
        return hex(imm & 0xFFFFFFFFFFFFFFFF)
    if imm == 0:
        return a
    return f"({a} + {imm}) & {M}"


# register-register ops: templates over {a} and {b}
_REG_TEMPLATES = {
    "add": f"({{a}} + {{b}}) & {M}", "sub": f"({{a}} - {{b}}) & {M}",
    "sll": f"({{a}} << ({{b}} & 63)) & {M}", "srl": "{a} >> ({b} & 63)",
    "sra": f"(({{a}} ^ {S}) - {S}) >> ({{b}} & 63) & {M}",
    "slt": f"1 if ({{a}} ^ {S}) < ({{b}} ^ {S}) else 0", "sltu": "1 if {a} < {b} else 0",
    "xor": "{a} ^ {b}", "or": "{a} | {b}", "and": "{a} & {b}",
    "mul": f"({{a}} * {{b}}) & {M}", "mulh": "MULH({a}, {b})", "mulhsu": "MULHSU({a}, {b})",
    "mulhu": "({a} * {b}) >> 64", "div": "DIV({a}, {b})", "divu": "DIVU({a}, {b})",
    "rem": "REM({a}, {b})", "remu": "REMU({a}, {b})",
    "addw": _sext32("{a} + {b}"), "subw": _sext32("{a} - {b}"),
    "sllw": _sext32("{a} << ({b} & 31)"), "srlw": _sext32("({a} & 0xFFFFFFFF) >> ({b} & 31)"),
    "sraw": f"{_signed32('{a}')} >> ({{b}} & 31) & {M}", "mulw": _sext32("{a} * {b}"),
    "divw": "DIVW({a}, {b})", "divuw": "DIVUW({a}, {b})", "remw": "REMW({a}, {b})",
    "remuw": "REMUW({a}, {b})",
}
# immediate ops: templates over {a}, {i} (signed immediate), {u} (immediate as u64, hex)
_IMM_TEMPLATES = {
    "xori": "{a} ^ {u}", "ori": "{a} | {u}", "andi": "{a} & {u}",
    "slti": f"1 if ({{a}} ^ {S}) < {{s}} else 0", "sltiu": "1 if {a} < {u} else 0",
    "slli": f"({{a}} << {{i}}) & {M}", "srli": "{a} >> {i}",
    "srai": f"(({{a}} ^ {S}) - {S}) >> {{i}} & {M}",
    "addiw": _sext32("{a} + {i}"), "slliw": _sext32("{a} << {i}"),
    "srliw": _sext32("({a} & 0xFFFFFFFF) >> {i}"), "sraiw": f"{_signed32('{a}')} >> {{i}} & {M}",
}


def _alu_reg(op, a, b):
    """Returns the expression of register-register op (None if op is not one)."""
    template = _REG_TEMPLATES.get(op)
    return template.format(a=a, b=b) if template else None


def _alu_imm(op, a, imm, pc):
    """Returns the expression of an immediate op, lui or auipc (None if op is not one)."""
    u = imm & 0xFFFFFFFFFFFFFFFF
    if op == "addi":
        return _addi(a, imm)
    if op == "lui":
        return hex(u)
    if op == "auipc":
        return hex((pc + imm) & 0xFFFFFFFFFFFFFFFF)
    template = _IMM_TEMPLATES.get(op)
    return template.format(a=a, i=imm, u=hex(u), s=hex(u ^ (1 << 63))) if template else None


def _unmasked(op, a, b, imm, bits):
    """Returns (expression, result bits) for op without the 64-bit mask when the operand bounds prove
    it cannot overflow, else None. bits(r) is an upper bound on the bit length of register r."""
    if op == "add" and max(bits(a), bits(b)) < 64:
        return f"{a} + {b}", max(bits(a), bits(b)) + 1
    if op == "addi" and imm > 0 and max(bits(a), imm.bit_length()) < 64:
        return f"{a} + {imm}", max(bits(a), imm.bit_length()) + 1
    if op == "slli" and bits(a) + imm <= 64:
        return f"{a} << {imm}", bits(a) + imm
    if op == "mul" and bits(a) + bits(b) <= 64:
        return f"{a} * {b}", bits(a) + bits(b)
    return None


# ops that are additions, multiplications or bitwise logic modulo 2**64: they give the right result modulo
# 2**64 from any operands congruent to the registers, so a register may hold such a "lazy" value (negative
# or wider than 64 bits) until something needs it canonical (a comparison, an address, the write-back)
_RING = {"add": "{a} + {b}", "sub": "{a} - {b}", "mul": "{a} * {b}", "and": "{a} & {b}", "or": "{a} | {b}",
         "xor": "{a} ^ {b}", "addi": "{a} + {i}", "andi": "{a} & {i}", "ori": "{a} | {i}",
         "xori": "{a} ^ {i}", "slli": "{a} << {i}"}
# ops whose templates only look at the low 32 bits of their operands, so lazy operands are fine
_LOW_WORD = {"addw", "subw", "sllw", "srlw", "sraw", "mulw", "addiw", "slliw", "srliw", "sraiw"}
# lazy values wider than this are masked at once: big Python ints cost more than the masks they save
LAZY_BITS = 128


def _ring_bits(op, a_bits, b_bits, imm):
    """Returns a bound on the bit length of |result| of ring op from bounds on |operands|."""
    if op == "mul":
        return a_bits + b_bits
    if op == "slli":
        return a_bits + imm
    if op in ("add", "sub", "and", "or", "xor"):
        return max(a_bits, b_bits) + 1
    return max(a_bits, abs(imm).bit_length()) + 1


def _canonical_ring(op, imm):
    """True iff ring op on canonical operands always gives a canonical value with its usual template."""
    return op in ("and", "or", "xor", "andi") or (op in ("ori", "xori") and imm >= 0)


_FIXED_BITS = {"lbu": 8, "lhu": 16, "lwu": 32, "slt": 1, "sltu": 1, "slti": 1, "sltiu": 1}


def _result_bits(insn, bits, pc):
    """Returns an upper bound on the bit length of the value insn (at pc) writes to rd (64 if unknown)."""
    op, a, b, imm = insn.op, insn.rs1, insn.rs2, insn.imm
    if op == "auipc":
        return ((pc + imm) & 0xFFFFFFFFFFFFFFFF).bit_length()
    if op == "lui" or (op == "addi" and a == 0):
        return 64 if imm < 0 else imm.bit_length()
    if op == "andi":
        return imm.bit_length() if imm >= 0 else bits(a)
    if op == "and":
        return min(bits(a), bits(b))
    if op in ("or", "xor"):
        return max(bits(a), bits(b))
    if op in ("ori", "xori") and imm >= 0:
        return max(bits(a), imm.bit_length())
    if op == "srli":
        return max(bits(a) - imm, 0)
    if op == "srl":
        return bits(a)
    if op == "addi" and imm == 0:
        return bits(a)
    return _FIXED_BITS.get(op, 64)


def _reg(n):
    """Returns the Python name of guest register n (the literal 0 for x0)."""
    return f"x{n}" if n else "0"


_NEGATED = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt", "bltu": "bgeu", "bgeu": "bltu"}


def _branch_condition(op, a, b, taken=True):
    """Returns the Python condition under which branch op is taken (taken=False: not taken), over
    canonical operands, except that beq/bne against x0 also holds for a lazy value below 2**64 in
    magnitude (only 0 is 0 modulo 2**64 there)."""
    if not taken:
        op = _NEGATED[op]
    if a == "0" and op in ("beq", "bne"):
        a, b = b, a
    if b == "0" and a != "0":
        against_zero = {"beq": f"not {a}", "bne": a, "blt": f"{a} >= {S}", "bge": f"{a} < {S}"}.get(op)
        if against_zero:
            return against_zero
    return {
        "beq": f"{a} == {b}", "bne": f"{a} != {b}",
        "blt": f"({a} ^ {S}) < ({b} ^ {S})", "bge": f"({a} ^ {S}) >= ({b} ^ {S})",
        "bltu": f"{a} < {b}", "bgeu": f"{a} >= {b}",
    }[op]


class BlockSource:
    """Builds the source of one block function from its decoded instructions [(pc, Insn), ...]."""

    def __init__(self, insns, start_pc):
        """Needs a non-empty list ending at a terminator, the page end or the length limit."""
        self.insns = insns
        self.start = start_pc
        self.n = len(insns)
        self.read, self.written = self._registers()
        self.groups = page_groups(insns)
        # known bit-length bounds of registers written earlier in the same pass (mask elision); of the
        # absolute value for the registers in lazy, whose locals may hold any value congruent modulo 2**64
        self.bits = {}
        self.lazy = set()
        self.ever_lazy = set()
        # {register: steps} of the loop pass being translated (RegionSource): additions needing no mask,
        # and those of them the pass does not keep up to date (RegionSource._unkept)
        self.induction = {}
        self.unkept = {}

    def _registers(self):
        """Returns (registers the block reads, registers it writes), x0 excluded.

        The decoder leaves unused register fields 0, so the fields alone say what is used.
        """
        read = {r for _, insn in self.insns for r in (insn.rs1, insn.rs2) if r}
        written = {insn.rd for _, insn in self.insns if insn.rd and insn.op != "csrr"}
        return read, written

    def done(self, j):
        """Returns the expression counting instructions retired before instruction j."""
        return str(j)

    def writeback(self, indent, lazy=None):
        """Returns the lines storing the written registers back into R, canonical (lazy: the registers
        that may hold lazy values there; by default those lazy at this point of the translation)."""
        lazy = self.lazy if lazy is None else lazy
        return [f"{indent}R[{r}] = x{r}" + (f" & {M}" if r in lazy else "") for r in sorted(self.written)]

    def canonical(self, regs):
        """Returns the lines that make the locals of regs canonical where they may hold lazy values."""
        lines = []
        for r in sorted(set(regs) & self.lazy):
            lines.append(f"x{r} &= {M}")
            self.lazy.discard(r)
            self.bits[r] = 64
        return lines

    def compared(self, insn):
        """Returns the lines making the operands of branch insn canonical where its condition needs it
        (a lazy value below 2**64 in magnitude compares with x0 for equality as it is)."""
        regs = (insn.rs1, insn.rs2)
        if insn.op in ("beq", "bne") and 0 in regs and self.bits.get(insn.rs1 or insn.rs2, 64) <= 64:
            return []
        return self.canonical(regs)

    def _set_lazy(self, rd, lazy):
        """Records whether register rd now may hold a lazy value."""
        if lazy and rd:
            self.lazy.add(rd)
            self.ever_lazy.add(rd)
        else:
            self.lazy.discard(rd)

    def source(self, name):
        """Returns the Python source of the block function called name."""
        lines = [f"    x{r} = R[{r}]" for r in sorted(self.read | self.written)]
        lines.append("    try:")
        body = "        "
        for j, (pc, insn) in enumerate(self.insns[:-1]):
            lines += [body + line for line in self._straight(insn, pc, j)]
        lines += self._terminator(body)
        lines.append("    except BlockExit as e:")
        lines += self.writeback("        ", self.ever_lazy)
        lines.append("        return e.args")
        text = "\n".join(lines)
        # bind only the helpers this block uses: a shorter signature compiles faster
        used = sorted(set(_NAME_PATTERN.findall(text)))
        header = f"def {name}(R, left" + "".join(f", {n}={n}" for n in used) + "):\n"
        return header + text + "\n"

    def _exit(self, indent, pc_expr, done_expr, cause=-1):
        """Returns the lines that write back registers and return from the block."""
        return self.writeback(indent) + [f"{indent}return {pc_expr}, {done_expr}, {cause}"]

    def _terminator(self, body):
        """Returns the lines of the last instruction and the block's exits."""
        j = self.n - 1
        pc, insn = self.insns[j]
        nxt = pc + insn.length
        op, a = insn.op, _reg(insn.rs1)
        if op in _TRAP_EXITS:
            return [body + line for line in self._trap_exit(insn, pc, j)]
        setup = self.compared(insn) if op in _BRANCH_OPS else self.canonical((insn.rs1, insn.rs2))
        lines = [body + line for line in setup]
        if op in ATOMICS:
            call = f"AMO({op!r}, {a}, {_reg(insn.rs2)}, {pc:#x}, {self.done(j)})"
            self._set_lazy(insn.rd, False)
            lines += [body + (f"x{insn.rd} = {call}" if insn.rd else call)]
            return lines + self._exit(body, hex(nxt), self.n)
        if op == "jal":
            self._set_lazy(insn.rd, False)
            lines += [body + f"x{insn.rd} = {nxt:#x}"] if insn.rd else []
            return lines + self._exit(body, hex(pc + insn.imm), self.n)
        if op == "jalr":
            self._set_lazy(insn.rd, False)
            lines += [body + f"npc = ({a} + {insn.imm}) & 0xFFFFFFFFFFFFFFFE"]
            lines += [body + f"x{insn.rd} = {nxt:#x}"] if insn.rd else []
            return lines + self._exit(body, "npc", self.n)
        if op in _BRANCH_OPS:
            return lines + self._branch(body, insn, pc, nxt)
        lines += [body + line for line in self._straight(insn, pc, j)]
        return lines + self._exit(body, hex(nxt), self.n)

    def _branch(self, body, insn, pc, nxt):
        """Returns the lines of a conditional branch that ends the block."""
        cond = _branch_condition(insn.op, _reg(insn.rs1), _reg(insn.rs2))
        target = pc + insn.imm
        lines = [body + f"npc = {target:#x} if {cond} else {nxt:#x}"]
        return lines + self._exit(body, "npc", self.n)

    def _trap_exit(self, insn, pc, j):
        """Returns the exit of ecall / ebreak / illegal / counter read: the instruction has not retired."""
        tval, cause = {"ecall": (0, 8), "ebreak": (0, 3), "illegal": (insn.raw, 2),
                       "csrr": (insn.rd, CSR_READ_EXIT)}[insn.op]
        return [f"C.tval = {tval:#x}"] + self._exit("", hex(pc), self.done(j), cause)

    def _straight(self, insn, pc, j):
        """Returns the lines of a non-terminating instruction."""
        op = insn.op
        if op in _LOADS:
            return self._load(insn, pc, j)
        if op in _STORES:
            return self._store(insn, pc, j)
        if op == "fence":
            return []
        a, b, imm = _reg(insn.rs1), _reg(insn.rs2), insn.imm
        if op in ("addi", "addiw") and insn.rd in self.induction:
            # the loop runs only as many passes as keep this register in range (induction_bound)
            self.bits[insn.rd] = 64
            self._set_lazy(insn.rd, False)
            if insn.rd in self.unkept:
                return []
            return [f"x{insn.rd} += {imm}" if imm >= 0 else f"x{insn.rd} -= {-imm}"]
        lazy_inputs = {insn.rs1, insn.rs2} & self.lazy
        lines, lazy = [], False
        fast = None if lazy_inputs else _unmasked(op, a, b, imm, self._bits_of_name)
        if fast is not None:
            expr, bits = fast
        elif op in _RING and (lazy_inputs or not _canonical_ring(op, imm)):
            bits = _ring_bits(op, self._bits_of_reg(insn.rs1), self._bits_of_reg(insn.rs2), imm)
            expr = _RING[op].format(a=a, b=b, i=imm)
            lazy = bits <= LAZY_BITS
            if not lazy:
                expr, bits = f"({expr}) & {M}", 64
        else:
            if op not in _LOW_WORD:
                lines = self.canonical((insn.rs1, insn.rs2))
            expr = _alu_reg(op, a, b)
            if expr is None:
                expr = _alu_imm(op, a, imm, pc)
            bits = _result_bits(insn, self._bits_of_reg, pc)
        self.bits[insn.rd] = bits
        self._set_lazy(insn.rd, lazy)
        return lines + ([f"x{insn.rd} = {expr}"] if insn.rd else [])

    def _bits_of_reg(self, r):
        """Upper bound on the bit length of register r at this point of the block."""
        return 0 if r == 0 else self.bits.get(r, 64)

    def _bits_of_name(self, name):
        """Like _bits_of_reg for a generated operand name ("x5" or "0")."""
        return 0 if name == "0" else self.bits.get(int(name[1:]), 64)

    @staticmethod
    def _address(insn):
        """Returns (lines computing the effective address, its name); it may exceed 64 bits or be < 0.

        A zero offset uses the base register itself (on a miss the destination is not yet written)."""
        a = _reg(insn.rs1)
        if insn.imm == 0 and a != "0":
            return [], a
        return [f"v = {a} + {insn.imm}"], "v"

    def _load(self, insn, pc, j):
        """Returns the lines of a load: inline fast path, slow path on a TLB miss or misalignment."""
        view, shift, signed = _LOADS[insn.op]
        setup = self.canonical((insn.rs1,))
        # a signed load leaves the sign-extended value negative: lazy, |value| < 2**(8 * size)
        self.bits[insn.rd] = 8 << shift if signed else _result_bits(insn, self._bits_of_reg, pc)
        self._set_lazy(insn.rd, signed)
        lines, v = self._address(insn)
        index = f"({v} - LT[{v} & {_KEY[shift]}]) >> {shift}" if shift else f"{v} - LT[{v} & {_KEY[0]}]"
        target = f"x{insn.rd} = " if insn.rd else ""
        lines += ["try:", f"    {target}{view}[{index}]", "except KeyError:",
                  f"    {target}LDS({v}, {1 << shift}, {signed}, {pc:#x}, {self.done(j)})"]
        return setup + self._grouped(j, insn, lambda index: f"{target}{view}[{index}]", lines)

    def _store(self, insn, pc, j):
        """Returns the lines of a store: inline fast path, slow path (which also catches code writes)."""
        view, shift, mask = _STORES[insn.op]
        # the narrower stores mask their value, a lazy one included
        setup = self.canonical((insn.rs1, insn.rs2) if insn.op == "sd" else (insn.rs1,))
        lines, v = self._address(insn)
        index = f"({v} - ST[{v} & {_KEY[shift]}]) >> {shift}" if shift else f"{v} - ST[{v} & {_KEY[0]}]"
        src = _reg(insn.rs2)
        lines += ["try:", f"    {view}[{index}] = {src}{mask}", "except KeyError:",
                  f"    STS({v}, {src}, {1 << shift}, {pc:#x}, {self.done(j)}, {insn.length})"]
        return setup + self._grouped(j, insn, lambda index: f"{view}[{index}] = {src}{mask}", lines)

    def _grouped(self, j, insn, access, lines):
        """Returns the lines of memory access j: when it belongs to a page group, the access through the
        group's RAM offset (set up at the group's first access: None unless every access of the group
        is aligned and hits one page of the TLB), falling back to lines, the access on its own."""
        group = self.groups.get(j)
        if group is None:
            return lines
        table, reg, first, low, span, align, common = group
        base = f"g{table[0]}{reg}"
        setup = []
        if j == first:
            v = f"x{reg}" if low == 0 else "v"
            offset = f"x{reg} - {table}[{v} & -4096]"
            setup = [] if low == 0 else [f"v = x{reg} + {low}"]
            setup += [f"if ({v} & 0xFFF) <= {4096 - span} and not x{reg} & {align}:",
                      "    try:", f"        {base} = " + (f"({offset}) >> {common}" if common else offset),
                      "    except KeyError:", f"        {base} = None", "else:", f"    {base} = None"]
        shift = _shift(insn.op)
        if common is not None:
            index = f"{base} + {insn.imm >> shift}" if insn.imm else base
        else:
            index = f"({base} + {insn.imm}) >> {shift}" if shift else f"{base} + {insn.imm}"
        return setup + ["try:", f"    {access(index)}", "except TypeError:"] + ["    " + line for line in lines]


def successors(insns):
    """Returns the pcs a block can continue at that are known at translation time."""
    pc, last = insns[-1]
    nxt = pc + last.length
    if last.op in _BRANCH_OPS:
        return [pc + last.imm, nxt]
    if last.op == "jal":
        return [pc + last.imm]
    if last.op in ("jalr",) or last.op in _TRAP_EXITS:
        return []
    return [nxt]


def liveness(blocks):
    """Returns ({start: registers live at the start of that block}, {start: registers live at its end})
    for the blocks [(start, insns), ...] of a region: those it (or some member block it can continue at)
    may read before writing them. Anything that leaves the region writes every register back
    canonical, so only member successors count."""
    starts = {start for start, _ in blocks}
    uses, defs = {}, {}
    for start, insns in blocks:
        use, written = set(), set()
        for _, insn in insns:
            use.update(r for r in (insn.rs1, insn.rs2) if r and r not in written)
            if insn.rd and insn.op != "csrr":
                written.add(insn.rd)
        uses[start], defs[start] = use, written
    nexts = {start: [t for t in successors(insns) if t in starts] for start, insns in blocks}
    live_in = {start: set(uses[start]) for start in starts}
    changed = True
    while changed:
        changed = False
        for start in starts:
            out = set().union(*(live_in[t] for t in nexts[start]))
            new = uses[start] | (out - defs[start])
            if new != live_in[start]:
                live_in[start], changed = new, True
    return live_in, {start: set().union(*(live_in[t] for t in nexts[start])) for start in starts}


def _continuing(insns):
    """Returns the pcs a region block goes on to inside the region, fall-through first: none after a
    trap exit or an atomic, which leave the region."""
    last = insns[-1][1]
    if last.op in _TRAP_EXITS or last.op in ATOMICS:
        return []
    return successors(insns)[::-1]


def loop_passes(blocks):
    """Returns {head: [starts of the blocks of one pass, head first]} for the loops of the region blocks
    [(start, insns), ...] that run as whole passes: a head is the target of a back edge (depth first from
    the first block), its pass the shortest cycle from it back to it (fall-through successors first),
    unless that cycle goes through another head (an outer loop: its inner loop runs on its own)."""
    starts = {start for start, _ in blocks}
    nexts = {start: [t for t in _continuing(insns) if t in starts] for start, insns in blocks}
    heads, path, seen = set(), [], set()

    def visit(start):
        seen.add(start)
        path.append(start)
        for target in nexts[start]:
            if target in path:
                heads.add(target)
            elif target not in seen:
                visit(target)
        path.pop()

    visit(blocks[0][0])
    passes = {}
    for head in heads:
        cycle = _shortest_cycle(head, nexts)
        if not heads & set(cycle[1:]):
            passes[head] = cycle
    return passes


def _shortest_cycle(head, nexts):
    """Needs a cycle through head in the graph nexts; returns the starts of a shortest one, head first."""
    parent, frontier = {}, [head]
    while True:
        following = []
        for start in frontier:
            for target in nexts[start]:
                if target == head:
                    cycle = [start]
                    while cycle[-1] != head:
                        cycle.append(parent[cycle[-1]])
                    return cycle[::-1]
                if target not in parent:
                    parent[target] = start
                    following.append(target)
        frontier = following


def induction_steps(insns):
    """Returns {register: [(index, imm), ...]} for the registers that insns (one loop pass) write only by
    adding an immediate to themselves, all with addi or all with addiw: the loop's induction variables."""
    steps, ops, other = {}, {}, set()
    for j, (_, insn) in enumerate(insns):
        if not insn.rd or insn.op == "csrr":
            continue
        if insn.op in ("addi", "addiw") and insn.rs1 == insn.rd:
            steps.setdefault(insn.rd, []).append((j, insn.imm))
            ops.setdefault(insn.rd, set()).add(insn.op)
        else:
            other.add(insn.rd)
    return {r: s for r, s in steps.items() if r not in other and len(ops[r]) == 1}


def _plus(expr, value):
    """Returns the expression expr + value, value an int (expr itself for 0)."""
    return f"{expr} + {value}" if value > 0 else f"{expr} - {-value}" if value < 0 else expr


def induction_bound(r, steps, word):
    """Returns the lines lowering k so that k passes keep register r, canonical at entry, in a range where
    its additions need neither mask nor sign extension, at every step (steps: its induction_steps):
    [0, 2**64) for addi; for addiw (word) [0, 2**31) or [2**64 - 2**31, 2**64), whichever r is in."""
    total = low = high = 0
    for _, imm in steps:
        total += imm
        low, high = min(low, total), max(high, total)
    x = f"x{r}"
    if word:
        lines = [f"lo, hi = (0, 0x7FFFFFFF) if {x} < 0x80000000 else (0xFFFFFFFF80000000, {M})"]
        lo, hi = "lo", "hi"
    else:
        lines, lo, hi = [], "0", M
    # pass p (0 <= p < k) takes r from x + p * total through x + p * total + [low, high]
    if total < 0:
        reach = f"({_plus(x if lo == '0' else f'{x} - {lo}', low - total)})"
        lines += [f"if (t := {reach} // {-total}) < k:" if total < -1 else f"if (t := {reach}) < k:", "    k = t"]
    elif low < 0 or word:
        lines += [f"if {_plus(x, low)} < {lo}:", "    k = 0"]
    if total > 0:
        reach = f"({_plus(hi, total - high)} - {x})"
        lines += [f"if (t := {reach} // {total}) < k:" if total > 1 else f"if (t := {reach}) < k:", "    k = t"]
    elif high > 0 or word:
        lines += [f"if {_plus(x, high)} > {hi}:", "    k = 0"]
    return lines


def hoist_entry(group):
    """Returns the entry lines of a loop pass's hoisted group (RegionSource._hoistable): its index local
    from the TLB, or k = 0 on a miss (unmapped, misaligned, or a store to a page holding code) or if the
    group does not fit on the page, and k lowered to the passes that keep the whole group on its page."""
    size = 1 << group.shift
    va = _plus(f"x{group.reg}", group.low)
    lookup = f"va - {group.table}[va & {_KEY[group.shift]}]"
    lines = ["va = " + va, "try:", f"    {group.name} = ({lookup}) >> {group.shift}" if group.shift else
             f"    {group.name} = {lookup}", "except KeyError:", "    k = 0"]
    stride = group.stride
    if stride > 0:
        # the pass that still fits: its highest byte at most at the page's end
        return lines + [f"if (t := ({4096 - group.span + stride} - (va & 0xFFF)) // {stride}) < k:", "    k = t"]
    if group.span > size:
        lines += [f"if (va & 0xFFF) > {4096 - group.span}:", "    k = 0"]
    if stride < 0:
        lines += [f"if (t := ((va & 0xFFF) + {-stride}) // {-stride}) < k:", "    k = t"]
    return lines


def _moved(group):
    """Returns the index of the lowest access of a hoisted group in pass _it."""
    step = group.stride >> group.shift
    return {0: group.name, 1: f"{group.name} + _it", -1: f"{group.name} - _it"}.get(step, f"{group.name} + _it * {step}")


class RegionSource(BlockSource):
    """Builds one function for several blocks of one page that loop back to the first one.

    The blocks run inside `while True:` with pc in a local, dispatching on pc with an if chain, so a
    loop with branches inside runs without returning to the CPU's dispatcher. Before each block the
    budget is checked (`done + n > left`), so the function still stops after exactly the budget.

    At the head of a loop found by loop_passes, the blocks of one pass run as one straight body in
    `for _it in range(k):`, k passes being what the budget allows, less where an induction variable
    could leave [0, 2**64) (so its additions are unmasked) or a hoisted access would leave its page:
        k = (left - done) // N                 N instructions per pass
        <induction bounds>                     induction_bound
        va = x10 + 8                           one per hoisted group: aligned loads (or stores) of one
        try:                                   size through one base register, whose address moves by
            h3 = (va - LT[va & -4089]) >> 3    the same stride every pass; the TLB look-up is done here
        except KeyError:                       once, and k stops before the pass that would take the
            k = 0                              group off its page
        if (t := (4080 - (va & 0xFFF)) // 8) < k:
            k = t
        for _it in range(k):
            ph3 = h3 + _it                     the group's index in this pass
            x5 = Q[ph3]                        its accesses: no look-up, no fault possible
            x7 = Q[ph3 + 2]
            if x5 != x7:                       a branch off the pass: leave with pc and done set
                done += _it * N + 2
                pc = 0x...
                break
            ...
        else:                                  all k passes ran: another k (budget, next page), or
            if k > 0:                          when k is 0 the head block once as a plain block, whose
                done += k * N                  slow paths walk, fault or fill the TLB
                continue
            <the head block run once>
        continue
    Inside the body, slow paths are told `done + _it * N + j` instructions retired, so traps and code
    writes stop at exactly the same instruction as the plain blocks would.
    """

    def __init__(self, blocks):
        """Needs [(start_pc, insns), ...], the entry block first."""
        everything = [item for _, insns in blocks for item in insns]
        super().__init__(everything, blocks[0][0])
        self.blocks = blocks
        self.live_in, self.live_out = liveness(blocks)
        self.passes = loop_passes(blocks)
        self.pass_length = None  # the instructions of the loop pass being translated

    def writeback(self, indent, lazy=None):
        """Returns the lines storing every written register back into R, canonical: a register left lazy
        at the end of a block where it is dead may reach any exit of the region."""
        return super().writeback(indent, self.written)

    def done(self, j):
        """Returns the expression counting instructions retired before instruction j of this block (of
        this pass, in a loop pass)."""
        if self.pass_length:
            return f"done + _it * {self.pass_length} + {j}"
        return f"done + {j}"

    def source(self, name):
        """Returns the Python source of the region function called name."""
        lines = [f"    x{r} = R[{r}]" for r in sorted(self.read | self.written)]
        lines += ["    done = 0", f"    pc = {self.start:#x}", "    try:", "        while True:"]
        for start, insns in self.blocks:
            if start in self.passes:
                lines += self._loop(start)
            else:
                lines += [f"            if pc == {start:#x}:"] + self._plain(start, insns, " " * 16)
        lines.append("            break")
        lines.append("    except BlockExit as e:")
        lines += self.writeback("        ", self.ever_lazy)
        lines.append("        return e.args")
        self.lazy = set()  # the budget check breaks out only between blocks, where nothing is lazy
        lines += self._exit("    ", "pc", "done")
        text = "\n".join(lines)
        used = sorted(set(_NAME_PATTERN.findall(text)))
        header = f"def {name}(R, left" + "".join(f", {n}={n}" for n in used) + "):\n"
        return header + text + "\n"

    def _plain(self, start, insns, body):
        """Returns the lines running member block start once, at indent body: budget check, body, next
        pc, retired count."""
        n = len(insns)
        self.bits = {}  # nothing is known about the registers live when a block is entered
        self.groups = page_groups(insns)
        self.lazy = set()
        lines = [f"{body}if done + {n} > left:", f"{body}    break"]
        for j, (pc, insn) in enumerate(insns[:-1]):
            lines += [body + line for line in self._straight(insn, pc, j)]
        pc, insn = insns[-1]
        if insn.op in _TRAP_EXITS:
            return lines + [body + line for line in self._trap_exit(insn, pc, n - 1)]
        if insn.op in ATOMICS:
            # an atomic may rewrite code of this very region: leave it, so what follows is looked up anew
            lines += [body + line for line in self.canonical((insn.rs1, insn.rs2))]
            call = f"AMO({insn.op!r}, {_reg(insn.rs1)}, {_reg(insn.rs2)}, {pc:#x}, {self.done(n - 1)})"
            self._set_lazy(insn.rd, False)
            lines.append(body + (f"x{insn.rd} = {call}" if insn.rd else call))
            return lines + self._exit(body, hex(pc + insn.length), f"done + {n}")
        lines += [body + line for line in self._next_pc(insn, pc, n - 1)]
        # the next block starts with every register it may read canonical
        lines += [body + line for line in self.canonical(self.lazy & self.live_out[start])]
        return lines + [f"{body}done += {n}", f"{body}continue"]

    def _loop(self, head):
        """Returns the lines of loop head head: whole passes of its loop, else its block once (see the
        class docstring)."""
        cycle = self.passes[head]
        steps = self._pass_steps(cycle)
        insns = [(pc, insn) for pc, insn, _ in steps]
        self.pass_length = len(steps)
        self.induction = induction_steps(insns)
        hoisted = self._hoistable(insns)
        self.unkept = self._unkept(insns, hoisted)
        body = self._pass_body(cycle, steps, hoisted)
        # a group of several moving accesses indexes from one local a pass
        groups = sorted({group for group, _ in hoisted.values()})
        body = [f"p{group.name} = {_moved(group)}" for group in groups if group.count > 1 and group.stride] + body
        entry = [f"k = (left - done) // {len(steps)}"]
        for r, r_steps in sorted(self.induction.items()):
            entry += induction_bound(r, r_steps, insns[r_steps[0][0]][1].op == "addiw")
        for group in groups:
            entry += hoist_entry(group)
        catch_up = [f"x{r} += k * {total}" for r, (total, _) in sorted(self.unkept.items())]
        self.pass_length, self.induction, self.unkept = None, {}, {}
        outer, inner = " " * 16, " " * 20
        lines = [f"            if pc == {head:#x}:"] + [outer + line for line in entry]
        lines += [f"{outer}for _it in range(k):"] + [inner + line for line in body or ["pass"]]
        lines += [f"{outer}else:", f"{inner}if k > 0:", f"{inner}    done += k * {len(steps)}"]
        lines += [f"{inner}    {line}" for line in catch_up] + [f"{inner}    continue"]
        lines += self._plain(head, dict(self.blocks)[head], inner)
        return lines + [f"{outer}continue"]

    def _pass_steps(self, cycle):
        """Returns [(pc, insn, exit), ...] of one pass through the blocks of cycle: exit is None, or for a
        branch that may leave the pass (taken, target): it leaves when taken is whether it is taken."""
        blocks = dict(self.blocks)
        steps = []
        for i, start in enumerate(cycle):
            following = cycle[(i + 1) % len(cycle)]
            insns = blocks[start]
            steps += [(pc, insn, None) for pc, insn in insns[:-1]]
            pc, insn = insns[-1]
            leave = None
            if insn.op in _BRANCH_OPS and insn.imm != insn.length:
                taken, fall = pc + insn.imm, pc + insn.length
                leave = (False, fall) if taken == following else (True, taken)
            steps.append((pc, insn, leave))
        return steps

    def _pass_body(self, cycle, steps, hoisted):
        """Returns the lines of one pass (the for body); sets lazy to what it leaves lazy."""
        self.bits, self.lazy = {}, set()
        self.groups = page_groups([(pc, insn) for pc, insn, _ in steps], skip=hoisted)
        lines = []
        for j, (pc, insn, leave) in enumerate(steps):
            if j in hoisted:
                lines += self._hoisted_access(insn, hoisted[j])
            elif insn.op == "jal":
                self._set_lazy(insn.rd, False)
                lines += [f"x{insn.rd} = {pc + insn.length:#x}"] if insn.rd else []
            elif insn.op in _BRANCH_OPS:
                if leave:
                    lines += self.compared(insn)
                    cond = _branch_condition(insn.op, _reg(insn.rs1), _reg(insn.rs2), leave[0])
                    lines += [f"if {cond}:"] + ["    " + line for line in self._pass_exit(j + 1, leave[1])]
            else:
                lines += self._straight(insn, pc, j)
        # the next pass starts with every register it may read canonical
        return lines + self.canonical(self.lazy & self.live_out[cycle[-1]])

    def _unkept(self, insns, hoisted):
        """Returns {register: (its change per pass, its induction steps)} for the induction variables a
        pass only adds to or reads as the base of hoisted accesses: the body leaves them alone and the
        exits add what the passes run added. Only in a pass whose every access is hoisted: nothing in it
        can leave through BlockExit, whose write-back would store them as they were at the entry."""
        if any(j not in hoisted for j, (_, insn) in enumerate(insns) if insn.op in _LOADS or insn.op in _STORES):
            return {}
        read = set()
        for j, (_, insn) in enumerate(insns):
            base_only = j in hoisted or insn.rd in self.induction
            read.update(r for r in (insn.rs2,) + (() if base_only else (insn.rs1,)) if r)
        return {r: (sum(imm for _, imm in r_steps), r_steps) for r, r_steps in self.induction.items()
                if r not in read}

    def _pass_exit(self, retired, target):
        """Returns the lines leaving a pass for target after its first retired instructions: canonical
        registers that target reads, the registers the body does not keep brought up to date, done and
        pc set.

        Only the registers this pass made lazy can be lazy: one the last pass left lazy is dead at the
        head (the back edge makes the live ones canonical), so no block reads it before this pass writes
        it. A target outside the region is reached through the region's exit, which writes back every
        register canonical."""
        lines = [f"x{r} &= {M}" for r in sorted(self.lazy & self.live_in.get(target, set()))]
        for r, (total, r_steps) in sorted(self.unkept.items()):
            lines.append(_plus(f"x{r} += _it * {total}", sum(imm for i, imm in r_steps if i < retired)))
        return lines + [f"done += _it * {self.pass_length} + {retired}", f"pc = {target:#x}", "break"]

    def _hoistable(self, insns):
        """Returns {index: (Hoist group, bytes from the group's lowest access)} for the loads and stores
        of a loop pass whose address moves by the same multiple of their size every pass, at most
        HOIST_STRIDE bytes: through an induction variable or a register the pass does not write. The
        accesses of one size, table, base register and alignment form a group (if it fits on a page)."""
        written = {insn.rd for _, insn in insns if insn.rd and insn.op != "csrr"}
        members = {}
        for j, (_, insn) in enumerate(insns):
            r = insn.rs1
            if insn.op not in _LOADS and insn.op not in _STORES or not r:
                continue
            r_steps = self.induction.get(r, ())
            if not r_steps and r in written:
                continue
            stride = sum(imm for _, imm in r_steps)
            offset = sum(imm for i, imm in r_steps if i < j) + insn.imm
            shift = _shift(insn.op)
            if stride % (1 << shift) or abs(stride) > HOIST_STRIDE:
                continue
            key = ("LT" if insn.op in _LOADS else "ST", r, shift, stride, offset % (1 << shift))
            members.setdefault(key, []).append((j, offset))
        hoisted = {}
        for (table, r, shift, stride, _), accesses in members.items():
            low = min(offset for _, offset in accesses)
            span = max(offset for _, offset in accesses) - low + (1 << shift)
            if span <= 4096:
                group = Hoist(f"h{accesses[0][0]}", table, r, shift, stride, low, span, len(accesses))
                hoisted.update((j, (group, offset - low)) for j, offset in accesses)
        return hoisted

    def _hoisted_access(self, insn, hoist):
        """Returns the lines of a hoisted access of the pass: a typed-view access at its group's index."""
        group, delta = hoist
        if group.count > 1 and group.stride:
            index = _plus(f"p{group.name}", delta >> group.shift)
        elif group.stride:
            index = _moved(group)
        else:
            index = _plus(group.name, delta >> group.shift)
        if insn.op in _STORES:
            view, _, mask = _STORES[insn.op]
            setup = self.canonical((insn.rs2,)) if insn.op == "sd" else []
            return setup + [f"{view}[{index}] = {_reg(insn.rs2)}{mask}"]
        if not insn.rd:
            return []
        view, _, signed = _LOADS[insn.op]
        self.bits[insn.rd] = 8 << group.shift if signed else _result_bits(insn, self._bits_of_reg, 0)
        self._set_lazy(insn.rd, signed)
        return [f"x{insn.rd} = {view}[{index}]"]

    def _next_pc(self, insn, pc, j):
        """Returns the lines of a block's last instruction that set pc to where execution continues."""
        nxt = pc + insn.length
        op, a = insn.op, _reg(insn.rs1)
        if op in _BRANCH_OPS:
            cond = _branch_condition(op, a, _reg(insn.rs2))
            return self.compared(insn) + [f"pc = {pc + insn.imm:#x} if {cond} else {nxt:#x}"]
        link = [f"x{insn.rd} = {nxt:#x}"] if insn.rd else []
        if op == "jal":
            self._set_lazy(insn.rd, False)
            return link + [f"pc = {pc + insn.imm:#x}"]
        if op == "jalr":
            lines = self.canonical((insn.rs1,))
            self._set_lazy(insn.rd, False)
            return lines + [f"pc = ({a} + {insn.imm}) & 0xFFFFFFFFFFFFFFFE"] + link
        return self._straight(insn, pc, j) + [f"pc = {nxt:#x}"]
