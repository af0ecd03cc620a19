/* FORKS children forked one after another, each exiting at once, then all of them waited for:
 * up to FORKS zombies wait in the parent's list of children. */
#include <stdio.h>
#include <ulib.h>

#ifndef FORKS
#define FORKS 100
#endif

int
main(void) {
    for (int i = 0; i < FORKS; i++) {
        int pid = fork();
        if (pid == 0) {
            exit(0);
        }
        assert(pid > 0);
    }
    for (int i = 0; i < FORKS; i++) {
        assert(wait() == 0);
    }
    assert(wait() != 0);
    cprintf("forkwait: %d children reaped\n", FORKS);
    return 0;
}
