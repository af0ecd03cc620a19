#include <stdio.h>
#include <ulib.h>

int
main(void) {
    /* above USERTOP, below the kernel window, in no VMA: a load page fault */
    cprintf("I read %08x from 0xfac00000!\n", *(volatile unsigned int *)0xfac00000);
    panic("FAIL: T.T\n");
}
