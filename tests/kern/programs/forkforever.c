/* `for (;;) fork();` of issue 14: every process forks for ever and nothing ever waits. With HOG_PAGES
 * defined, the first process first writes that many pages of its own, so that memory runs out with
 * fewer processes. */
#include <ulib.h>

#ifdef HOG_PAGES
static volatile char hog[HOG_PAGES * 4096];    /* volatile: the writes must happen */
#endif

int
main(void) {
#ifdef HOG_PAGES
    for (int i = 0; i < HOG_PAGES; i++) {
        hog[i * 4096] = 1;
    }
#endif
    for (;;) {
        fork();
    }
}
