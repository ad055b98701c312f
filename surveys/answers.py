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

import datetime
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from intranet.i18n import N_, gettext
from surveys.numbers import plain_number
from surveys.schema import FormDefinition, Question, QuestionType

# -- limits ----------------------------------------------------------------------------------

# Far beyond any count or sum of money a society reports, and small enough that every
# accepted number (with at most 15 significant digits) survives a float in a chart or a
# spreadsheet cell exactly.
MAX_MAGNITUDE = Decimal(10) ** 12
MAX_SIGNIFICANT_DIGITS = 15
MAX_DECIMAL_PLACES = 6
# Used when the form sets no max: a pasted document should be refused, not stored.
DEFAULT_MAX_CHARS = {QuestionType.SHORT_TEXT: 500, QuestionType.LONG_TEXT: 20_000}
DEFAULT_MAX_ROWS = 1_000
# Years outside this range are typing slips (0202, 20200), not report dates.
MIN_YEAR = 1900
MAX_YEAR = 2100

# -- messages --------------------------------------------------------------------------------

REQUIRED = N_("This question needs an answer.")
INVALID = N_("This answer is not in a form that can be saved.")
NOT_A_NUMBER = N_("Enter a number, e.g. 12 or 1,234.")
EXPONENT = N_("Write the number out in full, without an exponent.")
MISPLACED_SEPARATOR = N_(
    "Thousands separators go between groups of three digits, e.g. 1,234,567; "
    "use a point for decimals."
)
NOT_WHOLE = N_("Enter a whole number, without decimals.")
TOO_MANY_DECIMALS = N_("Use at most %(count)d decimal places.")
TOO_MANY_DIGITS = N_("The number has too many digits: at most %(count)d.")
TOO_LARGE = N_("The number is too large: at most %(limit)s either side of zero.")
BELOW_MIN = N_("The value must be at least %(min)s.")
ABOVE_MAX = N_("The value must be at most %(max)s.")
TOO_SHORT = N_("Write at least %(count)d characters.")
TOO_LONG = N_("Write at most %(count)d characters; this has %(length)d.")
NOT_A_CHOICE = N_("%(value)s is not one of the choices.")
DUPLICATE_CHOICE = N_("%(value)s is chosen more than once.")
TOO_FEW_CHOICES = N_("Choose at least %(count)d.")
TOO_MANY_CHOICES = N_("Choose at most %(count)d.")
NOT_YES_NO = N_("Answer yes or no.")
INVALID_DATE = N_("Enter a date such as 2020-02-03.")
IMPOSSIBLE_DATE = N_("There is no such date: %(value)s.")
DATE_OUT_OF_RANGE = N_("The year must be between %(min)d and %(max)d.")
INVALID_ROW = N_("Row %(row)d is not in a form that can be saved.")
UNKNOWN_COLUMN = N_("The table has no column %(column)s.")
TOO_FEW_ROWS = N_("Fill in at least %(count)d rows.")
TOO_MANY_ROWS = N_("Fill in at most %(count)d rows.")
INVALID_FILE = N_("The attached file is not recognised; upload it again.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an answer, placed so the page can show it beside the field.

    `code` is stable for code and tests ("not_whole", "above_max", ...); `message` is an
    English msgid with %(name)s placeholders filled from `params`, translated only where
    it is shown. `row` (counted from 1, as the secretary sees the rows) and `column` are
    set for a cell of a table question.
    """

    question: str
    code: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    row: int | None = None
    column: str = ""

    @property
    def location(self) -> str:
        if self.row is None:
            return self.question
        return f"{self.question}[{self.row}]" + (f".{self.column}" if self.column else "")

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        return f"{self.location}: {text}"


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer as it will be stored (None for no answer) and what is wrong with it.

    When there are problems `value` is None: an invalid answer is never stored as if it
    were valid, and the page keeps showing what was typed so nothing is lost.
    """

    value: Any
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _problem(code: str, message: str, **params: object) -> Problem:
    # The question key is stamped on by check_answer(), which knows it.
    return Problem(question="", code=code, message=message, params=params)


def _refused(question: Question, *problems: Problem) -> CheckedAnswer:
    return CheckedAnswer(None, [replace(p, question=question.key) for p in problems])


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
# read other than it is (报告\u202efdp.exe shows as 报告exe.pdf), as in intranet.forms.
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


# -- tables ----------------------------------------------------------------------------------


def _check_table(question: Question, raw: object) -> CheckedAnswer:
    if raw is None:
        return CheckedAnswer(None)
    if not isinstance(raw, list | tuple):
        return _refused(question, _problem("invalid", INVALID))
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for number, cells in enumerate(raw, start=1):
        row, found = _check_row(question, number, cells)
        problems += found
        # A row left blank is a spare line on the page, not an answer.
        if row is not None and any(value is not None for value in row.values()):
            rows.append(row)
    limit = int(question.max) if question.max is not None else DEFAULT_MAX_ROWS
    if len(rows) > limit:
        problems.append(_problem("too_many_rows", TOO_MANY_ROWS, count=limit))
    if rows and question.min is not None and len(rows) < question.min:
        problems.append(_problem("too_few_rows", TOO_FEW_ROWS, count=int(question.min)))
    if problems:
        return _refused(question, *problems)
    return CheckedAnswer(rows or None)


def _check_row(
    table: Question, number: int, cells: object
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The row's checked values (None if it is not a row at all) and its problems.

    Problems carry the row number as typed, counting blank rows, because that is the
    row the secretary is looking at when the message appears.
    """
    if not isinstance(cells, Mapping):
        return None, [replace(_problem("invalid_row", INVALID_ROW, row=number), row=number)]
    columns = {column.key: column for column in table.columns}
    unknown = [str(key) for key in cells if key not in columns]
    problems = [
        replace(_problem("unknown_column", UNKNOWN_COLUMN, column=key), row=number, column=key)
        for key in unknown
    ]
    checked = {key: check_answer(column, cells.get(key)) for key, column in columns.items()}
    row = {key: answer.value for key, answer in checked.items()}
    # A required cell left empty is not a problem here: a half-typed row is a draft and
    # is saved as such; missing_required() holds it back at submission.
    for key, answer in checked.items():
        problems += [replace(p, row=number, column=key) for p in answer.problems]
    return row, problems


# -- entry points ----------------------------------------------------------------------------

_CHECKS: Mapping[QuestionType, Callable[[Question, object], CheckedAnswer]] = {
    QuestionType.SHORT_TEXT: _check_text,
    QuestionType.LONG_TEXT: _check_text,
    QuestionType.INTEGER: _check_number,
    QuestionType.DECIMAL: _check_number,
    QuestionType.SINGLE_CHOICE: _check_single_choice,
    QuestionType.MULTIPLE_CHOICE: _check_multiple_choice,
    QuestionType.YES_NO: _check_yes_no,
    QuestionType.DATE: _check_date,
    QuestionType.FILE: _check_file,
    QuestionType.TABLE: _check_table,
}


def check_answer(question: Question, raw: object) -> CheckedAnswer:
    """What `raw` (as typed, or as sent by the page) means as an answer to `question`.

    Never raises for anything a client can send: a value of the wrong shape is a
    Problem with code "invalid". Whether an empty answer is allowed is not decided here
    (a draft may be incomplete); see missing_required().
    """
    return _CHECKS[question.type](question, raw)


def is_answered(value: object) -> bool:
    """Whether a stored (checked) value counts as an answer."""
    return value is not None and value != "" and value != [] and value != {}


def missing_required(form: FormDefinition, answers: Mapping[str, Any]) -> list[Problem]:
    """Every required question with no answer in `answers` (checked values), in form order.

    Submit lists them all at once, each linked to its field, rather than the first only.
    A table with no rows is missing only if the table question itself is required; each
    row it has must fill in its required columns (a Problem per empty cell, with the row
    counted from 1 and the column's key).
    """
    return list(_missing(form.questions(), answers))


def _missing(questions: Iterator[Question], answers: Mapping[str, Any]) -> Iterator[Problem]:
    for question in questions:
        value = answers.get(question.key)
        if question.required and not is_answered(value):
            yield Problem(question.key, "required", REQUIRED)
        if question.type == QuestionType.TABLE and isinstance(value, list):
            yield from _missing_cells(question, value)


def _missing_cells(table: Question, rows: list[Any]) -> Iterator[Problem]:
    required = [column.key for column in table.columns if column.required]
    for number, row in enumerate(rows, start=1):
        cells = row if isinstance(row, Mapping) else {}
        for key in required:
            if not is_answered(cells.get(key)):
                yield Problem(table.key, "required", REQUIRED, row=number, column=key)
