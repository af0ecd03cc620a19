#include <defs.h>
#include <unistd.h>
#include <syscall.h>

/*
 * The ucore user ABI: a0 = system call number, a1..a5 = five argument
 * slots, then ecall; the kernel leaves the int result in a0.  a7 is not
 * used.  Unused slots are passed as 0 rather than left as garbage.
 */
static int
syscall(uint64_t num, uint64_t arg1, uint64_t arg2, uint64_t arg3,
        uint64_t arg4, uint64_t arg5) {
    register uint64_t a0 asm("a0") = num;
    register uint64_t a1 asm("a1") = arg1;
    register uint64_t a2 asm("a2") = arg2;
    register uint64_t a3 asm("a3") = arg3;
    register uint64_t a4 asm("a4") = arg4;
    register uint64_t a5 asm("a5") = arg5;
    /* "memory": the kernel reads our buffers and writes through pointers (wait's store) */
    asm volatile("ecall"
                 : "+r"(a0)
                 : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5)
                 : "memory");
    return (int)a0;
}

int
sys_exit(int64_t error_code) {
    return syscall(SYS_exit, (uint64_t)error_code, 0, 0, 0, 0);
}

int
sys_fork(void) {
    return syscall(SYS_fork, 0, 0, 0, 0, 0);
}

int
sys_wait(int64_t pid, int *store) {
    return syscall(SYS_wait, (uint64_t)pid, (uint64_t)store, 0, 0, 0);
}

int
sys_yield(void) {
    return syscall(SYS_yield, 0, 0, 0, 0, 0);
}

int
sys_kill(int64_t pid) {
    return syscall(SYS_kill, (uint64_t)pid, 0, 0, 0, 0);
}

int
sys_getpid(void) {
    return syscall(SYS_getpid, 0, 0, 0, 0, 0);
}

int
sys_putc(int64_t c) {
    return syscall(SYS_putc, (uint64_t)c, 0, 0, 0, 0);
}

int
sys_pgdir(void) {
    return syscall(SYS_pgdir, 0, 0, 0, 0, 0);
}

/* lab6: milliseconds since boot (the timer's ticks x 10) */
int
sys_gettime(void) {
    return syscall(SYS_gettime, 0, 0, 0, 0, 0);
}

/* lab6: the caller's stride-scheduling priority */
void
sys_lab6_set_priority(uint64_t priority) {
    syscall(SYS_lab6_set_priority, priority, 0, 0, 0, 0);
}
