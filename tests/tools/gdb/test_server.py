"""The gdb server alone, over real loopback sockets, with a fake target: commands and bad input."""

import io
import socket
import threading

import pytest
from gdb_client import RawClient

from pyucore.tools.gdb.server import Disconnected, GdbServer, target_xml


class FakeTarget:
    """Two threads (2 and 3), registers x_i = i * 16 + tid, 64 readable bytes of memory at 0x1000."""

    def __init__(self):
        self.memory = bytearray(range(64))

    def threads(self):
        return [2, 3]

    def thread_info(self, tid):
        return "pid %d (fake)" % tid

    def read_registers(self, tid):
        return [i * 16 + tid for i in range(33)]

    def write_register(self, tid, n, value):
        return n < 33

    def read_memory(self, tid, addr, length):
        start = addr - 0x1000
        return bytes(self.memory[start:start + length]) if 0 <= start < 64 else b""

    def write_memory(self, tid, addr, data):
        start = addr - 0x1000
        if not (0 <= start and start + len(data) <= 64):
            return False
        self.memory[start:start + len(data)] = data
        return True


@pytest.fixture
def served():
    """(server, client, log, result): a server serving a FakeTarget stopped in thread 2, in a thread
    of its own; result["action"] is what serve() returned, result["error"] what it raised."""
    log = io.StringIO()
    server = GdbServer("127.0.0.1", 0, log)
    result = {}

    def serve():
        server.wait_for_client()
        try:
            result["action"] = server.serve(FakeTarget(), None, 2)
        except Disconnected as exc:
            result["error"] = exc

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = RawClient(server.address[1])
    yield server, client, log, result, thread
    client.close()
    thread.join(5)
    server.close()


def test_first_stop_reply_names_the_stopped_thread(served):
    _, client, _, _, _ = served
    assert client.ask("?") == "T05thread:2;"
    assert client.ask("qC") == "QC2"


def test_threads_are_listed_with_their_process(served):
    _, client, _, _, _ = served
    assert client.ask("qfThreadInfo") == "m2,3"
    assert client.ask("qsThreadInfo") == "l"
    assert bytes.fromhex(client.ask("qThreadExtraInfo,3")).decode() == "pid 3 (fake)"


def test_registers_follow_the_selected_thread(served):
    _, client, _, _, _ = served
    assert client.ask("p1") == (16 + 2).to_bytes(8, "little").hex()
    assert client.ask("Hg3") == "OK"
    assert client.ask("p20") == (32 * 16 + 3).to_bytes(8, "little").hex()
    assert len(client.ask("g")) == 33 * 16
    assert client.ask("Hg9") == "E01"


def test_target_description_is_served_in_pieces(served):
    _, client, _, _, _ = served
    first = client.ask("qXfer:features:read:target.xml:0,10")          # offset, length in hex
    assert first[0] == "m" and len(first) == 1 + 16
    rest = client.ask("qXfer:features:read:target.xml:10,ffff")
    assert rest[0] == "l" and first[1:] + rest[1:] == target_xml()
    assert target_xml().count("<reg ") == 33


def test_memory_reads_and_writes_and_errors(served):
    _, client, _, _, _ = served
    assert client.ask("m1000,4") == "00010203"
    assert client.ask("M1000,2:abcd") == "OK"
    assert client.ask("X1002,2:#$") == "OK"          # binary (frame() escapes it)
    assert client.ask("m1000,4") == "abcd2324"
    assert client.ask("m0,4") == "E14"
    assert client.ask("M0,1:00") == "E14"


def test_malformed_packets_get_an_error_reply(served):
    _, client, _, _, _ = served
    for packet in ("mzz,4", "m1000", "Pzz", "M1000,4:00", "Z0,xyz,2", "Hgq"):
        assert client.ask(packet) == "E01", packet
    assert client.ask("qUnknownThing") == ""
    assert client.ask("?") == "T05thread:2;"


def test_a_bad_checksum_is_naked_and_logged_and_the_session_goes_on(served):
    _, client, log, _, _ = served
    client.send_raw(b"$qC#00")
    assert client.sock.recv(1) == b"-"
    assert client.ask("qC") == "QC2"
    assert "dropped a bad packet (checksum 00" in log.getvalue()


def test_breakpoints_and_watchpoints_are_kept_until_removed(served):
    server, client, _, _, _ = served
    assert client.ask("Z0,800034,2") == "OK"
    assert client.ask("Z2,801000,4") == "OK"
    assert server.breakpoints == {0x800034} and server.watches == {0x801000: 4}
    assert client.ask("z0,800034,2") == "OK"
    assert client.ask("Z3,801000,4") == ""          # read watchpoints: not supported
    assert server.breakpoints == set()


def test_vcont_step_names_the_thread_to_step(served):
    _, client, _, result, thread = served
    assert client.ask("vCont?") == "vCont;c;C;s;S"
    client.send_raw(b"$vCont;s:3;c#" + b"%02x" % (sum(b"vCont;s:3;c") & 0xFF))
    thread.join(5)
    assert result["action"] == ("step", 3)


def test_a_client_that_disconnects_ends_serving(served):
    _, client, _, result, thread = served
    client.close()
    thread.join(5)
    assert isinstance(result["error"], Disconnected)


def test_a_second_client_is_refused_in_one_line_and_the_first_is_still_served(served):
    server, client, log, _, _ = served
    other = socket.create_connection(server.address, timeout=5)
    assert client.ask("qC") == "QC2"
    assert other.recv(10) == b""
    other.close()
    assert log.getvalue().count("refused a second client") == 1


def test_a_port_in_use_cannot_be_bound():
    first = GdbServer("127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            GdbServer("127.0.0.1", first.address[1])
    finally:
        first.close()
