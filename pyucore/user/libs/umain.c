#include <ulib.h>

int main(void);

/* Called by _start: run the program, then exit with main's return value. */
void
umain(void) {
    int ret = main();
    exit(ret);
}
