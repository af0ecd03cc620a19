#ifndef __USER_LIBS_UNISTD_H__
#define __USER_LIBS_UNISTD_H__

/* System call numbers of the ucore lab5 kernel. */
#define SYS_exit        1
#define SYS_fork        2
#define SYS_wait        3
#define SYS_exec        4
#define SYS_clone       5
#define SYS_yield       10
#define SYS_sleep       11
#define SYS_kill        12
#define SYS_gettime     17
#define SYS_getpid      18
#define SYS_brk         19
#define SYS_mmap        20
#define SYS_munmap      21
#define SYS_shmem       22
#define SYS_putc        30
#define SYS_pgdir       31

/* lab6 */
#define SYS_lab6_set_priority 255

#endif /* !__USER_LIBS_UNISTD_H__ */
