#include <defs.h>
#include <stdarg.h>
#include <syscall.h>
#include <stdio.h>

/* putch for vprintfmt: one SYS_putc per character, counting them in *cnt */
static void
cputch(int c, void *cnt) {
    sys_putc(c);
    (*(int *)cnt)++;
}

int
vcprintf(const char *fmt, va_list ap) {
    int cnt = 0;

    vprintfmt(cputch, &cnt, fmt, ap);
    return cnt;
}

int
cprintf(const char *fmt, ...) {
    va_list ap;
    int cnt;

    va_start(ap, fmt);
    cnt = vcprintf(fmt, ap);
    va_end(ap);
    return cnt;
}

void
cputchar(int c) {
    sys_putc(c);
}

/* print str and a newline; return the number of characters printed */
int
cputs(const char *str) {
    int cnt = 0;
    char c;

    while ((c = *str++) != '\0') {
        cputch(c, &cnt);
    }
    cputch('\n', &cnt);
    return cnt;
}
