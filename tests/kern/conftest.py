"""Fixtures for kernel tests: building and booting the C test programs of tests/kern/programs."""

import pytest

from kernel_helpers import PROGRAMS
from pyucore.api import boot
from pyucore.user.build import build_c


@pytest.fixture(scope="session")
def program_elf():
    """Builds a test C program from tests/kern/programs by stem; cached by the toolchain."""
    def build(stem):
        return build_c(str(PROGRAMS / (stem + ".c")))
    return build


@pytest.fixture
def run_c(program_elf):
    """Boots a test C program (by stem) with boot()'s keyword options; returns the BootResult."""
    def run(stem, **options):
        options.setdefault("quiet_boot", True)
        return boot(elf=program_elf(stem), name=stem, **options)
    return run
