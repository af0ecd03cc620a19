/* The fork bomb of issue 14: each child yields, then exits; the parent forks until the kernel refuses,
 * then reaps every child. Under swap the parent's own pages go out while it forks: the kernel must
 * still bring them back when fork finally fails. */
#include <stdio.h>
#include <ulib.h>

int
main(void) {
    int n = 0, pid;
    while ((pid = fork()) > 0) {
        n++;
    }
    if (pid == 0) {
        yield();
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
