"""gdb's view of a pyucore run: every live user process is a thread (tid = pid), all-stop.

boot() installs a GdbStub as trap.debugger, so the kernel's user-mode loop calls stub.run(budget) where
it would call cpu.run(budget). run() keeps cpu.run's contract exactly (it returns after exactly budget
instructions or at a trap, with the same registers and counts), so the kernel, its timer and its
console see the same run as without gdb: no virtual time passes while gdb holds the program stopped.
Between those instructions it stops for gdb: before the first user instruction (waiting for gdb to
connect), at a breakpoint (the CPU's set_breakpoints), after a single step, after a store that changed
a watched variable (checked after every instruction while a watchpoint is set), and on Ctrl-C.
"""

import sys

from pyucore.machine.cpu import STOP_BREAKPOINT, STOP_BUDGET
from pyucore.machine.riscv import CAUSE_STORE_PAGE_FAULT, CAUSE_USER_ECALL, PGSIZE, PTE_W

from .server import SIGINT, SIGTRAP, Disconnected, GdbServer

POLL_STEPS = 512         # while single-stepping for a watchpoint, look for Ctrl-C this often


class GdbStub:
    """Runs user code for the kernel under gdb's control (see the module docstring)."""

    def __init__(self, server, log=sys.stderr):
        """Needs a listening GdbServer; the first user instruction waits for a client."""
        self.server = server
        self.log = log
        self.first = True
        self.step_tid = None     # the thread gdb asked to single-step, until it has stepped
        self.stepped = False     # that thread's step ended in a syscall: report it when it resumes
        self.kern = None

    def bind(self, kern):
        """Needs the kernel package the boot runs (pyucore.kern, or a lab workspace's kern)."""
        self.kern = kern

    @property
    def _proc(self):
        """The kernel's process module (current, proc_list, find_proc)."""
        return self.kern.process.proc

    # -- the kernel's side --------------------------------------------------------------------------

    def run(self, budget):
        """cpu.run(budget)'s contract, stopping for gdb in between; returns STOP_BUDGET or a trap cause."""
        cpu = self.kern.hw.cpu
        if self.first:
            self.first = False
            self._wait_for_client()
        if not self.server.connected:
            return cpu.run(budget)
        end = cpu.instret + budget
        if self.stepped and self.step_tid == self._proc.current.pid:
            self._stop(SIGTRAP)
        steps = 0
        while cpu.instret < end:
            if not self.server.connected:
                return cpu.run(end - cpu.instret)
            stepping = self.step_tid == self._proc.current.pid
            watched = self._watched_values() if self.server.watches else None
            if steps % POLL_STEPS == 0 and self._interrupted():
                self._stop(SIGINT)
                continue
            steps += 1
            why = cpu.run(1 if stepping or watched else end - cpu.instret)
            if why == STOP_BREAKPOINT:
                self._stop(SIGTRAP)
                continue
            if why != STOP_BUDGET:
                self.stepped = stepping and why == CAUSE_USER_ECALL
                return why
            changed = watched and self._changed_watch(watched)
            if changed is not None or stepping:
                self._stop(SIGTRAP, changed)
        return STOP_BUDGET

    def finish(self, exit_status):
        """The run is over: tells gdb the program exited with exit_status (if one is attached), closes."""
        self.server.close(exit_status)

    # -- stops --------------------------------------------------------------------------------------

    def _wait_for_client(self):
        """Blocks until gdb connects, then serves it with the program stopped at its first instruction."""
        host, port = self.server.address
        print("pyucore: waiting for gdb on %s:%d" % (host, port), file=self.log, flush=True)
        self.server.wait_for_client()
        self._stop(None)

    def _interrupted(self):
        """True if gdb sent Ctrl-C (a vanished gdb counts as a detach)."""
        try:
            return self.server.interrupted()
        except Disconnected:
            self._lost_client()
            return False

    def _stop(self, signal, watch=None):
        """Holds the program stopped (current process) while gdb looks; applies what gdb decided."""
        tid = self._proc.current.pid
        reply = None
        if signal is not None:
            reply = "T%02x%sthread:%x;" % (signal, "watch:%x;" % watch if watch is not None else "", tid)
        self.step_tid, self.stepped = None, False
        try:
            action, step_tid = self.server.serve(self, reply, tid)
        except (Disconnected, OSError):
            self._lost_client()
            return
        if action == "kill":
            self.server.drop_client()
            print("pyucore: gdb killed the program: the machine stops", file=self.log)
            raise self.kern.libs.sbi.Shutdown()
        if action == "detach":
            self.server.drop_client()
        self.step_tid = step_tid if action == "step" else None
        self.kern.hw.cpu.set_breakpoints(self.server.breakpoints)

    def _lost_client(self):
        """gdb went away without detaching: forget it and let the program run on."""
        self.server.drop_client()
        self.kern.hw.cpu.set_breakpoints(())
        self.step_tid = None
        print("pyucore: gdb disconnected; the run goes on without it", file=self.log)

    # -- watchpoints --------------------------------------------------------------------------------

    def _watched_values(self):
        """{address: bytes} of the watched variables in the current process (b"" where unmapped)."""
        return {addr: self.read_memory(self._proc.current.pid, addr, n) for addr, n in self.server.watches.items()}

    def _changed_watch(self, before):
        """The first watched address whose bytes differ from before, or None."""
        for addr, old in before.items():
            if self.read_memory(self._proc.current.pid, addr, len(old) or self.server.watches.get(addr, 0)) != old:
                return addr
        return None

    # -- the target gdb reads and writes (see server.py) -----------------------------------------

    def threads(self):
        """The pids of every live user process (a process with memory that has not exited)."""
        return sorted(p.pid for p in self._proc.proc_list if p.mm is not None and p.state != self._proc.PROC_ZOMBIE)

    def thread_info(self, tid):
        """`pid N (name)` of thread tid."""
        proc = self._proc.find_proc(tid)
        return "pid %d (%s)" % (tid, proc.name) if proc is not None else "pid %d (gone)" % tid

    def read_registers(self, tid):
        """x0..x31 and pc of thread tid: the CPU's for the running process, else its trapframe's."""
        proc = self._proc.find_proc(tid)
        if proc is None or proc.mm is None:
            return None
        if proc is self._proc.current:
            return list(self.kern.hw.cpu.regs) + [self.kern.hw.cpu.pc]
        return [proc.tf.reg(i) for i in range(32)] + [proc.tf.epc]

    def write_register(self, tid, n, value):
        """Sets register n (0..31, 32 = pc) of thread tid; False if there is no such register."""
        proc = self._proc.find_proc(tid)
        if proc is None or proc.mm is None or not 0 <= n <= 32:
            return False
        if n == 0:
            return True
        if proc is self._proc.current:
            if n == 32:
                self.kern.hw.cpu.pc = value
            else:
                self.kern.hw.cpu.regs[n] = value
        elif n == 32:
            proc.tf.epc = value
        else:
            proc.tf.set_reg(n, value)
        return True

    def read_memory(self, tid, addr, length):
        """Up to length bytes at user address addr of thread tid's memory (fewer where a page is not
        mapped for the user; b"" if the first is not)."""
        out = bytearray()
        while len(out) < length:
            pa = self._user_pa(tid, addr + len(out), write=False)
            if pa is None:
                break
            n = min(length - len(out), PGSIZE - (pa & (PGSIZE - 1)))
            out += self.kern.hw.ram.read(pa, n)
        return bytes(out)

    def write_memory(self, tid, addr, data):
        """Writes data at user address addr of thread tid (breaking copy-on-write sharing first, so only
        that process sees it); False, with nothing written, unless every page is mapped writable."""
        pieces, done = [], 0
        while done < len(data):
            pa = self._user_pa(tid, addr + done, write=True)
            if pa is None:
                return False
            n = min(len(data) - done, PGSIZE - (pa & (PGSIZE - 1)))
            pieces.append((pa, data[done:done + n]))
            done += n
        for pa, chunk in pieces:
            self.kern.hw.ram.write(pa, chunk)
        return True

    def _user_pa(self, tid, va, write):
        """The physical address of user address va in thread tid's page table, or None. For a write, a
        page shared copy-on-write is first made private (for the running process), as its store would."""
        proc = self._proc.find_proc(tid)
        if proc is None or proc.mm is None:
            return None
        if not write:
            return self.kern.mm.pmm.user_pa(proc.mm.pgdir, va)
        if self.kern.mm.pmm.user_pa(proc.mm.pgdir, va) is not None and self.kern.mm.pmm.user_pa(proc.mm.pgdir, va, PTE_W) is None:
            vma = self.kern.mm.vmm.find_vma(proc.mm, va)
            if vma is not None and vma.vm_flags & self.kern.mm.vmm.VM_WRITE and proc is self._proc.current:
                self.kern.mm.vmm.do_pgfault(proc.mm, CAUSE_STORE_PAGE_FAULT, va)
        return self.kern.mm.pmm.user_pa(proc.mm.pgdir, va, PTE_W)


def listen(spec, log=sys.stderr):
    """A GdbStub listening on spec, `[HOST:]PORT` (host default 127.0.0.1); raises ValueError for a bad
    spec, OSError when the address cannot be bound."""
    host, _, port = spec.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise ValueError("--gdb needs [HOST:]PORT with a port from 0 to 65535, not %r" % spec)
    return GdbStub(GdbServer(host or "127.0.0.1", int(port), log), log)
