"""The board the kernel runs on: the machine's RAM, MMU and CPU, bound once at boot by kern_init."""

machine = None
ram = None
mmu = None
cpu = None


def bind(m):
    """Binds the kernel to machine m (a pyucore.machine.Machine)."""
    global machine, ram, mmu, cpu
    machine, ram, mmu, cpu = m, m.ram, m.mmu, m.cpu
