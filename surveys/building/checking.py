"""What every builder edit shares: the refusals, the check that an edit leaves a form no
worse, and finding and replacing a form's parts."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from intranet.i18n import N_
from surveys import schema
from surveys.schema import (
    FormDefinition,
    Problem,
    Question,
    Section,
)

# Problems of a form that is not finished yet; an edit may leave them.
INCOMPLETE = frozenset({schema.NO_SECTIONS, schema.EMPTY_SECTION, schema.NO_COLUMNS})

NOT_A_NUMBER = N_("%(field)s is not a number: %(value)s")
UNKNOWN_TYPE = N_("Choose a question type.")
UNKNOWN_AGGREGATE = N_("Choose how the answers are summed up.")
UNKNOWN_CARRY = N_("Choose what a new round starts from.")
UNKNOWN_RESPONDENT = N_("Choose who answers the form.")

P = TypeVar("P")


class EditRefused(Exception):
    """The edit would make the form wrong; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class NoSuchPart(LookupError):
    """The section, question or column named is not in the form (any more)."""


# -- checking -------------------------------------------------------------------------------


def incomplete(definition: FormDefinition) -> list[Problem]:
    """What still has to be added before a campaign can use the form."""
    return [p for p in definition.validate() if p.message in INCOMPLETE]


def checked(before: FormDefinition, after: FormDefinition) -> FormDefinition:
    """`after`, if the edit brought no new problem (other than being unfinished)."""
    old = {str(problem) for problem in before.validate()}
    new = [
        problem
        for problem in after.validate()
        if problem.message not in INCOMPLETE and str(problem) not in old
    ]
    if new:
        raise EditRefused(new)
    return after


# -- finding and replacing parts ------------------------------------------------------------


def _section_index(definition: FormDefinition, key: str) -> int:
    for index, section in enumerate(definition.sections):
        if section.key == key:
            return index
    raise NoSuchPart(key)


def _question_index(definition: FormDefinition, key: str) -> tuple[int, int]:
    for s, section in enumerate(definition.sections):
        for q, question in enumerate(section.questions):
            if question.key == key:
                return s, q
    raise NoSuchPart(key)


def _column_index(table: Question, key: str) -> int:
    for index, column in enumerate(table.columns):
        if column.key == key:
            return index
    raise NoSuchPart(key)


def _moved(items: tuple[P, ...], index: int, offset: int) -> tuple[P, ...]:
    target = max(0, min(len(items) - 1, index + offset))
    listed = list(items)
    listed.insert(target, listed.pop(index))
    return tuple(listed)


def _with_section(definition: FormDefinition, index: int, section: Section) -> FormDefinition:
    return replace(definition, sections=_replaced(definition.sections, index, section))


def _with_question(
    definition: FormDefinition, s: int, q: int, question: Question
) -> FormDefinition:
    section = definition.sections[s]
    questions = _replaced(section.questions, q, question)
    return _with_section(definition, s, replace(section, questions=questions))


def _replaced(items: tuple[P, ...], index: int, item: P) -> tuple[P, ...]:
    return items[:index] + (item,) + items[index + 1 :]  # noqa: RUF005 (mypy reads it better)
