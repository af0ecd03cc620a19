/* Writes and runs SNIPPETS distinct code snippets (lui; addiw; ret, a different constant each time) at
 * SNIPPET_VA, a page the benchmark maps writable and executable; exits 0 iff every call returned its
 * constant. Runs on the bare machine (benchmarks/snippets.py), not under the kernel. */
#include <ulib.h>

#ifndef SNIPPETS
#define SNIPPETS 160000
#endif
#define SNIPPET_VA 0x10000000UL

int
main(void) {
    volatile unsigned *code = (volatile unsigned *)SNIPPET_VA;
    long wrong = 0;
    for (long i = 0; i < SNIPPETS; i++) {
        unsigned hi = (unsigned)(i >> 11), lo = (unsigned)(i & 2047);
        code[0] = (hi << 12) | (10 << 7) | 0x37;                 /* lui a0, hi */
        code[1] = (lo << 20) | (10 << 15) | (10 << 7) | 0x1B;    /* addiw a0, a0, lo */
        code[2] = 0x00008067;                                     /* ret */
        long got = ((long (*)(void))SNIPPET_VA)();
        wrong += got != (long)((hi << 12) + lo);
    }
    return wrong != 0;
}
