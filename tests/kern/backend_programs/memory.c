/* Misaligned accesses inside a page and across pages (allowed), across into an unmapped page and
 * misaligned atomics (trapped), and a stack that grows until it faults. */
#include <stdio.h>
#include <ulib.h>

static char buffer[3 * 4096] __attribute__((aligned(4096)));
static volatile long sink;

static unsigned long
checksum(void) {
    unsigned long sum = 0;
    for (int i = 0; i < (int)sizeof(buffer); i++) {
        sum = sum * 31 + (unsigned char)buffer[i];
    }
    return sum;
}

static int
recurse(int depth) {
    volatile char frame[512];
    frame[0] = (char)depth;
    return recurse(depth + 1) + frame[0];
}

static void
misbehave(int what) {
    volatile char *end = (volatile char *)0x7fffff00UL;   /* top of the user stack area */
    switch (what) {
    case 0: sink = *(volatile long *)(end + 0xfc); break;                 /* crosses USTACKTOP */
    case 1: *(volatile long *)(end + 0xfd) = 1; break;                    /* store crosses USTACKTOP */
    case 2: {
        volatile int *p = (volatile int *)(buffer + 2);
        asm volatile("amoadd.w %0, %1, (%2)" : "=r"(sink) : "r"(1), "r"(p) : "memory");
        break;
    }
    case 3: {
        volatile long *p = (volatile long *)(buffer + 4);
        asm volatile("lr.d %0, (%1)" : "=r"(sink) : "r"(p) : "memory");
        break;
    }
    case 4: cprintf("depth %d\n", recurse(0)); break;
    }
}

int
main(void) {
    for (int i = 0; i < 4096 * 3 - 8; i += 7) {
        *(volatile unsigned long *)(buffer + i) = (unsigned long)i * 0x9E3779B97F4A7C15UL;
        sink += *(volatile unsigned short *)(buffer + i + 3);
    }
    cprintf("misaligned: %lx %lx\n", checksum(), (unsigned long)sink);
    for (int what = 0; what < 5; what++) {
        int code = 0, pid = fork();
        if (pid == 0) {
            misbehave(what);
            cprintf("child %d survived\n", what);
            exit(what);
        }
        assert(waitpid(pid, &code) == 0);
        cprintf("case %d: exit code %d\n", what, code);
    }
    cprintf("memory done.\n");
    return 0;
}
