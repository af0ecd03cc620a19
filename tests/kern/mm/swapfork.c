/* Parent and child together need more pages than an 8 MiB machine has free (either fork mode): the
 * child checks the parent's values and writes its own while pages go to disk and come back; the
 * parent then finds its values unchanged. */
#include <stdio.h>
#include <ulib.h>

#define PAGES 900

char big[PAGES * 4096];

static char
value(int page, int who) {
    return (char)(page * 17 + who * 101 + 1);
}

static int
check(int who) {
    int bad = 0;
    for (int i = 0; i < PAGES; i++) {
        if (big[i * 4096] != value(i, who) || big[i * 4096 + 4095] != value(i, who)) {
            bad++;
        }
    }
    return bad;
}

static void
fill(int who) {
    for (int i = 0; i < PAGES; i++) {
        big[i * 4096] = value(i, who);
        big[i * 4096 + 4095] = value(i, who);
    }
}

int
main(void) {
    fill(0);
    int pid = fork();
    if (pid == 0) {
        int bad = check(0);
        fill(1);
        bad += check(1);
        cprintf("child: %d bad pages\n", bad);
        exit(bad);
    }
    int code = -1;
    if (pid < 0 || waitpid(pid, &code) != 0) {
        cprintf("fork or wait failed: %d\n", pid);
        return 1;
    }
    int bad = check(0);
    cprintf("parent: %d bad pages, child exit code %d\n", bad, code);
    if (bad == 0 && code == 0) {
        cprintf("swapfork pass.\n");
    }
    return 0;
}
