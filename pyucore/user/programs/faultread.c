#include <stdio.h>
#include <ulib.h>

int
main(void) {
    /* address 0 is below USERBASE and in no VMA: a load page fault */
    cprintf("I read %8x from 0.\n", *(volatile unsigned int *)0);
    panic("FAIL: T.T\n");
}
