"""The marker pairs around the reference code of each blank in pyucore's own kernel."""

import textwrap

import pytest

from pyucore.lab.markers import MarkerError, list_blanks

# The blanks issue 11 asks for, by where they are.
REQUIRED = {
    ("trap/trap.py", "clock_tick", "LAB1 EXERCISE 2"),
    ("schedule/lab5_sched.py", "lab5_proc_tick", "LAB1 EXERCISE 2"),
    ("mm/default_pmm.py", "default_pmm_manager.alloc_pages", "LAB2 EXERCISE 1"),
    ("mm/default_pmm.py", "default_pmm_manager.free_pages", "LAB2 EXERCISE 1"),
    ("mm/vmm.py", "do_pgfault", "LAB3 EXERCISE 1"),
    ("mm/vmm.py", "do_pgfault", "LAB3 EXERCISE 2"),
    ("mm/swap_fifo.py", "_fifo_map_swappable", "LAB3 EXERCISE 2"),
    ("mm/swap_fifo.py", "_fifo_swap_out_victim", "LAB3 EXERCISE 2"),
    ("process/proc.py", "alloc_proc", "LAB4 EXERCISE 1"),
    ("process/proc.py", "do_fork", "LAB4 EXERCISE 2"),
    ("process/proc.py", "proc_run", "LAB4 EXERCISE 3"),
    ("process/proc.py", "alloc_proc", "LAB5 EXERCISE 0"),
    ("process/proc.py", "do_fork", "LAB5 EXERCISE 0"),
    ("process/proc.py", "load_icode", "LAB5 EXERCISE 1"),
    ("mm/pmm.py", "copy_range", "LAB5 EXERCISE 2"),
    ("mm/pmm.py", "copy_range", "LAB5 CHALLENGE"),
    ("mm/vmm.py", "do_cow_page", "LAB5 CHALLENGE"),
}


def test_the_kernel_marks_every_blank_of_the_issue_with_well_formed_pairs():
    blanks = list_blanks()
    assert REQUIRED <= {(b.file, b.function, b.exercise) for b in blanks}
    assert len({b.id for b in blanks}) == len(blanks)


def test_each_blank_carries_its_exercise_and_summary_in_its_message():
    load_icode = next(b for b in list_blanks() if b.function == "load_icode")
    assert load_icode.message == "LAB5 EXERCISE 1: load_icode step 6 - set up the trapframe for user environment"
    assert "SSTATUS_SPP" in load_icode.hint and load_icode.hint.count("\n") == len(load_icode.hint_source) - 1
    assert load_icode.hint_lines[3].startswith("  tf.epc - ")


def _kern(tmp_path, source):
    """A kernel tree holding one file, mm/x.py, with source."""
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "x.py").write_text(textwrap.dedent(source))
    return tmp_path


def _problems(tmp_path, source):
    with pytest.raises(MarkerError) as info:
        list_blanks(_kern(tmp_path, source))
    return str(info.value)


def test_a_begin_without_its_end_is_reported_at_its_line(tmp_path):
    assert _problems(tmp_path, """\
        def f():
            # LAB9:EXERCISE1 BEGIN
            # f - do it
            return 1
        """) == "mm/x.py:2: LAB9:EXERCISE1 BEGIN without its END"


def test_nested_blanks_are_refused(tmp_path):
    assert "blanks do not nest" in _problems(tmp_path, """\
        def f():
            # LAB9:EXERCISE1 BEGIN
            # f - do it
            # LAB9:EXERCISE2 BEGIN
            # g - and this
            return 1
            # LAB9:EXERCISE2 END
            # LAB9:EXERCISE1 END
        """)


def test_a_pair_across_two_functions_is_refused(tmp_path):
    assert "not in the same function" in _problems(tmp_path, """\
        def f():
            # LAB9:EXERCISE1 BEGIN
            # f - do it
            return 1


        def g():
            return 2
            # LAB9:EXERCISE1 END
        """)


def test_two_blanks_with_one_id_are_refused(tmp_path):
    assert "is already the id of the blank at mm/x.py:2" in _problems(tmp_path, """\
        def f():
            # LAB9:EXERCISE1 BEGIN
            # f - do it
            return 1
            # LAB9:EXERCISE1 END


        def g():
            # LAB9:EXERCISE1 BEGIN
            # g - do it
            return 2
            # LAB9:EXERCISE1 END
        """)


def test_a_blank_without_a_hint_is_refused(tmp_path):
    assert "no hint" in _problems(tmp_path, """\
        def f():
            # LAB9:EXERCISE1 BEGIN
            return 1
            # LAB9:EXERCISE1 END
        """)


def test_a_tag_makes_blanks_of_one_exercise_distinct(tmp_path):
    blanks = list_blanks(_kern(tmp_path, """\
        class pmm:
            def f(self):
                # LAB9:EXERCISE1 f BEGIN
                # f - do it
                return 1
                # LAB9:EXERCISE1 f END
        """))
    assert [(b.id, b.exercise, b.function, b.begin, b.end) for b in blanks] == \
        [("LAB9:EXERCISE1 f", "LAB9 EXERCISE 1", "pmm.f", 3, 6)]


def test_a_file_edited_after_it_was_read_is_read_again(tmp_path):
    kern = _kern(tmp_path, """\
        def f():
            # LAB9:EXERCISE1 BEGIN
            # f - do it
            return 1
            # LAB9:EXERCISE1 END
        """)
    assert [b.id for b in list_blanks(kern)] == ["LAB9:EXERCISE1"]
    source = kern / "mm" / "x.py"
    source.write_text(source.read_text().replace("EXERCISE1", "EXERCISE2"))
    assert [b.id for b in list_blanks(kern)] == ["LAB9:EXERCISE2"]
