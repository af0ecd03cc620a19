/* Forks, then the child writes a global: the page holding it is shared copy-on-write by parent and
 * child until that write gives the child a copy of its own (the explorer's memory view shows both). */
#include <stdio.h>
#include <ulib.h>

int global = 1;

int
main(void) {
    if (fork() == 0) {
        yield();
        global = 2;
        cprintf("child wrote global = %d\n", global);
        exit(0);
    }
    assert(wait() == 0);
    cprintf("parent still reads global = %d\n", global);
    return 0;
}
