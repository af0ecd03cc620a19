/* Each child traps in one way the kernel must report exactly (cause, epc, tval); the parent reports
 * every exit code. Run on both CPU backends, the consoles must be identical. */
#include <stdio.h>
#include <ulib.h>

static volatile long sink;

static long
raw_syscall(long num) {
    register long a0 asm("a0") = num;
    asm volatile("ecall" : "+r"(a0) : : "memory");
    return a0;
}

static void
misbehave(int what) {
    switch (what) {
    case 0: asm volatile(".word 0xffffffff"); break;                      /* illegal, 32 bits */
    case 1: asm volatile(".half 0x0000"); break;                          /* illegal, compressed */
    case 2: asm volatile(".word 0x02208053"); break;                      /* fadd.d: no F extension */
    case 3: asm volatile("wfi"); break;                                   /* privileged */
    case 4: asm volatile("csrw sstatus, zero"); break;                    /* privileged CSR */
    case 5: sink = *(volatile long *)0x0; break;                          /* wild load, page 0 */
    case 6: sink = *(volatile long *)0x0000001234567000UL; break;         /* wild load, unmapped */
    case 7: sink = *(volatile long *)0xffffffffc0200000UL; break;         /* kernel address */
    case 8: *(volatile int *)0x800020 = 0; break;                         /* store to text */
    case 9: sink = raw_syscall(99); cprintf("syscall 99 -> %d\n", (int)sink); break; /* unknown */
    case 10: asm volatile("c.ebreak"); break;                             /* breakpoint */
    case 11: ((void (*)(void))0x1000UL)(); break;                         /* jump to nowhere */
    case 12: asm volatile("jr %0" : : "r"(0x8000000000000000UL)); break;  /* non-canonical pc */
    }
}

int
main(void) {
    for (int what = 0; what < 13; what++) {
        int code = 0, pid = fork();
        if (pid == 0) {
            misbehave(what);
            cprintf("child %d survived\n", what);
            exit(what);
        }
        assert(waitpid(pid, &code) == 0);
        cprintf("case %d: exit code %d\n", what, code);
    }
    cprintf("traps done.\n");
    return 0;
}
