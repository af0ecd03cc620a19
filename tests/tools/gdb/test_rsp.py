"""Packet framing of the gdb remote protocol: checksums, escapes, acks, interrupts, garbage."""

from pyucore.tools.gdb.rsp import MAX_PACKET, PacketReader, checksum, escape, frame, unescape


def test_frame_carries_the_payload_and_its_checksum():
    assert frame("OK") == b"$OK#9a"
    assert frame("") == b"$#00"


def test_escaped_bytes_come_back_unchanged():
    payload = bytes(range(256)) + b"$#}*"
    escaped = escape(payload)
    assert not any(c in escaped for c in b"$#*")
    assert unescape(escaped) == payload


def test_reader_returns_a_good_packet_unescaped():
    assert PacketReader().feed(frame(b"X10,2:}#")) == [("packet", b"X10,2:}#")]


def test_reader_waits_for_the_rest_of_a_split_packet():
    reader = PacketReader()
    assert reader.feed(b"+$qSupp") == []
    assert reader.feed(b"orted#37") == [("packet", b"qSupported")]


def test_a_wrong_checksum_is_reported_bad_and_the_next_packet_still_read():
    events = PacketReader().feed(b"$g#00$g#67")
    assert events[0][0] == "bad" and "checksum 00" in events[0][1]
    assert events[1] == ("packet", b"g")


def test_a_checksum_that_is_not_hex_is_bad():
    assert PacketReader().feed(b"$g#zz")[0][0] == "bad"


def test_interrupt_and_nak_between_packets_are_events_and_noise_is_skipped():
    events = PacketReader().feed(b"noise\x03+-$?#3f")
    assert events == [("interrupt", None), ("nak", None), ("packet", b"?")]


def test_a_packet_that_never_ends_is_dropped():
    reader = PacketReader()
    assert reader.feed(b"$" + b"a" * (MAX_PACKET + 1))[0] == ("bad", "packet too long")
    assert reader.feed(frame("?")) == [("packet", b"?")]


def test_checksum_is_the_byte_sum_modulo_256():
    assert checksum(b"\xff\x02") == 1
