/*
 * The user entry point.  user.ld places .text.entry first in .text, so
 * _start is at 0x800020 = e_entry.  The kernel starts us with
 * sp = USTACKTOP (16-byte aligned) and every other register 0.
 */
    .section .text.entry, "ax"
    .globl _start
_start:
    call umain
    /* umain calls exit, which never returns; spin if it somehow does */
1:  j 1b
