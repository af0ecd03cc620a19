/* A 4 MiB process forks 40 children that each rewrite all of it: with eager copy, RAM and swap run
 * out and fork must fail cleanly instead of thrashing. */
#include <ulib.h>
#include <stdio.h>
char arr[4<<20];
int main(void) {
    int i, n = 0;
    for (i = 0; i < (4<<20); i += 4096) arr[i] = 1;
    for (i = 0; i < 40; i++) { int p = fork(); if (p == 0) { int j; for (j = 0; j < (4<<20); j += 4096) arr[j] = 2; yield(); exit(0);} if (p < 0) { cprintf("fork %d failed %d\n", i, p); break; } n++; }
    while (wait() == 0) ;
    cprintf("n=%d\n", n);
    return 0;
}
