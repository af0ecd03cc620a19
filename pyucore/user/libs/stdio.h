#ifndef __USER_LIBS_STDIO_H__
#define __USER_LIBS_STDIO_H__

#include <defs.h>
#include <stdarg.h>

/* Console output: every character is its own SYS_putc system call. */
int cprintf(const char *fmt, ...) __printf_like(1, 2);
int vcprintf(const char *fmt, va_list ap) __printf_like(1, 0);
void cputchar(int c);
int cputs(const char *str);

/* The ucore formatter shared by cprintf and snprintf. */
void printfmt(void (*putch)(int, void *), void *putdat, const char *fmt, ...) __printf_like(3, 4);
void vprintfmt(void (*putch)(int, void *), void *putdat, const char *fmt, va_list ap) __printf_like(3, 0);
int snprintf(char *str, size_t size, const char *fmt, ...) __printf_like(3, 4);
int vsnprintf(char *str, size_t size, const char *fmt, va_list ap) __printf_like(3, 0);

#endif /* !__USER_LIBS_STDIO_H__ */
