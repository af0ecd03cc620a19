/* The parent's wait() stores an exit code into a page it shares copy-on-write with a child that is
 * still running: that child must not see the store. */
#include <stdio.h>
#include <ulib.h>

volatile int code = 1234;

int
main(void) {
    int watcher = fork();
    if (watcher == 0) {
        yield();
        yield();
        cprintf("watcher sees code = %d\n", code);
        exit(code == 1234 ? 0 : 1);
    }
    int quitter = fork();
    if (quitter == 0) {
        exit(77);
    }
    assert(waitpid(quitter, (int *)&code) == 0);
    cprintf("parent stored code = %d\n", code);
    int watched = -1;
    assert(waitpid(watcher, &watched) == 0);
    if (watched == 0 && code == 77) {
        cprintf("cowwait pass.\n");
    }
    return 0;
}
