/* Each child does one thing a user program must not get away with; the parent survives them all. */
#include <stdio.h>
#include <ulib.h>
#include "rawsys.h"

static unsigned int data_code[4];
static volatile int sink;

static void
recurse(volatile char *up) {
    volatile char frame[1024];
    frame[0] = up ? up[0] + 1 : 0;
    recurse(frame);
}

static void
misbehave(int what) {
    switch (what) {
    case 0: sink = *(volatile int *)0xffffffffc0200000UL; break;          /* read the kernel */
    case 1: ((void (*)(void))0xffffffffc0200000UL)(); break;              /* jump into the kernel */
    case 2:                                                                /* execute data */
        *(volatile unsigned int *)data_code = 0x00008067;                  /* ret */
        ((void (*)(void))(void *)data_code)();
        break;
    case 3: asm volatile(".word 0xffffffff"); break;                      /* illegal instruction */
    case 4: raw_syscall(99, 0, 0, 0, 0, 0); break;                         /* unknown syscall */
    case 5: *(volatile int *)0x800020 = 0; break;                          /* store to text */
    case 6: asm volatile("ebreak"); break;                                 /* breakpoint */
    case 7: recurse(0); break;                                             /* stack overflow */
    case 8: asm volatile("csrw sstatus, zero"); break;                     /* privileged CSR */
    case 9: raw_syscall(-1, 0, 0, 0, 0, 0); break;                         /* negative syscall */
    }
}

int
main(void) {
    for (int what = 0; what < 10; what++) {
        int code = 0, pid = fork();
        if (pid == 0) {
            misbehave(what);
            cprintf("child %d survived!\n", what);
            exit(0);
        }
        assert(waitpid(pid, &code) == 0);
        cprintf("case %d: exit code %d\n", what, code);
    }
    cprintf("adversary pass.\n");
    return 0;
}
