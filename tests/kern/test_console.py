"""The console: bytes from user programs, decoded as a terminal would."""

import io

from pyucore.api import boot
from pyucore.user.build import build_c

from kernel_helpers import PROGRAMS


def test_utf8_text_printed_byte_by_byte_reads_as_text():
    result = boot(elf=build_c(str(PROGRAMS / "utf8.c")), name="utf8", quiet_boot=True)
    assert "héllo wörld ✓ 日本\n" in result.console


def test_the_live_stream_gets_the_same_text_as_the_console():
    stream = io.StringIO()
    result = boot(elf=build_c(str(PROGRAMS / "utf8.c")), name="utf8", quiet_boot=True, console=stream)
    assert stream.getvalue() == result.console


def test_a_stream_that_cannot_encode_a_character_gets_an_escape_instead():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    boot(elf=build_c(str(PROGRAMS / "utf8.c")), name="utf8", quiet_boot=True, console=stream)
    stream.flush()
    assert b"h\\xe9llo" in raw.getvalue()


def test_a_run_stopped_in_mid_line_records_that_last_line_as_a_console_event():
    result = boot(elf=build_c(str(PROGRAMS / "midline.c")), name="midline", quiet_boot=True,
                  max_insns=200000, html="/dev/null")
    lines = [e["text"] for e in result.events if e["kind"] == "console"]
    assert result.exit_status == 3 and result.console.endswith("a whole line\nhalf a line")
    assert lines[-2:] == ["a whole line", "half a line"]
