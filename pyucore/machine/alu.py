"""The RV64M operations that are too long to inline into translated code (all on canonical u64 values)."""

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def signed64(x):
    """Needs 0 <= x < 2**64; returns x as a signed 64-bit number."""
    return x - ((x >> 63) << 64)


def signed32(x):
    """Returns the low 32 bits of x as a signed 32-bit number."""
    return ((x + 0x80000000) & M32) - 0x80000000


def _trunc_div(a, b):
    """Needs b != 0; returns a / b rounded toward zero (RISC-V division)."""
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _trunc_rem(a, b):
    """Needs b != 0; returns the remainder of the truncating division (sign of the dividend)."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def mulh(a, b):
    """Returns the high 64 bits of signed a * signed b."""
    return ((signed64(a) * signed64(b)) >> 64) & M64


def mulhsu(a, b):
    """Returns the high 64 bits of signed a * unsigned b."""
    return ((signed64(a) * b) >> 64) & M64


def div(a, b):
    """Signed division: b = 0 gives all ones, INT64_MIN / -1 gives INT64_MIN."""
    if b == 0:
        return M64
    return _trunc_div(signed64(a), signed64(b)) & M64


def divu(a, b):
    """Unsigned division: b = 0 gives all ones."""
    return a // b if b else M64


def rem(a, b):
    """Signed remainder: b = 0 gives a, INT64_MIN % -1 gives 0."""
    if b == 0:
        return a
    return _trunc_rem(signed64(a), signed64(b)) & M64


def remu(a, b):
    """Unsigned remainder: b = 0 gives a."""
    return a % b if b else a


def divw(a, b):
    """32-bit signed division, result sign-extended: b = 0 gives all ones, overflow gives INT32_MIN."""
    sb = signed32(b)
    if sb == 0:
        return M64
    return signed32(_trunc_div(signed32(a), sb)) & M64


def divuw(a, b):
    """32-bit unsigned division, result sign-extended: b = 0 gives all ones."""
    ub = b & M32
    if ub == 0:
        return M64
    return signed32((a & M32) // ub) & M64


def remw(a, b):
    """32-bit signed remainder, sign-extended: b = 0 gives a (sign-extended), overflow gives 0."""
    sb = signed32(b)
    if sb == 0:
        return signed32(a) & M64
    return signed32(_trunc_rem(signed32(a), sb)) & M64


def remuw(a, b):
    """32-bit unsigned remainder, sign-extended: b = 0 gives a (sign-extended)."""
    ub = b & M32
    if ub == 0:
        return signed32(a) & M64
    return signed32((a & M32) % ub) & M64
