/* A raw ecall with the ucore ABI (a0 = number, a1..a5 = arguments), for calls the library has no
 * wrapper for or arguments it would not pass. */
static inline long
raw_syscall(long num, long a1, long a2, long a3, long a4, long a5) {
    register long a0 asm("a0") = num;
    register long r1 asm("a1") = a1;
    register long r2 asm("a2") = a2;
    register long r3 asm("a3") = a3;
    register long r4 asm("a4") = a4;
    register long r5 asm("a5") = a5;
    asm volatile("ecall" : "+r"(a0) : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5) : "memory");
    return (int)a0;
}
