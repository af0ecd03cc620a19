#ifndef __USER_LIBS_UNISTD_H__
#define __USER_LIBS_UNISTD_H__

/*
 * System call numbers of the ucore kernel that pyucore serves (gettime and
 * lab6_set_priority are lab6's).  ucore's header also numbers clone 5, sleep 11, brk 19, mmap 20,
 * munmap 21 and shmem 22, which no lab5 kernel serves: calling one is an
 * undefined system call, which kills the caller.
 */
#define SYS_exit        1
#define SYS_fork        2
#define SYS_wait        3
#define SYS_exec        4
#define SYS_yield       10
#define SYS_kill        12
#define SYS_gettime     17
#define SYS_getpid      18
#define SYS_putc        30
#define SYS_pgdir       31

/* lab6 */
#define SYS_lab6_set_priority 255

#endif /* !__USER_LIBS_UNISTD_H__ */
