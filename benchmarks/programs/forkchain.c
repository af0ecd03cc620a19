/* A chain of FORKS nested forks: each process forks one child, waits for it and exits; the last
 * one exits at once. FORKS processes are alive at the deepest point, all but one sleeping. */
#include <stdio.h>
#include <ulib.h>

#ifndef FORKS
#define FORKS 100
#endif

int
main(void) {
    int depth;
    for (depth = 0; depth < FORKS; depth++) {
        int pid = fork();
        if (pid < 0) {
            panic("fork failed at depth %d\n", depth);
        }
        if (pid > 0) {
            assert(waitpid(pid, NULL) == 0);
            break;
        }
    }
    if (depth == 0) {
        cprintf("forkchain: %d nested forks done\n", FORKS);
    }
    return 0;
}
