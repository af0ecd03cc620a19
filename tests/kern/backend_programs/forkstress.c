/* Many children computing across timer ticks, some yielding, all reaped in reverse order. */
#include <stdio.h>
#include <ulib.h>

#define CHILDREN 12

static long
work(int id) {
    unsigned long x = (unsigned long)id + 1;
    for (int i = 0; i < 20000 + 3000 * id; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        if (id % 3 == 0 && i % 5000 == 0) {
            yield();
        }
    }
    return (long)(x >> 33);
}

int
main(void) {
    int pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            long r = work(i);
            cprintf("child %d: %ld\n", i, r);
            exit(i * 3);
        }
    }
    for (int i = CHILDREN - 1; i >= 0; i--) {
        int code = -1;
        assert(waitpid(pids[i], &code) == 0 && code == i * 3);
    }
    assert(wait() != 0);
    cprintf("forkstress done.\n");
    return 0;
}
