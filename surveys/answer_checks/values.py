"""Checking one typed answer of each kind: numbers, text, choices, yes/no, dates and files."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from surveys.answer_checks.problems import (
    ABOVE_MAX,
    BELOW_MIN,
    DATE_OUT_OF_RANGE,
    DEFAULT_MAX_CHARS,
    DUPLICATE_CHOICE,
    EXPONENT,
    IMPOSSIBLE_DATE,
    INVALID,
    INVALID_DATE,
    INVALID_FILE,
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
    TOO_FEW_CHOICES,
    TOO_LARGE,
    TOO_LONG,
    TOO_MANY_CHOICES,
    TOO_MANY_DECIMALS,
    TOO_MANY_DIGITS,
    TOO_SHORT,
    CheckedAnswer,
    Problem,
    _problem,
    _refused,
)
from surveys.numbers import plain_number
from surveys.schema import Question, QuestionType

# -- numbers ---------------------------------------------------------------------------------

# Full-width forms U+FF01..U+FF5E are printable ASCII shifted by 0xFEE0 (U+FF10 is a
# full-width 0, U+FF0C a full-width comma, U+FF0D a full-width minus); Chinese input
# methods produce them. U+2212 is the typographic minus sign.
_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x2212: ord("-")}
# Spaces a phone or a pasted spreadsheet may put between digit groups: no-break,
# thin, narrow no-break and the ideographic (full-width) space U+3000.
_GROUP_SPACES = {code: ord(" ") for code in (0x00A0, 0x2009, 0x202F, 0x3000)}

# One separator throughout, between proper groups of three: 1,234,567 or 1 234 567.
_NUMBER = re.compile(
    r"(?P<sign>[+-]?)"
    r"(?P<int>[0-9]+|[0-9]{1,3}(?P<sep>[, ])[0-9]{3}(?:(?P=sep)[0-9]{3})*)"
    r"(?:\.(?P<frac>[0-9]+))?"
)
_LOOSE_NUMBER = re.compile(r"[+-]?[0-9][0-9, ]*(?:\.[0-9]+)?")
_EXPONENT = re.compile(r"[+-]?[0-9.]+[eE][+-]?[0-9]+")


def parse_number(text: str, *, integer: bool) -> int | Decimal | Problem | None:
    """The number typed in `text`: an int for an integer question, else an exact Decimal.

    None when nothing but spaces was typed (no answer is not a mistake). A Problem, with
    an empty question key, when the text is not a number a person could mean exactly:
    letters, exponents, NaN or infinity, commas in the wrong place (is "12,34" 12.34 or
    1234?), or more precision or size than a report needs. "12.00" is a whole number
    (spreadsheets paste it that way); "12.5" for an integer question is refused.
    """
    cleaned = text.translate(_TO_ASCII).translate(_GROUP_SPACES).strip()
    if not cleaned:
        return None
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        if _EXPONENT.fullmatch(cleaned):
            return _problem("exponent", EXPONENT)
        if _LOOSE_NUMBER.fullmatch(cleaned):
            return _problem("misplaced_separator", MISPLACED_SEPARATOR)
        return _problem("not_a_number", NOT_A_NUMBER)
    whole = re.sub("[, ]", "", match["int"])
    # "12.50" means 12.5; trailing zeros are not precision a report asks for.
    fraction = (match["frac"] or "").rstrip("0")
    if integer and fraction:
        return _problem("not_whole", NOT_WHOLE)
    if len(fraction) > MAX_DECIMAL_PLACES:
        return _problem("too_many_decimals", TOO_MANY_DECIMALS, count=MAX_DECIMAL_PLACES)
    value = Decimal(f"{match['sign']}{whole}.{fraction}" if fraction else match["sign"] + whole)
    if abs(value) > MAX_MAGNITUDE:
        return _problem("too_large", TOO_LARGE, limit=f"{MAX_MAGNITUDE:,}")
    if len((whole + fraction).lstrip("0")) > MAX_SIGNIFICANT_DIGITS:
        return _problem("too_many_digits", TOO_MANY_DIGITS, count=MAX_SIGNIFICANT_DIGITS)
    # Adding zero turns "-0" into 0, so a typed minus never shows up on a zero.
    return int(value) if integer else value + 0


def _check_number(question: Question, raw: object) -> CheckedAnswer:
    integer = question.type == QuestionType.INTEGER
    if raw is None:
        return CheckedAnswer(None)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        return _refused(question, _problem("invalid", INVALID))
    # A float from a JSON client goes through its shortest repr, so 0.1 stays 0.1 and
    # 1e+20 is refused like a typed exponent.
    parsed = parse_number(raw if isinstance(raw, str) else str(raw), integer=integer)
    if parsed is None:
        return CheckedAnswer(None)
    if isinstance(parsed, Problem):
        return _refused(question, parsed)
    if question.min is not None and parsed < question.min:
        return _refused(question, _problem("below_min", BELOW_MIN, min=plain_number(question.min)))
    if question.max is not None and parsed > question.max:
        return _refused(question, _problem("above_max", ABOVE_MAX, max=plain_number(question.max)))
    return CheckedAnswer(parsed if isinstance(parsed, int) else plain_number(parsed))


# -- text ------------------------------------------------------------------------------------

# Control characters other than tab and line feed: invisible, break exports, and NUL
# cannot be stored in PostgreSQL text at all. Direction overrides go too: they make text
# read other than it is (报告\u202efdp.exe shows as 报告exe.pdf), as in intranet.form_fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _check_text(question: Question, raw: object) -> CheckedAnswer:
    if raw is None:
        return CheckedAnswer(None)
    if not isinstance(raw, str):
        return _refused(question, _problem("invalid", INVALID))
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if question.type == QuestionType.SHORT_TEXT:
        # A one-line field: a line break here came from pasting, not from meaning.
        text = re.sub(r"\s*\n\s*", " ", text)
    text = _CONTROL.sub("", text).strip()
    if not text:
        return CheckedAnswer(None)
    limit = int(question.max) if question.max is not None else DEFAULT_MAX_CHARS[question.type]
    if len(text) > limit:
        return _refused(question, _problem("too_long", TOO_LONG, count=limit, length=len(text)))
    if question.min is not None and len(text) < question.min:
        return _refused(question, _problem("too_short", TOO_SHORT, count=int(question.min)))
    return CheckedAnswer(text)


# -- choices ---------------------------------------------------------------------------------


def _check_single_choice(question: Question, raw: object) -> CheckedAnswer:
    if raw is None:
        return CheckedAnswer(None)
    if not isinstance(raw, str):
        return _refused(question, _problem("invalid", INVALID))
    value = raw.strip()
    if not value:
        return CheckedAnswer(None)
    if value not in {choice.value for choice in question.choices}:
        return _refused(question, _problem("not_a_choice", NOT_A_CHOICE, value=value))
    return CheckedAnswer(value)


def _check_multiple_choice(question: Question, raw: object) -> CheckedAnswer:
    if raw is None:
        return CheckedAnswer(None)
    # A browser sends a single ticked box as one value, not a list.
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        return _refused(question, _problem("invalid", INVALID))
    values = [item.strip() for item in items if item.strip()]
    if not values:
        return CheckedAnswer(None)
    order = [choice.value for choice in question.choices]
    problems = [_problem("not_a_choice", NOT_A_CHOICE, value=v) for v in values if v not in order]
    problems += [
        _problem("duplicate_choice", DUPLICATE_CHOICE, value=v)
        for v in dict.fromkeys(values)
        if values.count(v) > 1
    ]
    if question.min is not None and len(values) < question.min:
        problems.append(_problem("too_few_choices", TOO_FEW_CHOICES, count=int(question.min)))
    if question.max is not None and len(values) > question.max:
        problems.append(_problem("too_many_choices", TOO_MANY_CHOICES, count=int(question.max)))
    if problems:
        return _refused(question, *problems)
    # Stored in the form's order, so "the same answer as last round" compares equal
    # whatever order the boxes were ticked in.
    return CheckedAnswer([value for value in order if value in values])


# Accepted words for yes and no, compared in lower case. chr() keeps Chinese out of
# string literals: 0x662F and 0x5426 are the characters for "yes" and "no" (shi, fou).
_YES = frozenset({"yes", "y", "true", "1", chr(0x662F)})
_NO = frozenset({"no", "n", "false", "0", chr(0x5426)})


def _check_yes_no(question: Question, raw: object) -> CheckedAnswer:
    if raw is None:
        return CheckedAnswer(None)
    if isinstance(raw, bool):
        return CheckedAnswer("yes" if raw else "no")
    if not isinstance(raw, str):
        return _refused(question, _problem("invalid", INVALID))
    word = raw.translate(_TO_ASCII).strip().lower()
    if not word:
        return CheckedAnswer(None)
    if word in _YES:
        return CheckedAnswer("yes")
    if word in _NO:
        return CheckedAnswer("no")
    return _refused(question, _problem("not_yes_no", NOT_YES_NO))


# -- dates -----------------------------------------------------------------------------------

# 2020-2-3, 2020/2/3, 2020.2.3, and the Chinese 2020 nian 2 yue 3 ri, written with
# chr() so that the characters (0x5E74 year, 0x6708 month, 0x65E5 day) are not literals.
_YEAR, _MONTH, _DAY = chr(0x5E74), chr(0x6708), chr(0x65E5)
_DATE_PATTERNS = (
    re.compile(r"(?P<y>[0-9]{4})([-/.])(?P<m>[0-9]{1,2})\2(?P<d>[0-9]{1,2})"),
    re.compile(rf"(?P<y>[0-9]{{4}}){_YEAR}(?P<m>[0-9]{{1,2}}){_MONTH}(?P<d>[0-9]{{1,2}}){_DAY}?"),
)


def _check_date(question: Question, raw: object) -> CheckedAnswer:
    if raw is None:
        return CheckedAnswer(None)
    if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
        raw = raw.isoformat()
    if not isinstance(raw, str):
        return _refused(question, _problem("invalid", INVALID))
    text = re.sub(r"\s+", "", raw.translate(_TO_ASCII))
    if not text:
        return CheckedAnswer(None)
    match = next((m for p in _DATE_PATTERNS if (m := p.fullmatch(text))), None)
    if match is None:
        return _refused(question, _problem("invalid_date", INVALID_DATE))
    year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        return _refused(
            question, _problem("date_out_of_range", DATE_OUT_OF_RANGE, min=MIN_YEAR, max=MAX_YEAR)
        )
    try:
        return CheckedAnswer(datetime.date(year, month, day).isoformat())
    except ValueError:
        return _refused(question, _problem("impossible_date", IMPOSSIBLE_DATE, value=raw.strip()))


# -- files -----------------------------------------------------------------------------------

# The answer names an attachment stored elsewhere (its id or storage key); the upload
# rules live with the upload. Here only the shape is checked, so nothing that could be
# a path or markup is ever stored as an answer.
_ATTACHMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _check_file(question: Question, raw: object) -> CheckedAnswer:
    if raw is None:
        return CheckedAnswer(None)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        raw = str(raw)
    if not isinstance(raw, str):
        return _refused(question, _problem("invalid_file", INVALID_FILE))
    value = raw.strip()
    if not value:
        return CheckedAnswer(None)
    if not _ATTACHMENT_ID.fullmatch(value):
        return _refused(question, _problem("invalid_file", INVALID_FILE))
    return CheckedAnswer(value)
