/* Wild pointers to every pointer-taking syscall (wait's store, exec's name and binary). */
#include <stdio.h>
#include <ulib.h>
#include "rawsys.h"

/* not writable by the kernel for wait's store */
static const long wild[] = {
    1, 0x1000, 0x800020 /* text */, 0x7ff00000 /* stack guard page */,
    0x7ff00ffc, 0xC0000000, 0xfac00000, (long)0xffffffffc0200000, -8,
};
/* not readable at all, for exec's name and binary */
static const long unreadable[] = {1, 0x1000, 0xC0000000, 0xfac00000, (long)0xffffffffc0200000, -8};

int
main(void) {
    int code = 0, pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 5; i++) {
            yield();
        }
        exit(7);
    }
    for (unsigned i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
        cprintf("wait store %lx -> %d\n", wild[i], (int)raw_syscall(3, pid, wild[i], 0, 0, 0));
    }
    for (unsigned i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++) {
        long p = unreadable[i];
        cprintf("exec name %lx -> %d\n", p, (int)raw_syscall(4, p, 4, 0x800020, 64, 0));
        cprintf("exec binary %lx -> %d\n", p, (int)raw_syscall(4, (long)"x", 2, p, 4096, 0));
    }
    cprintf("exec huge length -> %d\n", (int)raw_syscall(4, (long)"x", 1L << 40, 0x800020, 64, 0));
    assert(waitpid(pid, &code) == 0 && code == 7);
    if ((pid = fork()) == 0) {
        raw_syscall(4, (long)"junk", 4, 0x800020, 256, 0);   /* readable, but not an ELF */
        exit(0);
    }
    assert(waitpid(pid, &code) == 0);
    cprintf("\nexec of junk: exit code %d\n", code);
    cprintf("badptr pass.\n");
    return 0;
}
