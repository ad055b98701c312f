"""A workbook read for import: the file checked, each sheet's header and rows read as text."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from intranet.form_fields import without_unsafe_chars
from surveys.schema import (
    Choice,
    Respondent,
)
from surveys.xlsform.sheets import (
    COLUMNS,
    DUPLICATE_CHOICE,
    DUPLICATE_COLUMN,
    FORMULA,
    MAX_COLUMNS,
    MAX_PHYSICAL_ROWS,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    MISSING_COLUMN,
    MISSING_SHEET,
    NO_CHOICE_LABEL,
    NO_CHOICE_VALUE,
    NO_LIST_NAME_IN_CHOICES,
    NOT_XLSX,
    REQUIRED_COLUMNS,
    SETTINGS,
    SETTINGS_ONE_ROW,
    SHEET_TITLES,
    SHEETS,
    TOO_LARGE,
    TOO_MANY_ROWS,
    UNKNOWN_COLUMN,
    UNKNOWN_RESPONDENT,
    ImportProblem,
)

# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    letter: str


@dataclass
class Row:
    sheet: str
    number: int
    cells: dict[str, Cell]

    def text(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.text if cell else ""

    def letter(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.letter if cell else ""


@dataclass
class Sheet:
    name: str
    letters: dict[str, str]
    rows: list[Row]


class Problems:
    def __init__(self) -> None:
        self.found: list[ImportProblem] = []

    # Positional-only, so that a message may have its own %(sheet)s or %(column)s.
    def sheet(self, sheet: str, message: str, /, **params: object) -> None:
        self.found.append(ImportProblem(sheet=sheet, message=message, params=params))

    def at(self, row: Row, column: str, message: str, /, **params: object) -> None:
        self.cell(row.sheet, row.number, column, row.letter(column), message, **params)

    def cell(
        self, sheet: str, number: int, column: str, letter: str, message: str, /, **params: object
    ) -> None:
        self.found.append(
            ImportProblem(
                sheet=sheet,
                message=message,
                params=params,
                row=number,
                column=column,
                column_letter=letter,
            )
        )


def read_workbook(data: bytes, problems: Problems) -> dict[str, Sheet | None] | None:
    if not _looks_like_xlsx(data, problems):
        return None
    # Imported here: openpyxl (with Pillow) is ~5 MB a worker would otherwise hold for the
    # rare form import.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=False)
    except Exception:  # a damaged or foreign file fails in many ways inside openpyxl
        problems.sheet("", NOT_XLSX)
        return None
    try:
        by_name = {name.strip().lower(): workbook[name] for name in workbook.sheetnames}
        sheets: dict[str, Sheet | None] = {}
        for kind in SHEETS:
            found = next((by_name[n] for n in sheet_names(kind) if n in by_name), None)
            if found is None:
                title = SHEET_TITLES[kind]
                problems.sheet(title, MISSING_SHEET, sheet=f"{title} ({kind})")
                sheets[kind] = None
            else:
                sheets[kind] = _read_sheet(found, kind, problems)
        return sheets
    except Exception:  # read-only sheets are parsed only now: damaged XML, entity bombs
        problems.sheet("", NOT_XLSX)
        return None
    finally:
        workbook.close()


def _looks_like_xlsx(data: bytes, problems: Problems) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        problems.sheet("", NOT_XLSX)
        return False
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        problems.sheet("", NOT_XLSX)
        return False
    # A zip bomb would otherwise be inflated by openpyxl before any check of ours runs.
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
        problems.sheet("", TOO_LARGE)
        return False
    return True


def sheet_names(kind: str) -> tuple[str, str]:
    """The names a sheet of this kind may have (its title in export, its XLSForm name)."""
    return SHEET_TITLES[kind], kind


def _read_sheet(worksheet: Any, kind: str, problems: Problems) -> Sheet | None:
    name = str(worksheet.title)  # problems name the sheet as the workbook does
    header = next(worksheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS), ())
    letters = _read_header(header, kind, name, problems)
    if letters is None:
        return None
    positions = {column: _column_index(letter) for column, letter in letters.items()}
    rows = worksheet.iter_rows(min_row=2, max_col=max(positions.values()) + 1)
    result: list[Row] = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_PHYSICAL_ROWS or len(result) >= MAX_ROWS:
            problems.sheet(name, TOO_MANY_ROWS, count=MAX_ROWS)
            break
        row = Row(sheet=name, number=number, cells={})
        for column, index in positions.items():
            cell = cells[index] if index < len(cells) else None
            text = _cell_text(None if cell is None else cell.value)
            row.cells[column] = Cell(text, letters[column])
            if cell is not None and getattr(cell, "data_type", "") == "f":
                problems.at(row, column, FORMULA)
        if any(cell.text.strip() for cell in row.cells.values()):
            result.append(row)
    return Sheet(name=name, letters=letters, rows=result)


def _read_header(
    header: Sequence[Any], kind: str, sheet: str, problems: Problems
) -> dict[str, str] | None:
    from openpyxl.utils import get_column_letter

    known = COLUMNS[kind]
    letters: dict[str, str] = {}
    for index, cell in enumerate(header):
        name = _cell_text(cell.value).strip().lower()
        letter = get_column_letter(index + 1)
        if not name:
            continue
        if name not in known:
            allowed = ", ".join(known)
            problems.cell(sheet, 1, name, letter, UNKNOWN_COLUMN, column=name, allowed=allowed)
        elif name in letters:
            problems.cell(sheet, 1, name, letter, DUPLICATE_COLUMN, column=name)
        else:
            letters[name] = letter
    missing = [column for column in REQUIRED_COLUMNS[kind] if column not in letters]
    for column in missing:
        problems.cell(sheet, 1, column, "", MISSING_COLUMN, column=column)
    return None if missing else letters


def _column_index(letter: str) -> int:
    index = 0
    for char in letter:
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # What the form builder's fields take out of typed text, and carriage returns.
    return without_unsafe_chars(str(value).replace("\r\n", "\n")).replace("\r", "")


def read_settings(
    sheet: Sheet | None, problems: Problems
) -> tuple[str, str, Respondent, Row | None]:
    if sheet is None:
        return "", "", Respondent.ORGANISATION, None
    row = next((r for r in sheet.rows if r.number == 2), None)
    for extra in sheet.rows:
        if extra.number > 2:
            problems.at(extra, "title", SETTINGS_ONE_ROW)
    if row is None:
        row = Row(sheet=SETTINGS, number=2, cells={})
        row.cells = {name: Cell("", letter) for name, letter in sheet.letters.items()}
    text = row.text("respondent").strip()
    try:
        respondent = Respondent(text.lower()) if text else Respondent.ORGANISATION
    except ValueError:
        problems.at(row, "respondent", UNKNOWN_RESPONDENT, value=text)
        respondent = Respondent.ORGANISATION
    return row.text("title"), row.text("instructions"), respondent, row


def read_choices(sheet: Sheet, problems: Problems) -> dict[str, list[Choice]]:
    lists: dict[str, list[Choice]] = {}
    for row in sheet.rows:
        list_name = row.text("list_name").strip()
        value = row.text("value").strip()
        label = row.text("label")
        if not list_name:
            problems.at(row, "list_name", NO_LIST_NAME_IN_CHOICES)
            continue
        choices = lists.setdefault(list_name, [])
        if not value:
            problems.at(row, "value", NO_CHOICE_VALUE)
        elif any(choice.value == value for choice in choices):
            problems.at(row, "value", DUPLICATE_CHOICE, value=value, list=list_name)
        elif not label.strip():
            problems.at(row, "label", NO_CHOICE_LABEL)
        else:
            choices.append(Choice(value=value, label=label))
    return lists
