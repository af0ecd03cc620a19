#include <stdio.h>
#include <ulib.h>

/* Two pages of bss: load_icode maps them writable, fork shares them copy-on-write. */
static char buffer[2 * 4096];

int
main(void) {
    buffer[0] = 1;
    buffer[4096] = 1;
    cprintf("buffer at %p\n", buffer);
    int pid = fork();
    if (pid == 0) {
        cprintf("child before write\n");
        print_pgdir();
        buffer[0] = 2;
        cprintf("child after write\n");
        print_pgdir();
        exit(0);
    }
    assert(pid > 0 && waitpid(pid, NULL) == 0);
    assert(buffer[0] == 1);
    cprintf("cowview pass.\n");
    return 0;
}
