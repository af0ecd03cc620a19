/* Parent, children and grandchildren write the same global, BSS and stack variables after fork; each
 * must read back only its own values. */
#include <stdio.h>
#include <ulib.h>

int global = 1;
int bss_array[4096];

static int
check(const char *who, int *stack_var, int value) {
    int ok = global == value && *stack_var == value;
    for (int i = 0; i < 4096; i += 512) {
        ok = ok && bss_array[i] == value;
    }
    cprintf("%s sees %s\n", who, ok ? "its own values" : "SOMEONE ELSE'S VALUES");
    return ok;
}

static void
scribble(int *stack_var, int value) {
    global = value;
    *stack_var = value;
    for (int i = 0; i < 4096; i += 512) {
        bss_array[i] = value;
    }
}

int
main(void) {
    int local = 5;
    scribble(&local, 10);
    int child = fork();
    if (child == 0) {
        scribble(&local, 20);
        int grandchild = fork();
        if (grandchild == 0) {
            scribble(&local, 30);
            yield();
            exit(check("grandchild", &local, 30) ? 0 : 1);
        }
        yield();
        int code = -1;
        assert(waitpid(grandchild, &code) == 0);
        exit(check("child", &local, 20) && code == 0 ? 0 : 1);
    }
    yield();
    int code = -1;
    assert(waitpid(child, &code) == 0 && code == 0);
    int quitter = fork();
    if (quitter == 0) {
        scribble(&local, 40);
        exit(0);
    }
    assert(waitpid(quitter, &code) == 0 && code == 0);
    if (check("parent", &local, 10)) {
        cprintf("cowiso pass.\n");
    }
    return 0;
}
