/* Forks until the kernel refuses, then reaps every child. */
#include <stdio.h>
#include <ulib.h>

int
main(void) {
    int n = 0, pid;
    while ((pid = fork()) > 0) {
        n++;
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
