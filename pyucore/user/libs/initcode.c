/*
 * The user entry point, _start.  user.ld places .text.entry first in .text,
 * so _start is at 0x800020 = e_entry.  The kernel starts us with
 * sp = USTACKTOP (16-byte aligned) and every other register 0; umain calls
 * main and then exit, which never returns, so the loop after the call only
 * catches a broken kernel.
 *
 * Top-level asm rather than a .S file: it keeps the whole library in C
 * files, whose paths -ffile-prefix-map rewrites in the debug info.
 */
asm(".section .text.entry, \"ax\", @progbits\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    "    call umain\n"
    "1:  j 1b\n"
    ".size _start, . - _start\n"
    ".previous\n");
