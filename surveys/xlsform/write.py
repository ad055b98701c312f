"""A form written as a workbook (every cell a string, so a label such as "=1+1" stays text)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from io import BytesIO
from typing import Any

from surveys.schema import (
    CHOICE_TYPES,
    FormDefinition,
    Question,
    QuestionType,
)
from surveys.xlsform.sheets import (
    BEGIN_SECTION,
    BEGIN_TABLE,
    CHOICES,
    CHOICES_COLUMNS,
    END_SECTION,
    END_TABLE,
    MAX_WIDTH,
    MIN_WIDTH,
    SETTINGS,
    SETTINGS_COLUMNS,
    SHEET_TITLES,
    SURVEY,
    SURVEY_COLUMNS,
    YES,
)

# -- export ---------------------------------------------------------------------------------


def form_to_xlsx(form: FormDefinition) -> bytes:
    import xlsxwriter  # here: the site's process seldom needs it (surveys.export.sheet)

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
