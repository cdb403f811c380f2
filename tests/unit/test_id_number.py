"""ID-card numbers (居民身份证号码) are checked with the GB 11643 checksum; fake region prefix 990000."""

from __future__ import annotations

from models.validation import id_check_character, normalise_id_number


def test_check_character_follows_the_weighted_sum_mod_11():
    # 9·7 + 9·9 + 1·2 + 9·1 + 8·6 + 1·3 + 2·9 + 3·5 + 1·2 = 241; 241 mod 11 = 10 → '2'
    assert id_check_character("99000019810203001") == "2"


def test_a_number_with_the_right_check_digit_is_valid():
    assert normalise_id_number("990000198102030012") == "990000198102030012"


def test_a_wrong_check_digit_is_refused():
    assert normalise_id_number("990000198102030013") is None


def test_x_is_a_check_digit_and_lower_case_x_is_raised():
    # the weighted sum is 321; 321 mod 11 = 2 → 'X'
    assert normalise_id_number("99000019860713006X") == "99000019860713006X"
    assert normalise_id_number(" 99000019860713006x ") == "99000019860713006X"


def test_x_anywhere_but_last_is_refused():
    assert normalise_id_number("9900001986071300X6") is None


def test_wrong_length_is_refused():
    assert normalise_id_number("99000019810203001") is None
    assert normalise_id_number("9900001981020300120") is None
    assert normalise_id_number("990000810203001") is None  # the old 15-digit form
