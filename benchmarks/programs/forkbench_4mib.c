/* forkbench with 4 MiB of touched data (testbss-sized). */
#define DATA_KIB 4096
#include "forkbench.c"
