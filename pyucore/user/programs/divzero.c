#include <stdio.h>
#include <ulib.h>

volatile int one = 1, zero;     /* volatile: clang rewrites 1 / x as a compare, without a divw */

int
main(void) {
    cprintf("value is %d.\n", one / zero);
    panic("FAIL: T.T\n");
}
