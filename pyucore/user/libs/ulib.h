#ifndef __USER_LIBS_ULIB_H__
#define __USER_LIBS_ULIB_H__

#include <defs.h>

/* panic/warn report the caller's file and line, like the kernel's. */
void __warn(const char *file, int line, const char *fmt, ...) __printf_like(3, 4);
void __noreturn __panic(const char *file, int line, const char *fmt, ...) __printf_like(3, 4);

#define warn(...) __warn(__FILE__, __LINE__, __VA_ARGS__)
#define panic(...) __panic(__FILE__, __LINE__, __VA_ARGS__)

/* assert(x): panic with the expression's text when x is false */
#define assert(x)                                   \
    do {                                            \
        if (!(x)) {                                 \
            panic("assertion failed: %s", #x);      \
        }                                           \
    } while (0)

/* static_assert(x): a compile-time check */
#define static_assert(x) _Static_assert(x, #x)

void __noreturn exit(int error_code);
int fork(void);
int wait(void);
int waitpid(int pid, int *store);
void yield(void);
int kill(int pid);
int getpid(void);
void print_pgdir(void);
unsigned int gettime_msec(void);
void lab6_setpriority(unsigned int priority);

#endif /* !__USER_LIBS_ULIB_H__ */
