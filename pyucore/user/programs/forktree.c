#include <stdio.h>
#include <string.h>
#include <ulib.h>

/* levels below the root: 1 + 2 + 4 + 8 + 16 = 31 processes in all */
#define DEPTH 4

void forktree(const char *cur);

/* fork a child that grows the subtree named cur followed by branch ('0' or '1') */
void
forkchild(const char *cur, char branch) {
    char nxt[DEPTH + 1];

    if (strlen(cur) >= DEPTH) {
        return;
    }

    snprintf(nxt, DEPTH + 1, "%s%c", cur, branch);
    if (fork() == 0) {
        forktree(nxt);
        yield();
        exit(0);
    }
}

/* print this node, then fork its two children; nobody waits (init reaps the orphans) */
void
forktree(const char *cur) {
    cprintf("%04x: I am '%s'\n", getpid(), cur);

    forkchild(cur, '0');
    forkchild(cur, '1');
}

int
main(void) {
    forktree("");
    return 0;
}
