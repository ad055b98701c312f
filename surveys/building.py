"""Editing a form in the builder: pure operations on a FormDefinition, and its versions.

Every operation takes a definition and returns a new one, or raises EditRefused with the
problems the edit would bring (surveys.schema's validate(), plus fields that are not
even numbers). A form being built may still be incomplete (no sections yet, a section or
a table without anything in it): those problems are listed by `incomplete()` for the
builder to show, but do not stop an edit, so a form can be built one question at a time.
A campaign needs a complete form (FormDefinition.validate() empty).

`save_definition` applies the versioning rule: an edit goes to the form's latest version
unless that is frozen (an opened round uses it); then a new version is made. A frozen
version is never changed, even by an edit racing with the round that freezes it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet.i18n import N_
from surveys import schema
from surveys.models import Form, FormVersion
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


# -- reading a question from the builder's fields -------------------------------------------


def question_from_fields(fields: Mapping[str, str], existing: Question | None = None) -> Question:
    """A question (or table column) as typed into the builder. Raises EditRefused for
    fields that are not even of their kind (a type that does not exist, min "abc");
    everything else is for checked() to judge with the whole form."""
    problems: list[Problem] = []
    try:
        type = QuestionType(fields.get("type", ""))
    except ValueError:
        problems.append(Problem(UNKNOWN_TYPE, field="type"))
        type = QuestionType.SHORT_TEXT
    aggregate = default_aggregate(type)
    if fields.get("aggregate"):
        try:
            aggregate = Aggregate(fields["aggregate"])
        except ValueError:
            problems.append(Problem(UNKNOWN_AGGREGATE, field="aggregate"))
    carry: Carry | None = None
    if fields.get("carry"):
        try:
            carry = Carry(fields["carry"])
        except ValueError:
            problems.append(Problem(UNKNOWN_CARRY, field="carry"))
    low = _number(fields, "min", problems)
    high = _number(fields, "max", problems)
    if problems:
        raise EditRefused(problems)
    old_choices = existing.choices if existing else ()
    choices = parse_choices(fields.get("choices", ""), old_choices)
    return Question(
        key=fields.get("key", ""),
        type=type,
        label=fields.get("label", ""),
        help=fields.get("help", ""),
        required=bool(fields.get("required")),
        min=low,
        max=high,
        unit=fields.get("unit", ""),
        aggregate=aggregate,
        cumulative=bool(fields.get("cumulative")),
        # Choices typed for a type that has none would only be refused: a change of type
        # away from a choice question drops them, as it drops a table's columns.
        choices=choices if type in CHOICE_TYPES else (),
        columns=existing.columns if existing and type == QuestionType.TABLE else (),
        carry=carry,
    )


def _number(fields: Mapping[str, str], name: str, problems: list[Problem]) -> Decimal | None:
    # Typed by people: full-width digits (NFKC) and thousands separators are fine.
    text = unicodedata.normalize("NFKC", fields.get(name, "")).replace(",", "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        problems.append(Problem(NOT_A_NUMBER, {"field": name, "value": text}, field=name))
        return None


def parse_choices(text: str, existing: tuple[Choice, ...] = ()) -> tuple[Choice, ...]:
    """One choice a line, "value|label", or only a label: then the value it had before,
    or the next free number, so that answers already given keep their meaning."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    by_label = {choice.label: choice.value for choice in existing}
    explicit = {line.partition("|")[0].strip() for line in lines if "|" in line}
    taken = explicit | {by_label[line] for line in lines if "|" not in line and line in by_label}
    choices = []
    for line in lines:
        if "|" in line:
            value, _, label = line.partition("|")
            choices.append(Choice(value=value.strip(), label=label.strip()))
            continue
        value = by_label.get(line) or _next_number(taken)
        taken.add(value)
        choices.append(Choice(value=value, label=line))
    return tuple(choices)


def choices_text(choices: tuple[Choice, ...]) -> str:
    return "\n".join(f"{choice.value}|{choice.label}" for choice in choices)


def _next_number(taken: set[str]) -> str:
    number = 1
    while str(number) in taken:
        number += 1
    return str(number)


def unused_key(prefix: str, taken: set[str]) -> str:
    number = len(taken) + 1
    while f"{prefix}_{number}" in taken:
        number += 1
    return f"{prefix}_{number}"


def question_keys(definition: FormDefinition) -> set[str]:
    return {question.key for question in definition.questions()}


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


# -- versions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    version: FormVersion
    made_new_version: bool


async def latest_version(form_id: int) -> FormVersion:
    version = await FormVersion.filter(form_id=form_id).order_by("-number").first()
    if version is None:  # every form is created with its first version
        raise NoSuchPart(str(form_id))
    return version


async def create_form(owner_id: int, definition: FormDefinition) -> Form:
    async with in_transaction():
        form = await Form.create(
            title=definition.title, respondent=definition.respondent, owner_id=owner_id
        )
        await FormVersion.create(form=form, number=1, definition=definition.to_dict())
    return form


async def save_definition(
    form: Form, change: Callable[[FormDefinition], FormDefinition], *, new_version: bool = False
) -> Saved:
    """Apply `change` to the latest version's definition and store the result there, or
    in a new version if the latest is frozen (or `new_version` asks for one). `change`
    may raise EditRefused or NoSuchPart; then nothing is stored."""
    for _attempt in range(3):
        try:
            return await _save_once(form, change, new_version)
        except IntegrityError:
            continue  # another edit made the next version first: apply ours to it
    raise RuntimeError(f"could not save form {form.id}")


async def _save_once(
    form: Form, change: Callable[[FormDefinition], FormDefinition], new_version: bool
) -> Saved:
    async with in_transaction():
        # One edit of a form at a time (PostgreSQL); SQLite writes one at a time anyway.
        await Form.filter(id=form.id).select_for_update().first()
        latest = await latest_version(form.id)
        definition = change(latest.form_definition())
        data = definition.to_dict()
        made_new = latest.frozen or new_version
        # The condition keeps a version frozen by an opening round at this moment intact.
        if made_new or not await FormVersion.filter(id=latest.id, frozen=False).update(
            definition=data
        ):
            latest = await FormVersion.create(
                form_id=form.id, number=latest.number + 1, definition=data
            )
            made_new = True
        else:
            latest.definition = data
        await Form.filter(id=form.id).update(
            title=definition.title[: schema.MAX_TITLE_CHARS], respondent=definition.respondent
        )
    form.title, form.respondent = definition.title, definition.respondent
    return Saved(latest, made_new)
