"""Stored numeric answers read back as numbers, and numbers written as plain text, the
same way for the report page, the workbook, the CSV and the form's running totals."""

from __future__ import annotations

from decimal import Decimal

from surveys.numbers import number_or_zero, plain_number, stored_number


def test_a_stored_answer_reads_back_exactly() -> None:
    assert stored_number(12) == Decimal(12)
    assert stored_number("12.5") == Decimal("12.5")
    assert stored_number("0.000001") == Decimal("0.000001")
    assert stored_number("123456789012345") == Decimal("123456789012345")


def test_no_answer_or_a_non_number_is_no_number() -> None:
    for value in (None, True, False, "", "abc", "NaN", "Infinity", "-inf", [], {}):
        assert stored_number(value) is None, value


def test_a_sum_counts_only_stored_answers() -> None:
    assert number_or_zero("2.5") + number_or_zero(3) == Decimal("5.5")
    for value in (None, True, "abc", "NaN", 1.5, [1]):
        assert number_or_zero(value) == 0, value


def test_numbers_are_written_without_exponent_or_trailing_zeros() -> None:
    assert plain_number(Decimal("1.2345E+3")) == "1234.5"
    assert plain_number(Decimal("100")) == "100"
    assert plain_number(Decimal("1E+2")) == "100"
    assert plain_number(Decimal("12.500")) == "12.5"
    assert plain_number(Decimal("0.000001")) == "0.000001"
    assert plain_number(Decimal("-0.50")) == "-0.5"
