"""The lab side of the `pyucore` command: `lab init`, and `run` on a workspace's kernel."""

import pytest

from pyucore.lab.markers import list_blanks
from pyucore.lab.workspace import MARKER, init_workspace, lab_blanks
from pyucore.tools import cli


def test_lab_init_writes_a_workspace_and_says_what_to_do_next(tmp_path, capsys):
    assert cli.main(["lab", "init", str(tmp_path / "mylab")]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "mylab" / MARKER).is_file() and (tmp_path / "mylab" / "kern" / "init" / "init.py").is_file()
    assert "blanks to fill" in out and out.rstrip().endswith("&& pyucore run hello")


def test_lab_init_for_lab6_counts_lab6s_blanks_and_suggests_the_priority_program(tmp_path, capsys):
    assert cli.main(["lab", "init", str(tmp_path / "lab6"), "--lab", "lab6"]) == 0
    out = capsys.readouterr().out
    assert f": {len(lab_blanks(list_blanks(), 6))} blanks to fill" in out
    assert out.rstrip().endswith("&& pyucore run priority")
    assert "lab = 6" in (tmp_path / "lab6" / MARKER).read_text()


def test_lab_init_refuses_a_directory_that_is_not_empty_in_one_line(tmp_path, capsys):
    (tmp_path / "mine.py").write_text("x = 1\n")
    assert cli.main(["lab", "init", str(tmp_path)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not empty" in err and "Traceback" not in err


def test_run_inside_a_fresh_workspace_names_it_then_stops_at_the_first_blank(fresh_ws, monkeypatch, capsys):
    monkeypatch.chdir(fresh_ws / "kern")
    assert cli.main(["run", "hello", "--quiet-boot"]) == cli.EXIT_STUDENT_CODE
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "pyucore: using the lab kernel in %s (pyucore lab workspace)" % fresh_ws.resolve()
    assert err[1].startswith("pyucore: LAB2 EXERCISE 1: default_alloc_pages - ")
    assert err[1].endswith(", alloc_pages)") and len(err) == 2


def test_run_with_kernel_runs_that_workspace_with_its_copy_on_write_setting(solution_ws, monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "load_boot", lambda: (lambda **kw: calls.append(kw) or _Halted(), ValueError))
    assert cli.main(["run", "hello", "--kernel", str(solution_ws)]) == 0
    assert calls[0]["kernel"] == solution_ws.resolve() and "cow" not in calls[0]
    assert cli.main(["run", "hello", "--kernel", str(solution_ws), "--cow"]) == 0
    assert calls[1]["cow"] is True


class _Halted:
    console, events, stats, exit_status, halt_reason = "", [], {}, 0, "halt"


def test_run_with_a_kernel_that_is_not_a_workspace_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["run", "hello", "--kernel", str(tmp_path)]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "not a pyucore lab workspace" in err and "Traceback" not in err


def test_cow_and_no_cow_cannot_be_given_together(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "hello", "--cow", "--no-cow"])


def test_lab_status_counts_the_blanks_still_to_do(tmp_path, capsys):
    blanks = lab_blanks(list_blanks(), 5)
    root = init_workspace(tmp_path / "ws", empty=[blanks[0].id])
    assert cli.main(["lab", "status", "--kernel", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "%d of %d blanks filled" % (len(blanks) - 1, len(blanks))
    assert [line.split()[0] for line in lines[:-1]].count("to") == 1
    assert lines[0].startswith("to do ") and ("kern/%s:" % blanks[0].file) in lines[0]


def test_lab_status_outside_a_workspace_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab", "status"]) == cli.EXIT_USAGE
    assert "not in a lab workspace" in capsys.readouterr().err
