#include <stdio.h>
#include <ulib.h>

/* the exit code the child hands back to its parent through waitpid */
int magic = -0x10384;

int
main(void) {
    int pid, code, i;

    cprintf("I am the parent. Forking the child...\n");
    if ((pid = fork()) == 0) {
        cprintf("I am the child.\n");
        for (i = 0; i < 7; i++) {
            yield();
        }
        exit(magic);
    } else {
        cprintf("I am parent, fork a child pid %d\n", pid);
    }
    assert(pid > 0);
    cprintf("I am the parent, waiting now..\n");

    assert(waitpid(pid, &code) == 0 && code == magic);
    /* the child is reaped now: neither it nor any other child is left to wait for */
    assert(waitpid(pid, &code) != 0 && wait() != 0);
    cprintf("waitpid %d ok.\n", pid);

    cprintf("exit pass.\n");
    return 0;
}
