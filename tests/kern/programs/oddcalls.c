/* Syscalls with odd but harmless arguments: the kernel answers, nobody dies. */
#include <stdio.h>
#include <ulib.h>
#include "rawsys.h"

int
main(void) {
    cprintf("kill init -> %d\n", kill(1));
    cprintf("kill idle -> %d\n", kill(0));
    cprintf("kill nobody -> %d\n", kill(4000));
    cprintf("getpid with high bits in a0 -> %d\n", (int)raw_syscall((1L << 32) | 18, 0, 0, 0, 0, 0));
    cprintf("wait for myself -> %d\n", waitpid(getpid(), 0));
    cprintf("wait with no children -> %d\n", wait());
    raw_syscall(30, 0xff, 0, 0, 0, 0);
    cprintf("\noddcalls pass.\n");
    return 0;
}
