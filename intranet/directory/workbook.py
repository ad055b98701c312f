"""The directory workbook: reading an uploaded .xlsx or .csv, writing one.

A workbook has two sheets, named and headed as the association's own lists are:

  组织机构: 名称, 简称, 上级组织, 类型, 代码, 类别, 联系人, 联系电话, 电子邮箱
  人员:     姓名, 用户名, 电子邮箱, 手机, 所属组织, 角色

Columns are found by their header in the first row, in any order; other columns are
ignored. A CSV file holds one sheet, told by its header row: a header with 名称 and
上级组织 is the 组织机构 sheet, one with 姓名 and 用户名 is the 人员 sheet. A CSV is read
as UTF-8 (with or without the byte-order mark Excel writes) or, failing that, as GB18030,
which Chinese Excel uses when it saves "CSV (逗号分隔)".

Every cell is read as text: a phone number Excel turned into a number comes back as its
digits. Cells are written with write_string, so nothing in a cell is ever a formula.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from intranet.form_fields import clean_line
from intranet.i18n import gettext

ORGANISATIONS = "组织机构"
PEOPLE = "人员"
ORGANISATION_HEADERS = (
    "名称",
    "简称",
    "上级组织",
    "类型",
    "代码",
    "类别",
    "联系人",
    "联系电话",
    "电子邮箱",
)
NOTES = "填写说明"
PEOPLE_HEADERS = ("姓名", "用户名", "电子邮箱", "手机", "所属组织", "角色")
HEADERS = {ORGANISATIONS: ORGANISATION_HEADERS, PEOPLE: PEOPLE_HEADERS}
# The headers that must be there for a sheet to be read at all.
REQUIRED = {ORGANISATIONS: ("名称",), PEOPLE: ("用户名",)}
MAX_ROWS = 100_000  # per sheet: far above a nation's societies, well below a memory scare
MAX_CELL = 1000  # characters kept of one cell; longer is over-long for every column anyway


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, where a person finds it: sheet, row, column."""

    sheet: str
    row: int  # as Excel numbers it (the header is row 1); 0 for the file as a whole
    column: str  # the header's name, "" for the whole row
    message: str  # translated

    def location(self) -> str:
        parts = [self.sheet] if self.sheet else []
        if self.row:
            parts.append(gettext("row %(row)d") % {"row": self.row})
        if self.column:
            parts.append(self.column)
        return " · ".join(parts)


@dataclass
class Row:
    number: int
    cells: dict[str, str]

    def __getitem__(self, header: str) -> str:
        return self.cells.get(header, "")


@dataclass
class Directory:
    """What a file holds: the rows of each sheet it has, and what stopped reading."""

    organisations: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    sheets: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file is not a workbook or CSV this site can read (the message is translated)."""


# -- reading --------------------------------------------------------------------------------


def read_file(path: Path, filename: str) -> Directory:
    """Read an uploaded file; `filename` (as uploaded) tells .xlsx from .csv."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return read_csv(path.read_bytes())
    if suffix in (".xlsx", ".xlsm") or zipfile.is_zipfile(path):
        return read_xlsx(path)
    raise UnreadableFile(gettext("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))


def read_xlsx(path: Path) -> Directory:
    from openpyxl import load_workbook

    directory = Directory()
    # A file object: openpyxl judges a path by its extension, and uploads are kept without.
    with path.open("rb") as handle:
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a damaged or foreign file
            raise UnreadableFile(
                gettext("This file could not be read as an Excel workbook (.xlsx).")
            ) from None
        try:
            for worksheet in book.worksheets:
                title = clean_line(worksheet.title)
                if title not in HEADERS:
                    continue
                rows = (tuple(row) for row in worksheet.iter_rows(values_only=True))
                _read_sheet(directory, title, rows)
        except UnreadableFile:
            raise
        except Exception:  # a damaged sheet inside a readable package
            raise UnreadableFile(
                gettext("This file could not be read as an Excel workbook (.xlsx).")
            ) from None
        finally:
            book.close()
    if not directory.sheets:
        directory.problems.append(
            Problem(
                "",
                0,
                "",
                gettext("The workbook has no sheet named %(first)s or %(second)s.")
                % {"first": ORGANISATIONS, "second": PEOPLE},
            )
        )
    return directory


def decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(
            gettext("The CSV file is neither UTF-8 nor GB18030 text. Save it again from Excel.")
        ) from None


def read_csv(data: bytes) -> Directory:
    text = decode_csv(data)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    directory = Directory()
    header = {clean_line(cell) for cell in rows[0]} if rows else set()
    if {"名称", "上级组织"} <= header:
        _read_sheet(directory, ORGANISATIONS, iter(rows))
    elif {"姓名", "用户名"} <= header:
        _read_sheet(directory, PEOPLE, iter(rows))
    else:
        directory.problems.append(
            Problem(
                "",
                1,
                "",
                gettext(
                    "The first row of a CSV file must be the headers of one sheet: "
                    "%(organisations)s or %(people)s."
                )
                % {
                    "organisations": "、".join(ORGANISATION_HEADERS),
                    "people": "、".join(PEOPLE_HEADERS),
                },
            )
        )
    return directory


def cell_text(value: Any) -> str:
    """A cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFC", str(value)[:MAX_CELL])
    return clean_line(text)


def _read_sheet(directory: Directory, sheet: str, rows: Iterator[Sequence[Any]]) -> None:
    header_row = next(rows, None)
    headers = [cell_text(cell) for cell in header_row or ()]
    missing = [name for name in REQUIRED[sheet] if name not in headers]
    if missing:
        directory.problems.append(
            Problem(
                sheet,
                1,
                "",
                gettext("The first row must hold the headers; missing: %(names)s.")
                % {"names": "、".join(missing)},
            )
        )
        return
    directory.sheets.add(sheet)
    known = set(HEADERS[sheet])
    columns = [
        (index, name) for index, name in enumerate(headers) if name in known
    ]  # the first column of each name counts
    seen: set[str] = set()
    columns = [(i, n) for i, n in columns if not (n in seen or seen.add(n))]  # type: ignore[func-returns-value]
    target = directory.organisations if sheet == ORGANISATIONS else directory.people
    for number, raw in enumerate(rows, start=2):
        cells = {name: cell_text(raw[index]) if index < len(raw) else "" for index, name in columns}
        if not any(cells.values()):
            continue
        if len(target) >= MAX_ROWS:
            directory.problems.append(
                Problem(
                    sheet,
                    number,
                    "",
                    gettext("A sheet may hold at most %(count)d rows.") % {"count": MAX_ROWS},
                )
            )
            return
        target.append(Row(number, cells))


# -- writing --------------------------------------------------------------------------------


def write_workbook(
    target: Path | io.BytesIO,
    organisations: Iterable[Sequence[str]],
    people: Iterable[Sequence[str]],
    notes: Sequence[tuple[str, str]] = (),
) -> None:
    """Write both sheets; every cell is a string (write_string: never a formula)."""
    import xlsxwriter  # here, as openpyxl above: ~3 MB the site seldom needs

    book = xlsxwriter.Workbook(target, {"in_memory": False, "constant_memory": True})
    header = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    text = book.add_format({"num_format": "@"})
    for name, headers, rows in (
        (ORGANISATIONS, ORGANISATION_HEADERS, organisations),
        (PEOPLE, PEOPLE_HEADERS, people),
    ):
        sheet = book.add_worksheet(name)
        widths = [max(10, 2 * len(h) + 4) for h in headers]
        for column, width in enumerate(widths):
            sheet.set_column(column, column, width, text)
        for column, title in enumerate(headers):
            sheet.write_string(0, column, title, header)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if value:
                    sheet.write_string(number, column, value)
        sheet.freeze_panes(1, 0)
    if notes:
        sheet = book.add_worksheet(NOTES)
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 1, 90)
        for number, (label, value) in enumerate(notes):
            sheet.write_string(number, 0, label, header)
            sheet.write_string(number, 1, value)
    book.close()


def write_sheet(
    target: Path | io.BytesIO, title: str, headers: Sequence[str], rows: Iterable[Sequence[str]]
) -> None:
    """One sheet of text cells, such as the one-time codes handed out by hand: written row
    by row in constant memory, however many people a province imports."""
    import xlsxwriter  # here, as openpyxl above: ~3 MB the site seldom needs

    book = xlsxwriter.Workbook(target, {"in_memory": False, "constant_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    sheet = book.add_worksheet(title)
    for column, name in enumerate(headers):
        sheet.write_string(0, column, name, bold)
        sheet.set_column(column, column, 24)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            sheet.write_string(number, column, value)
    book.close()
