#ifndef __USER_LIBS_STDARG_H__
#define __USER_LIBS_STDARG_H__

/* Variable arguments through the compiler's builtins (no libc headers). */
typedef __builtin_va_list va_list;

#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(dst, src) __builtin_va_copy(dst, src)

#endif /* !__USER_LIBS_STDARG_H__ */
