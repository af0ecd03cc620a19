#ifndef __USER_LIBS_STDIO_H__
#define __USER_LIBS_STDIO_H__

#include <defs.h>
#include <stdarg.h>

/* Console output: every character is its own SYS_putc system call. */
int cprintf(const char *fmt, ...);
int vcprintf(const char *fmt, va_list ap);
void cputchar(int c);
int cputs(const char *str);

/* The ucore formatter shared by cprintf and snprintf. */
void printfmt(void (*putch)(int, void *), void *putdat, const char *fmt, ...);
void vprintfmt(void (*putch)(int, void *), void *putdat, const char *fmt, va_list ap);
int snprintf(char *str, size_t size, const char *fmt, ...);
int vsnprintf(char *str, size_t size, const char *fmt, va_list ap);

#endif /* !__USER_LIBS_STDIO_H__ */
