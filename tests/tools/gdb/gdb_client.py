"""A minimal gdb remote-protocol client for the tests: raw packets over a socket."""

import re
import socket

from pyucore.tools.gdb.rsp import frame

_PACKET = re.compile(rb"\$([^#]*)#[0-9a-fA-F]{2}")


class RawClient:
    """Connects to a stub; send() a packet and read its reply, with acks as gdb sends them."""

    def __init__(self, port, timeout=20):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.pending = b""

    def send_raw(self, data):
        """Sends bytes as they are."""
        self.sock.sendall(data)

    def reply(self):
        """The payload of the next packet the stub sends (acks skipped), acked with +."""
        while True:
            match = _PACKET.search(self.pending)
            if match:
                self.pending = self.pending[match.end():]
                self.sock.sendall(b"+")
                return match.group(1).decode("latin-1")
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the stub closed the connection")
            self.pending += data

    def ask(self, payload):
        """Sends one packet, returns the reply's payload."""
        self.send_raw(frame(payload))
        return self.reply()

    def close(self):
        self.sock.close()
