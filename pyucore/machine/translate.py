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
A block whose terminator branches back to its own first instruction becomes a loop
`for _it in range(left // N):`, so a hot C loop runs many iterations per call. A loop with branches
inside becomes a region (RegionSource): the blocks of the page reachable from the loop head, run in one
`while True:` that dispatches on pc, with the budget checked before each block.

Memory accesses are inline: the TLB dict is indexed with the address masked so that only an aligned
address on a cached page hits (`LT[v & ~0xFF8]` for 8 bytes); a miss, a misaligned or out-of-range
address raises KeyError and goes to the CPU's slow path, which walks the page tables, handles misaligned
accesses and raises BlockExit on a trap.
"""

import re

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


def page_groups(insns):
    """Returns {index: group} for the loads (or stores) of insns that go through one base register not
    written in between, at offsets aligned to their size, in runs of at least MIN_GROUP. A group is
    (TLB name, base register, index of its first access, lowest offset, bytes spanned, alignment mask,
    common shift or None)."""
    runs, open_runs = [], {}
    for j, (_, insn) in enumerate(insns):
        table = "LT" if insn.op in _LOADS else "ST" if insn.op in _STORES else None
        if table and insn.rs1 and insn.imm % (1 << _shift(insn.op)) == 0:
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


def _branch_condition(op, a, b):
    """Returns the Python condition under which branch op is taken."""
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
        last_pc, last = insns[-1]
        self.loop = (last.op in _BRANCH_OPS or last.op == "jal") and last_pc + last.imm == start_pc
        self.read, self.written = self._registers()
        self.groups = page_groups(insns)
        # known bit-length bounds of registers written earlier in the same pass (mask elision); of the
        # absolute value for the registers in lazy, whose locals may hold any value congruent modulo 2**64
        self.bits = {}
        self.lazy = set()
        self.ever_lazy = set()

    def _registers(self):
        """Returns (registers the block reads, registers it writes), x0 excluded.

        The decoder leaves unused register fields 0, so the fields alone say what is used.
        """
        read = {r for _, insn in self.insns for r in (insn.rs1, insn.rs2) if r}
        written = {insn.rd for _, insn in self.insns if insn.rd and insn.op != "csrr"}
        return read, written

    def done(self, j):
        """Returns the expression counting instructions retired before instruction j of this pass."""
        return f"_it * {self.n} + {j}" if self.loop else str(j)

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
        body = "            " if self.loop else "        "
        if self.loop:
            lines.append(f"        for _it in range(left // {self.n}):")
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
        # a loop's next pass starts with every register canonical
        lines = [body + line for line in self.canonical(self.lazy if self.loop else (insn.rs1, insn.rs2))]
        if op in ATOMICS:
            call = f"AMO({op!r}, {a}, {_reg(insn.rs2)}, {pc:#x}, {self.done(j)})"
            self._set_lazy(insn.rd, False)
            lines += [body + (f"x{insn.rd} = {call}" if insn.rd else call)]
            return lines + self._exit_after(body, hex(nxt))
        if op == "jal":
            self._set_lazy(insn.rd, False)
            # a one-instruction `j .` loop still needs a statement in its for body
            lines += [body + (f"x{insn.rd} = {nxt:#x}" if insn.rd else "pass")]
            return lines + self._exit_after(body, hex(pc + insn.imm))
        if op == "jalr":
            self._set_lazy(insn.rd, False)
            lines += [body + f"npc = ({a} + {insn.imm}) & 0xFFFFFFFFFFFFFFFE"]
            lines += [body + f"x{insn.rd} = {nxt:#x}"] if insn.rd else []
            return lines + self._exit_after(body, "npc")
        if op in _BRANCH_OPS:
            return lines + self._branch(body, insn, pc, nxt)
        lines += [body + line for line in self._straight(insn, pc, j)]
        return lines + self._exit_after(body, hex(nxt))

    def _exit_after(self, body, target):
        """Returns the exit once the last instruction retired (looping if target is the start)."""
        if self.loop:
            return self._loop_end()
        return self._exit(body, target, self.n)

    def _loop_end(self):
        """Returns the lines after the loop: the budget allowed no further full pass."""
        return self._exit("        ", hex(self.start), f"(left // {self.n}) * {self.n}")

    def _branch(self, body, insn, pc, nxt):
        """Returns the lines of a conditional branch that ends the block."""
        cond = _branch_condition(insn.op, _reg(insn.rs1), _reg(insn.rs2))
        target = pc + insn.imm
        if self.loop:
            lines = [body + f"if not ({cond}):"]
            lines += self._exit(body + "    ", hex(nxt), f"_it * {self.n} + {self.n}")
            return lines + self._loop_end()
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


def live_out(blocks):
    """Returns {start: registers live at the end of that block} for the blocks [(start, insns), ...] of
    a region: those some member block it can continue at may read before writing them. Anything that
    leaves the region writes every register back canonical, so only member successors count."""
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
    return {start: set().union(*(live_in[t] for t in nexts[start])) for start in starts}


class RegionSource(BlockSource):
    """Builds one function for several blocks of one page that loop back to the first one.

    The blocks run inside `while True:` with pc in a local, dispatching on pc with an if chain, so a
    loop with branches inside runs without returning to the CPU's dispatcher. Before each block the
    budget is checked (`done + n > left`), so the function still stops after exactly the budget.
    """

    def __init__(self, blocks):
        """Needs [(start_pc, insns), ...], the entry block first."""
        everything = [item for _, insns in blocks for item in insns]
        super().__init__(everything, blocks[0][0])
        self.loop = False
        self.blocks = blocks
        self.live_out = live_out(blocks)

    def writeback(self, indent, lazy=None):
        """Returns the lines storing every written register back into R, canonical: a register left lazy
        at the end of a block where it is dead may reach any exit of the region."""
        return super().writeback(indent, self.written)

    def done(self, j):
        """Returns the expression counting instructions retired before instruction j of this block."""
        return f"done + {j}"

    def source(self, name):
        """Returns the Python source of the region function called name."""
        lines = [f"    x{r} = R[{r}]" for r in sorted(self.read | self.written)]
        lines += ["    done = 0", f"    pc = {self.start:#x}", "    try:", "        while True:"]
        for start, insns in self.blocks:
            lines += self._block(start, insns)
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

    def _block(self, start, insns):
        """Returns the lines of one member block: budget check, body, next pc, retired count. A block
        that branches back to itself runs as a loop of its own, without going through the dispatch."""
        n = len(insns)
        self.bits = {}  # nothing is known about the registers live when a block is entered
        self.groups = page_groups(insns)
        self.lazy = set()
        pc, insn = insns[-1]
        if insn.op in _BRANCH_OPS and pc + insn.imm == start:
            return self._self_loop(start, insns)
        body = " " * 16
        lines = [f"            if pc == {start:#x}:", f"{body}if done + {n} > left:", f"{body}    break"]
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

    def _self_loop(self, start, insns):
        """Returns the lines of a member block whose branch goes back to its own start: `while` the
        budget allows a pass, the body; leaving with pc set when the branch is not taken, and leaving
        the region (the while's else) when the budget is spent."""
        body = " " * 20
        n = len(insns)
        lines = [f"            if pc == {start:#x}:", f"                while done + {n} <= left:"]
        for j, (pc, insn) in enumerate(insns[:-1]):
            lines += [body + line for line in self._straight(insn, pc, j)]
        pc, insn = insns[-1]
        cond = _branch_condition(insn.op, _reg(insn.rs1), _reg(insn.rs2))
        lines += [body + line for line in self.canonical((insn.rs1, insn.rs2))]
        lines += [body + line for line in self.canonical(self.lazy & self.live_out[start])]
        lines += [f"{body}done += {n}", f"{body}if not ({cond}):", f"{body}    pc = {pc + insn.length:#x}",
                  f"{body}    break", "                else:", "                    break",
                  "                continue"]
        return lines

    def _next_pc(self, insn, pc, j):
        """Returns the lines of a block's last instruction that set pc to where execution continues."""
        nxt = pc + insn.length
        op, a = insn.op, _reg(insn.rs1)
        if op in _BRANCH_OPS:
            cond = _branch_condition(op, a, _reg(insn.rs2))
            return self.canonical((insn.rs1, insn.rs2)) + [f"pc = {pc + insn.imm:#x} if {cond} else {nxt:#x}"]
        link = [f"x{insn.rd} = {nxt:#x}"] if insn.rd else []
        if op == "jal":
            self._set_lazy(insn.rd, False)
            return link + [f"pc = {pc + insn.imm:#x}"]
        if op == "jalr":
            lines = self.canonical((insn.rs1,))
            self._set_lazy(insn.rd, False)
            return lines + [f"pc = ({a} + {insn.imm}) & 0xFFFFFFFFFFFFFFFE"] + link
        return self._straight(insn, pc, j) + [f"pc = {nxt:#x}"]
