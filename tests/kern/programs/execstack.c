/* Code written on the stack (a c.ret) and called: the stack is never executable. */
#include <stdio.h>
#include <ulib.h>

int
main(void) {
    volatile unsigned short code[2] = {0x8082, 0};     /* c.ret */
    void (*run)(void) = (void (*)(void))code;
    cprintf("calling code on the stack\n");
    run();
    cprintf("code on the stack ran\n");
    return 0;
}
