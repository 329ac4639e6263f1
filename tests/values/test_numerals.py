"""Numbers as card text words them (values/numerals.py)."""

from __future__ import annotations

from sarcoma_cds.values.numerals import ROMAN, every_months, number_words, roman_numeral


def test_roman_numerals_round_trip_the_asa_classes() -> None:
    assert [roman_numeral(n) for n in range(1, 7)] == list(ROMAN)
    assert roman_numeral(7) == "7"
    assert roman_numeral(3.0) == "III"


def test_small_counts_in_words_and_larger_ones_as_digits() -> None:
    assert number_words(4) == "four"
    assert number_words(0) == "zero"
    assert number_words(12) == "12"
    assert number_words(2.5) == "2.5"


def test_intervals_as_a_schedule_says_them() -> None:
    assert every_months(12) == "yearly"
    assert every_months(1) == "monthly"
    assert every_months(6) == "every 6 months"
    assert every_months(1.5) == "every 1.5 months"
