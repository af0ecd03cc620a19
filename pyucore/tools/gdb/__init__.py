"""A GDB remote-serial-protocol server for user programs (`pyucore run PROG --gdb [HOST:]PORT`).

rsp.py frames packets (checksums, escapes, acks); server.py answers gdb's commands over a target;
stub.py is that target for the pyucore kernel: processes are gdb threads, and it runs user code for the
kernel (trap.debugger), stopping at breakpoints, single steps, watchpoints and Ctrl-C.
"""
