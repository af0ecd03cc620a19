"""The gdb side of the stub: a loopback listener, one client at a time, and the answers to its packets.

The server knows nothing of the kernel: it asks a target for threads, registers and memory, keeps the
breakpoints and watchpoints gdb sets, and returns what gdb asked the program to do next (continue,
step a thread, detach, kill). All-stop: while it serves packets, nothing runs.

A target (the stub is one) has, with thread ids ints > 0: threads() -> [tid]; thread_info(tid) -> str;
read_registers(tid) -> [33 ints: x0..x31, pc] or None; write_register(tid, n, value) -> bool;
read_memory(tid, addr, n) -> bytes (fewer where memory ends, b"" if none is readable);
write_memory(tid, addr, data) -> bool.
"""

import select
import socket
import sys

from .rsp import PacketReader, frame

SIGINT, SIGTRAP = 2, 5
NREGS = 33               # x0..x31, pc
PACKET_SIZE = 0x4000
_ABI_NAMES = ("zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 "
              "t3 t4 t5 t6").split()
_REG_TYPES = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "pc": "code_ptr"}


def target_xml():
    """The riscv64 target description gdb reads with qXfer:features:read: x0..x31 then pc, 64 bits."""
    regs = "".join('<reg name="%s" bitsize="64" type="%s" regnum="%d"/>' % (name, _REG_TYPES.get(name, "int"), i)
                   for i, name in enumerate(_ABI_NAMES + ["pc"]))
    return ('<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">'
            '<architecture>riscv:rv64</architecture><feature name="org.gnu.gdb.riscv.cpu">%s</feature>'
            '</target>' % regs)


class Disconnected(Exception):
    """The client went away (or broke the protocol beyond repair)."""


class GdbServer:
    """A listening socket on host:port (loopback by default) serving one gdb client at a time."""

    def __init__(self, host="127.0.0.1", port=1234, log=sys.stderr):
        """Binds and listens; raises OSError (e.g. the port is in use). port 0 picks a free port."""
        self.log = log
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind((host, port))
            self.listener.listen(1)
        except OSError:
            self.listener.close()
            raise
        self.address = self.listener.getsockname()[:2]
        self.conn = None
        self._reset_session()

    def _reset_session(self):
        """Forgets what the last client set: breakpoints, watchpoints, thread choices, ack mode."""
        self.reader = PacketReader()
        self.breakpoints = set()
        self.watches = {}        # address -> length of a write watchpoint
        self.noack = False
        self.last_sent = b""
        self.thread = None       # Hg: the thread registers and memory are read from
        self.stop_reply = "S05"

    def wait_for_client(self):
        """Blocks until gdb connects."""
        conn, _ = self.listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = conn
        self._reset_session()

    @property
    def connected(self):
        """True while a client is connected."""
        return self.conn is not None

    def drop_client(self):
        """Closes the client's connection (after a detach, a kill or a disconnect)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self._reset_session()

    def close(self, exit_code=None):
        """Tells a connected client the program exited (exit_code) if given, then closes everything."""
        if self.conn is not None and exit_code is not None:
            try:
                self._send("W%02x" % (exit_code & 0xFF))
            except OSError:
                pass
        self.drop_client()
        self.listener.close()

    # -- the socket ---------------------------------------------------------------------------------

    def _send(self, payload):
        """Sends one packet."""
        self.last_sent = frame(payload)
        self.conn.sendall(self.last_sent)

    def _receive(self, timeout):
        """Reads what the client sent within timeout seconds (None: wait); returns the reader's events.
        Refuses a second client meanwhile; raises Disconnected when the client is gone."""
        ready, _, _ = select.select([self.conn, self.listener], [], [], timeout)
        if self.listener in ready:
            self._refuse_second_client()
        if self.conn not in ready:
            return []
        try:
            data = self.conn.recv(65536)
        except OSError:
            data = b""
        if not data:
            raise Disconnected()
        return self.reader.feed(data)

    def _refuse_second_client(self):
        """Accepts and closes a second connection, saying so in one line."""
        other, address = self.listener.accept()
        other.close()
        print("pyucore: gdb: refused a second client from %s:%d (one gdb at a time)" % address[:2],
              file=self.log)

    def interrupted(self):
        """Without waiting: True if the client sent Ctrl-C; raises Disconnected when it is gone."""
        return any(kind == "interrupt" for kind, _ in self._receive(0))

    def serve(self, target, stop_reply, stopped_thread):
        """Reports a stop (stop_reply, or nothing for the first stop, which gdb asks for with `?`) and
        answers packets until gdb resumes; returns ("continue", None), ("step", tid), ("detach", None)
        or ("kill", None). Raises Disconnected when the client goes away."""
        self.stop_reply = stop_reply or "T%02xthread:%x;" % (SIGTRAP, stopped_thread)
        self.thread = stopped_thread
        self.stopped_thread = stopped_thread
        if stop_reply is not None:
            self._send(stop_reply)
        while True:
            for kind, payload in self._receive(None):
                if kind == "nak":
                    if not self.noack and self.last_sent:
                        self.conn.sendall(self.last_sent)
                    continue
                if kind == "bad":
                    print("pyucore: gdb: dropped a bad packet (%s)" % payload, file=self.log)
                    if not self.noack:
                        self.conn.sendall(b"-")
                    continue
                if kind != "packet":
                    continue
                if not self.noack:
                    self.conn.sendall(b"+")
                reply, action = self.handle(target, payload.decode("latin-1"))
                if reply is not None:
                    self._send(reply)
                if action is not None:
                    return action

    # -- the commands -------------------------------------------------------------------------------

    def handle(self, target, packet):
        """Answers one packet; returns (reply or None for no reply, resume action or None)."""
        try:
            return self._dispatch(target, packet)
        except (ValueError, IndexError):
            return "E01", None

    def _dispatch(self, target, packet):
        """handle() without the guard against malformed arguments (which raise ValueError/IndexError)."""
        head = packet[:1]
        if packet.startswith("q") or packet.startswith("Q"):
            return self._query(target, packet), None
        if packet.startswith("v"):
            return self._v_packet(packet)
        if head == "?":
            return self.stop_reply, None
        if head == "H":
            return self._set_thread(target, packet), None
        if head == "T":
            return ("OK" if int(packet[1:], 16) in target.threads() else "E01"), None
        if head == "g":
            regs = target.read_registers(self.thread)
            return (_hex_regs(regs) if regs else "E01"), None
        if head == "G":
            return self._write_all_registers(target, packet[1:]), None
        if head == "p":
            n = int(packet[1:], 16)
            regs = target.read_registers(self.thread)
            return (_hex_regs(regs[n:n + 1]) if regs and 0 <= n < NREGS else "E01"), None
        if head == "P":
            n, value = packet[1:].split("=")
            ok = target.write_register(self.thread, int(n, 16), int.from_bytes(bytes.fromhex(value), "little"))
            return ("OK" if ok else "E01"), None
        if head == "m":
            addr, length = (int(x, 16) for x in packet[1:].split(","))
            data = target.read_memory(self.thread, addr, min(length, PACKET_SIZE // 2))
            return (data.hex() if data else "E14"), None
        if head in ("M", "X"):
            return self._write_memory(target, packet), None
        if head in ("Z", "z"):
            return self._point(packet), None
        if head in ("c", "C"):
            return None, ("continue", None)
        if head in ("s", "S"):
            return None, ("step", self.stopped_thread)
        if head == "D":
            return "OK", ("detach", None)
        if head == "k":
            return None, ("kill", None)
        return "", None

    def _query(self, target, packet):
        """Answers the q/Q packets pyucore supports (empty for the others)."""
        if packet.startswith("qSupported"):
            return "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+" % PACKET_SIZE
        if packet == "QStartNoAckMode":
            self.noack = True
            return "OK"
        if packet.startswith("qXfer:features:read:target.xml:"):
            offset, length = (int(x, 16) for x in packet.rsplit(":", 1)[1].split(","))
            xml = target_xml()
            chunk = xml[offset:offset + length]
            return ("l" if offset + length >= len(xml) else "m") + chunk
        if packet == "qfThreadInfo":
            return "m" + ",".join("%x" % tid for tid in target.threads())
        if packet == "qsThreadInfo":
            return "l"
        if packet == "qC":
            return "QC%x" % self.stopped_thread
        if packet == "qAttached":
            return "1"
        if packet.startswith("qThreadExtraInfo,"):
            return target.thread_info(int(packet.split(",")[1], 16)).encode().hex()
        if packet.startswith("qSymbol"):
            return "OK"
        return ""

    def _v_packet(self, packet):
        """vCont? / vCont;ACTION[:TID]... / vKill; others get the empty reply."""
        if packet == "vCont?":
            return "vCont;c;C;s;S", None
        if packet.startswith("vCont;"):
            for action in packet[6:].split(";"):
                kind, _, tid = action.partition(":")
                if kind[:1] in ("s", "S"):
                    return None, ("step", int(tid, 16) if tid and tid != "-1" else self.stopped_thread)
            return None, ("continue", None)
        if packet.startswith("vKill"):
            return "OK", ("kill", None)
        return "", None

    def _set_thread(self, target, packet):
        """Hg/Hc: which thread later register and memory packets concern (0 or -1: the stopped one)."""
        tid = int(packet[2:], 16) if packet[2:] not in ("", "-1") else 0
        if tid == 0:
            tid = self.stopped_thread
        if tid not in target.threads():
            return "E01"
        if packet[1] == "g":
            self.thread = tid
        return "OK"

    def _write_all_registers(self, target, text):
        """G: every register from hex (x0..x31, pc)."""
        raw = bytes.fromhex(text)
        for n in range(min(len(raw) // 8, NREGS)):
            if not target.write_register(self.thread, n, int.from_bytes(raw[8 * n:8 * n + 8], "little")):
                return "E01"
        return "OK"

    def _write_memory(self, target, packet):
        """M addr,len:hex or X addr,len:binary."""
        where, _, data = packet[1:].partition(":")
        addr, length = (int(x, 16) for x in where.split(","))
        raw = bytes.fromhex(data) if packet[0] == "M" else data.encode("latin-1")
        if len(raw) != length:
            return "E01"
        if length == 0:
            return "OK"
        return "OK" if target.write_memory(self.thread, addr, raw) else "E14"

    def _point(self, packet):
        """Z0/Z1 breakpoints, Z2 write watchpoints (and their removal with z); others unsupported."""
        kind, addr, length = packet[1:].split(",")[:3]
        addr, length = int(addr, 16), int(length.split(";")[0], 16)
        insert = packet[0] == "Z"
        if kind in ("0", "1"):
            (self.breakpoints.add if insert else self.breakpoints.discard)(addr)
        elif kind == "2":
            if insert:
                self.watches[addr] = length
            else:
                self.watches.pop(addr, None)
        else:
            return ""
        return "OK"


def _hex_regs(values):
    """Register values as the protocol sends them: 8 little-endian bytes each, in hex."""
    return "".join((v & (2 ** 64 - 1)).to_bytes(8, "little").hex() for v in values)
