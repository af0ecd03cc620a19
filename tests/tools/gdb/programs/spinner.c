#include <stdio.h>
#include <ulib.h>

/* spins forever: the gdb tests interrupt it with Ctrl-C */
volatile unsigned long spins;

int
main(void) {
    cprintf("spinning\n");
    for (;;) {
        spins++;
    }
}
