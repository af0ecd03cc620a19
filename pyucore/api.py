"""The Python API: boot the kernel on a fresh machine, run one program to the end, return what happened."""

import os

EXIT_HALT, EXIT_PANIC, EXIT_LIMIT, EXIT_DEADLOCK = 0, 1, 3, 4
EXIT_INTERRUPTED = 130      # a shell's status for a program stopped by Ctrl-C (128 + SIGINT)
MIN_FREE_RAM = 1 << 20      # what a machine must keep free after the kernel image to run anything
RAM_MIB_RANGE = (4, 1024)   # the RAM sizes boot() accepts, in MiB (shared with the CLI's --ram-mib)
CPU_BACKENDS = ("python", "unicorn")
SCHED_POLICIES = ("lab5", "rr", "stride")   # pyucore.kern.schedule.sched.SCHED_CLASSES


class BootError(ValueError):
    """A request boot() cannot run: a bad option, or a program too big for the machine."""


class BootInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a boot: result is the BootResult of what ran until then (exit_status
    EXIT_INTERRUPTED); the trace asked for, if any, was written."""

    def __init__(self, result):
        super().__init__("interrupted")
        self.result = result


class EventsNotKept(RuntimeError):
    """BootResult.events of a boot that did not keep its events."""


class BootResult:
    """What one boot produced: the console text, the kernel events (kept_events: the list, or None when
    the boot did not keep them), counters, and how it ended. (A plain class, not a dataclass: a run
    that imports no dataclass starts about 10 ms sooner.)"""

    _FIELDS = ("console", "kept_events", "stats", "exit_status", "halt_reason")

    def __init__(self, console, kept_events=(), stats=None, exit_status=EXIT_HALT, halt_reason="halt"):
        """Needs the console text; kept_events: a list, None (not kept) or () for a new empty list;
        stats: a dict (None: a new empty one)."""
        self.console = console
        self.kept_events = [] if kept_events == () else kept_events
        self.stats = {} if stats is None else stats
        self.exit_status = exit_status
        self.halt_reason = halt_reason

    def __repr__(self):
        return "BootResult(%s)" % ", ".join("%s=%r" % (name, getattr(self, name)) for name in self._FIELDS)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._FIELDS)

    @property
    def events(self) -> list:
        """The kernel's events in emission order; raises EventsNotKept for a boot that did not keep them
        (boot(..., keep_events=True) does)."""
        if self.kept_events is None:
            raise EventsNotKept("this boot did not keep its events: boot(..., keep_events=True) keeps them "
                                "(a long run keeps hundreds of bytes per system call)")
        return self.kept_events


def _program_image(program, elf, name):
    """(name, ELF bytes) of what to run: a built-in program by name, or given ELF bytes."""
    if elf is not None:
        return (name or "prog"), bytes(elf)
    from pyucore.user.build import build_program
    program = program or "exit"
    return program, build_program(program)


def _check_request(program, elf, tick_insns, tick_num, max_insns, cpu, ram_mib, console, sched):
    """Raises BootError unless boot()'s arguments describe a run it can do."""
    if program is not None and elf is not None:
        raise BootError("give program (a built-in program's name) or elf (an ELF's bytes), not both")
    if program is not None and not isinstance(program, str):
        raise BootError("program must be a built-in program's name, not %s" % type(program).__name__)
    _check_elf(elf)
    _check_positive("tick_insns", tick_insns)
    for name, value in (("tick_num", tick_num), ("max_insns", max_insns)):
        if value is not None:
            _check_positive(name, value)
    _check_between("ram_mib", ram_mib, *RAM_MIB_RANGE)
    if cpu not in CPU_BACKENDS:
        raise BootError("unknown cpu backend %r (available: %s)" % (cpu, ", ".join(CPU_BACKENDS)))
    if sched is not None and sched not in SCHED_POLICIES:
        raise BootError("unknown scheduler %r (available: %s)" % (sched, ", ".join(SCHED_POLICIES)))
    if console is not None and not callable(getattr(console, "write", None)):
        raise BootError("console must be None or an object with a write() method, not %s"
                        % type(console).__name__)


def default_sched(program):
    """The scheduler a boot uses when not told: stride for a built-in lab6 program (the class lab6's
    grader expects), lab5's own for everything else."""
    from pyucore.user.build import program_lab
    return "stride" if program is not None and program_lab(program) == 6 else "lab5"


def _check_elf(elf):
    """Raises BootError unless elf is None or bytes-like (bytes, bytearray, memoryview)."""
    if isinstance(elf, (str, os.PathLike)):
        raise BootError("elf must be the ELF's bytes (read the file first)")
    if elf is not None and not isinstance(elf, (bytes, bytearray, memoryview)):
        raise BootError("elf must be the ELF's bytes, not %s" % type(elf).__name__)


def _as_int(name, value):
    """value, if it is an int (a bool is not one); raises BootError otherwise."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise BootError("%s must be an int, not %s" % (name, type(value).__name__))
    return value


def _check_positive(name, value):
    """Raises BootError unless value is an int of at least 1."""
    if _as_int(name, value) < 1:
        raise BootError("%s must be positive (got %d)" % (name, value))


def _check_between(name, value, low, high):
    """Raises BootError unless value is an int from low to high."""
    if not low <= _as_int(name, value) <= high:
        raise BootError("%s must be between %d and %d (got %d)" % (name, low, high, value))


def _collect_stats(kern, kinds):
    """Counters of a boot of kernel package kern that finished, whose events of each kind were counted
    in kinds: memory (from pmm), processes, syscalls, faults, instructions."""
    stats = dict(kern.mm.pmm.stats)
    stats.update(forks=kinds.get("fork", 0), execs=kinds.get("exec", 0), exits=kinds.get("exit", 0),
                 syscalls=kinds.get("syscall", 0), page_faults=kinds.get("pgfault", 0),
                 switches=kinds.get("switch", 0), instructions=kern.hw.cpu.instret,
                 ticks=kern.driver.clock.ticks)
    return stats


def _event_listener(verbose, on_event, kern):
    """Returns (kernel package kern's live event listener or None, the stderr printer to close at the
    end or None): on_event, plus one line per event on stderr when verbose is True or a comma list of
    pyucore.tools.trace categories; ValueError for a bad category."""
    if not verbose:
        return on_event, None
    import sys
    from pyucore.tools.trace import event_printer
    printer = event_printer(sys.stderr, verbose, kern)
    if on_event is None:
        return printer, printer

    def both(event):
        printer(event)
        on_event(event)
    return both, printer


def _detach_caller_hooks(kern):
    """After a boot, kernel package kern forgets the caller's console stream and event listener, so
    nothing it prints or records later (a unit test's panic) reaches a stream the caller may have
    closed."""
    kern.debug.events.events_init()
    kern.driver.console.cons_init()
    kern.trap.trap.debugger = None


def _load_kernel(kernel):
    """(kernel package, workspace settings): the built-in kernel for None, else workspace kernel's."""
    from pyucore.lab import SETTINGS, LabError
    from pyucore.lab.loader import load_kernel
    try:
        if kernel is None:
            return load_kernel(None), dict(SETTINGS, cow=True)
        from pyucore.lab.workspace import read_settings     # only a workspace needs it (and its imports)
        return load_kernel(kernel), read_settings(kernel)
    except LabError as exc:
        raise BootError(str(exc)) from None


def _make_machine(cpu, ram_mib):
    """Returns a machine with ram_mib MiB of RAM and the CPU backend cpu; raises BootError when the
    unicorn backend cannot run with the installed unicorn."""
    if cpu == "python":
        from pyucore.machine import Machine
        return Machine(ram_size=ram_mib << 20)
    try:
        from pyucore.machine.unicorn_cpu import UnicornMachine, UnicornUnavailable
    except ImportError as e:
        raise BootError("the unicorn backend cannot load the installed unicorn (%s); use --cpu python" % e)
    try:
        return UnicornMachine(ram_size=ram_mib << 20)
    except UnicornUnavailable as e:
        raise BootError(str(e)) from None


def boot(program=None, elf=None, name=None, cow=None, tick_insns=10000, tick_num=None, max_insns=None,
         quiet_boot=False, cpu="python", ram_mib=128, console=None, trace=None, verbose=False,
         pgdir_at_exit=False, on_event=None, kernel=None, sched=None, debugger=None, html=None,
         keep_events=False):
    """Boots pyucore running one program to the end: program is the name of a built-in program (see
    pyucore.user.build.program_names(); with neither program nor elf, `exit`, as ucore does without
    TEST), or elf is an ELF's bytes, run under name. A C file of your own goes through
    pyucore.user.build.build_c(path), whose result you pass as elf=.
    trace: a path for the Chrome trace of the run; html: a path for the explorer page of the run (both
    record the memory and console detail the page needs; a run with neither pays nothing for it);
    verbose: show events on stderr as they happen (True,
    or categories such as "procs,sched"); pgdir_at_exit: print each process's page table as it exits;
    on_event: a function called with each kernel event as it happens; debugger: None, or what runs
    user code in place of the CPU (pyucore.tools.gdb.stub.GdbStub: bind(kernel package),
    run(budget), finish(exit status)).
    keep_events: keep every event for BootResult.events (a trace or an explorer page keeps them too;
    otherwise they are only counted, so a long run does not grow).
    kernel: None for pyucore's own kernel, or the directory of a lab workspace (pyucore lab init),
    whose kern/ is run instead on the same machine and programs; an exception raised in its code
    (or a syntax error in it) raises pyucore.lab.loader.StudentCodeError, whose message names the
    student's file and line. cow: copy-on-write fork on or off; None is the kernel's default (on for
    pyucore's kernel, the workspace's `cow` setting for a workspace).
    sched: the scheduler, "lab5" (lab5's kernel: its round robin, a reschedule every 100 ticks), "rr"
    or "stride" (lab6's kernel: its classes, 5 ticks a turn, the gettime and lab6_set_priority
    syscalls); None: stride for a built-in lab6 program, else lab5.
    tick_insns: user instructions per timer tick; tick_num: ticks per scheduling turn (None: the
    scheduler's own, 100 for lab5, 5 for rr and stride).
    tick_insns: a positive int; tick_num, max_insns: None or a positive int; ram_mib: an int from 4 to
    1024; console: None or an object with write(), given the console text as it is printed.
    Returns a BootResult; exit_status 0 = clean halt, 1 = kernel panic, 3 = instruction limit,
    4 = deadlock. Ctrl-C raises BootInterrupted (a KeyboardInterrupt) carrying the result so far.
    Raises BuildError for an unknown program, BootError for bad arguments, a program
    too big for the RAM or a kernel directory that is not a workspace, OSError when the trace or the
    page cannot be written."""
    _check_request(program, elf, tick_insns, tick_num, max_insns, cpu, ram_mib, console, sched)
    kern, settings = _load_kernel(kernel)
    cow = settings["cow"] if cow is None else cow
    listener, printer = _event_listener(verbose, on_event, kern)
    name, image = _program_image(program, elf, name)
    sched = sched or default_sched(program)
    if len(image) + MIN_FREE_RAM > (ram_mib << 20) - (2 << 20):
        raise BootError("the program's image (%d bytes) does not fit in a RAM of %d MiB"
                        % (len(image), ram_mib))
    machine = _make_machine(cpu, ram_mib)
    status, reason = EXIT_HALT, "halt"
    if debugger is not None:
        debugger.bind(kern)
    # A student's proc_tick need not agree with the reference's quiet_ticks: their kernel takes every tick.
    kern.driver.clock.run_past_quiet_ticks = kernel is None
    try:
        kern.init.init.kern_init(machine, name, image, tick_insns=tick_insns, tick_num=tick_num,
                                 max_insns=max_insns, cow=cow, console=console, quiet_boot=quiet_boot,
                                 on_event=listener, pgdir_at_exit=pgdir_at_exit, sched=sched,
                                 debugger=debugger, record_detail=trace is not None or html is not None,
                                 keep_events=keep_events or trace is not None or html is not None)
    except kern.libs.sbi.Shutdown:
        pass
    except kern.debug.panic.KernelPanic as e:
        status, reason = EXIT_PANIC, "kernel panic: %s" % str(e).strip()
    except kern.process.proc.Deadlock as e:
        status, reason = EXIT_DEADLOCK, "deadlock: %s" % e
    except kern.trap.trap.InstructionLimit as e:
        status, reason = EXIT_LIMIT, "stopped after %d user instructions (--max-insns)" % e.args[0]
    except KeyboardInterrupt:
        status, reason = EXIT_INTERRUPTED, "interrupted (Ctrl-C)"
    except Exception as e:
        if kernel is None:
            raise
        raise _student_error(e, kernel, kern) from None
    finally:
        kern.driver.console.cons_end()
        kevents = kern.debug.events
        events, counts, text = kevents.events, kevents.counts, kern.driver.console.cons_text()
        _detach_caller_hooks(kern)
        if printer is not None:
            printer.close()
        if debugger is not None:
            debugger.finish(status)
    stats = _collect_stats(kern, counts)
    _write_views(events, stats, trace, html, status == EXIT_INTERRUPTED)
    result = BootResult(text, events, stats, status, reason)
    if status == EXIT_INTERRUPTED:
        raise BootInterrupted(result)
    return result


def _student_error(exc, kernel, kern):
    """The StudentCodeError for exception exc raised by workspace kernel's code, with what its console
    printed before."""
    from pyucore.lab.loader import student_error
    error = student_error(exc, kernel)
    error.console = kern.driver.console.cons_text()
    return error


def _write_views(events, stats, trace, html, interrupted):
    """Writes the Chrome trace (to the path trace) and the explorer page (to the path html) of a run
    (interrupted: cut by Ctrl-C), each when asked for; raises OSError when one cannot be written."""
    if trace is None and html is None:
        return
    from pyucore.tools.explorer import write_page
    from pyucore.tools.stats import format_report
    from pyucore.tools.trace import build_trace, write_trace
    end = stats["instructions"]
    chrome = build_trace(events, end, format_report(events, stats, end), interrupted)
    if trace is not None:
        write_trace(chrome, trace)
    if html is not None:
        write_page(chrome, html)
