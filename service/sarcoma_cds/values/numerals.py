"""Numbers as card text writes them: Roman numerals (ASA classes), small counts in words ("at
least four cores", as the paper words 3.3) and an interval in months as a schedule says it
("yearly"). One place, so that a parameter rendered in Python and in a rule file reads the same.
"""

from __future__ import annotations

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}
_ROMAN_OF = {v: k for k, v in ROMAN.items()}
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_EVERY = {1: "monthly", 12: "yearly"}


def roman_numeral(n: float) -> str:
    """ASA classes are written I–VI; anything else as the number."""
    return _ROMAN_OF.get(int(n), f"{n:g}") if n == int(n) else f"{n:g}"


def number_words(n: float) -> str:
    """0–10 in words (style: small counts are spelt out), other numbers as digits."""
    return _WORDS[int(n)] if n == int(n) and 0 <= n <= 10 else f"{n:g}"


def every_months(months: float) -> str:
    """An interval in months as a schedule says it: "yearly", "monthly", "every 6 months"."""
    every = f"every {months:g} months"
    return _EVERY.get(int(months), every) if months == int(months) else every
