"""Turning what a secretary typed into checked answer values, one question at a time.

Secretaries fill in reports on phones with Chinese input methods, so the same number
arrives as "1,234", "１，２３４" or " 1234 ". Everything here accepts what people really
type, refuses what is not a clear answer, and never guesses: a refused answer comes back
with a Problem that says what to fix, in the words the page shows next to the field.

Pure Python: no database and no HTTP, so autosave, submit, the spreadsheet import of
answers and the tests all share one set of rules. check_answer() returns the value in
the shape it is stored in (JSON: numbers as int or as an exact decimal string, dates as
ISO strings, choices as their values) or None when nothing was answered, which is not a
mistake: a draft may be half empty, and missing_required() says what submit still needs.
"""

from __future__ import annotations

from surveys.answer_checks.checking import (
    check_answer,
    is_answered,
    missing_required,
)
from surveys.answer_checks.problems import (
    ABOVE_MAX,
    BELOW_MIN,
    DATE_OUT_OF_RANGE,
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_ROWS,
    DUPLICATE_CHOICE,
    EXPONENT,
    IMPOSSIBLE_DATE,
    INVALID,
    INVALID_DATE,
    INVALID_FILE,
    INVALID_ROW,
    MAX_DECIMAL_PLACES,
    MAX_MAGNITUDE,
    MAX_SIGNIFICANT_DIGITS,
    MAX_YEAR,
    MIN_YEAR,
    MISPLACED_SEPARATOR,
    NOT_A_CHOICE,
    NOT_A_NUMBER,
    NOT_WHOLE,
    NOT_YES_NO,
    REQUIRED,
    TOO_FEW_CHOICES,
    TOO_FEW_ROWS,
    TOO_LARGE,
    TOO_LONG,
    TOO_MANY_CHOICES,
    TOO_MANY_DECIMALS,
    TOO_MANY_DIGITS,
    TOO_MANY_ROWS,
    TOO_SHORT,
    UNKNOWN_COLUMN,
    CheckedAnswer,
    Problem,
)
from surveys.answer_checks.values import (
    parse_number,
)

__all__ = [
    "ABOVE_MAX",
    "BELOW_MIN",
    "DATE_OUT_OF_RANGE",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_MAX_ROWS",
    "DUPLICATE_CHOICE",
    "EXPONENT",
    "IMPOSSIBLE_DATE",
    "INVALID",
    "INVALID_DATE",
    "INVALID_FILE",
    "INVALID_ROW",
    "MAX_DECIMAL_PLACES",
    "MAX_MAGNITUDE",
    "MAX_SIGNIFICANT_DIGITS",
    "MAX_YEAR",
    "MIN_YEAR",
    "MISPLACED_SEPARATOR",
    "NOT_A_CHOICE",
    "NOT_A_NUMBER",
    "NOT_WHOLE",
    "NOT_YES_NO",
    "REQUIRED",
    "TOO_FEW_CHOICES",
    "TOO_FEW_ROWS",
    "TOO_LARGE",
    "TOO_LONG",
    "TOO_MANY_CHOICES",
    "TOO_MANY_DECIMALS",
    "TOO_MANY_DIGITS",
    "TOO_MANY_ROWS",
    "TOO_SHORT",
    "UNKNOWN_COLUMN",
    "CheckedAnswer",
    "Problem",
    "check_answer",
    "is_answered",
    "missing_required",
    "parse_number",
]
