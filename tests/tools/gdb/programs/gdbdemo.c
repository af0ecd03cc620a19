#include <stdio.h>
#include <ulib.h>

/* a global the gdb tests read and watch */
volatile int counter = 1;

int __attribute__((noinline))
square(int x) {
    return x * x;
}

static void __attribute__((noinline))
in_child(int seed) {
    counter = seed + 100;
    cprintf("child: counter %d\n", counter);
}

int
main(void) {
    int local = 6;
    counter = square(counter + 5);
    cprintf("parent: counter %d\n", counter);
    int pid = fork();
    if (pid == 0) {
        in_child(local);
        exit(0);
    }
    waitpid(pid, NULL);
    counter = counter + local;
    cprintf("parent: done, counter %d\n", counter);
    return 0;
}
