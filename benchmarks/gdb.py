"""What running under the gdb stub costs: wall time of one program plain, and under the stub with gdb's
`continue` only, with a breakpoint that is never hit (on the page of the hot loop: the python CPU runs
that page one instruction at a time), and with a write watchpoint (every instruction single-stepped).

    python benchmarks/gdb.py [--cpu python|unicorn ...] [--program testbss] [--repeat N]

A client thread in this process plays gdb over loopback (raw packets), so gdb's own start-up is not
measured. Prints one line per case; the console of every run under the stub must equal the plain one.
"""

import argparse
import socket
import threading
import time

from pyucore.api import boot
from pyucore.tools.gdb.rsp import PacketReader, frame
from pyucore.tools.gdb.stub import listen
from pyucore.user.build import build_program


def play_gdb(port, packets):
    """Connects, sends each setup packet (waiting for its reply), then `c` until the program exits."""
    sock = socket.create_connection(("127.0.0.1", port))
    reader = PacketReader()

    def reply():
        while True:
            for kind, payload in reader.feed(sock.recv(65536)):
                if kind == "packet":
                    sock.sendall(b"+")
                    return payload.decode()

    for packet in ["?"] + packets:
        sock.sendall(frame(packet))
        reply()
    while True:
        sock.sendall(frame("c"))
        if reply().startswith("W"):
            break
    sock.close()


def timed(program, cpu, packets):
    """(seconds, console) of one boot of program, under the stub driven with packets (None: plain)."""
    debugger = None
    if packets is not None:
        debugger = listen("127.0.0.1:0", log=open("/dev/null", "w"))
        client = threading.Thread(target=play_gdb, args=(debugger.server.address[1], packets), daemon=True)
        client.start()
    start = time.perf_counter()
    result = boot(program=program, cpu=cpu, quiet_boot=True, debugger=debugger)
    return time.perf_counter() - start, result.console


def hot_page_address(program):
    """An address on the page of the program's main that no instruction starts at (mid-page, odd)."""
    from io import BytesIO
    from elftools.elf.elffile import ELFFile
    symtab = ELFFile(BytesIO(build_program(program))).get_section_by_name(".symtab")
    return (symtab.get_symbol_by_name("main")[0]["st_value"] & ~0xFFF) + 0x801


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="append", help="backend(s) to measure (default: both)")
    parser.add_argument("--program", default="testbss", help="built-in program to run (default testbss)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is kept")
    args = parser.parse_args()
    data = hot_page_address(args.program)
    cases = [("plain (no stub)", None), ("stub, continue only", []),
             ("stub, a breakpoint on the hot page", ["Z0,%x,2" % data]),
             ("stub, a write watchpoint", ["Z2,%x,4" % 0x10])]
    for cpu in args.cpu or ["python", "unicorn"]:
        plain = None
        for label, packets in cases:
            best, console = min(timed(args.program, cpu, packets) for _ in range(args.repeat))
            plain = console if plain is None else plain
            same = "same console" if console == plain else "CONSOLE DIFFERS"
            print(f"{cpu:8} {label:36} {best:7.3f} s  {same}", flush=True)


if __name__ == "__main__":
    main()
