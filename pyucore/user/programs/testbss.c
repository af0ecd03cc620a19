#include <stdio.h>
#include <ulib.h>

#define ARRAYSIZE (1024 * 1024)

/* 4 MiB of BSS: the kernel must hand it over zeroed */
uint32_t bigarray[ARRAYSIZE];

int
main(void) {
    int i;

    cprintf("Making sure bss works right...\n");
    for (i = 0; i < ARRAYSIZE; i++) {
        if (bigarray[i] != 0) {
            panic("bigarray[%d] isn't cleared!\n", i);
        }
    }
    for (i = 0; i < ARRAYSIZE; i++) {
        bigarray[i] = i;
    }
    for (i = 0; i < ARRAYSIZE; i++) {
        if (bigarray[i] != i) {
            panic("bigarray[%d] didn't hold its value!\n", i);
        }
    }

    cprintf("Yes, good.  Now doing a wild write off the end...\n");
    cprintf("testbss may pass.\n");

    /* 4 KiB past the end of BSS: an unmapped page in no VMA, so a store page fault */
    *(volatile uint32_t *)&bigarray[ARRAYSIZE + 1024] = 0;
    exit(0);
}
