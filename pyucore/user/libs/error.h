#ifndef __USER_LIBS_ERROR_H__
#define __USER_LIBS_ERROR_H__

/* Kernel error codes; system calls return them negated. */
#define E_UNSPECIFIED   1   /* unspecified or unknown problem */
#define E_BAD_PROC      2   /* process doesn't exist or otherwise */
#define E_INVAL         3   /* invalid parameter */
#define E_NO_MEM        4   /* request failed due to memory shortage */
#define E_NO_FREE_PROC  5   /* attempt to create a new process beyond the limit */
#define E_FAULT         6   /* memory fault */
#define E_SWAP_FAULT    7   /* swap read/write fault (has no printable name) */
#define E_INVAL_ELF     8   /* invalid elf file */
#define E_KILLED        9   /* process is killed */
#define E_PANIC         10  /* panic failure */

/* the largest error code that has a name for %e */
#define MAXERROR        10

#endif /* !__USER_LIBS_ERROR_H__ */
