"""A form as an .xlsx workbook, XLSForm-like, so staff can draft forms in Excel.

Three sheets, each with a header row, named in Chinese as export writes them or in
English as XLSForm does (import takes either, in any letter case):

- `题目` (`survey`): one row per question (type, key, label, hint, required, min, max, unit,
  aggregate, cumulative, carry). `carry` says what a new round starts from:
  increment (本期新增), standing (存量 or 现状) or nothing (每期重新填写); empty leaves
  it undeclared (surveys.schema.Question.carries), and older workbooks without the
  column still import. `begin section`/`end section` rows wrap each section and carry
  its key and title; `begin table`/`end table` wrap a table's columns, like XLSForm's
  `begin repeat`. Choice questions are typed `single_choice <list_name>`.
- `选项` (`choices`): list_name, value, label.
- `设置` (`settings`): title, instructions, respondent, in the second row.

Export writes every cell as a string, so a label such as "=1+1" stays text. Import
lists every mistake it finds, by sheet, row and column, and returns nothing unless the
whole workbook is right.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

import openpyxl
import xlsxwriter
from openpyxl.utils import get_column_letter

from intranet.forms import without_unsafe_chars
from intranet.i18n import N_, gettext
from surveys import schema
from surveys.schema import (
    CHOICE_TYPES,
    Aggregate,
    Carry,
    Choice,
    FormDefinition,
    Problem,
    Question,
    QuestionType,
    Respondent,
    Section,
    default_aggregate,
)

SURVEY = "survey"
CHOICES = "choices"
SETTINGS = "settings"
SHEETS = (SURVEY, CHOICES, SETTINGS)
# The names export gives the sheets, for the staff who fill them in; the English names
# are accepted too. A sheet's name is part of the file format, not interface text.
SHEET_TITLES = {SURVEY: "题目", CHOICES: "选项", SETTINGS: "设置"}
SURVEY_COLUMNS = (
    "type",
    "key",
    "label",
    "hint",
    "required",
    "min",
    "max",
    "unit",
    "aggregate",
    "cumulative",
    "carry",
)
# What the carry column accepts besides the stored words, as staff write them.
CARRY_WORDS = {
    "本期新增": Carry.INCREMENT,
    "新增": Carry.INCREMENT,
    "存量": Carry.STANDING,
    "现状": Carry.STANDING,
    "沿用上期": Carry.STANDING,
    "每期重新填写": Carry.NOTHING,
    "不沿用": Carry.NOTHING,
}
CHOICES_COLUMNS = ("list_name", "value", "label")
SETTINGS_COLUMNS = ("title", "instructions", "respondent")
REQUIRED_COLUMNS = {
    SURVEY: ("type", "key", "label"),
    CHOICES: CHOICES_COLUMNS,
    SETTINGS: ("title",),
}
COLUMNS = {SURVEY: SURVEY_COLUMNS, CHOICES: CHOICES_COLUMNS, SETTINGS: SETTINGS_COLUMNS}

BEGIN_SECTION = "begin section"
END_SECTION = "end section"
BEGIN_TABLE = "begin table"
END_TABLE = "end table"
YES = "yes"
TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"", "no", "n", "false", "0"})

# Far more rows than any report form has; a bigger sheet is a mistake or an attack.
MAX_ROWS = 2_000
# Rows Excel keeps only for their formatting are read too, so stop somewhere.
MAX_PHYSICAL_ROWS = 10 * MAX_ROWS
MAX_COLUMNS = 100
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
MIN_WIDTH, MAX_WIDTH = 8, 60

# -- messages -----------------------------------------------------------------------------

NOT_XLSX = N_("This file is not an Excel workbook (.xlsx); save it as .xlsx and try again.")
TOO_LARGE = N_("This workbook is too large to be a form.")
MISSING_SHEET = N_("The sheet %(sheet)s is missing.")
MISSING_COLUMN = N_("The column %(column)s is missing from the header row.")
UNKNOWN_COLUMN = N_("Unknown column %(column)s; the columns are: %(allowed)s.")
DUPLICATE_COLUMN = N_("The column %(column)s appears more than once.")
TOO_MANY_ROWS = N_("Too many rows: at most %(count)d.")
FORMULA = N_("This cell holds a formula; type the text or number itself.")
MISSING_TYPE = N_("The type is missing.")
UNKNOWN_TYPE = N_("Unknown type %(type)s; the types are: %(allowed)s.")
TABLE_NEEDS_BEGIN = N_("A table is written as a begin table row, its columns and an end table row.")
NO_LIST_NAME = N_("A %(type)s question needs a choice list: write %(type)s <list_name>.")
LIST_NAME_NOT_ALLOWED = N_("Only choice questions take a choice list; %(type)s does not.")
UNKNOWN_LIST = N_("There is no choice list %(list)s in the choices sheet.")
OUTSIDE_SECTION = N_(
    "This row is outside any section; put it between begin section and end section."
)
SECTION_NOT_CLOSED = N_("The section %(key)s has no end section row.")
TABLE_NOT_CLOSED = N_("The table %(key)s has no end table row.")
END_WITHOUT_BEGIN = N_("%(type)s without a matching begin row.")
END_KEY_MISMATCH = N_("This %(type)s row names %(key)s, but the open one is %(open)s.")
NESTED_TABLE = N_("A table cannot hold another table.")
COLUMN_NOT_USED = N_("The column %(column)s is not used on a %(type)s row; leave it empty.")
NOT_A_NUMBER = N_("%(value)s is not a number.")
NOT_YES_NO = N_("%(value)s is not yes or no.")
UNKNOWN_AGGREGATE = N_("Unknown aggregate %(value)s; the aggregates are: %(allowed)s.")
UNKNOWN_CARRY = N_(
    "Unknown carry-over %(value)s; write increment (本期新增), standing (存量) or "
    "nothing (每期重新填写), or leave it empty."
)
UNKNOWN_RESPONDENT = N_("Unknown respondent %(value)s; write organisation or person.")
SETTINGS_ONE_ROW = N_("Only the second row of the settings sheet is read; this row is extra.")
NO_LIST_NAME_IN_CHOICES = N_("The list_name is missing.")
NO_CHOICE_VALUE = N_("The value is missing.")
NO_CHOICE_LABEL = N_("The label is missing.")
DUPLICATE_CHOICE = N_("The value %(value)s appears more than once in the list %(list)s.")


@dataclass(frozen=True)
class ImportProblem:
    """One mistake in an uploaded workbook; `row` is the row number Excel shows."""

    sheet: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    row: int | None = None
    column: str = ""
    column_letter: str = ""

    @property
    def cell(self) -> str:
        """Where it is, as Excel names it (survey!C5), or the sheet alone if all of it is wrong."""
        if self.row is None:
            return self.sheet
        return f"{self.sheet}!{self.column_letter}{self.row}"

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        column = f" ({self.column})" if self.column else ""
        return f"{self.cell}{column}: {text}" if self.sheet else text


class ImportProblems(Exception):
    """Every mistake found in a workbook; the import created nothing."""

    def __init__(self, problems: Sequence[ImportProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# -- export ---------------------------------------------------------------------------------


def form_to_xlsx(form: FormDefinition) -> bytes:
    buffer = BytesIO()
    # A form definition is a few hundred cells at most, so it is built in memory
    # (in_memory turns constant_memory off; the large report exports must not do this).
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheets = (
        (SURVEY, SURVEY_COLUMNS, _survey_rows(form)),
        (CHOICES, CHOICES_COLUMNS, _choice_rows(form)),
        (SETTINGS, SETTINGS_COLUMNS, [_settings_row(form)]),
    )
    for name, columns, rows in sheets:
        worksheet = workbook.add_worksheet(SHEET_TITLES[name])
        _write_rows(worksheet, [list(columns)], header, first_row=0)
        _write_rows(worksheet, rows, wrap, first_row=1)
        worksheet.freeze_panes(1, 0)
        for index, width in enumerate(_widths([list(columns), *rows])):
            worksheet.set_column(index, index, width)
    workbook.close()
    return buffer.getvalue()


def _write_rows(worksheet: Any, rows: Sequence[Sequence[str]], style: Any, first_row: int) -> None:
    for r, row in enumerate(rows, start=first_row):
        for c, text in enumerate(row):
            # write_string, never write(): a label "=1+1" or "http://x" stays plain text.
            if text and worksheet.write_string(r, c, text, style) != 0:
                raise ValueError(f"cannot write {text[:40]!r} to the workbook")


def _widths(rows: Sequence[Sequence[str]]) -> list[int]:
    """Column widths in Excel units, where a Chinese character takes two."""
    widths = [MIN_WIDTH] * max(len(row) for row in rows)
    for row in rows:
        for c, text in enumerate(row):
            longest = max((_display_width(line) for line in text.splitlines()), default=0)
            widths[c] = max(widths[c], min(MAX_WIDTH, longest + 2))
    return widths


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _survey_rows(form: FormDefinition) -> list[list[str]]:
    rows: list[list[str]] = []
    for section in form.sections:
        rows.append(_row(type=BEGIN_SECTION, key=section.key, label=section.title))
        for question in section.questions:
            rows.extend(_question_rows(question, list_name=question.key))
        rows.append(_row(type=END_SECTION, key=section.key))
    return rows


def _question_rows(question: Question, list_name: str) -> list[list[str]]:
    if question.type == QuestionType.TABLE:
        columns = [
            row
            for column in question.columns
            for row in _question_rows(column, list_name=f"{question.key}.{column.key}")
        ]
        begin = _question_row(question, type=BEGIN_TABLE)
        return [begin, *columns, _row(type=END_TABLE, key=question.key)]
    type = question.type.value
    if question.type in CHOICE_TYPES:
        type = f"{type} {list_name}"
    return [_question_row(question, type=type)]


def _question_row(question: Question, type: str) -> list[str]:
    return _row(
        type=type,
        key=question.key,
        label=question.label,
        hint=question.help,
        required=YES if question.required else "",
        min="" if question.min is None else str(question.min),
        max="" if question.max is None else str(question.max),
        unit=question.unit,
        aggregate=question.aggregate.value,
        cumulative=YES if question.cumulative else "",
        carry=question.carry.value if question.carry is not None else "",
    )


def _row(**cells: str) -> list[str]:
    return [cells.get(column, "") for column in SURVEY_COLUMNS]


def _choice_rows(form: FormDefinition) -> list[list[str]]:
    rows = []
    for question in form.questions():
        lists = [(question.key, question)]
        lists += [(f"{question.key}.{column.key}", column) for column in question.columns]
        for list_name, owner in lists:
            if owner.type in CHOICE_TYPES:
                rows += [[list_name, choice.value, choice.label] for choice in owner.choices]
    return rows


def _settings_row(form: FormDefinition) -> list[str]:
    return [form.title, form.instructions, form.respondent.value]


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    text: str
    letter: str


@dataclass
class _Row:
    sheet: str
    number: int
    cells: dict[str, _Cell]

    def text(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.text if cell else ""

    def letter(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.letter if cell else ""


@dataclass
class _Sheet:
    name: str
    letters: dict[str, str]
    rows: list[_Row]


class _Problems:
    def __init__(self) -> None:
        self.found: list[ImportProblem] = []

    # Positional-only, so that a message may have its own %(sheet)s or %(column)s.
    def sheet(self, sheet: str, message: str, /, **params: object) -> None:
        self.found.append(ImportProblem(sheet=sheet, message=message, params=params))

    def at(self, row: _Row, column: str, message: str, /, **params: object) -> None:
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


def form_from_xlsx(data: bytes) -> FormDefinition:
    """The form in an uploaded workbook. Raises ImportProblems listing every mistake."""
    problems = _Problems()
    sheets = _read_workbook(data, problems)
    form = _build_form(sheets, problems) if sheets is not None else None
    if problems.found or form is None:
        order = {name: index for index, kind in enumerate(SHEETS) for name in sheet_names(kind)}
        raise ImportProblems(
            sorted(
                problems.found,
                key=lambda p: (
                    order.get(p.sheet, -1),
                    p.row or 0,
                    len(p.column_letter),
                    p.column_letter,
                ),
            )
        )
    return form


def _read_workbook(data: bytes, problems: _Problems) -> dict[str, _Sheet | None] | None:
    if not _looks_like_xlsx(data, problems):
        return None
    try:
        workbook = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=False)
    except Exception:  # a damaged or foreign file fails in many ways inside openpyxl
        problems.sheet("", NOT_XLSX)
        return None
    try:
        by_name = {name.strip().lower(): workbook[name] for name in workbook.sheetnames}
        sheets: dict[str, _Sheet | None] = {}
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


def _looks_like_xlsx(data: bytes, problems: _Problems) -> bool:
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


def _read_sheet(worksheet: Any, kind: str, problems: _Problems) -> _Sheet | None:
    name = str(worksheet.title)  # problems name the sheet as the workbook does
    header = next(worksheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS), ())
    letters = _read_header(header, kind, name, problems)
    if letters is None:
        return None
    positions = {column: _column_index(letter) for column, letter in letters.items()}
    rows = worksheet.iter_rows(min_row=2, max_col=max(positions.values()) + 1)
    result: list[_Row] = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_PHYSICAL_ROWS or len(result) >= MAX_ROWS:
            problems.sheet(name, TOO_MANY_ROWS, count=MAX_ROWS)
            break
        row = _Row(sheet=name, number=number, cells={})
        for column, index in positions.items():
            cell = cells[index] if index < len(cells) else None
            text = _cell_text(None if cell is None else cell.value)
            row.cells[column] = _Cell(text, letters[column])
            if cell is not None and getattr(cell, "data_type", "") == "f":
                problems.at(row, column, FORMULA)
        if any(cell.text.strip() for cell in row.cells.values()):
            result.append(row)
    return _Sheet(name=name, letters=letters, rows=result)


def _read_header(
    header: Sequence[Any], kind: str, sheet: str, problems: _Problems
) -> dict[str, str] | None:
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


# -- building the form ----------------------------------------------------------------------


@dataclass
class _SectionDraft:
    row: _Row
    key: str
    title: str
    questions: list[Question] = field(default_factory=list)


@dataclass
class _TableDraft:
    row: _Row
    question: Question
    columns: list[Question] = field(default_factory=list)


@dataclass
class _Builder:
    """Walks the survey rows, keeping where each section, question and column came from."""

    problems: _Problems
    lists: dict[str, list[Choice]]
    sections: list[Section] = field(default_factory=list)
    rows: dict[tuple[int, ...], _Row] = field(default_factory=dict)
    section: _SectionDraft | None = None
    table: _TableDraft | None = None
    # Sections and tables that lost a row to a mistake already reported; that they look
    # empty is a consequence, not a second mistake.
    lost_rows: set[tuple[int, ...]] = field(default_factory=set)

    def lose(self, row: _Row, message: str, **params: object) -> None:
        self.problems.at(row, "type", message, **params)
        path: tuple[int, ...] = ()
        if self.section is not None:
            path = (len(self.sections),)
            if self.table is not None:
                path = (*path, len(self.section.questions))
        self.lost_rows.add(path)

    def take(self, row: _Row) -> None:
        type = _structure_word(row)
        if type == BEGIN_SECTION:
            self.begin_section(row)
        elif type == END_SECTION:
            self.end_section(row)
        elif type == BEGIN_TABLE:
            self.begin_table(row)
        elif type == END_TABLE:
            self.end_table(row)
        else:
            self.question(row)

    def begin_section(self, row: _Row) -> None:
        self.report_unclosed(table=True, section=True)
        self.close()
        for column in SURVEY_COLUMNS[3:]:
            if row.text(column).strip():
                self.problems.at(row, column, COLUMN_NOT_USED, column=column, type=BEGIN_SECTION)
        self.rows[(len(self.sections),)] = row
        self.section = _SectionDraft(row=row, key=row.text("key").strip(), title=row.text("label"))

    def end_section(self, row: _Row) -> None:
        if self.section is None:
            self.problems.at(row, "type", END_WITHOUT_BEGIN, type=END_SECTION)
            return
        self.check_end_key(row, END_SECTION, self.section.key)
        self.report_unclosed(table=True, section=False)
        self.close()

    def begin_table(self, row: _Row) -> None:
        if self.table is not None:
            self.lose(row, NESTED_TABLE)
        elif self.section is None:
            self.lose(row, OUTSIDE_SECTION)
        else:
            question = self.parse_question(row, QuestionType.TABLE)
            self.rows[(len(self.sections), len(self.section.questions))] = row
            self.table = _TableDraft(row=row, question=question)

    def end_table(self, row: _Row) -> None:
        if self.table is None:
            self.problems.at(row, "type", END_WITHOUT_BEGIN, type=END_TABLE)
            return
        self.check_end_key(row, END_TABLE, self.table.question.key)
        self.close_table()

    def question(self, row: _Row) -> None:
        type = self.parse_type(row)
        if self.section is None:
            self.lose(row, OUTSIDE_SECTION)
        elif type is not None:
            question = self.parse_question(row, *type)
            path: tuple[int, ...] = (len(self.sections), len(self.section.questions))
            if self.table is not None:
                path = (*path, len(self.table.columns))
                self.table.columns.append(question)
            else:
                self.section.questions.append(question)
            self.rows[path] = row

    def finish(self) -> list[Section]:
        self.report_unclosed(table=True, section=True)
        self.close()
        return self.sections

    def report_unclosed(self, *, table: bool, section: bool) -> None:
        if table and self.table is not None:
            self.problems.at(self.table.row, "type", TABLE_NOT_CLOSED, key=self.table.question.key)
        if section and self.section is not None:
            self.problems.at(self.section.row, "type", SECTION_NOT_CLOSED, key=self.section.key)

    def close(self) -> None:
        """Ends the open table and section, keeping what they hold."""
        self.close_table()
        if self.section is not None:
            draft = self.section
            self.sections.append(Section(draft.key, draft.title, tuple(draft.questions)))
            self.section = None

    def close_table(self) -> None:
        if self.table is not None and self.section is not None:
            table = replace(self.table.question, columns=tuple(self.table.columns))
            self.section.questions.append(table)
        self.table = None

    def check_end_key(self, row: _Row, type: str, open_key: str) -> None:
        key = row.text("key").strip()
        if key and key != open_key:
            self.problems.at(row, "key", END_KEY_MISMATCH, type=type, key=key, open=open_key)

    def parse_type(self, row: _Row) -> tuple[QuestionType, list[Choice]] | None:
        words = row.text("type").split()
        if not words:
            self.lose(row, MISSING_TYPE)
            return None
        allowed = ", ".join(t.value for t in QuestionType if t != QuestionType.TABLE)
        try:
            type = QuestionType(words[0].lower())
        except ValueError:
            self.lose(row, UNKNOWN_TYPE, type=words[0], allowed=allowed)
            return None
        if type == QuestionType.TABLE:
            self.lose(row, TABLE_NEEDS_BEGIN)
            return None
        list_name = " ".join(words[1:])
        if type not in CHOICE_TYPES:
            if list_name:
                self.problems.at(row, "type", LIST_NAME_NOT_ALLOWED, type=type.value)
            return type, []
        if not list_name:
            self.lose(row, NO_LIST_NAME, type=type.value)
            return None
        if list_name not in self.lists:
            self.lose(row, UNKNOWN_LIST, list=list_name)
            return None
        return type, self.lists[list_name]

    def parse_question(
        self, row: _Row, type: QuestionType, choices: Sequence[Choice] = ()
    ) -> Question:
        return Question(
            key=row.text("key").strip(),
            type=type,
            label=row.text("label"),
            help=row.text("hint"),
            required=self.parse_yes_no(row, "required"),
            min=self.parse_number(row, "min"),
            max=self.parse_number(row, "max"),
            unit=row.text("unit").strip(),
            aggregate=self.parse_aggregate(row, type),
            cumulative=self.parse_yes_no(row, "cumulative"),
            choices=tuple(choices),
            carry=self.parse_carry(row),
        )

    def parse_yes_no(self, row: _Row, column: str) -> bool:
        text = row.text(column).strip()
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() not in FALSE_WORDS:
            self.problems.at(row, column, NOT_YES_NO, value=text)
        return False

    def parse_number(self, row: _Row, column: str) -> Decimal | None:
        text = row.text(column).strip()
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.problems.at(row, column, NOT_A_NUMBER, value=text)
            return None
        return value

    def parse_carry(self, row: _Row) -> Carry | None:
        text = row.text("carry").strip()
        if not text:
            return None
        found = CARRY_WORDS.get(text) or next((c for c in Carry if c.value == text.lower()), None)
        if found is None:
            self.problems.at(row, "carry", UNKNOWN_CARRY, value=text)
        return found

    def parse_aggregate(self, row: _Row, type: QuestionType) -> Aggregate:
        text = row.text("aggregate").strip()
        if not text:
            return default_aggregate(type)
        try:
            return Aggregate(text.lower())
        except ValueError:
            allowed = ", ".join(a.value for a in Aggregate)
            self.problems.at(row, "aggregate", UNKNOWN_AGGREGATE, value=text, allowed=allowed)
            return default_aggregate(type)


def _structure_word(row: _Row) -> str:
    """ "begin section", also when typed as "Begin_Section"; other types are left alone."""
    return " ".join(row.text("type").replace("_", " ").split()).lower()


def _build_form(sheets: Mapping[str, _Sheet | None], problems: _Problems) -> FormDefinition | None:
    settings, choices, survey = sheets[SETTINGS], sheets[CHOICES], sheets[SURVEY]
    title, instructions, respondent, settings_row = _read_settings(settings, problems)
    lists = _read_choices(choices, problems) if choices is not None else None
    if survey is None or lists is None:
        return None
    builder = _Builder(problems=problems, lists=lists)
    for row in survey.rows:
        builder.take(row)
    form = FormDefinition(
        title=title,
        instructions=instructions,
        respondent=respondent,
        sections=tuple(builder.finish()),
    )
    for problem in form.validate():
        if not _follows_from_lost_rows(problem, builder.lost_rows):
            _report(problem, survey, settings_row, builder.rows, problems)
    return form


def _read_settings(
    sheet: _Sheet | None, problems: _Problems
) -> tuple[str, str, Respondent, _Row | None]:
    if sheet is None:
        return "", "", Respondent.ORGANISATION, None
    row = next((r for r in sheet.rows if r.number == 2), None)
    for extra in sheet.rows:
        if extra.number > 2:
            problems.at(extra, "title", SETTINGS_ONE_ROW)
    if row is None:
        row = _Row(sheet=SETTINGS, number=2, cells={})
        row.cells = {name: _Cell("", letter) for name, letter in sheet.letters.items()}
    text = row.text("respondent").strip()
    try:
        respondent = Respondent(text.lower()) if text else Respondent.ORGANISATION
    except ValueError:
        problems.at(row, "respondent", UNKNOWN_RESPONDENT, value=text)
        respondent = Respondent.ORGANISATION
    return row.text("title"), row.text("instructions"), respondent, row


def _read_choices(sheet: _Sheet, problems: _Problems) -> dict[str, list[Choice]]:
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


def _follows_from_lost_rows(problem: Problem, lost_rows: set[tuple[int, ...]]) -> bool:
    if problem.message == schema.NO_SECTIONS:
        return bool(lost_rows)
    return (
        problem.message in (schema.EMPTY_SECTION, schema.NO_COLUMNS) and problem.path in lost_rows
    )


# Which survey column holds each attribute that validate() can find fault with.
_SURVEY_COLUMN_OF = {
    "key": "key",
    "title": "label",
    "label": "label",
    "help": "hint",
    "required": "required",
    "min": "min",
    "max": "max",
    "unit": "unit",
    "aggregate": "aggregate",
    "cumulative": "cumulative",
    "carry": "carry",
}


def _report(
    problem: Problem,
    survey: _Sheet,
    settings_row: _Row | None,
    rows: Mapping[tuple[int, ...], _Row],
    problems: _Problems,
) -> None:
    params = dict(problem.params)
    if not problem.path and problem.field in SETTINGS_COLUMNS:
        if settings_row is not None:  # else the missing sheet is reported already
            problems.at(settings_row, problem.field, problem.message, **params)
    elif problem.path in rows:
        column = _SURVEY_COLUMN_OF.get(problem.field, "type")
        problems.at(rows[problem.path], column, problem.message, **params)
    else:
        problems.sheet(survey.name, problem.message, **params)
