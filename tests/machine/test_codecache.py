"""The translation cache: compiled blocks kept on disk across processes, never stale, never in the way."""

import os
import shutil
from pathlib import Path

import machine_asm as asm
from bare_loader import BareProcess
from pyucore import boot
from pyucore.machine import Machine, codecache
from pyucore.machine.codecache import TranslationCache, translator_version
from pyucore.machine.riscv import PTE_R, PTE_U, PTE_X

CODE_VA = 0x800000
A0 = 10


def run_code(code, cache):
    """Runs code (ending in ecall) at CODE_VA on a new machine whose CPU uses cache; returns a0."""
    m = Machine(ram_size=4 << 20)
    m.cpu.code_cache = cache
    proc = BareProcess(m)
    code_pa = proc.map_range(CODE_VA, CODE_VA + 1, PTE_R | PTE_X | PTE_U)[CODE_VA]
    proc.activate()
    m.ram.write(code_pa, code)
    m.cpu.pc = CODE_VA
    assert m.cpu.run(1000) == 8
    return m.cpu.regs[A0]


def returning(value):
    """Code that sets a0 = value (below 2048) and ecalls."""
    return asm.words(asm.imm("addi", A0, 0, value), asm.ECALL)


def entries(directory):
    """The entry files under a cache directory."""
    return [p for p in Path(directory).rglob("*") if p.is_file() and not p.name.startswith(".")]     # not a write in progress


def test_a_new_process_finds_the_blocks_another_one_translated_on_disk(tmp_path):
    first = TranslationCache(tmp_path, "v1")
    assert run_code(returning(6), first) == 6
    assert first.misses == 1 and len(entries(tmp_path)) == 1
    second = TranslationCache(tmp_path, "v1")     # a new process: nothing in memory
    assert run_code(returning(6), second) == 6
    assert (second.hits, second.misses) == (1, 0)


def test_other_bytes_at_the_same_address_are_never_served_the_old_code(tmp_path):
    assert run_code(returning(6), TranslationCache(tmp_path, "v1")) == 6
    later = TranslationCache(tmp_path, "v1")
    assert run_code(returning(9), later) == 9
    assert later.misses == 1 and len(entries(tmp_path)) == 2


def test_the_same_bytes_at_another_address_are_another_entry(tmp_path):
    cache = TranslationCache(tmp_path, "v1")
    compiled = []
    for content in [(CODE_VA, (0x13,)), (CODE_VA + 4, (0x13,))]:
        cache.code(content, lambda: compiled.append(1) or compile("x = 1", "<t>", "exec"))
    assert len(compiled) == 2 and len(entries(tmp_path)) == 2


def test_another_translator_version_misses(tmp_path):
    assert run_code(returning(6), TranslationCache(tmp_path, "v1")) == 6
    other = TranslationCache(tmp_path, "v2")
    assert run_code(returning(6), other) == 6
    assert (other.hits, other.misses) == (0, 1)


def test_the_translator_version_changes_with_any_edit_of_the_machine_source(tmp_path):
    package = Path(codecache.__file__).parent
    for path in package.glob("*.py"):
        shutil.copy(path, tmp_path / path.name)
    assert translator_version(tmp_path) == translator_version() == codecache.VERSION
    edited = tmp_path / "edited"
    shutil.copytree(tmp_path, edited, ignore=shutil.ignore_patterns("edited"))
    with open(edited / "translate.py", "a") as file:
        file.write("# one more comment\n")
    assert translator_version(edited) not in (None, codecache.VERSION)


def test_a_damaged_entry_is_compiled_again_and_replaced(tmp_path):
    assert run_code(returning(6), TranslationCache(tmp_path, "v1")) == 6
    [entry] = entries(tmp_path)
    whole = entry.read_bytes()
    for damaged in [whole[:len(whole) // 2], whole[:-1] + bytes([whole[-1] ^ 1]), b"", b"\0" * 40]:
        entry.write_bytes(damaged)
        cache = TranslationCache(tmp_path, "v1")
        assert run_code(returning(6), cache) == 6 and cache.misses == 1
        fresh = TranslationCache(tmp_path, "v1")
        assert run_code(returning(6), fresh) == 6 and fresh.hits == 1


def test_an_entry_moved_under_another_key_is_not_used(tmp_path):
    assert run_code(returning(6), TranslationCache(tmp_path, "v1")) == 6
    [entry] = entries(tmp_path)
    cache = TranslationCache(tmp_path, "v1")
    other = cache._path(cache._key((CODE_VA, (asm.imm("addi", A0, 0, 9), asm.ECALL))))
    other.parent.mkdir(exist_ok=True)
    shutil.copy(entry, other)
    assert run_code(returning(9), cache) == 9 and cache.misses == 1


def test_a_directory_that_cannot_be_written_only_means_compiling(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    cache = TranslationCache(blocker / "cache", "v1")
    assert run_code(returning(6), cache) == 6
    assert run_code(returning(7), cache) == 7
    assert cache.writes_left == 0 and cache.misses == 2


def test_one_process_writes_at_most_max_writes_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(codecache, "MAX_WRITES", 2)
    cache = TranslationCache(tmp_path, "v1")
    assert [run_code(returning(value), cache) for value in range(4)] == [0, 1, 2, 3]
    assert cache.misses == 4 and len(entries(tmp_path)) == 2


def test_each_subdirectory_keeps_only_its_newest_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(codecache, "SHARD_LIMIT", 8)
    shard = tmp_path / "ab"
    shard.mkdir()
    for age in range(9):
        path = shard / f"entry{age}"
        path.write_bytes(b"x")
        os.utime(path, ns=(age * 10**9, age * 10**9))
    TranslationCache._trim(shard)
    assert sorted(p.name for p in shard.iterdir()) == [f"entry{age}" for age in range(3, 9)]


def test_the_environment_chooses_the_directory_or_turns_the_disk_cache_off(tmp_path, monkeypatch):
    monkeypatch.delenv("PYUCORE_TRANSLATION_CACHE", raising=False)
    monkeypatch.setenv("PYUCORE_CACHE", str(tmp_path))
    assert codecache.cache_directory() == tmp_path / "translations"
    monkeypatch.setenv("PYUCORE_TRANSLATION_CACHE", str(tmp_path / "mine"))
    assert codecache.shared_cache().directory == tmp_path / "mine"
    monkeypatch.setenv("PYUCORE_TRANSLATION_CACHE", "")
    cache = codecache.shared_cache()
    assert cache.directory is None and run_code(returning(6), cache) == 6


def test_a_boot_in_a_new_process_compiles_nothing_and_prints_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("PYUCORE_TRANSLATION_CACHE", str(tmp_path))
    first = boot(program="hello", quiet_boot=True)
    monkeypatch.setattr(codecache, "_shared", {})      # what a new process starts with
    second = boot(program="hello", quiet_boot=True)
    cache = codecache.shared_cache()
    assert cache.hits > 20 and cache.misses == 0
    assert second.console == first.console and "hello pass." in second.console
