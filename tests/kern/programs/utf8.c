/* Prints UTF-8 text one byte per putc, as every user program does. */
#include <stdio.h>
int main(void){ cprintf("héllo wörld ✓ 日本\n"); return 0; }
