"""Kernel error numbers, as in ucore's libs/error.h.

System calls return them negated (e.g. -E_NO_MEM); `%e` in printfmt names them.
"""

E_UNSPECIFIED = 1    # unspecified or unknown problem
E_BAD_PROC = 2       # process doesn't exist or otherwise
E_INVAL = 3          # invalid parameter
E_NO_MEM = 4         # request failed due to memory shortage
E_NO_FREE_PROC = 5   # attempt to create a new process beyond the limit
E_FAULT = 6          # memory fault
E_SWAP_FAULT = 7     # swap read/write failed
E_INVAL_ELF = 8      # invalid elf file
E_KILLED = 9         # process is killed
E_PANIC = 10         # panic failure

MAXERROR = 10        # the largest error number that has a name
