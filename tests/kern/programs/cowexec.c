/* A child writes its copy-on-write pages, then execs another program (hello, whose ELF the test puts in
 * hello_elf.h); the parent's global, BSS and stack values must come through untouched. */
#include <stdio.h>
#include <string.h>
#include <ulib.h>
#include "rawsys.h"
#include "hello_elf.h"

int global = 10;
int bss_array[2048];

int
main(void) {
    int local = 10;
    bss_array[1000] = 10;
    int pid = fork();
    if (pid == 0) {
        global = local = bss_array[1000] = 20;
        raw_syscall(4, (long)"hello", 5, (long)hello_elf, sizeof(hello_elf), 0);
        exit(99);
    }
    int code = -1;
    assert(waitpid(pid, &code) == 0);
    cprintf("\nchild exit code %d\n", code);
    if (global == 10 && local == 10 && bss_array[1000] == 10) {
        cprintf("cowexec pass.\n");
    }
    return 0;
}
