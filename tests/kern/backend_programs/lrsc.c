/* LR/SC increments by several processes sharing one virtual address, preempted by timer ticks between
 * LR and SC: how often SC fails depends on whether a trap clears the reservation. */
#include <stdio.h>
#include <ulib.h>

static long counter;

static long
increments(int n) {
    long failures = 0;
    for (int i = 0; i < n; i++) {
        long value;
        int failed;
        do {
            asm volatile("lr.d %0, (%2)\n\taddi %0, %0, 1\n\tsc.d %1, %0, (%2)"
                         : "=&r"(value), "=&r"(failed) : "r"(&counter) : "memory");
            failures += failed != 0;
        } while (failed);
    }
    return failures;
}

int
main(void) {
    for (int i = 0; i < 4; i++) {
        if (fork() == 0) {
            long failures = increments(3000);
            cprintf("child %d: counter %ld, %ld failed SCs\n", i, counter, failures);
            exit(0);
        }
    }
    while (wait() == 0) {
    }
    cprintf("lrsc done.\n");
    return 0;
}
