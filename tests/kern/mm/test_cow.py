"""Copy-on-write fork: isolation, kernel stores into shared pages, counts, and out-of-memory."""

import pytest

from pyucore.api import boot
from pyucore.user.build import program_names


@pytest.mark.parametrize("cow", [True, False])
def test_parent_children_and_grandchildren_each_see_their_own_writes(run_c, cow):
    result = run_c("cowiso", cow=cow)
    assert "SOMEONE ELSE" not in result.console
    assert "cowiso pass." in result.console and "init check memory pass." in result.console


@pytest.mark.parametrize("cow", [True, False])
def test_wait_storing_into_a_shared_page_is_not_seen_by_the_running_child(run_c, cow):
    result = run_c("cowwait", cow=cow)
    assert "watcher sees code = 1234" in result.console
    assert "cowwait pass." in result.console


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name == "testbss" else name
                                  for name in program_names(lab=5)])
def test_every_program_prints_the_same_with_and_without_cow(reference_run, name):
    with_cow, without = reference_run(name, cow=True), reference_run(name, cow=False)
    assert with_cow.console == without.console
    assert with_cow.stats["pages_allocated"] - with_cow.stats["pages_freed"] == \
        without.stats["pages_allocated"] - without.stats["pages_freed"]


def test_cow_copies_only_the_pages_that_are_written(reference_run):
    cow, eager = reference_run("forktest", cow=True).stats, reference_run("forktest", cow=False).stats
    assert cow["pages_copied_by_fork"] == 0
    assert eager["pages_copied_by_fork"] >= 32 * 6
    assert 0 < cow["cow_copies"] <= cow["cow_faults"] < eager["pages_copied_by_fork"]
    assert cow["pages_allocated"] < eager["pages_allocated"]


def test_running_out_of_memory_in_a_cow_break_kills_only_that_process(run_c):
    result = run_c("cowoom", ram_mib=8)
    assert result.exit_status == 0, result.halt_reason
    assert "child copied everything!" not in result.console
    assert "pid 3 (cowoom) killed: store page fault at 0x" in result.console
    assert "child exit code -9, parent still sees 1" in result.console
    assert "init check memory pass." in result.console


@pytest.mark.parametrize("cow", [True, False])
def test_a_child_that_execs_leaves_the_parents_pages_alone(tmp_path, cow):
    import shutil

    from kernel_helpers import PROGRAMS
    from pyucore.user.build import build_c, build_program
    for name in ("cowexec.c", "rawsys.h"):
        shutil.copy(PROGRAMS / name, tmp_path / name)
    image = build_program("hello")
    (tmp_path / "hello_elf.h").write_text(
        "static const unsigned char hello_elf[] = {%s};\n" % ",".join(str(b) for b in image))
    result = boot(elf=build_c(str(tmp_path / "cowexec.c")), name="cowexec", cow=cow, quiet_boot=True)
    assert result.exit_status == 0, result.halt_reason
    assert "Hello world!!.\nI am process 3.\nhello pass.\n" in result.console
    assert "child exit code 0" in result.console and "cowexec pass." in result.console
    assert "init check memory pass." in result.console
