"""GDB remote serial protocol framing: `$payload#xx` packets, `}` escapes, `+`/`-` acks, `\\x03` interrupts."""

INTERRUPT = b"\x03"
MAX_PACKET = 0x10000     # a packet that has not ended after this many bytes is dropped as garbage
_ESCAPED = frozenset(b"$#}*")


def checksum(data):
    """The protocol's checksum of a payload: the sum of its bytes modulo 256."""
    return sum(data) & 0xFF


def escape(payload):
    """payload with `$ # } *` escaped as `}` followed by the byte xor 0x20."""
    out = bytearray()
    for byte in payload:
        if byte in _ESCAPED:
            out += bytes((0x7D, byte ^ 0x20))
        else:
            out.append(byte)
    return bytes(out)


def unescape(data):
    """The bytes of an escaped payload (a trailing lone `}` is dropped)."""
    out = bytearray()
    it = iter(data)
    for byte in it:
        if byte == 0x7D:
            nxt = next(it, None)
            if nxt is not None:
                out.append(nxt ^ 0x20)
        else:
            out.append(byte)
    return bytes(out)


def frame(payload):
    """The packet carrying payload (bytes or str): `$` escaped payload `#` two hex digits of checksum."""
    if isinstance(payload, str):
        payload = payload.encode("latin-1")
    body = escape(payload)
    return b"$" + body + b"#%02x" % checksum(body)


class PacketReader:
    """Splits the byte stream from gdb into events; feed() returns them in order:
    ("packet", payload bytes) for a packet with a good checksum (already unescaped),
    ("bad", reason) for a packet with a wrong checksum, a bad checksum field or no end (the server NAKs),
    ("interrupt", None) for a Ctrl-C byte outside a packet, ("nak", None) for a `-` (resend the last packet).
    `+` acks and noise between packets are skipped."""

    def __init__(self):
        self._buffer = bytearray()

    def feed(self, data):
        """Adds received bytes; returns the list of complete events they finish."""
        self._buffer += data
        events = []
        while self._buffer:
            event = self._next_event()
            if event is None:
                break
            events.append(event)
        return events

    def _next_event(self):
        """Takes one event off the front of the buffer; None when more bytes are needed."""
        buf = self._buffer
        start = 0
        while start < len(buf) and buf[start] not in b"$\x03-":
            start += 1
        del buf[:start]
        if not buf:
            return None
        if buf[0] != 0x24:
            kind = "interrupt" if buf[0] == 3 else "nak"
            del buf[:1]
            return (kind, None)
        end = buf.find(b"#")
        if end < 0:
            if len(buf) > MAX_PACKET:
                buf.clear()
                return ("bad", "packet too long")
            return None
        if len(buf) < end + 3:
            return None
        body, digits = bytes(buf[1:end]), bytes(buf[end + 1:end + 3])
        del buf[:end + 3]
        try:
            expected = int(digits, 16)
        except ValueError:
            return ("bad", "checksum field %r is not hex" % digits.decode("latin-1"))
        if expected != checksum(body):
            return ("bad", "checksum %02x, the packet sums to %02x" % (expected, checksum(body)))
        return ("packet", unescape(body))
