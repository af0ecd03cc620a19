/* A CPU-bound mix in the shape of lab6's matrix test: 21 children each square a 10x10 int matrix
 * REPEATS(k) times (k = 0..20, a different count per child, from 1,100 to 41,100 at SCALE 1: 1.19 G user instructions), then
 * the parent reaps them all. The counts come from a fixed permutation, so every run is the same.
 * SCALE divides every count (the small configuration). */
#include <stdio.h>
#include <ulib.h>

#ifndef SCALE
#define SCALE 1
#endif
#define CHILDREN 21
#define N 10

static int a[N][N], b[N][N], c[N][N];

/* The number of products child k computes: (m*m + 11) * 100 for m = (k * 8) mod 21, over SCALE. */
static unsigned
repeats(int k) {
    unsigned m = (unsigned)(k * 8) % CHILDREN;
    return (m * m + 11) * 100 / SCALE;
}

static void
multiply(unsigned times) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            a[i][j] = b[i][j] = 1;
        }
    }
    yield();
    cprintf("pid %d multiplies %d times.\n", getpid(), times);
    while (times-- > 0) {
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                int sum = 0;
                for (int k = 0; k < N; k++) {
                    sum += a[i][k] * b[k][j];
                }
                c[i][j] = sum;
            }
        }
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                a[i][j] = b[i][j] = c[i][j];
            }
        }
    }
    cprintf("pid %d done.\n", getpid());
    exit(0);
}

int
main(void) {
    for (int k = 0; k < CHILDREN; k++) {
        int pid = fork();
        if (pid == 0) {
            multiply(repeats(k));
        }
        assert(pid > 0);
    }
    cprintf("forked %d children.\n", CHILDREN);
    for (int k = 0; k < CHILDREN; k++) {
        assert(wait() == 0);
    }
    assert(wait() != 0);
    cprintf("matrix pass.\n");
    return 0;
}
