#include <stdio.h>
#include <ulib.h>

/* On x86 this raised a software interrupt from user mode; on RISC-V it just exits. */
int
main(void) {
    exit(0);
}
