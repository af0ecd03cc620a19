"""Page replacement (ucore lab3's swap.c): the kernel consults swap_init_ok before using swap."""

swap_init_ok = False
