/* A big parent forks; the child writes every page, so copy-on-write needs more memory than exists. */
#include <stdio.h>
#include <ulib.h>

#define PAGES 1200
char big[PAGES * 4096];

int
main(void) {
    for (int i = 0; i < PAGES; i++) {
        big[i * 4096] = 1;
    }
    int child = fork();
    if (child == 0) {
        for (int i = 0; i < PAGES; i++) {
            big[i * 4096] = 2;
        }
        cprintf("child copied everything!\n");
        exit(0);
    }
    int code = 0;
    assert(waitpid(child, &code) == 0);
    cprintf("child exit code %d, parent still sees %d\n", code, big[(PAGES - 1) * 4096]);
    return 0;
}
