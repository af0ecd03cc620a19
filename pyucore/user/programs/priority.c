/* lab6's priority test. The parent takes priority 6 and forks 5 children; child i takes priority
 * i + 1 and counts steps of a short busy loop until the clock passes 2 seconds, then exits with its
 * count. The parent reaps them in order and prints each count relative to the first child's,
 * rounded: a stride scheduler gives each child CPU in proportion to its priority, so 1 2 3 4 5.
 *
 * Unlike lab6's program, a child yields each time it has read the clock, so a CPU turn is a fixed
 * amount of work and there are about 2,000 of them in the 2 seconds. Without the yields the only
 * turns are the timer's: 2 s is 200 ticks, 40 turns of 5 ticks, and no split of 40 whole turns
 * rounds to 1 2 3 4 5 (the first child gets 2 or 3 of them; 3 would need 14 or more for the last). */
#include <stdio.h>
#include <ulib.h>

#define CHILDREN 5
#define RUN_MSEC 2000
#define SPIN_TURNS 20           /* busy-loop turns per counted step */
#define STEPS_PER_CLOCK_READ 16 /* counted steps between two looks at the clock */

/* a few register-only instructions per turn; the empty asm keeps the compiler from folding them */
static unsigned int
spin_delay(unsigned int x) {
    for (int i = 0; i < SPIN_TURNS; i++) {
        x = x * 5 + 1;
        asm volatile("" : "+r"(x));
    }
    return x;
}

/* counts steps until the clock passes RUN_MSEC; returns the count */
static int
count_steps(void) {
    int steps = 0;
    unsigned int x = 1;
    for (;;) {
        x = spin_delay(x);
        steps++;
        if (steps % STEPS_PER_CLOCK_READ == 0) {
            if (gettime_msec() > RUN_MSEC) {
                return steps;
            }
            yield();
        }
    }
}

int
main(void) {
    int pids[CHILDREN], counts[CHILDREN];

    lab6_setpriority(CHILDREN + 1);
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            lab6_setpriority(i + 1);
            int steps = count_steps();
            cprintf("child pid %d, acc %d, time %d\n", getpid(), steps, gettime_msec());
            exit(steps);
        }
        if (pids[i] < 0) {
            for (int j = 0; j < i; j++) {
                kill(pids[j]);
            }
            panic("fork failed: %d\n", pids[i]);
        }
    }
    cprintf("main: fork ok,now need to wait pids.\n");
    for (int i = 0; i < CHILDREN; i++) {
        counts[i] = 0;
        waitpid(pids[i], &counts[i]);
        cprintf("main: pid %d, acc %d, time %d\n", pids[i], counts[i], gettime_msec());
    }
    cprintf("main: wait pids over\n");
    cprintf("stride sched correct result:");
    for (int i = 0; i < CHILDREN; i++) {
        cprintf(" %d", (counts[i] * 2 / counts[0] + 1) / 2);
    }
    cprintf("\n");
    return 0;
}
