#include <stdio.h>
#include <ulib.h>

int parent, pid1, pid2;

/* give the other processes six turns */
void
do_yield(void) {
    int i;

    for (i = 0; i < 6; i++) {
        yield();
    }
}

/* child 1: spin until killed */
void
loop(void) {
    cprintf("child 1.\n");
    while (1) {
    }
}

/* child 2: kill the parent (asleep in waitpid), then child 1 */
void
work(void) {
    cprintf("child 2.\n");
    do_yield();
    if (kill(parent) == 0) {
        cprintf("kill parent ok.\n");
        do_yield();
        if (kill(pid1) == 0) {
            cprintf("kill child1 ok.\n");
            exit(0);
        }
    }
    exit(-1);
}

int
main(void) {
    parent = getpid();
    if ((pid1 = fork()) == 0) {
        loop();
    }
    assert(pid1 > 0);

    if ((pid2 = fork()) == 0) {
        work();
    }
    if (pid2 > 0) {
        cprintf("wait child 1.\n");
        /* child 2 kills us while we sleep here, so this never returns */
        waitpid(pid1, NULL);
        panic("waitpid %d returns\n", pid1);
    } else {
        kill(pid1);
    }
    panic("FAIL: T.T\n");
}
