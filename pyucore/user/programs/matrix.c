/* lab6's CPU-heavy demonstration, pyucore's smaller version: 21 children each multiply 10x10
 * integer matrices a different number of times (3 to 63; lab6's own does 1,000 to 40,000), so
 * they finish at different times and the scheduler's turns show in the order of the lines. */
#include <stdio.h>
#include <ulib.h>

#define CHILDREN 21
#define SIZE 10

static int mata[SIZE][SIZE], matb[SIZE][SIZE], matc[SIZE][SIZE];

/* how many products child i does: a spread of lengths from i*i mod 21 */
static unsigned int
times_of(int i) {
    return ((unsigned int)(i * i) % CHILDREN + 1) * 3;
}

/* c = a * b, then a = b = c, `times` times */
static void __noreturn
work(unsigned int times) {
    for (int i = 0; i < SIZE; i++) {
        for (int j = 0; j < SIZE; j++) {
            mata[i][j] = matb[i][j] = 1;
        }
    }
    yield();
    cprintf("pid %d is running (%d times)!.\n", getpid(), times);
    while (times-- > 0) {
        for (int i = 0; i < SIZE; i++) {
            for (int j = 0; j < SIZE; j++) {
                matc[i][j] = 0;
                for (int k = 0; k < SIZE; k++) {
                    matc[i][j] += mata[i][k] * matb[k][j];
                }
            }
        }
        for (int i = 0; i < SIZE; i++) {
            for (int j = 0; j < SIZE; j++) {
                mata[i][j] = matb[i][j] = matc[i][j];
            }
        }
    }
    cprintf("pid %d done!.\n", getpid());
    exit(0);
}

int
main(void) {
    int pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            work(times_of(i));
        }
        if (pids[i] < 0) {
            for (int j = 0; j < i; j++) {
                kill(pids[j]);
            }
            panic("fork failed: %d\n", pids[i]);
        }
    }
    cprintf("fork ok.\n");
    for (int i = 0; i < CHILDREN; i++) {
        if (wait() != 0) {
            panic("wait failed.\n");
        }
    }
    cprintf("matrix pass.\n");
    return 0;
}
