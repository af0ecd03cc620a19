/* Forks, waits, orphans and kills across three generations. */
#include <stdio.h>
#include <ulib.h>

static void
grandchild(int i) {
    for (int k = 0; k < i % 3; k++) {
        yield();
    }
    exit(100 + i);
}

static void
child(int i) {
    int kids[3];
    for (int j = 0; j < 3; j++) {
        kids[j] = fork();
        if (kids[j] == 0) {
            grandchild(i * 3 + j);
        }
    }
    if (i % 2 == 0) {
        int code;
        assert(waitpid(kids[0], &code) == 0 && code == 100 + i * 3);
    }
    if (i % 3 == 0) {
        for (;;) {
            yield();
        }
    }
    exit(i);
}

int
main(void) {
    int pids[6];
    for (int i = 0; i < 6; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            child(i);
        }
    }
    for (int r = 0; r < 8; r++) {
        yield();
    }
    for (int i = 0; i < 6; i += 3) {
        assert(kill(pids[i]) == 0);
    }
    int reaped = 0, code;
    for (int i = 0; i < 6; i++) {
        if (waitpid(pids[i], &code) == 0) {
            reaped++;
        }
    }
    cprintf("reaped %d children\n", reaped);
    cprintf("forkstress pass.\n");
    return 0;
}
