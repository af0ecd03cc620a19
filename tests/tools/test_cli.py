import inspect
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from pyucore import api
from pyucore.api import BootError
from pyucore.tools import cli
from pyucore.user import build

ELF_BYTES = b"\x7fELF" + b"\0" * 60


@dataclass
class FakeResult:
    console: str = ""
    events: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    exit_status: int = 0
    halt_reason: str = "halt"


class FakeKernel:
    """Stands in for pyucore.api.boot: records its keywords, writes a console, returns a result."""

    def __init__(self, exit_status=0, halt_reason="halt", stats=None, raises=None):
        self.calls = []
        self.result = FakeResult(exit_status=exit_status, halt_reason=halt_reason, stats=stats or {})
        self.raises = raises

    def boot(self, **kwargs):
        bound = inspect.signature(api.boot).bind(**kwargs)   # only keywords the real boot() takes
        bound.apply_defaults()
        self.calls.append(dict(bound.arguments))
        console = bound.arguments["console"]
        if self.raises is not None:
            raise self.raises
        console.write("hello pass.\n")
        self.result.console = "hello pass.\n"
        return self.result


@pytest.fixture
def kernel(monkeypatch):
    fake = FakeKernel()
    monkeypatch.setattr(cli, "load_boot", lambda: (fake.boot, BootError))
    return fake


@pytest.fixture
def fake_compiler(monkeypatch):
    compiled = []

    def build_c(path):
        compiled.append(str(path))
        return ELF_BYTES

    monkeypatch.setattr(build, "build_c", build_c)
    return compiled


def assert_clean_error(capsys, status, expected_status, text):
    err = capsys.readouterr().err
    assert status == expected_status
    assert text in err
    assert "Traceback" not in err


# --- argument parsing ----------------------------------------------------------------------------

def test_run_takes_a_program_and_its_options():
    args = cli.build_parser().parse_args(
        ["run", "forktree", "--max-insns", "1000", "--tick-insns", "500", "--tick-num", "10", "--quiet-boot",
         "--no-cow", "--cpu", "unicorn", "--ram-mib", "64", "--stats", "--trace", "t.json", "--verbose"])
    assert args.program == "forktree"
    assert cli.boot_options(args) == {
        "max_insns": 1000, "tick_insns": 500, "tick_num": 10, "quiet_boot": True, "cow": False,
        "cpu": "unicorn", "ram_mib": 64, "trace": "t.json", "verbose": True}
    assert args.stats


def test_run_passes_no_options_that_were_not_given():
    args = cli.build_parser().parse_args(["run", "hello"])
    assert cli.boot_options(args) == {}


def test_numeric_options_accept_hex():
    args = cli.build_parser().parse_args(["run", "hello", "--max-insns", "0x100"])
    assert args.max_insns == 256


def test_a_non_positive_number_is_a_usage_error(capsys):
    assert_clean_error(capsys, cli.main(["run", "hello", "--tick-insns", "0"]), 2, "must be positive")


def test_an_unknown_cpu_is_a_usage_error(capsys):
    assert_clean_error(capsys, cli.main(["run", "hello", "--cpu", "qemu"]), 2, "invalid choice")


def test_no_command_is_a_usage_error(capsys):
    assert_clean_error(capsys, cli.main([]), 2, "usage: pyucore")


def test_help_exits_0(capsys):
    assert cli.main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


def test_grade_defaults_to_the_current_pattern_set():
    from pyucore.tools import grade
    assert cli.build_parser().parse_args(["grade"]).patterns == grade.DEFAULT_PATTERNS
    assert cli.build_parser().parse_args(["grade", "--patterns", "2024"]).patterns == "2024"


def test_cc_takes_a_source_and_an_output():
    args = cli.build_parser().parse_args(["cc", "prog.c", "-o", "out.elf"])
    assert (args.source, args.output) == ("prog.c", "out.elf")


# --- run -----------------------------------------------------------------------------------------

def test_run_boots_a_built_in_program_and_prints_its_console(kernel, capsys):
    assert cli.main(["run", "hello"]) == 0
    call, = kernel.calls
    assert call["program"] == "hello" and call["elf"] is None
    assert capsys.readouterr().out == "hello pass.\n"


def test_run_passes_the_given_options_to_boot(kernel):
    cli.main(["run", "hello", "--no-cow", "--max-insns", "99"])
    call, = kernel.calls
    assert call["cow"] is False and call["max_insns"] == 99
    assert call["tick_insns"] == 10000  # the kernel's default, since it was not given


def test_run_gives_boot_a_console_writer_that_flushes(kernel):
    cli.main(["run", "hello"])
    writer = kernel.calls[0]["console"]
    assert isinstance(writer, cli.LiveConsole)


def test_run_exits_with_the_kernel_exit_status_and_says_why(kernel, capsys):
    kernel.result.exit_status = 3
    kernel.result.halt_reason = "kernel panic at kern/process/proc.c:472: initproc exit."
    status = cli.main(["run", "hello"])
    err = capsys.readouterr().err
    assert status == 3
    assert err.strip() == "pyucore: kernel panic at kern/process/proc.c:472: initproc exit. (exit status 3)"


def test_run_exit_status_outside_0_to_255_becomes_1(kernel, capsys):
    kernel.result.exit_status = 256
    assert cli.main(["run", "hello"]) == 1


def test_run_with_stats_prints_the_counters_to_stderr(kernel, capsys):
    kernel.result.stats = {"forks": 2, "pages_copied": 17}
    cli.main(["run", "hello", "--stats"])
    err = capsys.readouterr().err
    assert "stats:" in err and "forks:" in err and "17" in err


def test_run_compiles_a_c_file_and_boots_its_elf(kernel, fake_compiler, tmp_path):
    source = tmp_path / "mine.c"
    source.write_text("int main(void) { return 0; }\n")
    assert cli.main(["run", str(source)]) == 0
    call, = kernel.calls
    assert fake_compiler == [str(source)]
    assert call["elf"] == ELF_BYTES and call["name"] == "mine" and call["program"] is None


def test_run_reads_an_elf_file(kernel, tmp_path):
    elf = tmp_path / "prog.elf"
    elf.write_bytes(ELF_BYTES)
    assert cli.main(["run", str(elf)]) == 0
    assert kernel.calls[0]["elf"] == ELF_BYTES and kernel.calls[0]["name"] == "prog"


def test_run_recognises_an_elf_file_without_the_suffix(kernel, tmp_path):
    elf = tmp_path / "prog"
    elf.write_bytes(ELF_BYTES)
    cli.main(["run", str(elf)])
    assert kernel.calls[0]["elf"] == ELF_BYTES


def test_run_of_an_unknown_program_exits_2_listing_the_built_ins(kernel, capsys):
    status = cli.main(["run", "nosuchprog"])
    assert_clean_error(capsys, status, 2, "unknown program 'nosuchprog'")
    assert kernel.calls == []


def test_unknown_program_message_lists_the_built_in_programs(kernel, capsys):
    cli.main(["run", "nosuchprog"])
    assert "forktree" in capsys.readouterr().err


def test_run_of_a_missing_c_file_exits_2(kernel, capsys, tmp_path):
    assert_clean_error(capsys, cli.main(["run", str(tmp_path / "gone.c")]), 2, "gone.c: no such file")


def test_run_of_a_missing_elf_file_exits_2(kernel, capsys, tmp_path):
    assert_clean_error(capsys, cli.main(["run", str(tmp_path / "gone.elf")]), 2, "gone.elf: no such file")


def test_run_of_a_file_that_is_not_an_elf_exits_2(kernel, capsys, tmp_path):
    text = tmp_path / "notes"
    text.write_text("hello\n")
    assert_clean_error(capsys, cli.main(["run", str(text)]), 2, "not an ELF file")


def test_run_of_a_c_file_that_does_not_compile_shows_the_compiler_output(kernel, monkeypatch, capsys, tmp_path):
    def failing_build(path):
        raise build.BuildError("bad.c:1:1: error: unknown type name 'itn'")

    monkeypatch.setattr(build, "build_c", failing_build)
    source = tmp_path / "bad.c"
    source.write_text("itn main;\n")
    status = cli.main(["run", str(source)])
    assert_clean_error(capsys, status, 2, "error: unknown type name 'itn'")
    assert kernel.calls == []


def test_keyboard_interrupt_ends_quietly_with_130(monkeypatch, capsys):
    fake = FakeKernel(raises=KeyboardInterrupt())
    monkeypatch.setattr(cli, "load_boot", lambda: (fake.boot, BootError))
    assert cli.main(["run", "hello"]) == 130
    assert capsys.readouterr().err == ""


def test_internal_error_prints_a_short_message_without_traceback(monkeypatch, capsys):
    fake = FakeKernel(raises=RuntimeError("scheduler lost the current process"))
    monkeypatch.setattr(cli, "load_boot", lambda: (fake.boot, BootError))
    monkeypatch.delenv("PYUCORE_DEBUG", raising=False)
    status = cli.main(["run", "hello"])
    err = capsys.readouterr().err
    assert status == cli.EXIT_INTERNAL
    assert "internal error: RuntimeError: scheduler lost the current process" in err
    assert "report" in err and "Traceback" not in err


def test_internal_error_raises_with_pyucore_debug(monkeypatch):
    fake = FakeKernel(raises=RuntimeError("boom"))
    monkeypatch.setattr(cli, "load_boot", lambda: (fake.boot, BootError))
    monkeypatch.setenv("PYUCORE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main(["run", "hello"])


# --- list, grade, cc -------------------------------------------------------------------------------

def test_list_prints_one_line_per_built_in_program(monkeypatch, capsys):
    monkeypatch.setattr(build, "program_names", lambda: ["hello", "forktree"])
    monkeypatch.setattr(build, "program_description", lambda name: f"about {name}")
    assert cli.main(["list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["hello     about hello", "forktree  about forktree"]


def test_grade_exits_0_at_full_score_and_1_below(monkeypatch):
    from pyucore.tools import grade
    chosen = []
    monkeypatch.setattr(grade, "grade", lambda patterns: chosen.append(patterns) or 130)
    assert cli.main(["grade", "--patterns", "2024"]) == 0
    monkeypatch.setattr(grade, "grade", lambda patterns: 123)
    assert cli.main(["grade"]) == 1
    assert chosen == ["2024"]


def test_cc_compiles_to_the_given_output(monkeypatch, tmp_path):
    compiled = []
    monkeypatch.setattr(build, "compile_c", lambda src, out: compiled.append((src.name, out.name)))
    source = tmp_path / "prog.c"
    source.write_text("int main(void) { return 0; }\n")
    assert cli.main(["cc", str(source), "-o", str(tmp_path / "out.elf")]) == 0
    assert compiled == [("prog.c", "out.elf")]


def test_cc_writes_beside_the_source_by_default(monkeypatch, tmp_path):
    outputs = []
    monkeypatch.setattr(build, "compile_c", lambda src, out: outputs.append(out))
    source = tmp_path / "prog.c"
    source.write_text("int main(void) { return 0; }\n")
    cli.main(["cc", str(source)])
    assert outputs == [tmp_path / "prog.elf"]


def test_cc_of_a_missing_file_exits_2(capsys, tmp_path):
    assert_clean_error(capsys, cli.main(["cc", str(tmp_path / "gone.c")]), 2, "no such file")


def test_cc_compile_error_exits_2_with_the_compiler_output(monkeypatch, capsys, tmp_path):
    def failing(src, out):
        raise build.BuildError("prog.c:3:5: error: expected ';'")

    monkeypatch.setattr(build, "compile_c", failing)
    source = tmp_path / "prog.c"
    source.write_text("int main(void) { return 0 }\n")
    assert_clean_error(capsys, cli.main(["cc", str(source)]), 2, "expected ';'")


def test_python_dash_m_pyucore_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "pyucore", "list"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.split()[0] in build.program_names()


def test_run_with_a_ram_too_small_for_boot_is_a_clean_usage_error(capsys):
    assert_clean_error(capsys, cli.main(["run", "hello", "--ram-mib", "2"]), 2,
                       "ram_mib must be between 4 and 1024")


def test_an_internal_value_error_is_reported_as_a_bug_not_a_usage_error(monkeypatch, capsys):
    def broken_boot(**kwargs):
        raise ValueError("physical range outside RAM")
    monkeypatch.setattr(cli, "load_boot", lambda: (broken_boot, BootError))
    status = cli.main(["run", "hello"])
    err = capsys.readouterr().err
    assert status == 70 and "internal error" in err
