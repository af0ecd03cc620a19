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


@pytest.mark.parametrize("offset", [0, 8, 3, RAM_SIZE - 8])
def test_u64_reads_and_writes_aligned_or_not_store_little_endian_bytes(offset):
    ram = RAM(RAM_SIZE)
    ram.write_u64(RAM_BASE + offset, (1 << 64) + 0x0102030405060708)
    assert ram.read(RAM_BASE + offset, 8) == bytes.fromhex("0807060504030201")
    assert ram.read_u64(RAM_BASE + offset) == 0x0102030405060708


@pytest.mark.parametrize("pa", [RAM_BASE - 8, RAM_BASE + RAM_SIZE, RAM_BASE + RAM_SIZE - 4])
def test_u64_access_outside_ram_is_a_value_error(pa):
    ram = RAM(RAM_SIZE)
    with pytest.raises(ValueError):
        ram.read_u64(pa)
    with pytest.raises(ValueError):
        ram.write_u64(pa, 1)


def test_an_aligned_u64_write_to_a_code_page_tells_the_code_listener():
    ram = RAM(1 << 20)
    heard = []
    ram.code_listener = heard.append
    ram.code_pages[(RAM_BASE >> 12) + 1] = {"key"}
    ram.write_u64(RAM_BASE + 8, 1)
    ram.write_u64(RAM_BASE + 4096 + 16, 2)
    assert heard == [(RAM_BASE >> 12) + 1]
