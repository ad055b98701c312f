"""The form definition's data (sections, questions, choices, table columns), its JSON form,
and its validation, which lists every problem instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from surveys.schema.kinds import (
    ALLOWED_AGGREGATES,
    CHOICE_TYPES,
    COLUMN_TYPES,
    INCREMENT_TYPES,
    KEY_PATTERN,
    LIMITED_TYPES,
    MAX_CHOICE_LABEL_CHARS,
    MAX_CHOICE_VALUE_CHARS,
    MAX_HELP_CHARS,
    MAX_INSTRUCTIONS_CHARS,
    MAX_LABEL_CHARS,
    MAX_LIMIT,
    MAX_TITLE_CHARS,
    MAX_UNIT_CHARS,
    NUMBER_TYPES,
    Aggregate,
    Carry,
    QuestionType,
    Respondent,
)
from surveys.schema.problems import (
    AGGREGATE_NOT_ALLOWED,
    BAD_CHOICE_VALUE,
    BAD_KEY,
    CARRY_CUMULATIVE,
    CARRY_IN_TABLE,
    CARRY_NOT_INCREMENT,
    CHOICES_NOT_ALLOWED,
    COLUMN_TYPE_NOT_ALLOWED,
    COLUMNS_NOT_ALLOWED,
    CUMULATIVE_IN_TABLE,
    CUMULATIVE_NOT_NUMBER,
    DUPLICATE_CHOICE,
    DUPLICATE_COLUMN_KEY,
    DUPLICATE_KEY,
    DUPLICATE_SECTION_KEY,
    EMPTY_SECTION,
    LIMIT_NEGATIVE,
    LIMIT_NOT_ALLOWED,
    LIMIT_NOT_FINITE,
    LIMIT_NOT_WHOLE,
    LIMIT_TOO_LARGE,
    MIN_ABOVE_MAX,
    NO_CHOICE_LABEL,
    NO_CHOICE_VALUE,
    NO_CHOICES,
    NO_COLUMNS,
    NO_KEY,
    NO_LABEL,
    NO_SECTION_TITLE,
    NO_SECTIONS,
    NO_TITLE,
    TOO_LONG,
    UNIT_NOT_ALLOWED,
    Problem,
    _Where,
)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    key: str
    type: QuestionType
    label: str
    help: str = ""
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    unit: str = ""
    aggregate: Aggregate = Aggregate.NONE
    cumulative: bool = False
    choices: tuple[Choice, ...] = ()
    columns: tuple[Question, ...] = ()
    # What a new round starts from; None where the form does not say (forms stored
    # before the setting existed), see `carries`.
    carry: Carry | None = None

    @property
    def is_number(self) -> bool:
        return self.type in NUMBER_TYPES

    @property
    def carries(self) -> Carry:
        """The declared carry-over, or for a question that declares none: increment if
        cumulative (its answers are added up round by round, so each is that round's
        new amount; carrying one forward would count it twice), else nothing (written
        anew). Nothing is the safe guess: it never copies last round's figures into a
        report unasked, and a form relying on it still offers 复制上期内容."""
        if self.carry is not None:
            return self.carry
        return Carry.INCREMENT if self.cumulative else Carry.NOTHING

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type.value,
            "label": self.label,
            "help": self.help,
            "required": self.required,
            "min": _limit_to_json(self.min),
            "max": _limit_to_json(self.max),
            "unit": self.unit,
            "aggregate": self.aggregate.value,
            "cumulative": self.cumulative,
            "choices": [{"value": c.value, "label": c.label} for c in self.choices],
            "columns": [column.to_dict() for column in self.columns],
            "carry": self.carry.value if self.carry is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            key=str(data["key"]),
            type=QuestionType(data["type"]),
            label=str(data["label"]),
            help=str(data.get("help", "")),
            required=bool(data.get("required", False)),
            min=_limit_from_json(data.get("min")),
            max=_limit_from_json(data.get("max")),
            unit=str(data.get("unit", "")),
            aggregate=Aggregate(data.get("aggregate", Aggregate.NONE)),
            cumulative=bool(data.get("cumulative", False)),
            choices=tuple(
                Choice(value=str(c["value"]), label=str(c["label"]))
                for c in data.get("choices", ())
            ),
            columns=tuple(cls.from_dict(column) for column in data.get("columns", ())),
            carry=Carry(data["carry"]) if data.get("carry") else None,
        )


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    questions: tuple[Question, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "questions": [question.to_dict() for question in self.questions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Section:
        return cls(
            key=str(data["key"]),
            title=str(data["title"]),
            questions=tuple(Question.from_dict(q) for q in data.get("questions", ())),
        )


@dataclass(frozen=True)
class FormDefinition:
    title: str
    instructions: str = ""
    respondent: Respondent = Respondent.ORGANISATION
    sections: tuple[Section, ...] = ()

    def questions(self) -> Iterator[Question]:
        """Every top-level question, section by section (table columns not included)."""
        for section in self.sections:
            yield from section.questions

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions() if q.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "instructions": self.instructions,
            "respondent": self.respondent.value,
            "sections": [section.to_dict() for section in self.sections],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormDefinition:
        """The form stored by to_dict(). Raises KeyError or ValueError on anything else."""
        return cls(
            title=str(data["title"]),
            instructions=str(data.get("instructions", "")),
            respondent=Respondent(data.get("respondent", Respondent.ORGANISATION)),
            sections=tuple(Section.from_dict(s) for s in data.get("sections", ())),
        )

    def validate(self) -> list[Problem]:
        """Everything wrong with the form, in form order; an empty list if nothing is."""
        return list(_form_problems(self))


# Limits are stored as strings in JSON so that 0.1 stays exactly 0.1.
def _limit_to_json(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _limit_from_json(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"not a number: {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not a number: {value!r}") from error


# -- validation -----------------------------------------------------------------------------


def _form_problems(form: FormDefinition) -> Iterator[Problem]:
    form_level = _Where(path=(), section="")
    if not form.title.strip():
        yield form_level.problem(NO_TITLE, "title")
    yield from _length(form_level, "title", form.title, MAX_TITLE_CHARS)
    yield from _length(form_level, "instructions", form.instructions, MAX_INSTRUCTIONS_CHARS)
    if not form.sections:
        yield form_level.problem(NO_SECTIONS, "sections")
    seen_sections: set[str] = set()
    seen_questions: set[str] = set()
    for s, section in enumerate(form.sections):
        where = _Where(path=(s,), section=section.key)
        yield from _key_problems(where, section.key, seen_sections, DUPLICATE_SECTION_KEY)
        if not section.title.strip():
            yield where.problem(NO_SECTION_TITLE, "title")
        yield from _length(where, "title", section.title, MAX_TITLE_CHARS)
        if not section.questions:
            yield where.problem(EMPTY_SECTION, "questions", key=section.key)
        for q, question in enumerate(section.questions):
            q_where = _Where(path=(s, q), section=section.key, question=question.key)
            yield from _key_problems(q_where, question.key, seen_questions, DUPLICATE_KEY)
            yield from _question_problems(q_where, question, in_table=False)


def _question_problems(where: _Where, question: Question, *, in_table: bool) -> Iterator[Problem]:
    type = question.type
    if not question.label.strip():
        yield where.problem(NO_LABEL, "label")
    yield from _length(where, "label", question.label, MAX_LABEL_CHARS)
    yield from _length(where, "help", question.help, MAX_HELP_CHARS)
    yield from _length(where, "unit", question.unit, MAX_UNIT_CHARS)
    if in_table and type not in COLUMN_TYPES:
        yield where.problem(COLUMN_TYPE_NOT_ALLOWED, "type", type=type.value)
    yield from _limit_problems(where, question)
    if question.unit and not question.is_number:
        yield where.problem(UNIT_NOT_ALLOWED, "unit", type=type.value)
    allowed = ALLOWED_AGGREGATES[type]
    if question.aggregate not in allowed:
        names = ", ".join(a.value for a in Aggregate if a in allowed)
        yield where.problem(
            AGGREGATE_NOT_ALLOWED,
            "aggregate",
            type=type.value,
            aggregate=question.aggregate.value,
            allowed=names,
        )
    if question.cumulative and not question.is_number:
        yield where.problem(CUMULATIVE_NOT_NUMBER, "cumulative", type=type.value)
    elif question.cumulative and in_table:
        yield where.problem(CUMULATIVE_IN_TABLE, "cumulative")
    yield from _carry_problems(where, question, in_table=in_table)
    yield from _choice_problems(where, question)
    yield from _column_problems(where, question)


def _carry_problems(where: _Where, question: Question, *, in_table: bool) -> Iterator[Problem]:
    if question.carry is None:
        return
    if in_table:
        yield where.problem(CARRY_IN_TABLE, "carry")
    elif question.carry == Carry.INCREMENT and question.type not in INCREMENT_TYPES:
        yield where.problem(CARRY_NOT_INCREMENT, "carry", type=question.type.value)
    elif question.cumulative and question.carry != Carry.INCREMENT:
        yield where.problem(CARRY_CUMULATIVE, "carry")


def _limit_problems(where: _Where, question: Question) -> Iterator[Problem]:
    found = [
        problem
        for name, value in (("min", question.min), ("max", question.max))
        if value is not None and (problem := _limit_problem(where, question.type, name, value))
    ]
    yield from found
    low, high = question.min, question.max
    if not found and low is not None and high is not None and low > high:
        yield where.problem(MIN_ABOVE_MAX, "min", min=str(low), max=str(high))


def _limit_problem(where: _Where, type: QuestionType, name: str, value: Decimal) -> Problem | None:
    if type not in LIMITED_TYPES:
        return where.problem(LIMIT_NOT_ALLOWED, name, field=name, type=type.value)
    if not value.is_finite():
        return where.problem(LIMIT_NOT_FINITE, name, field=name)
    if abs(value) > MAX_LIMIT:
        return where.problem(LIMIT_TOO_LARGE, name, field=name)
    if type != QuestionType.DECIMAL and value != value.to_integral_value():
        return where.problem(LIMIT_NOT_WHOLE, name, field=name, type=type.value)
    if type not in NUMBER_TYPES and value < 0:
        return where.problem(LIMIT_NEGATIVE, name, field=name, type=type.value)
    return None


def _choice_problems(where: _Where, question: Question) -> Iterator[Problem]:
    type = question.type
    if type not in CHOICE_TYPES:
        if question.choices:
            yield where.problem(CHOICES_NOT_ALLOWED, "choices", type=type.value)
        return
    if not question.choices:
        yield where.problem(NO_CHOICES, "choices", type=type.value)
    seen: set[str] = set()
    for choice in question.choices:
        value = choice.value
        if not value:
            yield where.problem(NO_CHOICE_VALUE, "choices")
        elif value != value.strip():
            yield where.problem(BAD_CHOICE_VALUE, "choices", value=value)
        elif value in seen:
            yield where.problem(DUPLICATE_CHOICE, "choices", value=value)
        seen.add(value)
        if value and not choice.label.strip():
            yield where.problem(NO_CHOICE_LABEL, "choices", value=value)
        yield from _length(where, "choices", value, MAX_CHOICE_VALUE_CHARS)
        yield from _length(where, "choices", choice.label, MAX_CHOICE_LABEL_CHARS)


def _column_problems(where: _Where, question: Question) -> Iterator[Problem]:
    if question.type != QuestionType.TABLE:
        if question.columns:
            yield where.problem(COLUMNS_NOT_ALLOWED, "columns", type=question.type.value)
        return
    if not question.columns:
        yield where.problem(NO_COLUMNS, "columns")
    seen: set[str] = set()
    for c, column in enumerate(question.columns):
        c_where = _Where(
            path=(*where.path, c), section=where.section, question=where.question, column=column.key
        )
        yield from _key_problems(c_where, column.key, seen, DUPLICATE_COLUMN_KEY)
        yield from _question_problems(c_where, column, in_table=True)


def _key_problems(where: _Where, key: str, seen: set[str], duplicate: str) -> Iterator[Problem]:
    if not key:
        yield where.problem(NO_KEY, "key")
    elif not KEY_PATTERN.fullmatch(key):
        yield where.problem(BAD_KEY, "key", key=key)
    elif key in seen:
        yield where.problem(duplicate, "key", key=key)
    seen.add(key)


def _length(where: _Where, name: str, value: str, limit: int) -> Iterator[Problem]:
    if len(value) > limit:
        yield where.problem(TOO_LONG, name, field=name, count=limit)
