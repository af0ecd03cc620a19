#include <defs.h>
#include <string.h>

/*
 * Byte-at-a-time helpers.  The library is built with -ffreestanding
 * (which implies -fno-builtin), so the compiler will not turn these loops
 * back into calls to themselves.
 */

size_t
strlen(const char *s) {
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* strlen, but look at no more than len bytes */
size_t
strnlen(const char *s, size_t len) {
    size_t n = 0;

    while (n < len && s[n] != '\0') {
        n++;
    }
    return n;
}

char *
strcpy(char *dst, const char *src) {
    char *p = dst;

    while ((*p++ = *src++) != '\0') {
    }
    return dst;
}

/* copy at most len bytes and pad with NULs up to len, as C's strncpy does */
char *
strncpy(char *dst, const char *src, size_t len) {
    size_t i;

    for (i = 0; i < len && src[i] != '\0'; i++) {
        dst[i] = src[i];
    }
    for (; i < len; i++) {
        dst[i] = '\0';
    }
    return dst;
}

int
strcmp(const char *s1, const char *s2) {
    while (*s1 != '\0' && *s1 == *s2) {
        s1++;
        s2++;
    }
    return (int)((unsigned char)*s1 - (unsigned char)*s2);
}

int
strncmp(const char *s1, const char *s2, size_t n) {
    while (n > 0 && *s1 != '\0' && *s1 == *s2) {
        n--;
        s1++;
        s2++;
    }
    return n == 0 ? 0 : (int)((unsigned char)*s1 - (unsigned char)*s2);
}

/* the first c in s, or NULL */
char *
strchr(const char *s, char c) {
    for (; *s != '\0'; s++) {
        if (*s == c) {
            return (char *)s;
        }
    }
    return NULL;
}

void *
memset(void *s, int c, size_t n) {
    unsigned char *p = s;

    while (n-- > 0) {
        *p++ = (unsigned char)c;
    }
    return s;
}

void *
memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;

    while (n-- > 0) {
        *d++ = *s++;
    }
    return dst;
}

/* memcpy that is correct for overlapping regions */
void *
memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (s < d && d < s + n) {
        while (n-- > 0) {
            d[n] = s[n];
        }
        return dst;
    }
    return memcpy(dst, src, n);
}

int
memcmp(const void *v1, const void *v2, size_t n) {
    const unsigned char *s1 = v1, *s2 = v2;

    for (; n > 0; n--, s1++, s2++) {
        if (*s1 != *s2) {
            return (int)*s1 - (int)*s2;
        }
    }
    return 0;
}
