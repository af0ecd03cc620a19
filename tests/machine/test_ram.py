"""RAM: an anonymous mmap, zeroed, usable through every interface the kernel and the CPUs use, and
released when its machine is dropped."""

import gc
import struct
import weakref

import pytest

from pyucore.machine import Machine
from pyucore.machine.ram import RAM
from pyucore.machine.riscv import RAM_BASE, RAM_SIZE
from pyucore.machine.unicorn_cpu import UnicornMachine


def test_fresh_ram_reads_zero_everywhere_and_keeps_its_size():
    ram = RAM(RAM_SIZE)
    assert len(ram.data) == RAM_SIZE
    assert ram.read(RAM_BASE, 16) == bytes(16) and ram.read_u64(RAM_BASE + RAM_SIZE - 8) == 0


def test_struct_and_typed_views_see_the_same_bytes():
    ram = RAM(1 << 20)
    struct.pack_into("<2Q", ram.data, 64, 7, 1 << 63)
    assert (ram.u64[8], ram.u64[9], ram.read_u64(RAM_BASE + 72)) == (7, 1 << 63, 1 << 63)
    ram.write_u32(RAM_BASE + 128, 0xDEADBEEF)
    assert struct.unpack_from("<I", ram.data, 128) == (0xDEADBEEF,) and ram.s8[131] == -34


@pytest.mark.parametrize("machine", [Machine, UnicornMachine])
def test_a_dropped_machine_releases_its_ram(machine):
    m = machine(ram_size=1 << 20)
    m.ram.write_u64(RAM_BASE, 1)
    refs = [weakref.ref(m.ram), weakref.ref(m.cpu)]
    del m
    gc.collect()
    assert [ref() for ref in refs] == [None, None]
