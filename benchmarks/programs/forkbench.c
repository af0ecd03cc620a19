/* Forks FORKS children one after another; each writes one word of the data and exits; the parent
 * waits for each. DATA_KIB of data is touched first (0 for the small program). */
#include <stdio.h>
#include <ulib.h>

#ifndef DATA_KIB
#define DATA_KIB 0
#endif
#define FORKS 20

char data[DATA_KIB * 1024 + 4096];

int
main(void) {
    for (int i = 0; i < (int)sizeof(data); i += 4096) {
        data[i] = 1;
    }
    for (int n = 0; n < FORKS; n++) {
        int pid = fork();
        if (pid == 0) {
            data[0] = 2;
            exit(0);
        }
        assert(pid > 0 && waitpid(pid, 0) == 0);
    }
    return 0;
}
