import importlib.metadata
import inspect
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pyucore import api
from pyucore.api import BootError
from pyucore.tools import cli
from pyucore.user import build


def elf_header(elf_class=2, data=1, machine=243) -> bytes:
    """A 64-byte ELF header: magic, EI_CLASS, EI_DATA, version 1, and e_machine (little endian)."""
    return b"\x7fELF" + bytes([elf_class, data, 1]) + b"\0" * 11 + machine.to_bytes(2, "little") + b"\0" * 44


ELF_BYTES = elf_header()


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

    def build_c_with_warnings(path):
        compiled.append(str(path))
        return ELF_BYTES, ""

    monkeypatch.setattr(build, "build_c_with_warnings", build_c_with_warnings)
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
        "cpu": "unicorn", "ram_mib": 64, "trace": "t.json", "keep_events": True, "verbose": True}
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

    monkeypatch.setattr(build, "build_c_with_warnings", failing_build)
    source = tmp_path / "bad.c"
    source.write_text("itn main;\n")
    status = cli.main(["run", str(source)])
    assert_clean_error(capsys, status, 2, "error: unknown type name 'itn'")
    assert kernel.calls == []


def test_keyboard_interrupt_ends_with_130_and_a_hint_about_max_insns(monkeypatch, capsys):
    fake = FakeKernel(raises=KeyboardInterrupt())
    monkeypatch.setattr(cli, "load_boot", lambda: (fake.boot, BootError))
    assert cli.main(["run", "hello"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "--max-insns" in err and "Traceback" not in err


def test_sigint_during_a_run_prints_the_stats_so_far_and_writes_the_trace(tmp_path):
    trace = tmp_path / "t.json"
    spinner = Path(__file__).parent / "gdb" / "programs" / "spinner.c"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyucore", "run", str(spinner), "--stats", "--trace", str(trace)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))   # a background job ignores it
    while proc.stdout.readline() not in ("spinning\n", ""):
        pass
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stats (interrupted by Ctrl-C: the run so far):" in err and "Traceback" not in err
    assert re.search(r"^  instructions: +[1-9]\d*$", err, re.M), err
    assert re.search(r"^ +2  spinner ", err, re.M), err
    assert f"the trace of the run so far (interrupted) is in {trace}" in err
    assert "Ctrl-C" in json.loads(trace.read_text())["otherData"]["interrupted"]


@pytest.mark.parametrize("spec", ["nope", "1234x", "localhost:99999", ""])
def test_a_bad_gdb_address_is_one_clear_line_before_anything_runs(monkeypatch, capsys, spec):
    fake = FakeKernel()
    monkeypatch.setattr(cli, "load_boot", lambda: (fake.boot, BootError))
    status = cli.main(["run", "hello", "--gdb", spec])
    assert_clean_error(capsys, status, 2, "--gdb needs [HOST:]PORT with a port from 0 to 65535")
    assert fake.calls == []


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


def test_list_marks_the_lab6_programs(capsys):
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines if "[lab6]" in line] == ["priority", "matrix"]


def test_grade_exits_0_at_full_score_and_1_below(monkeypatch):
    from pyucore.tools import grade
    chosen = []
    monkeypatch.setattr(grade, "grade", lambda patterns, **options: chosen.append(patterns) or 130)
    assert cli.main(["grade", "--patterns", "2024"]) == 0
    monkeypatch.setattr(grade, "grade", lambda patterns, **options: 123)
    assert cli.main(["grade"]) == 1
    assert chosen == ["2024"]


def test_cc_compiles_to_the_given_output(monkeypatch, tmp_path):
    compiled = []
    monkeypatch.setattr(build, "compile_c", lambda src, out: compiled.append((src.name, out.name)) or "")
    source = tmp_path / "prog.c"
    source.write_text("int main(void) { return 0; }\n")
    assert cli.main(["cc", str(source), "-o", str(tmp_path / "out.elf")]) == 0
    assert compiled == [("prog.c", "out.elf")]


def test_cc_writes_beside_the_source_by_default(monkeypatch, tmp_path):
    outputs = []
    monkeypatch.setattr(build, "compile_c", lambda src, out: outputs.append(out) or "")
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


# what only a build, the grader, a workspace's blanks or a fault report's first look-up need, and
# what only dataclasses bring (a plain run is a start-up cost; see README "Start-up")
NOT_FOR_A_PLAIN_RUN = ("dataclasses", "inspect", "typing", "ast", "traceback", "elftools", "capstone",
                       "pyucore.tools.grade", "pyucore.lab.markers", "importlib.metadata")


def test_a_plain_run_imports_nothing_it_does_not_use():
    script = ("import sys\nfrom pyucore.tools.cli import main\nstatus = main(['run', 'hello', '--quiet-boot'])\n"
              "print(' '.join(sorted(sys.modules)), file=sys.stderr)\nsys.exit(status)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "hello pass." in done.stdout
    loaded = set(done.stderr.split())
    assert "pyucore.kern.mm.pmm" in loaded
    assert [name for name in NOT_FOR_A_PLAIN_RUN if name in loaded] == []


@pytest.mark.parametrize("mib", ["2", "3", "1025", "0x1000"])
def test_a_ram_size_outside_4_to_1024_mib_is_a_usage_error_naming_the_option(kernel, capsys, mib):
    assert_clean_error(capsys, cli.main(["run", "hello", "--ram-mib", mib]), 2,
                       "argument --ram-mib: must be between 4 and 1024")
    assert kernel.calls == []


def test_ram_sizes_at_the_ends_of_the_range_are_accepted():
    for mib in (4, 1024):
        assert cli.build_parser().parse_args(["run", "hello", "--ram-mib", str(mib)]).ram_mib == mib


def test_run_help_shows_the_ram_range(capsys):
    assert cli.main(["run", "--help"]) == 0
    assert "RAM size in MiB, 4 to 1024" in capsys.readouterr().out


def test_an_internal_value_error_is_reported_as_a_bug_not_a_usage_error(monkeypatch, capsys):
    def broken_boot(**kwargs):
        raise ValueError("physical range outside RAM")
    monkeypatch.setattr(cli, "load_boot", lambda: (broken_boot, BootError))
    status = cli.main(["run", "hello"])
    err = capsys.readouterr().err
    assert status == 70 and "internal error" in err


def test_version_prints_the_package_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"pyucore {importlib.metadata.version('pyucore')}\n"


# --- what run and cc accept as a program -----------------------------------------------------------

def test_run_of_a_text_file_saved_as_elf_is_a_usage_error_before_booting(kernel, capsys, tmp_path):
    text = tmp_path / "x.elf"
    text.write_text("not a program\n")
    assert_clean_error(capsys, cli.main(["run", str(text)]), 2,
                       "x.elf: not a RISC-V 64-bit ELF (it is not an ELF file)")
    assert kernel.calls == []


def test_run_of_an_x86_64_elf_is_a_usage_error_naming_its_machine(kernel, capsys, tmp_path):
    host = tmp_path / "ls.elf"
    host.write_bytes(elf_header(machine=62))
    assert_clean_error(capsys, cli.main(["run", str(host)]), 2,
                       "ls.elf: not a RISC-V 64-bit ELF (it is an ELF for machine 62: x86-64)")
    assert kernel.calls == []


@pytest.mark.parametrize("header, why", [
    (elf_header(elf_class=1), "it is not a 64-bit ELF"),
    (elf_header(data=2), "it is not a little-endian ELF"),
    (elf_header(machine=999), "it is an ELF for machine 999)"),
    (b"\x7fELF\x02", "it is not an ELF file"),
])
def test_run_checks_the_elf_class_byte_order_and_machine(kernel, capsys, tmp_path, header, why):
    elf = tmp_path / "prog.elf"
    elf.write_bytes(header)
    assert_clean_error(capsys, cli.main(["run", str(elf)]), 2, why)
    assert kernel.calls == []


@pytest.mark.parametrize("command", ["run", "cc"])
def test_a_directory_given_as_the_program_is_a_usage_error(kernel, capsys, tmp_path, command):
    adir = tmp_path / "adir"
    adir.mkdir()
    assert_clean_error(capsys, cli.main([command, str(adir)]), 2, "adir: is a directory")
    assert kernel.calls == []


def test_a_directory_named_like_a_c_file_is_a_usage_error(kernel, fake_compiler, capsys, tmp_path):
    (tmp_path / "prog.c").mkdir()
    assert_clean_error(capsys, cli.main(["run", str(tmp_path / "prog.c")]), 2, "prog.c: is a directory")
    assert fake_compiler == []


def test_cc_into_a_missing_directory_is_a_usage_error_and_creates_nothing(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(build, "compile_c", lambda src, out: pytest.fail("compiled"))
    source = tmp_path / "ok.c"
    source.write_text("int main(void) { return 0; }\n")
    output = tmp_path / "nonexist" / "x.elf"
    assert_clean_error(capsys, cli.main(["cc", str(source), "-o", str(output)]), 2,
                       f"cannot write {output}: no such directory")
    assert not output.parent.exists()


def test_cc_onto_a_directory_is_a_usage_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(build, "compile_c", lambda src, out: pytest.fail("compiled"))
    source = tmp_path / "ok.c"
    source.write_text("int main(void) { return 0; }\n")
    assert_clean_error(capsys, cli.main(["cc", str(source), "-o", str(tmp_path)]), 2, "is a directory")


# --- compiler warnings ----------------------------------------------------------------------------

WARNING = "mine.c:1:22: warning: unused variable 'u' [-Wunused-variable]\n1 warning generated.\n"


def test_run_of_a_c_file_shows_the_compilers_warnings_on_stderr(kernel, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(build, "build_c_with_warnings", lambda path: (ELF_BYTES, WARNING))
    source = tmp_path / "mine.c"
    source.write_text("int main(void) { int u; return 0; }\n")
    assert cli.main(["run", str(source)]) == 0
    captured = capsys.readouterr()
    assert captured.err == WARNING and WARNING not in captured.out


def test_cc_shows_the_compilers_warnings_on_stderr(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(build, "compile_c", lambda src, out: WARNING)
    source = tmp_path / "mine.c"
    source.write_text("int main(void) { int u; return 0; }\n")
    assert cli.main(["cc", str(source)]) == 0
    assert capsys.readouterr().err == WARNING


def test_run_of_a_built_in_program_shows_no_compiler_output(kernel, capsys):
    cli.main(["run", "hello"])
    assert capsys.readouterr().err == ""


# --- --trace --------------------------------------------------------------------------------------

@pytest.mark.parametrize("where, message", [
    ("", "argument --trace: needs a file name"),
    (".", "cannot write the trace: is a directory"),
    ("nonexist/t.json", "{tmp}/nonexist/t.json: cannot write the trace: no such directory"),
])
def test_a_trace_path_that_cannot_be_written_is_a_usage_error_before_the_run(kernel, capsys, tmp_path,
                                                                             where, message):
    trace = str(tmp_path / where) if where else ""
    assert_clean_error(capsys, cli.main(["run", "hello", "--trace", trace]), 2,
                       message.format(tmp=tmp_path))
    assert kernel.calls == []


def test_a_trace_in_an_unwritable_directory_is_a_usage_error(kernel, monkeypatch, capsys, tmp_path):
    # os.access decides, so the test also holds when run as root (who may write anywhere)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: path != tmp_path and real_access(path, mode))
    assert_clean_error(capsys, cli.main(["run", "hello", "--trace", str(tmp_path / "t.json")]), 2,
                       "t.json: cannot write the trace: permission denied")
    assert kernel.calls == []


def test_a_writable_trace_path_reaches_boot(kernel, tmp_path):
    trace = str(tmp_path / "t.json")
    assert cli.main(["run", "hello", "--trace", trace]) == 0
    assert kernel.calls[0]["trace"] == trace


# --- a reader that goes away ----------------------------------------------------------------------

@pytest.mark.parametrize("command", [["run", "hello"], ["grade"]])
def test_a_reader_that_goes_away_ends_quietly_with_141(monkeypatch, capsys, command):
    from pyucore.tools import grade

    def closed_pipe(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "load_boot", lambda: (closed_pipe, BootError))
    monkeypatch.setattr(grade, "grade", closed_pipe)
    monkeypatch.setattr(cli, "_silence_stdout", lambda: None)   # capsys's stdout has no descriptor
    assert cli.main(command) == 141
    assert capsys.readouterr().err == ""


def test_piping_a_run_into_a_reader_that_stops_early_exits_141():
    command = [sys.executable, "-m", "pyucore", "run", "forktree"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        status = proc.wait(timeout=120)
    assert status == 141
    assert err == b""


# --- files that are not what the command takes ------------------------------------------------------

@pytest.mark.parametrize("name, content, message", [
    ("prog.txt", b"int main(void) { return 0; }\n", "prog.txt: not a C source file (the name must end in .c)"),
    ("prog.elf", ELF_BYTES, "prog.elf: is an ELF file, not C source (run it with `pyucore run {path}`)"),
])
def test_cc_of_a_file_that_is_not_c_source_is_one_clear_line(monkeypatch, capsys, tmp_path, name, content,
                                                              message):
    monkeypatch.setattr(build, "compile_c", lambda src, out: pytest.fail("the compiler ran"))
    source = tmp_path / name
    source.write_bytes(content)
    status = cli.main(["cc", str(source)])
    err = capsys.readouterr().err
    assert status == 2 and err == f"pyucore: {tmp_path}/" + message.format(path=source) + "\n"


def test_run_of_an_upper_case_dot_c_file_compiles_it(kernel, fake_compiler, tmp_path):
    source = tmp_path / "TREE.C"
    source.write_text("int main(void) { return 0; }\n")
    assert cli.main(["run", str(source)]) == 0
    assert fake_compiler == [str(source)] and kernel.calls[0]["name"] == "TREE"


def test_a_trace_on_a_full_device_is_one_clear_line(capsys):
    status = cli.main(["run", "hello", "--quiet-boot", "--trace", "/dev/full"])
    assert_clean_error(capsys, status, 2, "pyucore: /dev/full: cannot write the trace: No space left on device")


def elf_with_segments(entry, segments, interpreter=False) -> bytes:
    """A RISC-V 64-bit ELF header with a program header per (vaddr, memsz) PT_LOAD, plus a PT_INTERP."""
    headers = [(1, vaddr, memsz) for vaddr, memsz in segments] + ([(3, 0, 0)] if interpreter else [])
    head = bytearray(elf_header())
    head[24:40] = entry.to_bytes(8, "little") + (64).to_bytes(8, "little")            # e_entry, e_phoff
    head[54:58] = (56).to_bytes(2, "little") + len(headers).to_bytes(2, "little")     # e_phentsize, e_phnum
    table = b"".join(p_type.to_bytes(4, "little") + bytes(12) + vaddr.to_bytes(8, "little") + bytes(16)
                     + memsz.to_bytes(8, "little") + bytes(8) for p_type, vaddr, memsz in headers)
    return bytes(head) + table


@pytest.mark.parametrize("image, why", [
    (elf_with_segments(0x10078, [(0x10000, 0x2000)]), "has its entry point at 0x10078, outside ucore's user space"),
    (elf_with_segments(0x800020, [(0x800000, 0x1000), (0x10000, 0x100)]), "loads a segment at 0x10000"),
    (elf_with_segments(0x800020, [(0x800000, 0x1000)], interpreter=True), "is dynamically linked"),
])
def test_a_linux_elf_gets_a_hint_and_still_runs(kernel, capsys, tmp_path, image, why):
    elf = tmp_path / "linux.elf"
    elf.write_bytes(image)
    assert cli.main(["run", str(elf)]) == 0
    err = capsys.readouterr().err
    assert f"pyucore: note: {elf} {why}" in err and "not for the ucore user ABI" in err
    assert len(kernel.calls) == 1


def test_an_elf_built_for_ucore_gets_no_hint(kernel, capsys, tmp_path):
    elf = tmp_path / "hello.elf"
    elf.write_bytes(build.build_program("hello"))
    assert cli.main(["run", str(elf)]) == 0
    assert capsys.readouterr().err == ""
