/* Forks until the kernel refuses, then reaps every child. With `yield_each`, each child runs and
 * exits at once, so zombies (which keep only their pid and kernel stack) fill the process table. */
#include <stdio.h>
#include <ulib.h>

#ifndef YIELD_EACH
#define YIELD_EACH 0
#endif

int
main(void) {
    int n = 0, pid;
    while ((pid = fork()) > 0) {
        n++;
        if (YIELD_EACH) {
            yield();
        }
    }
    if (pid == 0) {
        exit(0);
    }
    cprintf("fork failed with %d after %d forks\n", pid, n);
    int reaped = 0;
    while (wait() == 0) {
        reaped++;
    }
    cprintf("reaped %d\n", reaped);
    assert(reaped == n);
    cprintf("forkbomb pass.\n");
    return 0;
}
