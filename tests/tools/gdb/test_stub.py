"""`pyucore run PROG --gdb`: the real gdb-multiarch (batch mode) and a raw client against a real run.

Each test starts `pyucore run` on an ephemeral loopback port (--gdb 127.0.0.1:0, the port is read from
the command it prints) and drives it. gdb-multiarch is installed by .ci/run; only outside CI may these
tests skip when it is missing.
"""

import functools
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from gdb_client import RawClient

from pyucore.api import boot
from pyucore.tools.gdb.stub import listen
from pyucore.user.build import build_c

PROGRAMS = Path(__file__).parent / "programs"
GDB = shutil.which("gdb-multiarch")
if GDB is None and not os.environ.get("CI"):
    pytest.skip("gdb-multiarch is not installed (CI installs it)", allow_module_level=True)

CPUS = ["python", "unicorn"]


class Run:
    """`pyucore run PROG --gdb 127.0.0.1:0` in a subprocess: its port and the ELF path it printed."""

    def __init__(self, program, *options):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyucore", "run", str(PROGRAMS / program), "--quiet-boot",
             "--gdb", "127.0.0.1:0", *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))   # a background job ignores it
        line = self.proc.stderr.readline()
        match = re.match(r"pyucore: debug with: gdb-multiarch (\S+) -ex '(directory \S+)' "
                         r"-ex 'target remote :(\d+)'$", line)
        assert match, line
        self.elf, self.directory, self.port = match.group(1), match.group(2), int(match.group(3))
        assert self.proc.stderr.readline().startswith("pyucore: waiting for gdb on 127.0.0.1:")

    def gdb(self, *commands):
        """Runs gdb-multiarch in batch mode with commands after connecting; returns its output."""
        args = [GDB, "-batch", "-nx", self.elf, "-ex", self.directory, "-ex", f"target remote :{self.port}"]
        for command in commands:
            args += ["-ex", command]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return done.stdout + done.stderr

    def finish(self):
        """(exit status, stdout, stderr) once the run has ended."""
        out, err = self.proc.communicate(timeout=60)
        return self.proc.returncode, out, err


@functools.cache
def console_without_gdb(program, cpu):
    """The console of the same run without gdb (booted once per session: several tests compare with it)."""
    return boot(elf=build_c(PROGRAMS / program), name=Path(program).stem, quiet_boot=True, cpu=cpu).console


@pytest.mark.parametrize("cpu", CPUS)
def test_break_at_main_step_a_line_read_a_local_and_a_global_then_detach(cpu):
    run = Run("gdbdemo.c", "--cpu", cpu)
    out = run.gdb("break main", "continue", "next", "next", "print local", "print counter", "info source",
                  "detach")
    status, console, _ = run.finish()
    assert re.search(r"Breakpoint 1, main \(\) at user/gdbdemo.c:\d+\n\d+\t    counter = square", out), out
    assert f"Located in {PROGRAMS / 'gdbdemo.c'}" in out, out
    assert "$1 = 6" in out and "$2 = 36" in out, out
    assert status == 0
    assert console == console_without_gdb("gdbdemo.c", cpu)


def test_only_continue_gives_the_console_of_a_run_without_gdb():
    run = Run("gdbdemo.c")
    out = run.gdb("continue")
    status, console, _ = run.finish()
    assert "exited normally" in out, out
    assert status == 0 and console == console_without_gdb("gdbdemo.c", "python")


def continue_to_the_end(port):
    """Plays gdb: connects, then `continue` until the program exits."""
    client = RawClient(port)
    client.ask("?")
    while not client.ask("c").startswith("W"):
        pass
    client.close()


@pytest.mark.parametrize("cpu", CPUS)
def test_under_the_stub_with_only_continue_the_events_and_stats_are_those_without_it(cpu):
    image = build_c(PROGRAMS / "gdbdemo.c")
    stub = listen("127.0.0.1:0", log=io.StringIO())
    client = threading.Thread(target=continue_to_the_end, args=(stub.server.address[1],), daemon=True)
    client.start()
    debugged = boot(elf=image, name="gdbdemo", quiet_boot=True, cpu=cpu, debugger=stub, keep_events=True)
    client.join(10)
    plain = boot(elf=image, name="gdbdemo", quiet_boot=True, cpu=cpu, keep_events=True)
    assert debugged.events == plain.events and debugged.stats == plain.stats
    assert debugged.console == plain.console


@pytest.mark.parametrize("cpu", CPUS)
def test_a_breakpoint_in_code_a_forked_child_runs_stops_in_that_child(cpu):
    run = Run("gdbdemo.c", "--cpu", cpu)
    out = run.gdb("break in_child", "continue", "info threads", "print $_thread", "thread 1", "detach")
    run.finish()
    assert re.search(r"hit Breakpoint 1, in_child \(seed=6\)", out), out
    assert re.search(r"\* 2 +Thread 3 \(pid 3 \(gdbdemo\)\) in_child", out), out
    assert re.search(r"\n +1 +Thread 2 \(pid 2 \(gdbdemo\)\) ", out), out
    assert "[Switching to thread 1 (Thread 2)]" in out, out


@pytest.mark.parametrize("cpu", CPUS)
def test_a_watchpoint_on_a_global_fires_at_the_store(cpu):
    run = Run("gdbdemo.c", "--cpu", cpu)
    out = run.gdb("watch counter", "continue", "detach")
    run.finish()
    assert re.search(r"Hardware watchpoint 1: counter\s+Old value = 1\s+New value = 36\s+"
                     r"(0x[0-9a-f]+ in )?main \(\) at user/gdbdemo.c:\d+", out), out


def test_stepi_and_finish_return_from_a_function():
    run = Run("gdbdemo.c")
    out = run.gdb("break square", "continue", "stepi", "finish", "detach")
    run.finish()
    breakpoint = re.search(r"Breakpoint 1 at 0x([0-9a-f]+): file user/gdbdemo.c", out)
    assert breakpoint and re.search(r"Breakpoint 1, square \(x=6\)", out), out
    stepped = re.search(r"\n0x([0-9a-f]+)\t\d+\t", out)
    assert stepped and int(stepped.group(1), 16) > int(breakpoint.group(1), 16), out
    assert re.search(r"\nmain \(\) at user/gdbdemo.c:\d+", out), out
    assert "Value returned is $1 = 36" in out, out


@pytest.mark.parametrize("cpu", CPUS)
def test_ctrl_c_stops_a_spinning_program_and_kill_ends_the_run(cpu):
    run = Run("spinner.c", "--cpu", cpu)
    client = RawClient(run.port)
    assert client.ask("?").startswith("T05thread:")
    client.send_raw(b"$c#63")
    assert client.sock.recv(1) == b"+"
    while run.proc.stdout.readline() != "spinning\n":
        pass
    client.send_raw(b"\x03")
    stop = client.reply()
    assert re.fullmatch(r"T02thread:[0-9a-f]+;", stop), stop
    assert len(client.ask("g")) == 33 * 16
    client.send_raw(b"$k#6b")
    status, console, err = run.finish()
    client.close()
    assert status == 0 and console == ""        # the console up to "spinning" was read above
    assert "gdb killed the program" in err


def test_a_client_that_disconnects_mid_run_leaves_the_run_to_finish():
    run = Run("gdbdemo.c")
    client = RawClient(run.port)
    assert client.ask("Z0,%x,2" % 0x800000) == "OK"
    client.close()
    status, console, err = run.finish()
    assert status == 0 and console == console_without_gdb("gdbdemo.c", "python")
    assert "gdb disconnected; the run goes on without it" in err


def test_unmapped_and_kernel_addresses_give_an_error_reply():
    run = Run("gdbdemo.c")
    client = RawClient(run.port)
    assert client.ask("m0,4") == "E14"
    assert client.ask("mffffffffc0200000,4") == "E14"
    assert client.ask("M0,1:00") == "E14"
    client.send_raw(b"$D#44")
    assert client.reply() == "OK"
    status, console, _ = run.finish()
    client.close()
    assert status == 0 and console == console_without_gdb("gdbdemo.c", "python")


def test_a_port_in_use_is_one_clear_line():
    first = Run("gdbdemo.c")
    try:
        done = subprocess.run([sys.executable, "-m", "pyucore", "run", str(PROGRAMS / "gdbdemo.c"),
                               "--gdb", f"127.0.0.1:{first.port}"], capture_output=True, text=True, timeout=60)
    finally:
        first.proc.send_signal(signal.SIGINT)
        first.finish()
    assert done.returncode == 2
    assert done.stderr == (f"pyucore: --gdb 127.0.0.1:{first.port}: cannot listen there: "
                           "Address already in use\n")
