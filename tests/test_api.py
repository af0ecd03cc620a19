"""boot(): argument checking (a request it cannot run is a BootError before anything boots) and what it keeps."""

import io
import json
import re
from pathlib import Path

import pytest
import unicorn

from pyucore import api
from pyucore.machine import unicorn_cpu
from pyucore.api import BootError, boot
from pyucore.user import build


@pytest.fixture
def no_machine(monkeypatch):
    """Fails the test if boot() gets as far as building a program (its arguments were accepted)."""
    def built(*args):
        pytest.fail("boot() accepted its arguments")
    monkeypatch.setattr(build, "build_program", built)


def test_a_boot_error_is_a_value_error():
    assert issubclass(BootError, ValueError)


@pytest.mark.parametrize("option", ["tick_insns", "tick_num", "max_insns"])
@pytest.mark.parametrize("value, message", [
    (0, "must be positive (got 0)"),
    (-5, "must be positive (got -5)"),
    (True, "must be an int, not bool"),
    (1.5, "must be an int, not float"),
    ("100", "must be an int, not str"),
])
def test_counts_must_be_positive_ints(no_machine, option, value, message):
    with pytest.raises(BootError, match="^" + re.escape(f"{option} {message}")):
        boot(program="hello", **{option: value})


@pytest.mark.parametrize("value, message", [
    (3, r"ram_mib must be between 4 and 1024 \(got 3\)"),
    (1025, r"ram_mib must be between 4 and 1024 \(got 1025\)"),
    (False, "ram_mib must be an int, not bool"),
    (128.0, "ram_mib must be an int, not float"),
])
def test_ram_mib_must_be_an_int_from_4_to_1024(no_machine, value, message):
    with pytest.raises(BootError, match=message):
        boot(program="hello", ram_mib=value)


@pytest.mark.parametrize("path", ["prog.elf", Path("prog.elf")])
def test_an_elf_given_as_a_path_says_to_read_the_file_first(no_machine, path):
    with pytest.raises(BootError, match=r"elf must be the ELF's bytes \(read the file first\)"):
        boot(elf=path)


def test_an_elf_that_is_not_bytes_like_is_a_boot_error(no_machine):
    with pytest.raises(BootError, match="elf must be the ELF's bytes, not list"):
        boot(elf=[0x7F, 0x45])


def test_program_and_elf_together_are_a_boot_error(no_machine):
    with pytest.raises(BootError, match="not both"):
        boot(program="hello", elf=b"\x7fELF")


def test_a_program_that_is_not_a_name_is_a_boot_error(no_machine):
    with pytest.raises(BootError, match="program must be a built-in program's name, not (PosixPath|WindowsPath)"):
        boot(program=Path("hello.c"))


def test_a_console_without_write_is_a_boot_error(no_machine):
    with pytest.raises(BootError, match=r"console must be None or an object with a write\(\) method, not list"):
        boot(program="hello", console=[])


def test_an_unknown_cpu_is_a_boot_error(no_machine):
    with pytest.raises(BootError, match="unknown cpu backend 'qemu'"):
        boot(program="hello", cpu="qemu")


def test_elf_bytes_may_come_as_a_memoryview_and_the_console_as_any_writer():
    image = build.build_program("hello")
    console = io.StringIO()
    result = boot(elf=memoryview(bytearray(image)), name="hello", console=console, max_insns=10_000_000,
                  quiet_boot=True)
    assert result.exit_status == api.EXIT_HALT
    assert "Hello world!!." in console.getvalue()


def test_the_docstring_says_program_is_a_built_in_name_and_c_files_go_through_build_c():
    doc = " ".join(boot.__doc__.split())
    assert "program is the name of a built-in program" in doc
    assert "pyucore.user.build.build_c(path), whose result you pass as elf=" in doc


def test_an_untested_unicorn_version_is_a_boot_error_naming_the_tested_one(monkeypatch):
    monkeypatch.setattr(unicorn, "__version__", "2.0.1")
    monkeypatch.setattr(unicorn_cpu, "_OFFSET", [])
    with pytest.raises(BootError, match="tested only with unicorn 2.1.4"):
        boot(program="hello", cpu="unicorn")


def test_ctrl_c_raises_boot_interrupted_with_the_run_so_far_and_writes_the_trace(tmp_path):
    path = tmp_path / "t.json"
    seen = []

    def interrupt_at_the_third_syscall(event):
        seen.append(event["kind"])
        if seen.count("syscall") == 3:
            raise KeyboardInterrupt

    with pytest.raises(api.BootInterrupted) as caught:
        boot(program="forktree", quiet_boot=True, trace=str(path), on_event=interrupt_at_the_third_syscall)
    result = caught.value.result
    assert isinstance(caught.value, KeyboardInterrupt)
    assert result.exit_status == api.EXIT_INTERRUPTED and result.halt_reason == "interrupted (Ctrl-C)"
    assert result.stats["syscalls"] == 3 and result.stats["instructions"] > 0
    assert result.console.startswith("++ setup timer interrupts")
    trace = json.loads(path.read_text())
    assert "Ctrl-C" in trace["otherData"]["interrupted"]


@pytest.fixture(scope="module")
def forktest_runs():
    """(a boot of forktest that keeps its events, one that does not, the events the second one showed)."""
    seen = []
    return boot(program="forktest", keep_events=True), boot(program="forktest", on_event=seen.append), seen


def test_a_boot_keeps_no_events_unless_asked_and_says_how_to_get_them(forktest_runs):
    _, plain, _ = forktest_runs
    with pytest.raises(api.EventsNotKept, match=re.escape("boot(..., keep_events=True)")):
        plain.events
    from pyucore.kern.debug import events
    assert events.events is None


def test_a_boot_that_keeps_no_events_still_counts_them_and_shows_them_live(forktest_runs):
    kept, plain, seen = forktest_runs
    assert plain.console == kept.console and plain.stats == kept.stats
    assert plain.stats["syscalls"] == sum(e["kind"] == "syscall" for e in kept.events) > 500
    assert seen == kept.events


def test_a_trace_keeps_the_events_it_is_built_from(tmp_path):
    result = boot(program="exit", trace=str(tmp_path / "t.json"))
    assert any(e["kind"] == "fork" for e in result.events)
