"""Checking a table of answers, the entry points that pick the check for a question, and
what submit still needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from surveys.answer_checks.problems import (
    DEFAULT_MAX_ROWS,
    INVALID,
    INVALID_ROW,
    REQUIRED,
    TOO_FEW_ROWS,
    TOO_MANY_ROWS,
    UNKNOWN_COLUMN,
    CheckedAnswer,
    Problem,
    _problem,
    _refused,
)
from surveys.answer_checks.values import (
    _check_date,
    _check_file,
    _check_multiple_choice,
    _check_number,
    _check_single_choice,
    _check_text,
    _check_yes_no,
)
from surveys.schema import FormDefinition, Question, QuestionType

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
