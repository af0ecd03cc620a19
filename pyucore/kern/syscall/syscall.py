"""System calls (ucore's syscall.c): a table from number to handler; each sys_* decodes the arguments
from the trapframe (a1..a5) and calls a do_*; the result goes back in a0."""

from ..debug.events import emit
from ..driver import clock
from ..libs.stdio import cputchar
from ..mm import vmm
from ..process import proc as P
from ..trap import trap

SYS_exit, SYS_fork, SYS_wait, SYS_exec, SYS_clone = 1, 2, 3, 4, 5
SYS_yield, SYS_sleep, SYS_kill, SYS_gettime, SYS_getpid = 10, 11, 12, 17, 18
SYS_brk, SYS_mmap, SYS_munmap, SYS_shmem, SYS_putc, SYS_pgdir = 19, 20, 21, 22, 30, 31
SYS_lab6_set_priority = 255
MSEC_PER_TICK = 10      # lab6's gettime: a timer tick is nominally 10 ms


def c_int(v):
    """The C int a register holds (low 32 bits, signed)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def sys_exit(arg):
    """exit(int code)."""
    return P.do_exit(c_int(arg[0]))


def sys_fork(arg):
    """fork(): the child continues from the parent's trapframe and user stack."""
    tf = P.current.tf
    return P.do_fork(0, tf.reg(2), tf)


def sys_wait(arg):
    """wait(int pid, int *store)."""
    return P.do_wait(c_int(arg[0]), arg[1])


def sys_exec(arg):
    """exec(const char *name, size_t len, unsigned char *binary, size_t size)."""
    return P.do_execve(arg[0], arg[1], arg[2], arg[3])


def sys_yield(arg):
    """yield()."""
    return P.do_yield()


def sys_kill(arg):
    """kill(int pid)."""
    return P.do_kill(c_int(arg[0]))


def sys_getpid(arg):
    """getpid()."""
    return P.current.pid


def sys_putc(arg):
    """putc(int c): one character to the console."""
    cputchar(arg[0])
    return 0


def sys_pgdir(arg):
    """pgdir(): prints the caller's page table."""
    vmm.print_mm(P.current.mm, "pid %d (%s)" % (P.current.pid, P.current.name))
    return 0


def sys_gettime(arg):
    """gettime(): milliseconds since boot, from the timer's ticks (lab6)."""
    return c_int(clock.ticks * MSEC_PER_TICK)


def sys_lab6_set_priority(arg):
    """lab6_set_priority(unsigned int priority) (lab6)."""
    P.lab6_set_priority(arg[0] & 0xFFFFFFFF)
    return 0


LAB5_SYSCALLS = {
    SYS_exit: sys_exit, SYS_fork: sys_fork, SYS_wait: sys_wait, SYS_exec: sys_exec,
    SYS_yield: sys_yield, SYS_kill: sys_kill, SYS_getpid: sys_getpid, SYS_putc: sys_putc,
    SYS_pgdir: sys_pgdir,
}
LAB6_SYSCALLS = {**LAB5_SYSCALLS, SYS_gettime: sys_gettime, SYS_lab6_set_priority: sys_lab6_set_priority}
syscalls = LAB5_SYSCALLS


def syscall_init(lab6):
    """The table of this boot's kernel: lab6's adds gettime and lab6_set_priority to lab5's."""
    global syscalls
    syscalls = LAB6_SYSCALLS if lab6 else LAB5_SYSCALLS


def syscall():
    """Runs the syscall numbered by current's a0 with a1..a5; an unknown number kills the caller."""
    tf = P.current.tf
    num = c_int(tf.reg(10))
    handler = syscalls.get(num)
    P.current.stats["syscalls"] += 1
    if handler is None:
        trap.kill_current(tf, "undefined syscall %d" % num, "undefined syscall %d, pid = %d, name = %s.\n"
                     % (num, P.current.pid, P.current.name))
        return
    args = [tf.reg(i) for i in range(11, 16)]
    # putc's byte rides on its event, so a live view can show a program's text (--verbose)
    detail = {"char": args[0] & 0xFF} if num == SYS_putc else {}
    emit("syscall", P.current.pid, num=num, name=handler.__name__[4:], epc=tf.epc - 4, **detail)  # at its ecall
    tf.set_reg(10, handler(args))
