"""The Python API: boot the kernel on a fresh machine, run one program to the end, return what happened."""

from dataclasses import dataclass, field

from pyucore.kern.debug.panic import KernelPanic
from pyucore.kern.libs.sbi import Shutdown

EXIT_HALT, EXIT_PANIC, EXIT_DEADLOCK, EXIT_LIMIT = 0, 1, 2, 3


@dataclass
class BootResult:
    """What one boot produced: the console text, the kernel events, counters, and how it ended."""

    console: str
    events: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    exit_status: int = EXIT_HALT
    halt_reason: str = "halt"


def _program_image(program, elf, name):
    """(name, ELF bytes) of what to run: a built-in program by name, or given ELF bytes."""
    if elf is not None:
        return (name or "prog"), bytes(elf)
    from pyucore.user.build import build_program
    program = program or "exit"
    return program, build_program(program)


def _collect_stats(events):
    """Counters of a finished boot: memory (from pmm), processes, syscalls, faults, instructions."""
    from pyucore.kern import hw
    from pyucore.kern.mm import pmm
    from pyucore.kern.trap import trap
    stats = dict(pmm.stats)
    kinds = {}
    for e in events:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    stats.update(forks=kinds.get("fork", 0), execs=kinds.get("exec", 0), exits=kinds.get("exit", 0),
                 syscalls=kinds.get("syscall", 0), page_faults=kinds.get("pgfault", 0),
                 switches=kinds.get("switch", 0), instructions=hw.cpu.instret, ticks=trap.ticks)
    return stats


def boot(program=None, elf=None, name=None, cow=True, tick_insns=10000, tick_num=100, max_insns=None,
         quiet_boot=False, cpu="python", ram_mib=128, console=None):
    """Boots pyucore running one program (a built-in name, or ELF bytes called name) to the end.
    Returns a BootResult; exit_status 0 = clean halt, 1 = kernel panic, 2 = deadlock,
    3 = instruction limit. Raises BuildError for an unknown program, ValueError for bad options."""
    from pyucore.kern.debug import events as kevents
    from pyucore.kern.driver.console import cons_text
    from pyucore.kern.init.init import Deadlock, kern_init
    from pyucore.kern.trap.trap import InstructionLimit
    from pyucore.machine import Machine
    if tick_insns <= 0 or tick_num <= 0:
        raise ValueError("tick_insns and tick_num must be positive")
    if ram_mib < 4 or ram_mib > 1024:
        raise ValueError("ram_mib must be between 4 and 1024")
    if cpu != "python":
        raise ValueError("unknown cpu backend %r (available: python)" % cpu)
    name, image = _program_image(program, elf, name)
    machine = Machine(ram_size=ram_mib << 20)
    status, reason = EXIT_HALT, "halt"
    try:
        kern_init(machine, name, image, tick_insns=tick_insns, tick_num=tick_num, max_insns=max_insns,
                  cow=cow, console=console, quiet_boot=quiet_boot)
    except Shutdown:
        pass
    except KernelPanic as e:
        status, reason = EXIT_PANIC, "kernel panic: %s" % str(e).strip()
    except Deadlock as e:
        status, reason = EXIT_DEADLOCK, "deadlock: %s" % e
    except InstructionLimit as e:
        status, reason = EXIT_LIMIT, "stopped after %d user instructions (--max-insns)" % e.args[0]
    events = kevents.events
    return BootResult(cons_text(), events, _collect_stats(events), status, reason)
