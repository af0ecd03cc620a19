/* A BSS bigger than the machine's RAM: exec must fail cleanly. */
#include <stdio.h>
#include <ulib.h>

volatile char big[200 << 20];

int
main(void) {
    big[0] = 1;
    cprintf("hugebss ran!\n");
    return big[0];
}
