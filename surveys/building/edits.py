"""The builder's edits of a form definition: its settings, sections, questions and table
columns. Each takes a definition and returns a new one, or raises EditRefused."""

from __future__ import annotations

from dataclasses import replace

from surveys.building.checking import (
    INCOMPLETE,
    UNKNOWN_RESPONDENT,
    EditRefused,
    _column_index,
    _moved,
    _question_index,
    _replaced,
    _section_index,
    _with_question,
    _with_section,
    checked,
)
from surveys.building.fields import question_keys, unused_key
from surveys.schema import (
    FormDefinition,
    Problem,
    Question,
    QuestionType,
    Respondent,
    Section,
)

# -- settings and sections ------------------------------------------------------------------


def edit_settings(
    definition: FormDefinition, *, title: str, instructions: str, respondent: str
) -> FormDefinition:
    try:
        kind = Respondent(respondent)
    except ValueError:
        raise EditRefused([Problem(UNKNOWN_RESPONDENT, field="respondent")]) from None
    changed = replace(definition, title=title, instructions=instructions, respondent=kind)
    return checked(definition, changed)


def new_form(*, title: str, instructions: str, respondent: str) -> FormDefinition:
    """A form with no questions yet."""
    try:
        kind = Respondent(respondent)
    except ValueError:
        raise EditRefused([Problem(UNKNOWN_RESPONDENT, field="respondent")]) from None
    definition = FormDefinition(title=title, instructions=instructions, respondent=kind)
    problems = [p for p in definition.validate() if p.message not in INCOMPLETE]
    if problems:
        raise EditRefused(problems)
    return definition


def add_section(definition: FormDefinition, *, key: str, title: str) -> FormDefinition:
    key = key or unused_key("section", {s.key for s in definition.sections})
    sections = (*definition.sections, Section(key=key, title=title))
    return checked(definition, replace(definition, sections=sections))


def edit_section(
    definition: FormDefinition, section_key: str, *, key: str, title: str
) -> FormDefinition:
    index = _section_index(definition, section_key)
    sections = list(definition.sections)
    sections[index] = replace(sections[index], key=key, title=title)
    return checked(definition, replace(definition, sections=tuple(sections)))


def move_section(definition: FormDefinition, section_key: str, offset: int) -> FormDefinition:
    index = _section_index(definition, section_key)
    sections = _moved(definition.sections, index, offset)
    return checked(definition, replace(definition, sections=sections))


def remove_section(definition: FormDefinition, section_key: str) -> FormDefinition:
    index = _section_index(definition, section_key)
    sections = definition.sections[:index] + definition.sections[index + 1 :]
    return checked(definition, replace(definition, sections=sections))


# -- questions ------------------------------------------------------------------------------


def add_question(
    definition: FormDefinition, section_key: str, question: Question
) -> FormDefinition:
    index = _section_index(definition, section_key)
    if not question.key:
        question = replace(question, key=unused_key("q", question_keys(definition)))
    section = definition.sections[index]
    changed = replace(section, questions=(*section.questions, question))
    return checked(definition, _with_section(definition, index, changed))


def edit_question(definition: FormDefinition, key: str, question: Question) -> FormDefinition:
    """Replace the question's settings; a table keeps its columns."""
    s, q = _question_index(definition, key)
    old = definition.sections[s].questions[q]
    if question.type == QuestionType.TABLE and not question.columns:
        question = replace(question, columns=old.columns)
    return checked(definition, _with_question(definition, s, q, question))


def move_question(definition: FormDefinition, key: str, offset: int) -> FormDefinition:
    """Up or down within its section; past either end it goes to the neighbouring section."""
    s, q = _question_index(definition, key)
    section = definition.sections[s]
    target = q + offset
    if 0 <= target < len(section.questions):
        moved = replace(section, questions=_moved(section.questions, q, offset))
        return checked(definition, _with_section(definition, s, moved))
    neighbour = s + (1 if offset > 0 else -1)
    if not 0 <= neighbour < len(definition.sections):
        return definition
    question = section.questions[q]
    left = replace(section, questions=section.questions[:q] + section.questions[q + 1 :])
    other = definition.sections[neighbour]
    questions = (*other.questions, question) if offset < 0 else (question, *other.questions)
    changed = _with_section(definition, s, left)
    changed = _with_section(changed, neighbour, replace(other, questions=questions))
    return checked(definition, changed)


def remove_question(definition: FormDefinition, key: str) -> FormDefinition:
    s, q = _question_index(definition, key)
    section = definition.sections[s]
    left = replace(section, questions=section.questions[:q] + section.questions[q + 1 :])
    return checked(definition, _with_section(definition, s, left))


# -- table columns --------------------------------------------------------------------------


def add_column(definition: FormDefinition, key: str, column: Question) -> FormDefinition:
    s, q = _question_index(definition, key)
    table = definition.sections[s].questions[q]
    if not column.key:
        column = replace(column, key=unused_key("c", {c.key for c in table.columns}))
    changed = replace(table, columns=(*table.columns, column))
    return checked(definition, _with_question(definition, s, q, changed))


def edit_column(
    definition: FormDefinition, key: str, column_key: str, column: Question
) -> FormDefinition:
    s, q = _question_index(definition, key)
    table = definition.sections[s].questions[q]
    c = _column_index(table, column_key)
    changed = replace(table, columns=_replaced(table.columns, c, column))
    return checked(definition, _with_question(definition, s, q, changed))


def move_column(
    definition: FormDefinition, key: str, column_key: str, offset: int
) -> FormDefinition:
    s, q = _question_index(definition, key)
    table = definition.sections[s].questions[q]
    c = _column_index(table, column_key)
    changed = replace(table, columns=_moved(table.columns, c, offset))
    return checked(definition, _with_question(definition, s, q, changed))


def remove_column(definition: FormDefinition, key: str, column_key: str) -> FormDefinition:
    s, q = _question_index(definition, key)
    table = definition.sections[s].questions[q]
    c = _column_index(table, column_key)
    changed = replace(table, columns=table.columns[:c] + table.columns[c + 1 :])
    return checked(definition, _with_question(definition, s, q, changed))
