#ifndef __USER_LIBS_DEFS_H__
#define __USER_LIBS_DEFS_H__

/* Basic types for RV64 (LP64): int is 32 bits, long and pointers 64 bits. */

#ifndef NULL
#define NULL ((void *)0)
#endif

/* bool as in <stdbool.h>, unless that header already defined it */
#ifndef __bool_true_false_are_defined
typedef _Bool bool;
#define true 1
#define false 0
#endif

/* The compiler's own type macros, so these agree with its <stdint.h> and
 * <stddef.h> if a program includes those too. */
typedef __INT8_TYPE__ int8_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __INT16_TYPE__ int16_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __INT32_TYPE__ int32_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT64_TYPE__ uint64_t;

typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ssize_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;

typedef int pid_t;

#define __noreturn __attribute__((noreturn))
/* the compiler checks the arguments against the format (argument fmt_index) as for printf;
 * args_index is 0 for a va_list function */
#define __printf_like(fmt_index, args_index) __attribute__((format(printf, fmt_index, args_index)))

#endif /* !__USER_LIBS_DEFS_H__ */
