#include <defs.h>
#include <syscall.h>
#include <stdio.h>
#include <ulib.h>

void
exit(int error_code) {
    sys_exit(error_code);
    /* sys_exit never comes back from a working kernel */
    cprintf("BUG: exit failed.\n");
    while (1) {
    }
}

int
fork(void) {
    return sys_fork();
}

/* wait for any child; 0 on success */
int
wait(void) {
    return sys_wait(0, NULL);
}

/* wait for child pid; store its exit code unless store is NULL */
int
waitpid(int pid, int *store) {
    return sys_wait(pid, store);
}

void
yield(void) {
    sys_yield();
}

int
kill(int pid) {
    return sys_kill(pid);
}

int
getpid(void) {
    return sys_getpid();
}

/* ucore's lab5 kernel makes this a no-op; pyucore's prints the caller's page table */
void
print_pgdir(void) {
    sys_pgdir();
}

/* lab6: milliseconds of (virtual) time since boot */
unsigned int
gettime_msec(void) {
    return (unsigned int)sys_gettime();
}

/* lab6: a priority for the stride scheduler (0 counts as 1) */
void
lab6_setpriority(unsigned int priority) {
    sys_lab6_set_priority(priority);
}
