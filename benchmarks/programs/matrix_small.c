/* matrix with every count divided by 40 (30 M user instructions): a quick run. */
#define SCALE 40
#include "matrix.c"
