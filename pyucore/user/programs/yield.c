#include <stdio.h>
#include <ulib.h>

int
main(void) {
    int i;

    cprintf("Hello, I am process %d.\n", getpid());
    for (i = 0; i < 5; i++) {
        yield();
        cprintf("Back in process %d, iteration %d.\n", getpid(), i);
    }
    cprintf("All done in process %d.\n", getpid());
    cprintf("yield pass.\n");
    return 0;
}
