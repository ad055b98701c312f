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
    UNCATEGORISED,
    Include,
    OrganisationRow,
    RoundTotals,
    TrendPoint,
    YesCount,
    campaign_trend,
    category_subtotals,
    format_percent,
    round_totals,
    yes_count,
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
# Print layout. Text is written at 10.5 pt (五号) and never printed below 86 %, so
# nothing on paper is smaller than 9 pt; a table too wide for that is split across pages
# by column groups, the organisation column repeated on each, instead of shrinking.
BODY_POINTS = 10.5
TITLE_POINTS = 16
MIN_SCALE = 86
WIDEST_DIGIT_PIXELS = 9.5
# A4 landscape less the side margins (0.4 inch each), in points, with a little room.
PRINTABLE_POINTS = 842 - 58 - 10
# Columns of the totals sheet, in character widths (a Chinese character takes two).
NUMBER_WIDTH = 10
ANSWER_WIDTH = 14
NAME_WIDTH = 20
# An answer longer than this many lines in the totals sheet is cut there to its start
# with a marker: the 文字内容 sheet has it in full.
ANSWER_LINES = 3
# A list total longer than this many lines gives its column more room, up to LIST_WIDTH;
# a list total still longer points to the 文字内容 sheet, which has every answer.
LIST_LINES = 12
LIST_WIDTH = 40
# Points a line of 10.5 pt text takes in a row (CJK fonts have tall line spacing).
LINE_POINTS = 15
MAX_ROW_POINTS = 409
# A spreadsheet keeps 15 significant digits of a number; a figure with more is written
# as its exact text (right-aligned), with a note under the table.
SPREADSHEET_DIGITS = 15
# Fonts a Chinese office PC has: 宋体 for the body, 黑体 for titles.
BODY_FONT = "\u5b8b\u4f53"
TITLE_FONT = "\u9ed1\u4f53"
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
IN_PROGRESS = N_("In progress (%(reported)d of %(roster)d reported)")
LEFT_OUT_OF_CHANGE = N_(
    "Round %(number)d is still in progress: it is left out of the change on the previous round."
)
TREND_TITLE = N_("%(title)s: total of each round")
CUMULATIVE_TITLE = N_("%(title)s: running totals (cumulative questions)")
CHANGE_TITLE = N_("%(title)s: change on the previous round")
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
SUBTOTALS_OVERLAP = N_(
    "Note: an organisation in more than one category counts in each of its categories' "
    "subtotals, so the subtotals can add up to more than the total."
)
EXACT_AS_TEXT = N_(
    "Note: figures with more than %(digits)d significant digits are written as text, so that "
    "no digit is lost."
)
SEE_TEXTS = N_("(in full on the %(sheet)s sheet)")
LIST_ELSEWHERE = N_("%(count)d answers, listed on the %(sheet)s sheet")
YES_SHARE = N_("%(yes)s %(count)d (%(share)s)")
STATE_LATE = N_("%(state)s (late)")
STATE_UNCHANGED = N_("%(state)s, no change")
STATE_RESENT = N_("%(state)s (resubmitted after return)")
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

STAMP_LINE = N_("%(label)s: %(value)s")
STAMP_ORGANISATION = N_("Reporting organisation (seal)")
STAMP_HEAD = N_("Person in charge")
STAMP_FILLED_BY = N_("Filled in by")
STAMP_TELEPHONE = N_("Telephone")
STAMP_DATE = N_("Date of the report")
STAMP_DATE_BLANK = N_("____ (year) ____ (month) ____ (day)")
PAGE_HEADER = N_("%(title)s · %(sheet)s")


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
    if row.late:
        state = gettext(STATE_LATE) % {"state": state}
    if row.resent:
        state = gettext(STATE_RESENT) % {"state": state}
    return state


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
        font = {"font_name": BODY_FONT, "font_size": BODY_POINTS}
        cell = {**font, "border": 1, "valign": "top"}
        add = workbook.add_format
        self.title = add(
            {
                "bold": True,
                "font_name": TITLE_FONT,
                "font_size": TITLE_POINTS,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        )
        self.subtitle = add({**font, "align": "center", "valign": "vcenter", "text_wrap": True})
        self.header = add(
            {
                **cell,
                "font_name": TITLE_FONT,
                "bold": True,
                "bg_color": "#DDEBF7",
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
            }
        )
        # Text wraps wherever it is longer than its column is wide, and the row is made
        # tall enough for it, so nothing is hidden on paper.
        self.text = add({**cell, "text_wrap": True})
        self.wrap = self.text
        self.muted = add({**cell, "text_wrap": True, "font_color": "#808080"})
        self.label = add({**cell, "bold": True, "text_wrap": True})
        self.integer = add({**cell, "num_format": "#,##0"})
        self.decimal = add({**cell, "num_format": "#,##0.00####"})
        self.average = add({**cell, "num_format": "#,##0.00"})
        self.percent = add({**cell, "num_format": "0.0%"})
        # 环比 signed as on the trend page: +5.5%, -16.2%, 0.0%.
        self.change = add({**cell, "num_format": "+0.0%;-0.0%;0.0%"})
        self.cover_integer = add({**cell, "num_format": "#,##0", "align": "left"})
        self.date = add({**cell, "num_format": "yyyy-mm-dd"})
        self.moment = add({**cell, "num_format": "yyyy-mm-dd hh:mm"})
        self.short_moment = add({**cell, "num_format": "mm-dd hh:mm"})
        total = {**cell, "bold": True, "bg_color": "#F2F2F2"}
        self.total_text = add({**total, "text_wrap": True})
        self.total_integer = add({**total, "num_format": "#,##0"})
        self.total_decimal = add({**total, "num_format": "#,##0.00####"})
        self.total_average = add({**total, "num_format": "#,##0.00"})
        self.total_percent = add({**total, "num_format": "0.0%"})
        self.total_date = add({**total, "num_format": "yyyy-mm-dd"})
        self.note = add({**font, "italic": True, "text_wrap": True, "valign": "top"})
        self._exact: dict[int, Format] = {}
        self._add = add
        self._cell = cell
        self._total_cell = total
        self.stamp = add({**font, "valign": "bottom"})

    def exact(self, number_format: Format) -> Format:
        """A right-aligned text format to stand in for `number_format` (a total's stays
        bold and shaded)."""
        key = id(number_format)
        if key not in self._exact:
            base = self._total_cell if number_format.bold else self._cell
            self._exact[key] = self._add({**base, "align": "right"})
        return self._exact[key]

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
        # Named in every page's header with the sheet's name: a printed page stands alone.
        self.report_title = ""

    def sheet(self, title: str) -> Sheet:
        name = sheet_name(title, self.names)
        self.names.append(name)
        sheet = Sheet(self, self.workbook.add_worksheet(name))
        if self.report_title:
            sheet.page_header = gettext(PAGE_HEADER) % {"title": self.report_title, "sheet": name}
        return sheet

    def close(self) -> None:
        self.workbook.close()


class Sheet:
    """One worksheet written top to bottom, remembering how wide each column must be
    and making each row tall enough for its wrapped text."""

    def __init__(self, book: Book, worksheet: Worksheet) -> None:
        self.book = book
        self.worksheet = worksheet
        self.formats = book.formats
        self.row = 0
        self.header_row: int | None = None
        self.widths: dict[int, int] = {}
        self.wrapped: set[int] = set()
        # Columns given a width before any row is written (plan): they keep it.
        self.planned: dict[int, int] = {}
        self.row_lines = 1
        self.row_points: float | None = None
        self.page_header = ""
        # The last column printed on the first page (titles are centred over those).
        self.first_page: int | None = None
        # Whether a figure too precise for a spreadsheet number was written as text.
        self.exact_text = False
        # The first column of text across the table (see plan).
        self.lead = 0

    @property
    def name(self) -> str:
        return str(self.worksheet.name)

    def plan(self, widths: Sequence[int], *, repeated: int = 2) -> None:
        """Fix the columns' widths before writing, so that rows can be made tall enough
        for their wrapped text as they are written. When the table will be split across
        pages, the text across it (titles, notes, the stamp block) starts after the
        `repeated` columns printed on every page, so no slice of it shows there."""
        self.planned = dict(enumerate(widths))
        self.first_page = len(widths) - 1
        points = [column_points(width) for width in widths]
        if sum(points) * MIN_SCALE / 100 > PRINTABLE_POINTS:
            room, used = PRINTABLE_POINTS * 100 / MIN_SCALE, 0.0
            for column, width in enumerate(points):
                if used + width > room:
                    self.first_page = column - 1
                    self.lead = repeated
                    break
                used += width

    def width_of(self, column: int) -> int:
        if column in self.planned:
            return self.planned[column]
        return TEXT_WIDTH if column in self.wrapped else MAX_WIDTH

    def fit(self, column: int, width: int) -> None:
        if width > self.widths.get(column, 0):
            self.widths[column] = width

    def string(self, column: int, text: str, format: Format | None = None) -> None:
        """User text or not, always a string: never a formula, link or number."""
        text = cut(text)
        self.worksheet.write_string(self.row, column, text, format or self.formats.text)
        self.fit(column, display_width(text))
        self.row_lines = max(self.row_lines, line_count(text, self.width_of(column)))

    def number(self, column: int, value: Decimal | int, format: Format) -> None:
        """A number as a number; one with more significant digits than a spreadsheet
        keeps (15) as its exact text instead, and the sheet says so under its table."""
        if significant_digits(value) > SPREADSHEET_DIGITS:
            text = _plain(Decimal(value))
            self.worksheet.write_string(self.row, column, text, self.formats.exact(format))
            self.exact_text = True
            self.fit(column, len(text) + 1)
            return
        self.worksheet.write_number(self.row, column, float(value), format)
        self.fit(column, len(f"{value:,}") + 1)

    def day(self, column: int, value: date, format: Format) -> None:
        self.worksheet.write_datetime(
            self.row, column, datetime(value.year, value.month, value.day), format
        )
        self.fit(column, 11)

    def moment(
        self, column: int, value: datetime, zone: ZoneInfo, format: Format | None = None
    ) -> None:
        local = value.astimezone(zone).replace(tzinfo=None)
        self.worksheet.write_datetime(self.row, column, local, format or self.formats.moment)
        self.fit(column, 17)

    def blank(self, column: int, format: Format | None = None) -> None:
        self.worksheet.write_blank(self.row, column, None, format or self.formats.text)

    def next_row(self) -> None:
        """Close the row: as tall as its most wrapped cell (xlsxwriter writes a row out
        when the next one starts, so its height is set now)."""
        if self.row_points is not None:
            self.worksheet.set_row(self.row, self.row_points)
        elif self.row_lines > 1:
            height = min(MAX_ROW_POINTS, self.row_lines * LINE_POINTS + 3)
            self.worksheet.set_row(self.row, height)
        self.row += 1
        self.row_lines = 1
        self.row_points = None

    def title(self, text: str, last_column: int, format: Format | None = None) -> None:
        """A title across the sheet's columns: merged, then written as a string (merging
        with the text would pass it to write(), which makes formulas of some titles)."""
        format = format or self.formats.title
        if self.first_page is not None:
            last_column = min(last_column, self.first_page)
        first = self.lead
        if last_column > first:
            self.worksheet.merge_range(self.row, first, self.row, last_column, "", format)
        self.worksheet.write_string(self.row, first, cut(text), format)
        across = sum(self.width_of(c) for c in range(first, last_column + 1)) if self.planned else 0
        big = format is self.formats.title
        lines = line_count(text, across * (10 if big else 1) // (16 if big else 1)) if across else 1
        self.row_points = (30 if big else 20) + (lines - 1) * (22 if big else LINE_POINTS)
        self.next_row()

    def headers(self, labels: Sequence[str]) -> None:
        self.header_row = self.row
        for column, label in enumerate(labels):
            self.string(column, label, self.formats.header)
        self.next_row()

    def wrap_column(self, column: int) -> None:
        self.wrapped.add(column)

    def note(self, text: str, last_column: int) -> None:
        """A line of explanation under a table, across its columns."""
        last_column = (
            min(last_column, self.first_page) if self.first_page is not None else last_column
        )
        if last_column > 0:
            self.worksheet.merge_range(self.row, 0, self.row, last_column, "", self.formats.note)
        self.worksheet.write_string(self.row, 0, cut(text), self.formats.note)
        across = sum(self.width_of(c) for c in range(last_column + 1))
        self.row_lines = line_count(text, across)
        self.next_row()

    def stamp_block(self, organiser: str, first: int, last: int) -> None:
        """填报单位（盖章）、负责人、填表人、联系电话、填报日期 under the table, between
        columns `first` and `last` (those printed on the first page), the organisation
        that sends the report filled in."""
        self.next_row()
        first = max(first, self.lead)
        if self.first_page is not None:
            last = max(first, min(last, self.first_page))
        blank = "\uff3f" * 8
        lines = [
            (STAMP_ORGANISATION, organiser),
            (STAMP_HEAD, blank),
            (STAMP_FILLED_BY, blank),
            (STAMP_TELEPHONE, blank),
            (STAMP_DATE, gettext(STAMP_DATE_BLANK)),
        ]
        for label, value in lines:
            text = gettext(STAMP_LINE) % {"label": gettext(label), "value": value}
            if last > first:
                self.worksheet.merge_range(self.row, first, self.row, last, "", self.formats.stamp)
            self.worksheet.write_string(self.row, first, cut(text), self.formats.stamp)
            self.row_points = 28
            self.next_row()

    def finish(self, *, freeze_columns: int = 1) -> None:
        """Widths, frozen headers and the print layout: A4 landscape, header rows and the
        organisation column repeated on every page, a page header naming the report and
        the sheet, page numbers in the footer. One page wide when that prints at
        MIN_SCALE or more; otherwise split across pages by column groups."""
        sheet = self.worksheet
        widths: dict[int, int] = {}
        for column, width in self.widths.items():
            if column in self.planned:
                widths[column] = self.planned[column]
            else:
                limit = TEXT_WIDTH if column in self.wrapped else MAX_WIDTH
                widths[column] = max(MIN_WIDTH, min(width + 2, limit))
        for column, width in self.planned.items():
            widths.setdefault(column, width)
        for column, width in widths.items():
            sheet.set_column(column, column, width)
        if self.header_row is not None:
            sheet.freeze_panes(self.header_row + 1, freeze_columns)
            sheet.repeat_rows(self.header_row)
        sheet.set_landscape()
        sheet.set_paper(A4)
        sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.7)
        self._scale(widths, freeze_columns)
        sheet.center_horizontally()
        size = f"&{round(BODY_POINTS + 0.5)}"
        if self.page_header:
            sheet.set_header(f"&C{size}{header_text(self.page_header)}", {"margin": 0.3})
        sheet.set_footer(f"&C{size}" + gettext(FOOTER))

    def _scale(self, widths: Mapping[int, int], repeated: int) -> None:
        """One page wide when that needs no scale below MIN_SCALE (the spreadsheet program
        then picks the scale, at most 100 %); otherwise print at MIN_SCALE with a page
        break between column groups and the first `repeated` columns printed again on
        each page."""
        sheet = self.worksheet
        points = {column: column_points(width) for column, width in widths.items()}
        total = sum(points.values())
        if total * MIN_SCALE / 100 <= PRINTABLE_POINTS:
            sheet.fit_to_pages(1, 0)
            return
        sheet.set_print_scale(MIN_SCALE)
        room = PRINTABLE_POINTS * 100 / MIN_SCALE
        kept = sum(points.get(c, 0) for c in range(repeated))
        if repeated:
            sheet.repeat_columns(0, repeated - 1)
        breaks = []
        used = kept
        for column in range(repeated, max(points) + 1):
            width = points.get(column, 0)
            if used + width > room and used > kept:
                breaks.append(column)
                used = kept
            used += width
        if breaks:
            sheet.set_v_pagebreaks(breaks)


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
        total += max(1, -(-_full_width(line) // room))
    return total


def _full_width(text: str) -> int:
    return len(text) if text.isascii() else len(text) + len(_WIDE.findall(text))


def header_text(text: str) -> str:
    """Text for a page header: its ampersands doubled (a single one starts a code),
    short enough for Excel's 255-character limit with the codes around it."""
    return text.replace("&", "&&")[:200]


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
    book: Book,
    title: str,
    lines: Iterable[tuple[str, str | int]],
    *,
    name: str = SHEET_COVER,
    stamp: str | None = None,
) -> None:
    """A cover sheet: the merged title, one labelled line per fact, and the stamp and
    signature block of organisation `stamp` when given."""
    sheet = book.sheet(gettext(name))
    sheet.plan([24, 56])
    sheet.title(title, 1)
    sheet.next_row()
    for label, value in lines:
        sheet.string(0, gettext(label), sheet.formats.label)
        if isinstance(value, int):
            sheet.number(1, value, sheet.formats.cover_integer)
            sheet.fit(1, 20)
        else:
            sheet.string(1, value)
        sheet.next_row()
    if stamp is not None:
        sheet.stamp_block(stamp, 0, 1)
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
        stamp=round_.campaign.organiser.name if round_.campaign.stamp_block else None,
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
    format = formats.total_text if total else formats.wrap
    sheet.wrap_column(column)
    sheet.string(column, answer_text(question, value), format)


def short_answer(question: Question, value: Any, width: int, sheet_title: str) -> str:
    """A text answer as the totals sheet shows it: whole when it takes at most
    ANSWER_LINES lines of its column, else its start and a marker pointing to the
    文字内容 sheet, which has it in full."""
    text = answer_text(question, value)
    if question.type not in TEXT_TYPES or line_count(text, width) <= ANSWER_LINES:
        return text
    marker = gettext(SEE_TEXTS) % {"sheet": sheet_title}
    room = max(1, (width - 1) * (ANSWER_LINES - 1) - 2)
    start = ""
    for character in text.replace("\n", " "):
        if _full_width(start + character) > room:
            break
        start += character
    return start + "\u2026" + marker


def write_aggregate(
    sheet: Sheet, column: int, question: Question, aggregate: Aggregate, value: Any
) -> None:
    """A 合计 or subtotal cell: a number for sum/min/max, two places for an average, a
    count of answers (for a yes/no question: the 是 answers), or the answers listed."""
    formats = sheet.formats
    if aggregate == Aggregate.NONE or value is None:
        sheet.blank(column, formats.total_text)
    elif question.type == QuestionType.YES_NO and isinstance(value, YesCount):
        sheet.string(column, yes_text(value), formats.total_text)
    elif aggregate == Aggregate.COUNT and (count := _as_number(value)) is not None:
        sheet.number(column, count, formats.total_integer)
    elif aggregate == Aggregate.AVERAGE and (mean := _as_number(value)) is not None:
        sheet.number(column, mean, formats.total_average)
    elif aggregate == Aggregate.LIST:
        sheet.string(column, list_total_text(question, value), formats.total_text)
    else:
        write_value(sheet, column, question, value, total=True)


def list_total_text(question: Question, value: Any, *, shortened: bool = True) -> str:
    """A list total: the answers, or, when they would take more than LIST_LINES lines of
    the column, their number and where they are (the 文字内容 sheet lists each)."""
    items = value if isinstance(value, list) else [value]
    text = LIST_SEPARATOR.join(str(item) for item in items)
    if not shortened or question.type not in TEXT_TYPES:
        return text
    if line_count(text, LIST_WIDTH) <= LIST_LINES:
        return text
    return gettext(LIST_ELSEWHERE) % {"count": len(items), "sheet": gettext(SHEET_TEXTS)}


def yes_text(count: YesCount) -> str:
    """是 N（占 x%）: the yes answers and their share of those who answered."""
    return gettext(YES_SHARE) % {
        "yes": gettext(YES),
        "count": count.yes,
        "share": format_percent(count.share),
    }


TOTALS_FIXED = (
    COLUMN_NUMBER,
    COLUMN_ORGANISATION,
    COLUMN_CATEGORY,
    COLUMN_STATE,
    COLUMN_SUBMITTED_AT,
)
# No., organisation, category, state, submitted at (month, day and time: the round's
# period is in the subtitle).
FIXED_WIDTHS = (4, NAME_WIDTH, 10, 10, 12)


def totals_widths(totals: RoundTotals, values: Iterable[Mapping[str, Any]]) -> list[int]:
    """The totals sheet's column widths, fixed before it is written: numbers a readable
    width (wider only for a figure that needs it), answers wrapped in ANSWER_WIDTH, a list
    total given up to LIST_WIDTH to fit in LIST_LINES lines."""
    widths = list(FIXED_WIDTHS)
    figures = list(values)
    for column in totals.columns:
        question = column.question
        key = question.key
        if question.is_number or column.aggregate in (Aggregate.COUNT, Aggregate.AVERAGE):
            longest = max(
                (
                    len(f"{number:,.2f}")
                    for figure in figures
                    if (number := _as_number(figure.get(key))) is not None
                ),
                default=0,
            )
            widths.append(max(NUMBER_WIDTH, longest + 3))
        elif question.type in (QuestionType.DATE, QuestionType.YES_NO):
            widths.append(NUMBER_WIDTH)
        elif column.aggregate == Aggregate.LIST:
            width = ANSWER_WIDTH
            for figure in figures:
                if figure.get(key) is None:
                    continue
                text = list_total_text(question, figure.get(key), shortened=False)
                if line_count(text, LIST_WIDTH) > LIST_LINES and question.type in TEXT_TYPES:
                    continue  # too long even then: it points to the text answers sheet
                while width < LIST_WIDTH and line_count(text, width) > LIST_LINES:
                    width += 2
            widths.append(width)
        else:
            widths.append(ANSWER_WIDTH)
    return widths


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
    left blank), a subtotal row per category when asked, the 合计 row, and the stamp and
    signature block when the campaign has it."""
    sheet = book.sheet(name)
    fixed = len(TOTALS_FIXED)
    last = fixed + len(totals.columns) - 1
    total = shown_total(totals)
    shown_subtotals = [(c, shown_subtotal(totals, c, v)) for c, v in subtotals or ()]
    sheet.plan(totals_widths(totals, [total, *(v for _, v in shown_subtotals)]))
    sheet.title(_round_title(totals.round), last)
    sheet.title(_subtitle(totals, now, zone), last, sheet.formats.subtitle)
    sheet.headers(
        [gettext(label) for label in TOTALS_FIXED]
        + [header_label(column.question) for column in totals.columns]
    )
    rows = list(rows)
    for number, row in enumerate(rows, start=1):
        _organisation_row(sheet, totals, number, row, zone)
    for category, values in shown_subtotals:
        _aggregate_row(sheet, totals, gettext(SUBTOTAL) % {"category": category}, values)
    _aggregate_row(sheet, totals, gettext(TOTAL), total)
    if shown_subtotals and any(len(r.category_names) > 1 for r in rows if r.counted):
        sheet.note(gettext(SUBTOTALS_OVERLAP), last)
    if sheet.exact_text:
        sheet.note(gettext(EXACT_AS_TEXT) % {"digits": SPREADSHEET_DIGITS}, last)
    if totals.round.campaign.stamp_block:
        sheet.stamp_block(totals.round.campaign.organiser.name, 1, fixed - 1)
    sheet.finish(freeze_columns=2)


def shown_total(totals: RoundTotals) -> dict[str, Any]:
    """The 合计 as printed: a yes/no question's as its 是 answers and their share."""
    return shown_figures(totals, totals.total, totals.choice_counts)


def shown_subtotal(totals: RoundTotals, category: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A category's subtotal as printed: a yes/no question's as the 是 answers of the
    category's counted organisations and their share, like the 合计."""
    uncategorised = gettext(UNCATEGORISED)
    rows = [
        row
        for row in totals.rows
        if row.counted
        and (
            category in row.category_names or (category == uncategorised and not row.category_names)
        )
    ]
    counts: dict[str, dict[str, int]] = {}
    for column in totals.columns:
        if column.question.type == QuestionType.YES_NO:
            answers = [row.values.get(column.question.key) for row in rows]
            counts[column.question.key] = {
                "yes": answers.count("yes"),
                "no": answers.count("no"),
            }
    return shown_figures(totals, values, counts)


def shown_figures(
    totals: RoundTotals,
    values: Mapping[str, Any],
    choice_counts: Mapping[str, Mapping[str, int]] | None,
) -> dict[str, Any]:
    shown = dict(values)
    for column in totals.columns:
        question = column.question
        if question.type != QuestionType.YES_NO or choice_counts is None:
            continue
        counts = choice_counts.get(question.key)
        if counts is not None and column.aggregate == Aggregate.COUNT:
            shown[question.key] = yes_count(counts)
    return shown


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
        sheet.moment(4, row.submitted_at, zone, formats.short_moment)
    else:
        sheet.blank(4, plain)
    texts = gettext(SHEET_TEXTS)
    for index, column in enumerate(totals.columns, start=len(TOTALS_FIXED)):
        question = column.question
        value = row.values.get(question.key) if row.counted else None
        if value is None:
            sheet.blank(index, plain)
        elif question.type in TEXT_TYPES:
            text = short_answer(question, value, sheet.width_of(index), texts)
            sheet.string(index, text, formats.wrap)
        else:
            write_value(sheet, index, question, value, total=False)
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
    sheet.plan([20, 22, 70])
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
        if question.type == QuestionType.TABLE and totals.tables.get(question.key):
            write_table_sheet(book, question, totals.tables[question.key], context)
    if any(totals.texts.get(q.key) for q in form.questions()):
        write_texts_sheet(book, form, totals.texts, context)
    book.progress(start + (end - start) * 3 // 4)
    if totals.choice_counts:
        write_choices_sheet(book, form, totals.choice_counts, context)
    if totals.not_submitted:
        write_not_submitted_sheet(book, totals.rows, totals.not_submitted, context)
    if reminders:
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
    book.report_title = _round_title(totals.round)
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
    sheet.plan([8, 26] + [NUMBER_WIDTH] * len(questions))
    last = 1 + len(questions)
    sheet.title(title, last)
    sheet.title(subtitle, last, sheet.formats.subtitle)
    sheet.headers(
        [gettext(COLUMN_ROUND), gettext(COLUMN_PERIOD)] + [header_label(q) for q in questions]
    )
    first_row = sheet.row
    points = _points_by_round(questions, trend)
    left_out: list[TrendPoint] = []  # in progress, and out of 环比
    for number, (start, end), by_key in points:
        # The round's number alone in the first column: it names the charts' points.
        sheet.string(0, gettext(ROUND_NUMBER) % {"number": number})
        period = gettext(PERIOD) % {"start": start.isoformat(), "end": end.isoformat()}
        current = next((p for p in by_key.values() if p.in_progress), None)
        if current is not None and all(p.change is None for p in by_key.values()):
            left_out.append(current)
        if current is not None:
            period = f"{period}\n{in_progress_text(current)}"
        sheet.string(1, period)
        for index, question in enumerate(questions, start=2):
            point = by_key.get(question.key)
            value = getattr(point, figure) if point is not None else None
            _trend_cell(sheet, index, question, value, figure, question.aggregate)
        sheet.next_row()
    last_row = sheet.row - 1
    if sheet.exact_text:
        sheet.note(gettext(EXACT_AS_TEXT) % {"digits": SPREADSHEET_DIGITS}, last)
    if figure == "change":
        for point in left_out:
            sheet.note(gettext(LEFT_OUT_OF_CHANGE) % {"number": point.round_number}, last)
    if chart and questions and last_row >= first_row:
        _line_chart(book, sheet, questions, first_row, last_row)
    sheet.finish(freeze_columns=2)


def in_progress_text(point: TrendPoint) -> str:
    """进行中（已报 20/34）: a round still open, and how far its reporting has got."""
    return gettext(IN_PROGRESS) % {"reported": point.reported, "roster": point.roster}


def _points_by_round(
    questions: Sequence[Question], trend: Mapping[str, Sequence[TrendPoint]]
) -> list[tuple[int, tuple[date, date], dict[str, TrendPoint]]]:
    rounds: dict[int, tuple[tuple[date, date], dict[str, TrendPoint]]] = {}
    for question in questions:
        for point in trend.get(question.key, ()):
            period = (point.period_start, point.period_end)
            rounds.setdefault(point.round_number, (period, {}))[1][question.key] = point
    return [(number, *rounds[number]) for number in sorted(rounds)]


def _trend_cell(
    sheet: Sheet, column: int, question: Question, value: Any, figure: str, aggregate: Aggregate
) -> None:
    number = _as_number(value)
    if number is None:
        sheet.blank(column)
    elif figure == "change":
        sheet.number(column, number, sheet.formats.change)
    elif aggregate == Aggregate.AVERAGE:
        sheet.number(column, number, sheet.formats.average)
    else:
        sheet.number(column, number, sheet.formats.number(question))


CHART_WIDTH, CHART_HEIGHT = 380, 270
CHARTS_ACROSS = 2
# Rows (of the default 20 pixels) a band of charts takes, and bands on a printed page.
CHART_ROWS = CHART_HEIGHT // 20 + 1
BANDS_PER_PAGE = 2


def _line_chart(
    book: Book, sheet: Sheet, questions: Sequence[Question], first_row: int, last_row: int
) -> None:
    """A small native Excel line chart per question under the table, two across: titled
    with the question and its unit, its axis in the question's number format, so no two
    units share an axis and no large series flattens the others."""
    name = sheet.name
    first = last_row + 2
    bands = -(-len(questions) // CHARTS_ACROSS)
    # The charts start on a page of their own, and no chart is split between two pages.
    sheet.worksheet.set_h_pagebreaks(
        [first + band * CHART_ROWS for band in range(0, bands, BANDS_PER_PAGE)]
    )
    for position, question in enumerate(questions):
        column = position + 2
        chart = book.workbook.add_chart({"type": "line"})
        chart.add_series(
            {
                "name": [name, sheet.header_row, column],
                "categories": [name, first_row, 0, last_row, 0],
                "values": [name, first_row, column, last_row, column],
                "marker": {"type": "circle", "size": 5},
            }
        )
        chart.set_title(
            {"name": header_label(question), "name_font": {"size": 11, "name": TITLE_FONT}}
        )
        chart.set_legend({"none": True})
        chart.set_chartarea({"border": {"none": True}})
        chart.set_y_axis(
            {
                "num_format": _axis_format(question),
                "num_font": {"size": 10},
                "major_gridlines": {"visible": True},
            }
        )
        chart.set_x_axis({"num_font": {"size": 10}})
        chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
        row = first + (position // CHARTS_ACROSS) * CHART_ROWS
        offset = (position % CHARTS_ACROSS) * (CHART_WIDTH + 10)
        sheet.worksheet.insert_chart(row, 0, chart, {"x_offset": offset, "object_position": 3})


def _axis_format(question: Question) -> str:
    if question.aggregate == Aggregate.AVERAGE:
        return "#,##0.00"
    return "#,##0" if question.type == QuestionType.INTEGER else "#,##0.##"


async def write_campaign_workbook(
    campaign_id: int,
    target: BinaryIO | str,
    *,
    include: Include,
    now: datetime,
    zone: ZoneInfo,
    organisation_ids: Collection[int] | None = None,
    progress: Progress | None = None,
    open_in_change: bool = False,
) -> None:
    """Write the campaign's workbook: a cover, the trend across rounds with a line
    chart per question, the cumulative figures, the change on the previous round (the
    round in progress left out unless `open_in_change`), then the latest round's
    sheets."""
    campaign = await Campaign.get(id=campaign_id).select_related("organiser", "form_version")
    trend = await campaign_trend(
        campaign_id,
        include=include,
        organisation_ids=organisation_ids,
        now=now,
        open_in_change=open_in_change,
    )
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
    book.report_title = title
    write_cover(book, title, lines, stamp=campaign.organiser.name if campaign.stamp_block else None)
    subtitle = gettext(CAMPAIGN_SUBTITLE) % {
        "organiser": campaign.organiser.name,
        "include": gettext(INCLUDE_LABELS[str(include)]),
        "time": _local(now, zone),
    }
    # 累计 only for the questions the form marks cumulative; no sheet when there are none.
    sheets = (
        (SHEET_TREND, TREND_TITLE, "total", questions),
        (SHEET_CUMULATIVE, CUMULATIVE_TITLE, "cumulative", [q for q in questions if q.cumulative]),
        (SHEET_CHANGE, CHANGE_TITLE, "change", questions),
    )
    for step, (name, sheet_title, figure, shown) in enumerate(sheets, start=1):
        if shown:
            write_trend_sheet(
                book,
                name,
                gettext(sheet_title) % {"title": campaign.title},
                subtitle,
                shown,
                trend,
                figure,
                chart=figure == "total",
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
    shown = shown_total(totals)
    totals_cells = [
        csv_text(yes_text(value))
        if isinstance(value := shown.get(c.question.key), YesCount)
        else csv_value(c.question, value, c.aggregate)
        for c in totals.columns
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
