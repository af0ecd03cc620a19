/* The fork bomb whose children exit at once: the process table, not memory, runs out. */
#define YIELD_EACH 1
#include "forkbomb.c"
