"""The workbook being written: its cell formats, and one sheet laid out for A4 paper.

Rows are written strictly in order (xlsxwriter's constant_memory mode)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, BinaryIO
from zoneinfo import ZoneInfo

from intranet.i18n import gettext
from surveys.export.cells import (
    column_points,
    cut,
    display_width,
    header_text,
    line_count,
    sheet_name,
    significant_digits,
)
from surveys.export.labels import (
    A4,
    BODY_FONT,
    BODY_POINTS,
    FOOTER,
    LINE_POINTS,
    MAX_ROW_POINTS,
    MAX_WIDTH,
    MIN_SCALE,
    MIN_WIDTH,
    PAGE_HEADER,
    PRINTABLE_POINTS,
    SPREADSHEET_DIGITS,
    STAMP_DATE,
    STAMP_DATE_BLANK,
    STAMP_FILLED_BY,
    STAMP_HEAD,
    STAMP_LINE,
    STAMP_ORGANISATION,
    STAMP_TELEPHONE,
    TEXT_WIDTH,
    TITLE_FONT,
    TITLE_POINTS,
)
from surveys.numbers import plain_number
from surveys.schema import Question, QuestionType

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet


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
        # Imported here, as everywhere in the site's process: xlsxwriter is ~3 MB that only
        # the export process (and a rare form or directory download) needs.
        import xlsxwriter

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
            text = plain_number(Decimal(value))
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
