"""The definition of a report form: sections, questions, choices and table columns.

A FormDefinition is plain, immutable data. It is stored as JSON (to_dict/from_dict),
exported to and imported from .xlsx (surveys.xlsform) and checked by validate(), which
lists every problem instead of stopping at the first, so the form builder and the
spreadsheet import can show them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from intranet.i18n import N_, gettext

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")

MAX_TITLE_CHARS = 200
MAX_INSTRUCTIONS_CHARS = 10_000
MAX_LABEL_CHARS = 500
MAX_HELP_CHARS = 2_000
MAX_UNIT_CHARS = 20
MAX_CHOICE_VALUE_CHARS = 100
MAX_CHOICE_LABEL_CHARS = 200
# Limits far beyond any count a society reports, but well inside what a spreadsheet and
# a float in a chart can show exactly.
MAX_LIMIT = Decimal(10) ** 15


class Respondent(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


class QuestionType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    DATE = "date"
    FILE = "file"
    TABLE = "table"


class Carry(StrEnum):
    """What a new round starts from for one question, so that "no change this round"
    means the right thing: an *increment* (本期新增) is 0 and a table of new rows is
    empty; a *standing* value (存量/现状) is last round's answer carried forward;
    *nothing* is written anew each round and is left as it is."""

    INCREMENT = "increment"
    STANDING = "standing"
    NOTHING = "nothing"

    @property
    def label(self) -> str:
        return CARRY_LABELS[self]


CARRY_LABELS = {
    Carry.INCREMENT: N_("New this round"),
    Carry.STANDING: N_("As last reported"),
    Carry.NOTHING: N_("Written each round"),
}


class Aggregate(StrEnum):
    SUM = "sum"
    AVERAGE = "average"
    MIN = "min"
    MAX = "max"
    COUNT = "count"
    LIST = "list"
    NONE = "none"


NUMBER_TYPES = frozenset({QuestionType.INTEGER, QuestionType.DECIMAL})
TEXT_TYPES = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT})
CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
# A table cell holds one simple answer: no file uploads and no tables within tables.
COLUMN_TYPES = frozenset(QuestionType) - {QuestionType.TABLE, QuestionType.FILE}
# Only an amount or a list of new rows can be "none new this round".
INCREMENT_TYPES = NUMBER_TYPES | {QuestionType.TABLE}
# min/max mean a value for numbers, a length for text and a number of rows for tables.
LIMITED_TYPES = NUMBER_TYPES | TEXT_TYPES | {QuestionType.TABLE}

_ALWAYS = frozenset({Aggregate.COUNT, Aggregate.NONE})
_NUMERIC = _ALWAYS | {Aggregate.SUM, Aggregate.AVERAGE, Aggregate.MIN, Aggregate.MAX}
ALLOWED_AGGREGATES: Mapping[QuestionType, frozenset[Aggregate]] = {
    QuestionType.SHORT_TEXT: _ALWAYS | {Aggregate.LIST},
    QuestionType.LONG_TEXT: _ALWAYS | {Aggregate.LIST},
    QuestionType.INTEGER: _NUMERIC,
    QuestionType.DECIMAL: _NUMERIC,
    QuestionType.SINGLE_CHOICE: _ALWAYS,
    QuestionType.MULTIPLE_CHOICE: _ALWAYS,
    QuestionType.YES_NO: _ALWAYS,
    # The earliest and the latest date are worth a column in a summary.
    QuestionType.DATE: _ALWAYS | {Aggregate.MIN, Aggregate.MAX, Aggregate.LIST},
    QuestionType.FILE: _ALWAYS,
    QuestionType.TABLE: _ALWAYS | {Aggregate.LIST},
}

DEFAULT_AGGREGATES: Mapping[QuestionType, Aggregate] = {
    QuestionType.SHORT_TEXT: Aggregate.LIST,
    QuestionType.LONG_TEXT: Aggregate.LIST,
    QuestionType.INTEGER: Aggregate.SUM,
    QuestionType.DECIMAL: Aggregate.SUM,
    QuestionType.SINGLE_CHOICE: Aggregate.COUNT,
    QuestionType.MULTIPLE_CHOICE: Aggregate.COUNT,
    QuestionType.YES_NO: Aggregate.COUNT,
    QuestionType.DATE: Aggregate.LIST,
    QuestionType.FILE: Aggregate.COUNT,
    QuestionType.TABLE: Aggregate.LIST,
}


def default_aggregate(type: QuestionType) -> Aggregate:
    """What a new question of this type shows in a summary unless told otherwise."""
    return DEFAULT_AGGREGATES[type]


# -- messages -----------------------------------------------------------------------------

NO_TITLE = N_("The form needs a title.")
TOO_LONG = N_("%(field)s is too long: at most %(count)d characters.")
NO_SECTIONS = N_("The form has no questions.")
NO_KEY = N_("A key is required.")
BAD_KEY = N_(
    "The key %(key)s is not allowed: use lower-case letters, digits and _, "
    "start with a letter, at most 40 characters."
)
DUPLICATE_SECTION_KEY = N_("The section key %(key)s is used more than once.")
DUPLICATE_KEY = N_("The key %(key)s is used more than once.")
DUPLICATE_COLUMN_KEY = N_("The column key %(key)s is used more than once in this table.")
NO_SECTION_TITLE = N_("The section needs a title.")
EMPTY_SECTION = N_("The section %(key)s has no questions.")
NO_LABEL = N_("The question needs a label.")
NO_CHOICES = N_("A %(type)s question needs at least one choice.")
CHOICES_NOT_ALLOWED = N_("Only choice questions have choices; this one is %(type)s.")
NO_CHOICE_VALUE = N_("Every choice needs a value.")
BAD_CHOICE_VALUE = N_("The choice value %(value)s must not start or end with a space.")
DUPLICATE_CHOICE = N_("The choice value %(value)s is used more than once.")
NO_CHOICE_LABEL = N_("The choice %(value)s needs a label.")
NO_COLUMNS = N_("A table needs at least one column.")
COLUMNS_NOT_ALLOWED = N_("Only tables have columns; this question is %(type)s.")
COLUMN_TYPE_NOT_ALLOWED = N_("A table column cannot be %(type)s.")
LIMIT_NOT_ALLOWED = N_("%(field)s applies only to numbers, text and tables, not to %(type)s.")
LIMIT_NOT_FINITE = N_("%(field)s must be a finite number.")
LIMIT_TOO_LARGE = N_("%(field)s is too large.")
LIMIT_NOT_WHOLE = N_("%(field)s must be a whole number for %(type)s.")
LIMIT_NEGATIVE = N_("%(field)s cannot be negative for %(type)s.")
MIN_ABOVE_MAX = N_("min (%(min)s) is greater than max (%(max)s).")
UNIT_NOT_ALLOWED = N_("Only numbers have a unit; this question is %(type)s.")
AGGREGATE_NOT_ALLOWED = N_(
    "A %(type)s question cannot be summed up as %(aggregate)s; use one of: %(allowed)s."
)
CUMULATIVE_NOT_NUMBER = N_("Only number questions can be cumulative; this one is %(type)s.")
CUMULATIVE_IN_TABLE = N_("A table column cannot be cumulative.")
CARRY_NOT_INCREMENT = N_(
    "Only numbers and tables can count what is new this round; this question is %(type)s."
)
CARRY_CUMULATIVE = N_(
    "A cumulative question adds every round to the running total, so each round's answer "
    "must be what is new that round (increment)."
)
CARRY_IN_TABLE = N_("A table column has no carry-over of its own; set it on the table.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form.

    `message` is an English msgid with %(name)s placeholders filled from `params`.
    `path` holds the positions (section, question, column) so that a spreadsheet import
    can point at the row even when keys are missing or repeated; `field` names the
    attribute at fault ("key", "min", "aggregate", ...).
    """

    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    path: tuple[int, ...] = ()
    section: str = ""
    question: str = ""
    column: str = ""
    field: str = ""

    @property
    def location(self) -> str:
        parts = [self.section, self.question, self.column]
        where = "/".join(part for part in parts if part)
        return f"{where}:{self.field}" if self.field else where

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        return f"{self.location}: {text}" if self.location else text


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


@dataclass(frozen=True)
class _Where:
    """Where a question sits, to stamp on the problems found in it."""

    path: tuple[int, ...]
    section: str
    question: str = ""
    column: str = ""

    def problem(self, message: str, at: str = "", **params: object) -> Problem:
        return Problem(
            message=message,
            params=params,
            path=self.path,
            section=self.section,
            question=self.question,
            column=self.column,
            field=at,
        )


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
