/* More pages than an 8 MiB machine has free: exec itself must swap, and every pass over the array
 * brings back from disk the pages the previous pass pushed out. Each page carries its own values. */
#include <stdio.h>
#include <ulib.h>

#define PAGES 1700
#define PASSES 2

char big[PAGES * 4096];

static char
value(int page, int offset, int pass) {
    return (char)(page * 31 + offset * 7 + pass * 13);
}

static const int offsets[] = {0, 123, 2048, 4095};

int
main(void) {
    int bad = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        for (int i = 0; i < PAGES; i++) {
            for (int k = 0; k < 4; k++) {
                big[i * 4096 + offsets[k]] = value(i, offsets[k], pass);
            }
        }
        for (int i = 0; i < PAGES; i++) {
            for (int k = 0; k < 4; k++) {
                if (big[i * 4096 + offsets[k]] != value(i, offsets[k], pass)) {
                    bad++;
                }
            }
        }
    }
    cprintf("swapbig: %d pages, %d bad values\n", PAGES, bad);
    if (bad == 0) {
        cprintf("swapbig pass.\n");
    }
    return 0;
}
