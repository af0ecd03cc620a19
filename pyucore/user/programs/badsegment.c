#include <stdio.h>
#include <ulib.h>

/*
 * On x86 this loaded a kernel segment selector into a data segment
 * register and expected a protection fault.  RISC-V has no segments.
 */
int
main(void) {
    panic("FAIL: T.T\n");
}
