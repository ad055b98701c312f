"""Reading a question from the builder's fields, its choices from text, and the keys a new
question or choice gets."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from surveys.building.checking import (
    NOT_A_NUMBER,
    UNKNOWN_AGGREGATE,
    UNKNOWN_CARRY,
    UNKNOWN_TYPE,
    EditRefused,
)
from surveys.schema import (
    CHOICE_TYPES,
    Aggregate,
    Carry,
    Choice,
    FormDefinition,
    Problem,
    Question,
    QuestionType,
    default_aggregate,
)

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
