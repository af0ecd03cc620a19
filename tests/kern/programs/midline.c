/* Prints a line and then half of one, and spins: a run stopped by its instruction limit ends in the
 * middle of a console line. */
#include <stdio.h>
#include <ulib.h>

int
main(void) {
    cprintf("a whole line\n");
    cprintf("half a line");
    for (;;) {
    }
}
