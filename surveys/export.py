"""The upward spreadsheet: a round's or a campaign's totals as an .xlsx ready to print.

The association's staff print, stamp and send this workbook up without touching it in
Excel, so it is laid out for paper (A4 landscape, one page wide, header rows repeated,
page numbers) and its figures are real numbers with number formats.

Every answer, name and title a person typed is written with write_string, never
write(): xlsxwriter's write() turns "=1+1" into a formula, "http://..." into a link and
"{=A1}" into an array formula. Text longer than a cell can hold is cut with a visible
marker instead of being dropped.

Workbooks are written with xlsxwriter's constant_memory mode: each sheet's rows go to a
temporary file as they are written, strictly in order, so only the current row of each
sheet is in memory. (Its in_memory option would silently turn that off.) The figures
come from surveys.totals.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from intranet.i18n import N_, gettext
from surveys.models import Campaign, Round
from surveys.notify import ReminderEntry, reminder_log
from surveys.schema import TEXT_TYPES, Aggregate, FormDefinition, Question, QuestionType
from surveys.states import ResponseState
from surveys.totals import (
    Include,
    OrganisationRow,
    RoundTotals,
    TrendPoint,
    campaign_trend,
    category_subtotals,
    round_totals,
)

# -- limits ----------------------------------------------------------------------------------

# Excel's limit on a cell's text, counted in UTF-16 code units (an emoji takes two).
CELL_LIMIT = 32_767
SHEET_NAME_LIMIT = 31
# Characters Excel refuses in a sheet name.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# Characters that break a file name on some system or in a Content-Disposition header.
_FILENAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
MAX_FILENAME_CHARS = 80
MIN_WIDTH, MAX_WIDTH = 6, 50
# Width of a column of long answers: wide enough to read, narrow enough for A4.
TEXT_WIDTH = 60
A4 = 9
# The Chinese semicolon and enumeration comma, as escapes: no Chinese literals in code.
LIST_SEPARATOR = "\uff1b"
CHOICE_SEPARATOR = "\u3001"

# -- labels ----------------------------------------------------------------------------------

CUT_MARKER = N_("…[cut]")
LABEL_WITH_UNIT = N_("%(label)s (%(unit)s)")
ROUND_NUMBER = N_("Round %(number)d")
PERIOD = N_("%(start)s to %(end)s")
ROUND_TITLE = N_("%(title)s, round %(number)d: totals")
ROUND_CONTEXT = N_("%(title)s, round %(number)d (%(period)s)")
CAMPAIGN_TITLE = N_("%(title)s: totals across rounds")
ROUND_FILENAME = N_("%(title)s round %(number)d totals")
CAMPAIGN_FILENAME = N_("%(title)s totals")
SUBTITLE = N_("Issued by %(organiser)s · Period %(period)s · %(include)s · Exported %(time)s")
CAMPAIGN_SUBTITLE = N_("Issued by %(organiser)s · %(include)s · Exported %(time)s")
FOOTER = N_("Page &P of &N")
INCLUDE_LABELS = {
    "approved": N_("Approved reports only"),
    "submitted": N_("Submitted and approved reports"),
}
SUBTOTAL = N_("Subtotal: %(category)s")
STATE_LATE = N_("%(state)s (late)")
STATE_UNCHANGED = N_("%(state)s, no change")
YES = N_("Yes")
NO = N_("No")
ATTACHED = N_("Attached")
IN_ITS_SHEET = N_("On its own sheet")

SHEET_COVER = N_("Cover")
SHEET_TOTALS = N_("Totals")
SHEET_ROUND_TOTALS = N_("Round %(number)d totals")
SHEET_TEXTS = N_("Text answers")
SHEET_CHOICES = N_("Choice counts")
SHEET_NOT_SUBMITTED = N_("Not submitted")
SHEET_TREND = N_("Trend")
SHEET_CUMULATIVE = N_("Cumulative")
SHEET_CHANGE = N_("Change on previous round")
SHEET_REMINDERS = N_("Reminders sent")

COLUMN_NUMBER = N_("No.")
COLUMN_ORGANISATION = N_("Reporting organisation")
COLUMN_CATEGORY = N_("Category")
COLUMN_STATE = N_("State")
COLUMN_SUBMITTED_AT = N_("Submitted at")
COLUMN_QUESTION = N_("Question")
COLUMN_ANSWER = N_("Answer")
COLUMN_CHOICE = N_("Choice")
COLUMN_COUNT = N_("Count")
COLUMN_ROUND = N_("Round")
COLUMN_PERIOD = N_("Period")
TOTAL = N_("Total")
COLUMN_SENT_AT = N_("Sent at")
COLUMN_KIND = N_("Reminder")
COLUMN_HOW = N_("Sent how")
COLUMN_SENT_BY = N_("Sent by")
COLUMN_CHANNEL = N_("Channel")
COLUMN_RECIPIENTS = N_("Recipients")
AUTOMATIC = N_("Automatic")
MANUAL = N_("Manual")
CHANNELS = {"in_app": N_("In-app"), "in_app,email": N_("In-app and e-mail")}
RECIPIENT_READ = N_("%(name)s (read)")
RECIPIENT_UNREAD = N_("%(name)s (not read)")

COVER_REPORT = N_("Report")
COVER_ORGANISER = N_("Issued by")
COVER_ROUND = N_("Round")
COVER_ROUNDS = N_("Number of rounds")
COVER_PERIOD = N_("Period")
COVER_ROSTER = N_("Organisations asked to report")
COVER_SUBMITTED = N_("Submitted")
COVER_APPROVED = N_("Approved")
COVER_NOT_SUBMITTED = N_("Not submitted")
COVER_INCLUDE = N_("Figures count")
COVER_EXPORTED = N_("Exported at")


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
_WIDE = re.compile(
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
        width = len(start) if start.isascii() else len(start) + len(_WIDE.findall(start))
        longest = max(longest, width)
    return longest


def sheet_name(text: str, taken: Collection[str]) -> str:
    """A valid sheet name made from `text`: no []:*?/\\, at most 31 characters, not
    starting or ending with an apostrophe, and unlike every name in `taken` (Excel
    compares them without case)."""
    name = _SHEET_NAME_FORBIDDEN.sub("_", text).strip().strip("'").strip()
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
    clean = " ".join(_FILENAME_FORBIDDEN.sub(" ", title).split()).strip(". ") or "huibao"
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
    return gettext(STATE_LATE) % {"state": state} if row.late else state


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _period(round_: Round) -> str:
    return gettext(PERIOD) % {
        "start": round_.period_start.isoformat(),
        "end": round_.period_end.isoformat(),
    }


class Formats:
    """The workbook's cell formats, made once (every format is stored in the file)."""

    def __init__(self, workbook: Workbook) -> None:
        cell = {"border": 1, "valign": "top", "font_size": 10}
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.subtitle = add({"font_size": 10, "align": "center", "valign": "vcenter"})
        self.header = add(
            {**cell, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"}
        )
        # Text wraps wherever it is longer than its column is wide (MAX_WIDTH), so
        # nothing is hidden on paper.
        self.text = add({**cell, "text_wrap": True})
        self.wrap = self.text
        self.muted = add({**cell, "text_wrap": True, "font_color": "#808080"})
        self.label = add({**cell, "bold": True})
        self.integer = add({**cell, "num_format": "#,##0"})
        self.decimal = add({**cell, "num_format": "#,##0.00####"})
        self.average = add({**cell, "num_format": "#,##0.00"})
        self.percent = add({**cell, "num_format": "0.0%"})
        self.date = add({**cell, "num_format": "yyyy-mm-dd"})
        self.moment = add({**cell, "num_format": "yyyy-mm-dd hh:mm"})
        total = {**cell, "bold": True, "bg_color": "#F2F2F2"}
        self.total_text = add({**total, "text_wrap": True})
        self.total_integer = add({**total, "num_format": "#,##0"})
        self.total_decimal = add({**total, "num_format": "#,##0.00####"})
        self.total_average = add({**total, "num_format": "#,##0.00"})
        self.total_date = add({**total, "num_format": "yyyy-mm-dd"})

    def number(self, question: Question, *, total: bool = False) -> Format:
        integer = question.type == QuestionType.INTEGER
        if total:
            return self.total_integer if integer else self.total_decimal
        return self.integer if integer else self.decimal


# Told how far a workbook has got, 0 to 100 (a background export shows it).
Progress = Callable[[int], None]


def _no_progress(percent: int) -> None:
    return None


class Book:
    """A workbook being written: its formats and the sheet names already used."""

    def __init__(
        self, target: BinaryIO | str, progress: Callable[[int], None] | None = None
    ) -> None:
        self.progress = progress or _no_progress
        # constant_memory streams each sheet's rows to a temporary file; in_memory must
        # stay off, or constant_memory is silently ignored.
        self.workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
        self.formats = Formats(self.workbook)
        self.names: list[str] = []

    def sheet(self, title: str) -> Sheet:
        name = sheet_name(title, self.names)
        self.names.append(name)
        return Sheet(self, self.workbook.add_worksheet(name))

    def close(self) -> None:
        self.workbook.close()


class Sheet:
    """One worksheet written top to bottom, remembering how wide each column must be."""

    def __init__(self, book: Book, worksheet: Worksheet) -> None:
        self.book = book
        self.worksheet = worksheet
        self.formats = book.formats
        self.row = 0
        self.header_row: int | None = None
        self.widths: dict[int, int] = {}
        self.wrapped: set[int] = set()

    @property
    def name(self) -> str:
        return str(self.worksheet.name)

    def fit(self, column: int, width: int) -> None:
        if width > self.widths.get(column, 0):
            self.widths[column] = width

    def string(self, column: int, text: str, format: Format | None = None) -> None:
        """User text or not, always a string: never a formula, link or number."""
        text = cut(text)
        self.worksheet.write_string(self.row, column, text, format or self.formats.text)
        self.fit(column, display_width(text))

    def number(self, column: int, value: Decimal | int, format: Format) -> None:
        self.worksheet.write_number(self.row, column, float(value), format)
        self.fit(column, len(f"{value:,}") + 1)

    def day(self, column: int, value: date, format: Format) -> None:
        self.worksheet.write_datetime(
            self.row, column, datetime(value.year, value.month, value.day), format
        )
        self.fit(column, 11)

    def moment(self, column: int, value: datetime, zone: ZoneInfo) -> None:
        local = value.astimezone(zone).replace(tzinfo=None)
        self.worksheet.write_datetime(self.row, column, local, self.formats.moment)
        self.fit(column, 17)

    def blank(self, column: int, format: Format | None = None) -> None:
        self.worksheet.write_blank(self.row, column, None, format or self.formats.text)

    def next_row(self) -> None:
        self.row += 1

    def title(self, text: str, last_column: int, format: Format | None = None) -> None:
        """A title across the sheet's columns: merged, then written as a string (merging
        with the text would pass it to write(), which makes formulas of some titles)."""
        format = format or self.formats.title
        if last_column > 0:
            self.worksheet.merge_range(self.row, 0, self.row, last_column, "", format)
        self.worksheet.write_string(self.row, 0, cut(text), format)
        self.worksheet.set_row(self.row, 30 if format is self.formats.title else 20)
        self.next_row()

    def headers(self, labels: Sequence[str]) -> None:
        self.header_row = self.row
        for column, label in enumerate(labels):
            self.string(column, label, self.formats.header)
        self.next_row()

    def wrap_column(self, column: int) -> None:
        self.wrapped.add(column)

    def finish(self, *, freeze_columns: int = 1) -> None:
        """Widths, frozen headers and the print layout: A4, one page wide, header row
        repeated on every page, page numbers in the footer."""
        sheet = self.worksheet
        for column, width in self.widths.items():
            limit = TEXT_WIDTH if column in self.wrapped else MAX_WIDTH
            sheet.set_column(column, column, max(MIN_WIDTH, min(width + 2, limit)))
        if self.header_row is not None:
            sheet.freeze_panes(self.header_row + 1, freeze_columns)
            sheet.repeat_rows(self.header_row)
        sheet.set_landscape()
        sheet.set_paper(A4)
        sheet.fit_to_pages(1, 0)
        sheet.center_horizontally()
        sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
        sheet.set_footer("&C" + gettext(FOOTER))


# -- a round -------------------------------------------------------------------------------


def _round_title(round_: Round) -> str:
    return gettext(ROUND_TITLE) % {"title": round_.campaign.title, "number": round_.number}


def _round_context(round_: Round) -> str:
    """Which round a sheet belongs to, under its title: a printed page stands alone."""
    return gettext(ROUND_CONTEXT) % {
        "title": round_.campaign.title,
        "number": round_.number,
        "period": _period(round_),
    }


def _subtitle(totals: RoundTotals, now: datetime, zone: ZoneInfo) -> str:
    round_ = totals.round
    return gettext(SUBTITLE) % {
        "organiser": round_.campaign.organiser.name,
        "period": _period(round_),
        "include": gettext(INCLUDE_LABELS[str(totals.include)]),
        "time": _local(now, zone),
    }


def write_cover(
    book: Book, title: str, lines: Iterable[tuple[str, str | int]], *, name: str = SHEET_COVER
) -> None:
    """A cover sheet: the merged title, then one labelled line per fact."""
    sheet = book.sheet(gettext(name))
    sheet.title(title, 1)
    sheet.next_row()
    for label, value in lines:
        sheet.string(0, gettext(label), sheet.formats.label)
        if isinstance(value, int):
            sheet.number(1, value, sheet.formats.integer)
            sheet.fit(1, 20)
        else:
            sheet.string(1, value)
        sheet.next_row()
    sheet.finish()


def write_round_cover(book: Book, totals: RoundTotals, now: datetime, zone: ZoneInfo) -> None:
    round_ = totals.round
    write_cover(
        book,
        _round_title(round_),
        [
            (COVER_REPORT, round_.campaign.title),
            (COVER_ORGANISER, round_.campaign.organiser.name),
            (COVER_ROUND, gettext(ROUND_NUMBER) % {"number": round_.number}),
            (COVER_PERIOD, _period(round_)),
            (COVER_ROSTER, totals.roster_size),
            (COVER_SUBMITTED, totals.submitted),
            (COVER_APPROVED, totals.approved),
            (COVER_NOT_SUBMITTED, len(totals.not_submitted)),
            (COVER_INCLUDE, gettext(INCLUDE_LABELS[str(totals.include)])),
            (COVER_EXPORTED, _local(now, zone)),
        ],
    )


def write_value(sheet: Sheet, column: int, question: Question, value: Any, *, total: bool) -> None:
    """One answer (or one total) in the cell its question's type calls for."""
    formats = sheet.formats
    if value is None or value == [] or value == "":
        sheet.blank(column, formats.total_text if total else formats.text)
        return
    if question.is_number and (number := _as_number(value)) is not None:
        sheet.number(column, number, formats.number(question, total=total))
        return
    if question.type == QuestionType.DATE and (day := _as_date(value)) is not None:
        sheet.day(column, day, formats.total_date if total else formats.date)
        return
    wrap = total or question.type == QuestionType.LONG_TEXT
    format = formats.total_text if total else formats.wrap if wrap else formats.text
    sheet.string(column, answer_text(question, value), format)
    if wrap:
        sheet.wrap_column(column)


def write_aggregate(
    sheet: Sheet, column: int, question: Question, aggregate: Aggregate, value: Any
) -> None:
    """A 合计 or subtotal cell: a number for sum/min/max, two places for an average, a
    count of answers, or the answers listed."""
    formats = sheet.formats
    if aggregate == Aggregate.NONE or value is None:
        sheet.blank(column, formats.total_text)
    elif aggregate == Aggregate.COUNT and (count := _as_number(value)) is not None:
        sheet.number(column, count, formats.total_integer)
    elif aggregate == Aggregate.AVERAGE and (mean := _as_number(value)) is not None:
        sheet.number(column, mean, formats.total_average)
    elif aggregate == Aggregate.LIST:
        items = value if isinstance(value, list) else [value]
        sheet.string(column, LIST_SEPARATOR.join(str(item) for item in items), formats.total_text)
        sheet.wrap_column(column)
    else:
        write_value(sheet, column, question, value, total=True)


TOTALS_FIXED = (
    COLUMN_NUMBER,
    COLUMN_ORGANISATION,
    COLUMN_CATEGORY,
    COLUMN_STATE,
    COLUMN_SUBMITTED_AT,
)


def write_totals_sheet(
    book: Book,
    totals: RoundTotals,
    rows: Iterable[OrganisationRow],
    subtotals: Sequence[tuple[str, Mapping[str, Any]]] | None,
    now: datetime,
    zone: ZoneInfo,
    *,
    name: str,
) -> None:
    """One row per roster organisation (those whose answers do not count are greyed and
    left blank), the 合计 row, and a subtotal row per category when asked."""
    sheet = book.sheet(name)
    fixed = len(TOTALS_FIXED)
    last = fixed + len(totals.columns) - 1
    sheet.title(_round_title(totals.round), last)
    sheet.title(_subtitle(totals, now, zone), last, sheet.formats.subtitle)
    sheet.headers(
        [gettext(label) for label in TOTALS_FIXED]
        + [header_label(column.question) for column in totals.columns]
    )
    for number, row in enumerate(rows, start=1):
        _organisation_row(sheet, totals, number, row, zone)
    _aggregate_row(sheet, totals, gettext(TOTAL), totals.total)
    for category, values in subtotals or ():
        _aggregate_row(sheet, totals, gettext(SUBTOTAL) % {"category": category}, values)
    sheet.finish(freeze_columns=2)


def _organisation_row(
    sheet: Sheet, totals: RoundTotals, number: int, row: OrganisationRow, zone: ZoneInfo
) -> None:
    formats = sheet.formats
    plain = formats.text if row.counted else formats.muted
    sheet.number(0, number, formats.integer)
    sheet.string(1, row.name, plain)
    sheet.string(2, CHOICE_SEPARATOR.join(row.category_names), plain)
    sheet.string(3, state_text(row), plain)
    if row.submitted_at is not None:
        sheet.moment(4, row.submitted_at, zone)
    else:
        sheet.blank(4, plain)
    for index, column in enumerate(totals.columns, start=len(TOTALS_FIXED)):
        value = row.values.get(column.question.key) if row.counted else None
        if value is None:
            sheet.blank(index, plain)
        else:
            write_value(sheet, index, column.question, value, total=False)
    sheet.next_row()


def _aggregate_row(
    sheet: Sheet, totals: RoundTotals, label: str, values: Mapping[str, Any]
) -> None:
    formats = sheet.formats
    sheet.blank(0, formats.total_text)
    sheet.string(1, label, formats.total_text)
    for empty in range(2, len(TOTALS_FIXED)):
        sheet.blank(empty, formats.total_text)
    for index, column in enumerate(totals.columns, start=len(TOTALS_FIXED)):
        question = column.question
        write_aggregate(sheet, index, question, column.aggregate, values.get(question.key))
    sheet.next_row()


def write_table_sheet(
    book: Book, question: Question, rows: Iterable[tuple[str, Mapping[str, Any]]], context: str
) -> None:
    """A table question's rows from every organisation, with an organisation column."""
    sheet = book.sheet(question.label)
    last = len(question.columns)
    sheet.title(question.label, last)
    sheet.title(context, last, sheet.formats.subtitle)
    sheet.headers([gettext(COLUMN_ORGANISATION)] + [header_label(c) for c in question.columns])
    for organisation, cells in rows:
        sheet.string(0, organisation)
        for index, column in enumerate(question.columns, start=1):
            write_value(sheet, index, column, cells.get(column.key), total=False)
        sheet.next_row()
    sheet.finish()


def write_texts_sheet(
    book: Book, form: FormDefinition, texts: Mapping[str, Sequence[tuple[str, str]]], context: str
) -> None:
    """Every text answer, question by question in form order."""
    sheet = book.sheet(gettext(SHEET_TEXTS))
    sheet.title(gettext(SHEET_TEXTS), 2)
    sheet.title(context, 2, sheet.formats.subtitle)
    sheet.headers([gettext(COLUMN_QUESTION), gettext(COLUMN_ORGANISATION), gettext(COLUMN_ANSWER)])
    sheet.wrap_column(0)
    sheet.wrap_column(2)
    for question in form.questions():
        for organisation, text in texts.get(question.key, ()):
            sheet.string(0, question.label, sheet.formats.wrap)
            sheet.string(1, organisation)
            sheet.string(2, text, sheet.formats.wrap)
            sheet.next_row()
    sheet.finish(freeze_columns=0)


def write_choices_sheet(
    book: Book, form: FormDefinition, counts: Mapping[str, Mapping[str, int]], context: str
) -> None:
    """How many organisations chose each option, question by question."""
    sheet = book.sheet(gettext(SHEET_CHOICES))
    sheet.title(gettext(SHEET_CHOICES), 2)
    sheet.title(context, 2, sheet.formats.subtitle)
    sheet.headers([gettext(COLUMN_QUESTION), gettext(COLUMN_CHOICE), gettext(COLUMN_COUNT)])
    sheet.wrap_column(0)
    for question in form.questions():
        if question.key not in counts:
            continue
        for value, count in _choice_lines(question, counts[question.key]):
            sheet.string(0, question.label, sheet.formats.wrap)
            sheet.string(1, value)
            sheet.number(2, count, sheet.formats.integer)
            sheet.next_row()
    sheet.finish(freeze_columns=0)


def _choice_lines(question: Question, counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Each option by its label, in the form's order, including those nobody chose."""
    if question.type == QuestionType.YES_NO:
        options = [("yes", gettext(YES)), ("no", gettext(NO))]
    else:
        options = [(choice.value, choice.label) for choice in question.choices]
    known = {value for value, _ in options}
    options += [(value, value) for value in counts if value not in known]
    return [(label, int(counts.get(value, 0))) for value, label in options]


def write_not_submitted_sheet(
    book: Book, rows: Iterable[OrganisationRow], names: Collection[str], context: str
) -> None:
    """The roster organisations that have not submitted, with how far they got."""
    sheet = book.sheet(gettext(SHEET_NOT_SUBMITTED))
    sheet.title(gettext(SHEET_NOT_SUBMITTED), 3)
    sheet.title(context, 3, sheet.formats.subtitle)
    sheet.headers(
        [gettext(c) for c in (COLUMN_NUMBER, COLUMN_ORGANISATION, COLUMN_CATEGORY, COLUMN_STATE)]
    )
    missing = set(names)
    number = 0
    for row in rows:
        if row.name not in missing:
            continue
        number += 1
        sheet.number(0, number, sheet.formats.integer)
        sheet.string(1, row.name)
        sheet.string(2, CHOICE_SEPARATOR.join(row.category_names))
        sheet.string(3, gettext(ResponseState(row.state).label))
        sheet.next_row()
    sheet.finish(freeze_columns=2)


def write_round_sheets(
    book: Book,
    totals: RoundTotals,
    subtotals: Sequence[tuple[str, Mapping[str, Any]]] | None,
    now: datetime,
    zone: ZoneInfo,
    *,
    totals_name: str = SHEET_TOTALS,
    reminders: Sequence[ReminderEntry] | None = None,
    span: tuple[int, int] = (10, 95),
) -> None:
    """The totals sheet, then a sheet per table question, the text answers, the choice
    counts, the organisations that have not submitted and (when given) the 催报 log.
    Progress is told from span[0] to span[1] percent as the sheets are written."""
    form = totals.round.campaign.form_version.form_definition()
    context = _round_context(totals.round)
    start, end = span
    book.progress(start)
    write_totals_sheet(
        book,
        totals,
        totals.rows,
        subtotals,
        now,
        zone,
        name=gettext(totals_name) % {"number": totals.round.number},
    )
    # The totals sheet is most of the work: half the span.
    book.progress(start + (end - start) // 2)
    for question in form.questions():
        if question.type == QuestionType.TABLE:
            write_table_sheet(book, question, totals.tables.get(question.key, ()), context)
    if any(q.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT) for q in form.questions()):
        write_texts_sheet(book, form, totals.texts, context)
    book.progress(start + (end - start) * 3 // 4)
    if totals.choice_counts:
        write_choices_sheet(book, form, totals.choice_counts, context)
    write_not_submitted_sheet(book, totals.rows, totals.not_submitted, context)
    if reminders is not None:
        write_reminders_sheet(book, reminders, zone, context)
    book.progress(end)


def write_reminders_sheet(
    book: Book, entries: Iterable[ReminderEntry], zone: ZoneInfo, context: str
) -> None:
    """The 催报 log: who was reminded when and how, newest first, and whether each
    person has read it. Names are user text: strings only."""
    sheet = book.sheet(gettext(SHEET_REMINDERS))
    labels = (
        COLUMN_SENT_AT,
        COLUMN_ORGANISATION,
        COLUMN_KIND,
        COLUMN_HOW,
        COLUMN_SENT_BY,
        COLUMN_CHANNEL,
        COLUMN_RECIPIENTS,
    )
    sheet.title(gettext(SHEET_REMINDERS), len(labels) - 1)
    sheet.title(context, len(labels) - 1, sheet.formats.subtitle)
    sheet.headers([gettext(label) for label in labels])
    sheet.wrap_column(6)
    for entry in entries:
        sheet.moment(0, entry.sent_at, zone)
        sheet.string(1, entry.organisation)
        sheet.string(2, entry.kind_label)
        sheet.string(3, gettext(AUTOMATIC if entry.automatic else MANUAL))
        sheet.string(4, entry.sent_by)
        channel = CHANNELS.get(entry.channel)
        sheet.string(5, gettext(channel) if channel else entry.channel)
        sheet.string(6, recipients_text(entry), sheet.formats.wrap)
        sheet.next_row()
    sheet.finish(freeze_columns=2)


def recipients_text(entry: ReminderEntry) -> str:
    """Each person reminded, and whether they have opened it."""
    return LIST_SEPARATOR.join(
        gettext(RECIPIENT_READ if person.read_at else RECIPIENT_UNREAD) % {"name": person.name}
        for person in entry.recipients
    )


def build_round_workbook(
    target: BinaryIO | str,
    totals: RoundTotals,
    subtotals: Sequence[tuple[str, Mapping[str, Any]]] | None,
    now: datetime,
    zone: ZoneInfo,
    *,
    reminders: Sequence[ReminderEntry] | None = None,
    progress: Progress | None = None,
) -> None:
    """The round's workbook from figures already computed (no database)."""
    book = Book(target, progress)
    write_round_cover(book, totals, now, zone)
    write_round_sheets(book, totals, subtotals, now, zone, reminders=reminders)
    book.close()
    book.progress(100)


async def write_round_workbook(
    round_id: int,
    target: BinaryIO | str,
    *,
    include: Include,
    subtotals: bool,
    now: datetime,
    zone: ZoneInfo,
    organisation_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the round's workbook to `target` (a path or a binary file open for writing).

    `organisation_ids` limits it to those organisations (a secretary's own society); the
    催报 log sheet is for those who see the whole round only (it names every society)."""
    totals = await round_totals(round_id, include=include, organisation_ids=organisation_ids)
    everything = organisation_ids is None
    by_category = (
        await category_subtotals(round_id, include=include) if subtotals and everything else None
    )
    reminders = await reminder_log(round_id) if everything else None
    if progress is not None:
        progress(10)
    # Writing is CPU work: in a thread, so an event loop goes on serving pages (the
    # thread copies the context, so the sheets are in the caller's language). The site
    # runs this in its export process (surveys.exports), never on its own loop.
    await asyncio.to_thread(
        build_round_workbook,
        target,
        totals,
        by_category,
        now,
        zone,
        reminders=reminders,
        progress=progress,
    )


# -- a campaign ----------------------------------------------------------------------------


def write_trend_sheet(
    book: Book,
    name: str,
    title: str,
    subtitle: str,
    questions: Sequence[Question],
    trend: Mapping[str, Sequence[TrendPoint]],
    figure: str,
    *,
    chart: bool,
) -> None:
    """Rounds down, questions across: each round's total (or cumulative figure, or
    change on the previous round), with a line chart of the columns when asked."""
    sheet = book.sheet(gettext(name))
    last = 1 + len(questions)
    sheet.title(title, last)
    sheet.title(subtitle, last, sheet.formats.subtitle)
    sheet.headers(
        [gettext(COLUMN_ROUND), gettext(COLUMN_PERIOD)] + [header_label(q) for q in questions]
    )
    first_row = sheet.row
    points = _points_by_round(questions, trend)
    for number, (start, end), by_key in points:
        sheet.string(0, gettext(ROUND_NUMBER) % {"number": number})
        sheet.string(1, gettext(PERIOD) % {"start": start.isoformat(), "end": end.isoformat()})
        for index, question in enumerate(questions, start=2):
            point = by_key.get(question.key)
            value = getattr(point, figure) if point is not None else None
            _trend_cell(sheet, index, question, value, figure)
        sheet.next_row()
    last_row = sheet.row - 1
    if chart and questions and last_row >= first_row:
        _line_chart(book, sheet, questions, first_row, last_row)
    sheet.finish(freeze_columns=2)


def _points_by_round(
    questions: Sequence[Question], trend: Mapping[str, Sequence[TrendPoint]]
) -> list[tuple[int, tuple[date, date], dict[str, TrendPoint]]]:
    rounds: dict[int, tuple[tuple[date, date], dict[str, TrendPoint]]] = {}
    for question in questions:
        for point in trend.get(question.key, ()):
            period = (point.period_start, point.period_end)
            rounds.setdefault(point.round_number, (period, {}))[1][question.key] = point
    return [(number, *rounds[number]) for number in sorted(rounds)]


def _trend_cell(sheet: Sheet, column: int, question: Question, value: Any, figure: str) -> None:
    number = _as_number(value)
    if number is None:
        sheet.blank(column)
    elif figure == "change":
        sheet.number(column, number, sheet.formats.percent)
    else:
        sheet.number(column, number, sheet.formats.number(question))


def _line_chart(
    book: Book, sheet: Sheet, questions: Sequence[Question], first_row: int, last_row: int
) -> None:
    """A native Excel line chart, one series per question, placed under the table."""
    chart = book.workbook.add_chart({"type": "line"})
    name = sheet.name
    for index, _question in enumerate(questions, start=2):
        chart.add_series(
            {
                "name": [name, sheet.header_row, index],
                "categories": [name, first_row, 0, last_row, 0],
                "values": [name, first_row, index, last_row, index],
                "marker": {"type": "circle", "size": 4},
            }
        )
    chart.set_title({"none": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 960, "height": 400})
    sheet.worksheet.insert_chart(last_row + 2, 0, chart)


async def write_campaign_workbook(
    campaign_id: int,
    target: BinaryIO | str,
    *,
    include: Include,
    now: datetime,
    zone: ZoneInfo,
    organisation_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the campaign's workbook: a cover, the trend across rounds with a line
    chart, the cumulative figures, the change on the previous round, then the latest
    round's sheets."""
    campaign = await Campaign.get(id=campaign_id).select_related("organiser", "form_version")
    trend = await campaign_trend(campaign_id, include=include, organisation_ids=organisation_ids)
    latest = await Round.filter(campaign_id=campaign_id).order_by("-number").first()
    totals = (
        await round_totals(latest.id, include=include, organisation_ids=organisation_ids)
        if latest is not None
        else None
    )
    if progress is not None:
        progress(10)
    await asyncio.to_thread(
        build_campaign_workbook,
        target,
        campaign,
        trend,
        totals,
        include,
        now,
        zone,
        progress=progress,
    )


def build_campaign_workbook(
    target: BinaryIO | str,
    campaign: Campaign,
    trend: Mapping[str, Sequence[TrendPoint]],
    latest: RoundTotals | None,
    include: Include,
    now: datetime,
    zone: ZoneInfo,
    *,
    progress: Progress | None = None,
) -> None:
    """The campaign's workbook from figures already computed (no database)."""
    form = campaign.form_version.form_definition()
    questions = [q for q in form.questions() if q.key in trend]
    questions += [_unknown_question(key) for key in trend if form.question(key) is None]
    points = [point for series in trend.values() for point in series]
    rounds = {point.round_number for point in points}
    title = gettext(CAMPAIGN_TITLE) % {"title": campaign.title}
    lines: list[tuple[str, str | int]] = [
        (COVER_REPORT, campaign.title),
        (COVER_ORGANISER, campaign.organiser.name),
        (COVER_ROUNDS, len(rounds)),
    ]
    if points:
        start = min(point.period_start for point in points)
        end = max(point.period_end for point in points)
        period = {"start": start.isoformat(), "end": end.isoformat()}
        lines.append((COVER_PERIOD, gettext(PERIOD) % period))
    lines += [
        (COVER_INCLUDE, gettext(INCLUDE_LABELS[str(include)])),
        (COVER_EXPORTED, _local(now, zone)),
    ]
    book = Book(target, progress)
    write_cover(book, title, lines)
    subtitle = gettext(CAMPAIGN_SUBTITLE) % {
        "organiser": campaign.organiser.name,
        "include": gettext(INCLUDE_LABELS[str(include)]),
        "time": _local(now, zone),
    }
    sheets = (
        (SHEET_TREND, "total", questions),
        (SHEET_CUMULATIVE, "cumulative", questions),
        (SHEET_CHANGE, "change", questions),
    )
    for step, (name, figure, shown) in enumerate(sheets, start=1):
        write_trend_sheet(
            book, name, title, subtitle, shown, trend, figure, chart=figure == "total"
        )
        book.progress(10 + step * 10)
    if latest is not None:
        write_round_sheets(
            book, latest, None, now, zone, totals_name=SHEET_ROUND_TOTALS, span=(40, 95)
        )
    book.close()
    book.progress(100)


def _unknown_question(key: str) -> Question:
    """A numeric question the campaign's form no longer has (answered under an earlier
    version): named by its key."""
    return Question(key=key, type=QuestionType.DECIMAL, label=key)


# -- CSV -----------------------------------------------------------------------------------

# A spreadsheet opening a CSV runs cells that start with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_text(text: str) -> str:
    """User text made inert for a spreadsheet opening the CSV: a leading apostrophe
    before anything that would start a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_value(question: Question, value: Any, aggregate: Aggregate | None = None) -> str:
    if value is None or aggregate == Aggregate.NONE:
        return ""
    if aggregate in (Aggregate.COUNT, Aggregate.AVERAGE) or question.is_number:
        number = _as_number(value)
        if number is not None:
            return _plain(number)
    if aggregate == Aggregate.LIST:
        items = value if isinstance(value, list) else [value]
        return csv_text(LIST_SEPARATOR.join(str(item) for item in items))
    return csv_text(answer_text(question, value))


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _csv_line(cells: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def csv_lines(totals: RoundTotals, zone: ZoneInfo | None = None) -> Iterable[bytes]:
    """The totals table as CSV lines: a header, one line per organisation, 合计."""
    fixed = [gettext(label) for label in TOTALS_FIXED]
    yield BOM.encode("utf-8") + _csv_line(
        fixed + [csv_text(header_label(c.question)) for c in totals.columns]
    )
    for number, row in enumerate(totals.rows, start=1):
        state = state_text(row)
        submitted = (
            _local(row.submitted_at, zone)
            if row.submitted_at and zone
            else (row.submitted_at.isoformat() if row.submitted_at else "")
        )
        values = [
            csv_value(c.question, row.values.get(c.question.key)) if row.counted else ""
            for c in totals.columns
        ]
        yield _csv_line(
            [
                str(number),
                csv_text(row.name),
                csv_text(CHOICE_SEPARATOR.join(row.category_names)),
                state,
                submitted,
                *values,
            ]
        )
    totals_cells = [
        csv_value(c.question, totals.total.get(c.question.key), c.aggregate) for c in totals.columns
    ]
    yield _csv_line(["", gettext(TOTAL), "", "", "", *totals_cells])


async def round_csv(
    round_id: int,
    *,
    include: Include,
    organisation_ids: Collection[int] | None = None,
    zone: ZoneInfo | None = None,
) -> AsyncIterator[bytes]:
    """The round's totals table as UTF-8 CSV with a byte order mark (so Excel reads
    the Chinese right), line by line."""
    totals = await round_totals(round_id, include=include, organisation_ids=organisation_ids)
    for line in csv_lines(totals, zone):
        yield line
