"""Booting a workspace's kernel: beside the built-in one, and what a student sees when their code fails."""

import shutil

import pytest

from pyucore.api import boot
from pyucore.lab.loader import StudentCodeError, load_kernel
from pyucore.lab.markers import list_blanks
from pyucore.user.build import program_lab, program_names


@pytest.mark.parametrize("program", program_names())
def test_the_solution_kernel_prints_what_the_builtin_kernel_prints(solution_ws, reference_run, program):
    if program_lab(program) == 6:
        # lab6's programs spend their time computing in user mode: both kernels run them on the
        # unicorn CPU (the kernels are compared here, the CPUs in tests/kern/test_backends.py)
        ours = boot(program=program, cpu="unicorn", keep_events=True)
        theirs = boot(program=program, kernel=solution_ws, cpu="unicorn", keep_events=True)
    else:
        ours = reference_run(program)
        theirs = boot(program=program, kernel=solution_ws, keep_events=True)
    assert theirs.console == ours.console
    assert theirs.events == ours.events
    assert (theirs.exit_status, theirs.halt_reason) == (ours.exit_status, ours.halt_reason)


def test_a_workspace_kernel_is_a_package_of_its_own(solution_ws):
    k, builtin = load_kernel(solution_ws), load_kernel(None)
    assert builtin.__name__ == "pyucore.kern" and k.process.proc is not builtin.process.proc
    assert k.process.proc.alloc_proc.__code__.co_filename.startswith(str(solution_ws.resolve()))
    assert load_kernel(solution_ws) is k, "unchanged files are imported once"


def test_both_kernels_booted_in_turn_leave_each_other_alone(solution_ws):
    first = boot(program="forktree", kernel=solution_ws, quiet_boot=True)
    k = load_kernel(solution_ws)
    theirs_after = (len(k.process.proc.hash_list), k.debug.events.events)
    ours = boot(program="exit", quiet_boot=True, keep_events=True)
    assert (len(k.process.proc.hash_list), k.debug.events.events) == theirs_after
    assert load_kernel(None).debug.events.events is None and ours.events, "the caller's view was detached"
    assert boot(program="forktree", kernel=solution_ws, quiet_boot=True).console == first.console


def test_a_fresh_workspace_stops_at_the_first_blank_with_its_message(fresh_ws):
    first = next(b for b in list_blanks() if b.function == "default_pmm_manager.alloc_pages")
    with pytest.raises(StudentCodeError) as info:
        boot(program="hello", kernel=fresh_ws)
    message = str(info.value)
    assert message.startswith(first.message + " (kern/mm/default_pmm.py:")
    assert message.endswith(", alloc_pages)") and "\n" not in message
    assert info.value.blank == first.message
    assert "memory management: default_pmm_manager" in info.value.console


def _workspace_with(tmp_path, solution_ws, rel, old, new):
    """A copy of the solution workspace with one replacement in its file kern/rel."""
    root = tmp_path / "ws"
    shutil.copytree(solution_ws, root)
    path = root / "kern" / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return root, text[:text.index(old)].count("\n") + 1


def test_an_exception_in_student_code_names_their_file_and_line_with_only_their_frames(tmp_path, solution_ws):
    root, line = _workspace_with(tmp_path, solution_ws, "syscall/syscall.py",
                                 "    return P.current.pid\n", "    return P.current.pidd\n")
    with pytest.raises(StudentCodeError) as info:
        boot(program="hello", kernel=root, quiet_boot=True)
    first, *trace = str(info.value).splitlines()
    assert first == ("kern/syscall/syscall.py:%d: AttributeError: 'proc_struct' object has no attribute "
                     "'pidd' (in sys_getpid)" % line)
    assert trace[0] == "Traceback of your kernel (most recent call last):"
    assert trace[1].startswith("  ... ") and trace[1].endswith(" earlier calls in your kernel")
    places = [t.strip() for t in trace[2:] if t.startswith("  kern/")]
    assert places[-2].startswith("kern/syscall/syscall.py:") and places[-2].endswith(", in syscall")
    assert places[-1] == "kern/syscall/syscall.py:%d, in sys_getpid" % line
    assert len(places) == 8 and all(t.startswith(("  kern/", "    ")) for t in trace[2:])
    assert info.value.location == ("kern/syscall/syscall.py", line)
    assert info.value.console.endswith("Hello world!!.\n"), "what was printed before is kept"


def test_a_syntax_error_is_one_message_at_its_file_and_line(tmp_path, solution_ws):
    root, line = _workspace_with(tmp_path, solution_ws, "mm/vmm.py",
                                 "def find_vma(mm, addr):\n", "def find_vma(mm, addr)\n")
    with pytest.raises(StudentCodeError) as info:
        boot(program="hello", kernel=root)
    assert str(info.value).splitlines()[0] == "kern/mm/vmm.py:%d: SyntaxError: expected ':'" % line
    assert "Traceback" not in str(info.value)


def test_an_error_while_their_kernel_is_imported_names_their_line(tmp_path, solution_ws):
    root, line = _workspace_with(tmp_path, solution_ws, "libs/stdio.py",
                                 "def cputchar(c):\n", "WIDTH = COLUMNS\n\n\ndef cputchar(c):\n")
    with pytest.raises(StudentCodeError) as info:
        boot(program="hello", kernel=root)
    assert str(info.value).splitlines()[0] == \
        "kern/libs/stdio.py:%d: NameError: name 'COLUMNS' is not defined (in <module>)" % line


def test_their_kernel_is_called_kern_in_messages_not_by_its_package_name(tmp_path, solution_ws):
    root, _ = _workspace_with(tmp_path, solution_ws, "syscall/syscall.py",
                              "    return P.current.pid\n", "    return P.currrent.pid\n")
    with pytest.raises(StudentCodeError) as info:
        boot(program="hello", kernel=root)
    assert "module 'kern.process.proc' has no attribute 'currrent'" in str(info.value).splitlines()[0]


def test_a_student_proc_tick_is_called_at_every_tick_as_it_happens(tmp_path, solution_ws):
    # pyucore's run loop may run past the ticks its own quiet_ticks calls quiet; a student's proc_tick
    # that ends every turn after one tick must be obeyed at that tick, not a few ticks later.
    root, _ = _workspace_with(tmp_path, solution_ws, "schedule/default_sched.py",
                              "    if proc.time_slice == 0:\n        proc.need_resched = 1\n",
                              "    proc.need_resched = 1\n")
    result = boot(program="spin", kernel=root, sched="rr", keep_events=True, quiet_boot=True)
    picks = sum(1 for e in result.events if e["kind"] == "pick")
    assert picks >= result.stats["ticks"] > 0
