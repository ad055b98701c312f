"""Typed text as a workbook cell holds it: cut to Excel's limit, measured, named safely."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from intranet.i18n import gettext
from surveys.export.labels import (
    ATTACHED,
    CAMPAIGN_FILENAME,
    CELL_LIMIT,
    CHOICE_SEPARATOR,
    CUT_MARKER,
    FILENAME_FORBIDDEN,
    IN_ITS_SHEET,
    LABEL_WITH_UNIT,
    LIST_SEPARATOR,
    MAX_FILENAME_CHARS,
    MAX_ROW_POINTS,
    NO,
    PERIOD,
    ROUND_FILENAME,
    SHEET_NAME_FORBIDDEN,
    SHEET_NAME_LIMIT,
    SPREADSHEET_DIGITS,
    STATE_LATE,
    STATE_RESENT,
    STATE_UNCHANGED,
    TEXT_WIDTH,
    WIDEST_DIGIT_PIXELS,
    YES,
)
from surveys.models import Round
from surveys.schema import TEXT_TYPES, Question, QuestionType
from surveys.states import ResponseState
from surveys.totals import (
    OrganisationRow,
)

# -- the pieces every sheet uses ---------------------------------------------------------------


def cut(text: str) -> str:
    """`text`, cut to fit one Excel cell with a visible marker if it is too long."""
    if len(text) <= CELL_LIMIT // 2 or _utf16_length(text) <= CELL_LIMIT:
        return text
    marker = gettext(CUT_MARKER)
    room = CELL_LIMIT - _utf16_length(marker)
    kept = text[:room]
    while _utf16_length(kept) > room:
        kept = kept[: -max(1, (_utf16_length(kept) - room) // 2)]
    return kept + marker


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Characters a spreadsheet draws double width: CJK, Hangul, full-width forms, emoji.
WIDE_CHARACTERS = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U0001f300-\U0001f64f\U0001f900-\U0001f9ff\U00020000-\U0003fffd]"
)


def display_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: a Chinese character counts about double.
    Only the start of each line is measured: no column is wider than TEXT_WIDTH."""
    longest = 0
    for line in text[: TEXT_WIDTH * 40].split("\n"):
        start = line[:TEXT_WIDTH]
        width = len(start) if start.isascii() else len(start) + len(WIDE_CHARACTERS.findall(start))
        longest = max(longest, width)
    return longest


def sheet_name(text: str, taken: Collection[str]) -> str:
    """A valid sheet name made from `text`: no []:*?/\\, at most 31 characters, not
    starting or ending with an apostrophe, and unlike every name in `taken` (Excel
    compares them without case)."""
    name = SHEET_NAME_FORBIDDEN.sub("_", text).strip().strip("'").strip()
    name = name[:SHEET_NAME_LIMIT].rstrip("'") or "Sheet"
    used = {t.casefold() for t in taken}
    candidate, number = name, 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = name[: SHEET_NAME_LIMIT - len(suffix)].rstrip("'") + suffix
    return candidate


def workbook_filename(title: str, round_number: int | None, suffix: str = ".xlsx") -> str:
    """A file name for the workbook of a round (or, without a number, of a campaign)."""
    clean = " ".join(FILENAME_FORBIDDEN.sub(" ", title).split()).strip(". ") or "huibao"
    clean = clean[:MAX_FILENAME_CHARS]
    if round_number is None:
        stem = gettext(CAMPAIGN_FILENAME) % {"title": clean}
    else:
        stem = gettext(ROUND_FILENAME) % {"title": clean, "number": round_number}
    return stem + suffix


def header_label(question: Question) -> str:
    if question.unit:
        return gettext(LABEL_WITH_UNIT) % {"label": question.label, "unit": question.unit}
    return question.label


def answer_text(question: Question, value: Any) -> str:
    """A stored answer as a person reads it (choices by their labels)."""
    if isinstance(value, str) and question.type in TEXT_TYPES:
        return value
    if value is None:
        return ""
    match question.type:
        case QuestionType.SINGLE_CHOICE:
            return _choice_label(question, value)
        case QuestionType.MULTIPLE_CHOICE:
            values = value if isinstance(value, list) else [value]
            return CHOICE_SEPARATOR.join(_choice_label(question, v) for v in values)
        case QuestionType.YES_NO:
            return gettext(YES) if value == "yes" else gettext(NO) if value == "no" else str(value)
        case QuestionType.FILE:
            return gettext(ATTACHED)
        case QuestionType.TABLE:
            return gettext(IN_ITS_SHEET)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _choice_label(question: Question, value: Any) -> str:
    found = next((c.label for c in question.choices if c.value == value), None)
    return found if found is not None else str(value)


def state_text(row: OrganisationRow) -> str:
    """The organisation's response state, whether it came in late, and whether it was
    sent as "no change"."""
    state = gettext(ResponseState(row.state).label)
    if row.unchanged:
        state = gettext(STATE_UNCHANGED) % {"state": state}
    if row.late:
        state = gettext(STATE_LATE) % {"state": state}
    if row.resent:
        state = gettext(STATE_RESENT) % {"state": state}
    return state


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def period_text(round_: Round) -> str:
    return gettext(PERIOD) % {
        "start": round_.period_start.isoformat(),
        "end": round_.period_end.isoformat(),
    }


def significant_digits(value: Decimal | int) -> int:
    """Significant digits of the number (at most 15 is all that is asked, quickly)."""
    if isinstance(value, int):
        return 0 if -SMALL_ENOUGH < value < SMALL_ENOUGH else len(str(abs(value)).rstrip("0"))
    digits = value.as_tuple().digits
    if len(digits) <= SPREADSHEET_DIGITS or not value.is_finite() or value == 0:
        return len(digits) if value.is_finite() else 0
    return len(value.normalize().as_tuple().digits)


SMALL_ENOUGH = 10**SPREADSHEET_DIGITS


def column_points(width: int) -> float:
    """The printed width of a column `width` characters wide, at most. A character is the
    width of a digit of the default font: 7 pixels in Excel (Calibri), up to 9.5 where
    LibreOffice has no Calibri and draws DejaVu Sans; 5 pixels of padding; 96 pixels an
    inch. Reckoned at the widest, so that what fits here fits everywhere."""
    return (width * WIDEST_DIGIT_PIXELS + 5) * 0.75


def line_count(text: str, width: int) -> int:
    """Lines `text` takes when wrapped in a column `width` characters wide."""
    room = max(1, width - 1)
    total = 0
    for line in text[: room * MAX_ROW_POINTS].split("\n"):
        total += max(1, -(-full_width(line) // room))
    return total


def full_width(text: str) -> int:
    return len(text) if text.isascii() else len(text) + len(WIDE_CHARACTERS.findall(text))


def header_text(text: str) -> str:
    """Text for a page header: its ampersands doubled (a single one starts a code),
    short enough for Excel's 255-character limit with the codes around it."""
    return text.replace("&", "&&")[:200]
