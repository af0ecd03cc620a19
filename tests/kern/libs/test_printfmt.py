import pytest

from pyucore.kern.libs import error
from pyucore.kern.libs.printfmt import error_string, printfmt, vprintfmt


def test_plain_text_passes_through_unchanged():
    assert vprintfmt("hello pass.\n", ()) == "hello pass.\n"


def test_percent_percent_prints_one_percent_sign():
    assert printfmt("100%%") == "100%"


def test_hex_without_l_prints_only_the_low_32_bits():
    assert printfmt("entry  0x%08x (virtual)", 0xFFFFFFFFC020003E) == "entry  0xc020003e (virtual)"


def test_decimal_without_l_reads_a_signed_32_bit_int():
    assert printfmt("%d", 0xFFFFFFFF) == "-1"
    assert printfmt("%d", 0x1_0000_0005) == "5"


def test_unsigned_without_l_reads_an_unsigned_32_bit_int():
    assert printfmt("%u", -1) == "4294967295"


def test_i_is_the_same_as_d():
    assert printfmt("%i", -7) == "-7"


def test_long_decimal_reads_64_bits():
    assert printfmt("%ld", 1 << 40) == "1099511627776"
    assert printfmt("%ld", 0xFFFFFFFFFFFFFFFF) == "-1"


def test_long_hex_of_a_negative_number_prints_its_64_bit_twos_complement():
    assert printfmt("%lx", -1) == "ffffffffffffffff"
    assert printfmt("%lx", -2) == "fffffffffffffffe"


def test_long_long_reads_64_bits_too():
    assert printfmt("%llu", -1) == "18446744073709551615"
    assert printfmt("%llx", 1 << 63) == "8000000000000000"


def test_va_pa_offset_prints_as_in_the_boot_transcript():
    assert printfmt("%lu", 0xFFFFFFFF40000000) == "18446744070488326144"


def test_octal_conversion():
    assert printfmt("%o", 8) == "10"


def test_uppercase_hex_conversion():
    assert printfmt("%X", 0xABC) == "ABC"


def test_pointer_prints_0x_and_the_full_64_bit_hex_without_padding():
    assert printfmt("trapframe at %p", 0xFFFFFFFFC04B7EE0) == "trapframe at 0xffffffffc04b7ee0"
    assert printfmt("%p", 0x800020) == "0x800020"


def test_null_pointer_prints_0x0():
    assert printfmt("%p", None) == "0x0"
    assert printfmt("%p", 0) == "0x0"


def test_zero_padding_fills_with_zeros():
    assert printfmt("%04x", 2) == "0002"
    assert printfmt("%08x", 0x46020) == "00046020"


def test_width_pads_with_spaces_on_the_left():
    assert printfmt("[%5d]", 42) == "[   42]"
    assert printfmt("[%5s]", "ab") == "[   ab]"


def test_minus_flag_left_justifies():
    assert printfmt("[%-5d]", 42) == "[42   ]"
    assert printfmt("[%-9s]", "ra") == "[ra       ]"


def test_minus_flag_wins_over_zero_flag():
    assert printfmt("[%-05d]", 7) == "[7    ]"


def test_zero_padding_of_a_negative_number_goes_after_the_sign():
    assert printfmt("%05d", -42) == "-0042"


def test_width_narrower_than_the_text_does_not_truncate():
    assert printfmt("%2d", 12345) == "12345"


def test_star_width_reads_the_width_from_the_arguments():
    assert printfmt("[%*d]", 4, 7) == "[   7]"


def test_negative_star_width_left_justifies():
    assert printfmt("[%*d]", -4, 7) == "[7   ]"


def test_precision_truncates_a_string():
    assert printfmt("%.3s", "abcdef") == "abc"


def test_precision_gives_the_minimum_number_of_digits():
    assert printfmt("%.5d", 42) == "00042"


def test_hash_flag_adds_the_base_prefix():
    assert printfmt("%#x %#o", 255, 8) == "0xff 010"


def test_char_conversion_accepts_an_int_or_a_one_character_string():
    assert printfmt("%c%c", 65, "b") == "Ab"


def test_char_conversion_uses_the_low_8_bits():
    assert printfmt("%c", 0x141) == "A"


def test_string_conversion_of_none_prints_null():
    assert printfmt("%s", None) == "(null)"


def test_string_conversion_decodes_bytes():
    assert printfmt("%s", b"hello") == "hello"


def test_error_conversion_names_negative_and_positive_codes():
    assert printfmt("handle pgfault failed. %e", -error.E_INVAL) == "handle pgfault failed. invalid parameter"
    assert printfmt("%e", error.E_NO_MEM) == "out of memory"


@pytest.mark.parametrize("code, name", [
    (1, "unspecified error"), (2, "bad process"), (3, "invalid parameter"), (4, "out of memory"),
    (5, "out of processes"), (6, "segmentation fault"), (8, "invalid elf file"), (9, "process is killed"),
    (10, "panic failure"),
])
def test_every_named_error_prints_its_name(code, name):
    assert error_string(code) == name
    assert error_string(-code) == name


def test_swap_fault_and_codes_past_maxerror_print_error_n():
    assert printfmt("%e", -error.E_SWAP_FAULT) == "error 7"
    assert printfmt("%e", 11) == "error 11"
    assert printfmt("%e", -42) == "error 42"


def test_error_numbers_match_ucore():
    assert (error.E_UNSPECIFIED, error.E_BAD_PROC, error.E_INVAL, error.E_NO_MEM, error.E_NO_FREE_PROC,
            error.E_FAULT, error.E_SWAP_FAULT, error.E_INVAL_ELF, error.E_KILLED, error.E_PANIC,
            error.MAXERROR) == (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10)


def test_register_dump_line_matches_the_original_format():
    assert printfmt("  %-9s0x%08x\n", "ra", 0x8000DA) == "  ra       0x008000da\n"


def test_several_conversions_consume_arguments_in_order():
    assert printfmt('kernel_execve: pid = %d, name = "%s".', 2, "hello") == \
        'kernel_execve: pid = 2, name = "hello".'


def test_unknown_verb_is_printed_as_written():
    assert printfmt("%q and %") == "%q and %"


def test_extra_arguments_are_ignored():
    assert printfmt("%d", 1, 2) == "1"


def test_missing_argument_raises_value_error():
    with pytest.raises(ValueError, match="needs more"):
        printfmt("%d %d", 1)


def test_integer_conversion_of_a_non_integer_raises_type_error():
    with pytest.raises(TypeError):
        printfmt("%d", "12")


def test_bool_is_accepted_as_an_integer():
    assert printfmt("%d", True) == "1"
