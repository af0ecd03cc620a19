/* lab6's two system calls: gettime_msec() until the clock moves, then lab6_setpriority(0). */
#include <stdio.h>
#include <ulib.h>

int
main(void) {
    unsigned int start = gettime_msec(), now;
    while ((now = gettime_msec()) == start) {
    }
    cprintf("gettime: %u then %u\n", start, now);
    lab6_setpriority(0);
    return 0;
}
