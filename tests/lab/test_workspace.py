"""Writing a lab workspace, reading its settings, and finding it from where a command runs."""

import pytest

from pyucore.lab import LabError
from pyucore.lab.markers import KERN_DIR, kernel_files, list_blanks
from pyucore.lab.workspace import (
    MARKER, blank_status, find_workspace, init_workspace, lab_blanks, read_settings, resolve_kernel,
)


def test_a_fresh_workspace_holds_every_kernel_file_with_each_blank_replaced_by_its_hint_and_raise(fresh_ws):
    blanks = lab_blanks(list_blanks(), 5)
    for path, rel in kernel_files(KERN_DIR):
        written = (fresh_ws / "kern" / rel).read_text()
        for blank in (b for b in blanks if b.file == rel):
            assert "raise NotImplementedError(%r)" % blank.message in written
            assert "\n".join(blank.empty_lines()) in written
            assert "\n".join(line for line in blank.body if line.strip()) not in written
    assert (fresh_ws / "README.md").read_text().count("(blank `") == len(blanks)
    assert "Answer:" in (fresh_ws / "report.md").read_text()
    assert (fresh_ws / "user" / "programs" / "forktest.c").is_file()
    assert (fresh_ws / "user" / "libs" / "syscall.c").is_file()
    assert (fresh_ws / ".gitignore").read_text() == "__pycache__/\n"


def test_the_solution_workspace_is_the_reference_kernel_byte_for_byte(solution_ws):
    for path, rel in kernel_files(KERN_DIR):
        assert (solution_ws / "kern" / rel).read_bytes() == path.read_bytes(), rel


def test_empty_leaves_exactly_the_named_blanks_empty(tmp_path):
    blanks = lab_blanks(list_blanks(), 5)
    target = next(b for b in blanks if b.function == "load_icode")
    root = init_workspace(tmp_path / "ws", empty=[target.id])
    raising = [b for b in blanks
               if "raise NotImplementedError(%r)" % b.message in (root / "kern" / b.file).read_text()]
    assert raising == [target]


def test_an_unknown_blank_id_is_refused(tmp_path):
    with pytest.raises(LabError, match="unknown blank 'LAB9:EXERCISE9'"):
        init_workspace(tmp_path / "ws", empty=["LAB9:EXERCISE9"])


def test_a_directory_that_is_not_empty_is_refused_and_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("my work")
    with pytest.raises(LabError) as info:
        init_workspace(tmp_path)
    assert "\n" not in str(info.value) and "is not empty" in str(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_copy_on_write_starts_off_for_a_student_and_on_in_the_solution(fresh_ws, solution_ws):
    assert read_settings(fresh_ws) == {"cow": False, "lab": 5}
    assert read_settings(solution_ws) == {"cow": True, "lab": 5}


def test_a_bad_setting_names_its_file_and_line(tmp_path):
    (tmp_path / MARKER).write_text("pyucore = 0.1.0\ncow = maybe\n")
    with pytest.raises(LabError, match=r"\.pyucore-lab:2: cow must be on or off, not 'maybe'"):
        read_settings(tmp_path)
    (tmp_path / MARKER).write_text("lab = 7\n")
    with pytest.raises(LabError, match=r"\.pyucore-lab:1: lab must be 5 or 6, not '7'"):
        read_settings(tmp_path)


def test_a_lab5_workspace_keeps_lab6s_code_and_a_lab6_workspace_empties_only_lab6s_blanks(fresh_ws, tmp_path):
    lab6 = init_workspace(tmp_path / "lab6", lab=6)
    assert read_settings(lab6) == {"cow": True, "lab": 6}
    for root, lab in ((fresh_ws, 5), (lab6, 6)):
        status = blank_status(root)
        assert status and all(blank.lab in ((1, 2, 3, 4, 5) if lab == 5 else (6,)) for blank, _ in status)
        assert not any(filled for _, filled in status)
    emptied = [b for b in list_blanks() if "raise NotImplementedError(%r)" % b.message
               in (lab6 / "kern" / b.file).read_text()]
    assert {b.function for b in emptied} == {
        "RR_enqueue", "RR_dequeue", "RR_pick_next", "RR_proc_tick", "clock_tick", "big_stride",
        "stride_init", "stride_enqueue", "stride_dequeue", "stride_pick_next"}
    assert "pyucore lab 6: scheduling" in (lab6 / "README.md").read_text()


def test_a_lab6_workspace_stops_at_its_first_blank_and_its_solution_runs_priority(tmp_path):
    from pyucore.api import boot
    from pyucore.lab.loader import StudentCodeError
    with pytest.raises(StudentCodeError, match="LAB6 EXERCISE 1"):
        boot(program="hello", sched="rr", kernel=str(init_workspace(tmp_path / "todo", lab=6)))
    solution = init_workspace(tmp_path / "done", lab=6, solution=True)
    result = boot(program="priority", kernel=str(solution), cpu="unicorn", quiet_boot=True)
    assert "stride sched correct result: 1 2 3 4 5" in result.console


def test_the_workspace_is_found_from_a_subdirectory_and_named_in_one_line(fresh_ws):
    below = fresh_ws / "kern" / "mm"
    assert find_workspace(below) == fresh_ws.resolve()
    kernel, note = resolve_kernel(None, below)
    assert kernel == fresh_ws.resolve()
    assert note.startswith("using the lab kernel in ") and note.endswith("(pyucore lab workspace)")


def test_outside_a_workspace_the_builtin_kernel_is_used(tmp_path):
    assert resolve_kernel(None, tmp_path) == (None, None)


def test_kernel_option_must_name_a_workspace(tmp_path, fresh_ws):
    assert resolve_kernel(str(fresh_ws), tmp_path) == (fresh_ws.resolve(), None)
    with pytest.raises(LabError, match="not a pyucore lab workspace"):
        resolve_kernel(str(tmp_path), tmp_path)
