#include <defs.h>
#include <stdarg.h>
#include <error.h>
#include <string.h>
#include <stdio.h>

/*
 * The ucore formatter: %d %u %x %o %c %s %p %e %%, the l and ll modifiers,
 * width, precision, '-' (left-justify) and '0' padding.  Without l, integer
 * conversions read a 32-bit int, so "%08x" of a 64-bit value shows its low
 * 32 bits.  %p is "0x" and the full 64-bit hex.  %e prints an error name.
 * pyucore adds %X (upper-case hex): the compiler's format check accepts it,
 * so a program using it must not get ucore's literal "%X" and shifted
 * arguments.
 */

static const char * const error_string[MAXERROR + 1] = {
    [0] = NULL,
    [E_UNSPECIFIED] = "unspecified error",
    [E_BAD_PROC] = "bad process",
    [E_INVAL] = "invalid parameter",
    [E_NO_MEM] = "out of memory",
    [E_NO_FREE_PROC] = "out of processes",
    [E_FAULT] = "segmentation fault",
    [E_INVAL_ELF] = "invalid elf file",
    [E_KILLED] = "process is killed",
    [E_PANIC] = "panic failure",
};

/* the digits of num in base (upper-case letters if upper), most significant
 * first, into buf; returns the count */
static int
format_digits(char *buf, unsigned long long num, unsigned base, bool upper) {
    char reversed[24];
    int n = 0, i;

    do {
        reversed[n++] = (upper ? "0123456789ABCDEF" : "0123456789abcdef")[num % base];
        num /= base;
    } while (num != 0);
    for (i = 0; i < n; i++) {
        buf[i] = reversed[n - 1 - i];
    }
    return n;
}

static void
pad(void (*putch)(int, void *), void *putdat, int padc, int count) {
    while (count-- > 0) {
        putch(padc, putdat);
    }
}

/*
 * Print an unsigned number right-justified in width with padc, or
 * left-justified with spaces when left is set.  As in ucore, the width
 * counts the digits only (not a '-' sign or a "0x" already printed).
 */
static void
printnum(void (*putch)(int, void *), void *putdat, unsigned long long num,
         unsigned base, bool upper, int width, int padc, bool left) {
    char digits[24];
    int n = format_digits(digits, num, base, upper), i;

    if (!left) {
        pad(putch, putdat, padc, width - n);
    }
    for (i = 0; i < n; i++) {
        putch(digits[i], putdat);
    }
    if (left) {
        pad(putch, putdat, ' ', width - n);
    }
}

/* an unsigned argument of the size the modifier count lflag asks for */
static unsigned long long
getuint(va_list *ap, int lflag) {
    if (lflag >= 2) {
        return va_arg(*ap, unsigned long long);
    }
    if (lflag == 1) {
        return va_arg(*ap, unsigned long);
    }
    return va_arg(*ap, unsigned int);
}

/* a signed argument of the size the modifier count lflag asks for */
static long long
getint(va_list *ap, int lflag) {
    if (lflag >= 2) {
        return va_arg(*ap, long long);
    }
    if (lflag == 1) {
        return va_arg(*ap, long);
    }
    return va_arg(*ap, int);
}

/* %s: at most precision characters (all if precision < 0), padded to width */
static void
printstr(void (*putch)(int, void *), void *putdat, const char *p,
         int width, int precision, int padc, bool left) {
    int len, i;

    if (p == NULL) {
        p = "(null)";
    }
    len = (int)(precision >= 0 ? strnlen(p, precision) : strlen(p));
    if (!left) {
        pad(putch, putdat, padc, width - len);
    }
    for (i = 0; i < len; i++) {
        putch(p[i], putdat);
    }
    if (left) {
        pad(putch, putdat, ' ', width - len);
    }
}

void
vprintfmt(void (*putch)(int, void *), void *putdat, const char *fmt, va_list ap) {
    const char *spec;
    int ch, width, precision, lflag, padc, err;
    bool left;
    unsigned long long num;
    unsigned base;

    while (1) {
        while ((ch = (unsigned char)*fmt++) != '%') {
            if (ch == '\0') {
                return;
            }
            putch(ch, putdat);
        }

        spec = fmt - 1;
        padc = ' ';
        left = false;
        width = -1;
        precision = -1;
        lflag = 0;

    reswitch:
        switch (ch = (unsigned char)*fmt++) {
        case '-':
            left = true;
            goto reswitch;

        case '0':
            /* '0' is a flag only before the width; ignored when left-justifying */
            if (!left) {
                padc = '0';
            }
            goto reswitch;

        case '1': case '2': case '3': case '4': case '5':
        case '6': case '7': case '8': case '9':
            for (precision = 0;; ++fmt) {
                precision = precision * 10 + ch - '0';
                ch = *fmt;
                if (ch < '0' || ch > '9') {
                    break;
                }
            }
            goto process_precision;

        case '*':
            precision = va_arg(ap, int);
            goto process_precision;

        case '.':
            if (width < 0) {
                width = 0;
            }
            goto reswitch;

        process_precision:
            /* a number before any '.' is the width */
            if (width < 0) {
                width = precision;
                precision = -1;
            }
            goto reswitch;

        case 'l':
            lflag++;
            goto reswitch;

        case 'c':
            putch(va_arg(ap, int), putdat);
            break;

        case 'e':
            err = va_arg(ap, int);
            if (err < 0) {
                err = -err;
            }
            if (err > MAXERROR || error_string[err] == NULL) {
                printfmt(putch, putdat, "error %d", err);
            } else {
                printfmt(putch, putdat, "%s", error_string[err]);
            }
            break;

        case 's':
            printstr(putch, putdat, va_arg(ap, const char *), width, precision, padc, left);
            break;

        case 'd': {
            long long snum = getint(&ap, lflag);
            if (snum < 0) {
                putch('-', putdat);
                num = -(unsigned long long)snum;
            } else {
                num = (unsigned long long)snum;
            }
            base = 10;
            goto number;
        }

        case 'u':
            num = getuint(&ap, lflag);
            base = 10;
            goto number;

        case 'o':
            num = getuint(&ap, lflag);
            base = 8;
            goto number;

        case 'p':
            putch('0', putdat);
            putch('x', putdat);
            num = (unsigned long long)(uintptr_t)va_arg(ap, void *);
            base = 16;
            goto number;

        case 'x':
        case 'X':
            num = getuint(&ap, lflag);
            base = 16;
        number:
            printnum(putch, putdat, num, base, ch == 'X', width, padc, left);
            break;

        case '%':
            putch(ch, putdat);
            break;

        default:
            /* unknown conversion (or a '%' at the end): print it literally */
            while (spec < fmt - 1) {
                putch(*spec++, putdat);
            }
            if (ch == '\0') {
                return;
            }
            putch(ch, putdat);
            break;
        }
    }
}

void
printfmt(void (*putch)(int, void *), void *putdat, const char *fmt, ...) {
    va_list ap;

    va_start(ap, fmt);
    vprintfmt(putch, putdat, fmt, ap);
    va_end(ap);
}

/* where snprintf is writing: the next free byte and the last usable one */
struct sprintbuf {
    char *buf;
    char *ebuf;
    int cnt;
};

static void
sprintputch(int ch, void *data) {
    struct sprintbuf *b = data;

    b->cnt++;
    if (b->buf < b->ebuf) {
        *b->buf++ = (char)ch;
    }
}

/* format into str (always NUL-terminated if size > 0); returns the full length */
int
vsnprintf(char *str, size_t size, const char *fmt, va_list ap) {
    struct sprintbuf b = {str, str + (size ? size - 1 : 0), 0};

    vprintfmt(sprintputch, &b, fmt, ap);
    if (size > 0) {
        *b.buf = '\0';
    }
    return b.cnt;
}

int
snprintf(char *str, size_t size, const char *fmt, ...) {
    va_list ap;
    int cnt;

    va_start(ap, fmt);
    cnt = vsnprintf(str, size, fmt, ap);
    va_end(ap);
    return cnt;
}
