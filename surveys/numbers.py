"""Stored numeric answers read back as numbers, and numbers written as plain text.

An accepted numeric answer is stored in a response's JSON as an int or as the decimal's
text ("12.5"); every reader turns it back into a Decimal here, and every writer of a
number as text (the CSV, a cell holding an exact value as text, the running totals on
the form) writes it without exponent or trailing zeros here.
"""

from __future__ import annotations

from decimal import Decimal


def stored_number(value: object) -> Decimal | None:
    """A stored numeric answer as a Decimal; None when there is none or it is no number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def number_or_zero(value: object) -> Decimal:
    """A stored answer (an int or a decimal's text) to add up; 0 for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return Decimal(0)
    return stored_number(value) or Decimal(0)


def plain_number(value: Decimal) -> str:
    """The number as plain text: 1234.5, never 1.2345E+3, never 1234.50."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
