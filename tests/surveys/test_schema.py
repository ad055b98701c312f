"""The report form definition: its checks and its JSON form."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from intranet.i18n import use_locale
from surveys import schema
from surveys.examples import weekly_progress_form
from surveys.schema import (
    ALLOWED_AGGREGATES,
    Aggregate,
    Choice,
    FormDefinition,
    Question,
    QuestionType,
    Respondent,
    Section,
)

T = QuestionType


def q(key: str = "meetings", type: QuestionType = T.INTEGER, **fields: object) -> Question:
    return Question(key=key, type=type, label=fields.pop("label", "会议次数"), **fields)  # type: ignore[arg-type]


def colour(**fields: object) -> Question:
    choices = (Choice("red", "红"), Choice("blue", "蓝"))
    return q("colour", T.SINGLE_CHOICE, choices=fields.pop("choices", choices), **fields)


def table(*columns: Question, **fields: object) -> Question:
    return q("experts", T.TABLE, label="专家", columns=columns, **fields)


def form(*questions: Question, **fields: object) -> FormDefinition:
    section = Section(key="main", title="基本情况", questions=questions)
    return FormDefinition(title=str(fields.get("title", "周报")), sections=(section,))


def found(definition: FormDefinition) -> list[tuple[str, str, str, str]]:
    return [(p.message, p.question, p.column, p.field) for p in definition.validate()]


def test_it_accepts_the_weekly_progress_form() -> None:
    assert weekly_progress_form().validate() == []


def test_it_accepts_a_small_valid_form() -> None:
    assert form(q(), colour(), table(q("name", T.SHORT_TEXT))).validate() == []


PROBLEMS = [
    pytest.param(form(q(key="")), (schema.NO_KEY, "", "", "key"), id="missing-key"),
    pytest.param(form(q(key="Meetings")), (schema.BAD_KEY, "Meetings", "", "key"), id="upper"),
    pytest.param(form(q(key="1st")), (schema.BAD_KEY, "1st", "", "key"), id="digit-first"),
    pytest.param(form(q(key="a" * 41)), (schema.BAD_KEY, "a" * 41, "", "key"), id="too-long-key"),
    pytest.param(form(q(key="会议")), (schema.BAD_KEY, "会议", "", "key"), id="chinese-key"),
    pytest.param(
        form(q(), q(type=T.DECIMAL)), (schema.DUPLICATE_KEY, "meetings", "", "key"), id="dup-key"
    ),
    pytest.param(form(q(label=" ")), (schema.NO_LABEL, "meetings", "", "label"), id="no-label"),
    pytest.param(
        form(q(label="x" * 501)), (schema.TOO_LONG, "meetings", "", "label"), id="long-label"
    ),
    pytest.param(
        form(colour(choices=())), (schema.NO_CHOICES, "colour", "", "choices"), id="no-choices"
    ),
    pytest.param(
        form(q("tags", T.MULTIPLE_CHOICE)),
        (schema.NO_CHOICES, "tags", "", "choices"),
        id="multiple-no-choices",
    ),
    pytest.param(
        form(colour(choices=(Choice("red", "红"), Choice("red", "赤")))),
        (schema.DUPLICATE_CHOICE, "colour", "", "choices"),
        id="dup-choice",
    ),
    pytest.param(
        form(colour(choices=(Choice("", "红"),))),
        (schema.NO_CHOICE_VALUE, "colour", "", "choices"),
        id="empty-choice-value",
    ),
    pytest.param(
        form(colour(choices=(Choice(" red", "红"),))),
        (schema.BAD_CHOICE_VALUE, "colour", "", "choices"),
        id="spaced-choice-value",
    ),
    pytest.param(
        form(colour(choices=(Choice("red", ""),))),
        (schema.NO_CHOICE_LABEL, "colour", "", "choices"),
        id="choice-without-label",
    ),
    pytest.param(
        form(q(choices=(Choice("a", "A"),))),
        (schema.CHOICES_NOT_ALLOWED, "meetings", "", "choices"),
        id="choices-on-integer",
    ),
    pytest.param(
        form(q(min=Decimal(10), max=Decimal(2))),
        (schema.MIN_ABOVE_MAX, "meetings", "", "min"),
        id="min-above-max",
    ),
    pytest.param(
        form(q(min=Decimal("0.5"))),
        (schema.LIMIT_NOT_WHOLE, "meetings", "", "min"),
        id="fraction-on-integer",
    ),
    pytest.param(
        form(q("name", T.SHORT_TEXT, max=Decimal(-1))),
        (schema.LIMIT_NEGATIVE, "name", "", "max"),
        id="negative-length",
    ),
    pytest.param(
        form(q(max=Decimal("Infinity"))),
        (schema.LIMIT_NOT_FINITE, "meetings", "", "max"),
        id="infinite-max",
    ),
    pytest.param(
        form(q(max=Decimal("1e16"))), (schema.LIMIT_TOO_LARGE, "meetings", "", "max"), id="huge"
    ),
    pytest.param(
        form(q("day", T.DATE, min=Decimal(1))),
        (schema.LIMIT_NOT_ALLOWED, "day", "", "min"),
        id="min-on-date",
    ),
    pytest.param(
        form(q("name", T.SHORT_TEXT, unit="人")),
        (schema.UNIT_NOT_ALLOWED, "name", "", "unit"),
        id="unit-on-text",
    ),
    pytest.param(
        form(q("name", T.SHORT_TEXT, aggregate=Aggregate.SUM)),
        (schema.AGGREGATE_NOT_ALLOWED, "name", "", "aggregate"),
        id="sum-of-text",
    ),
    pytest.param(
        form(q(aggregate=Aggregate.LIST)),
        (schema.AGGREGATE_NOT_ALLOWED, "meetings", "", "aggregate"),
        id="list-of-numbers",
    ),
    pytest.param(
        form(q("ok", T.YES_NO, aggregate=Aggregate.AVERAGE)),
        (schema.AGGREGATE_NOT_ALLOWED, "ok", "", "aggregate"),
        id="average-of-yes-no",
    ),
    pytest.param(
        form(q("name", T.SHORT_TEXT, cumulative=True)),
        (schema.CUMULATIVE_NOT_NUMBER, "name", "", "cumulative"),
        id="cumulative-text",
    ),
    pytest.param(form(table()), (schema.NO_COLUMNS, "experts", "", "columns"), id="no-columns"),
    pytest.param(
        form(q(columns=(q("name", T.SHORT_TEXT),))),
        (schema.COLUMNS_NOT_ALLOWED, "meetings", "", "columns"),
        id="columns-on-integer",
    ),
    pytest.param(
        form(table(q("cv", T.FILE))),
        (schema.COLUMN_TYPE_NOT_ALLOWED, "experts", "cv", "type"),
        id="file-in-table",
    ),
    pytest.param(
        form(table(table(q("name", T.SHORT_TEXT)))),
        (schema.COLUMN_TYPE_NOT_ALLOWED, "experts", "experts", "type"),
        id="table-in-table",
    ),
    pytest.param(
        form(table(q("count", cumulative=True))),
        (schema.CUMULATIVE_IN_TABLE, "experts", "count", "cumulative"),
        id="cumulative-column",
    ),
    pytest.param(
        form(table(q("name", T.SHORT_TEXT), q("name", T.SHORT_TEXT))),
        (schema.DUPLICATE_COLUMN_KEY, "experts", "name", "key"),
        id="dup-column",
    ),
    pytest.param(
        form(table(q("name", T.SHORT_TEXT), max=Decimal("2.5"))),
        (schema.LIMIT_NOT_WHOLE, "experts", "", "max"),
        id="fractional-rows",
    ),
    pytest.param(form(q(), title=""), (schema.NO_TITLE, "", "", "title"), id="no-title"),
]


@pytest.mark.parametrize(("definition", "expected"), PROBLEMS)
def test_it_finds_the_problem(definition: FormDefinition, expected: tuple[str, ...]) -> None:
    assert found(definition) == [expected]


def test_it_finds_problems_with_sections() -> None:
    definition = FormDefinition(
        title="周报",
        sections=(
            Section("main", "基本", (q(),)),
            Section("main", "", (q("other"),)),
            Section("Bad", "空", ()),
        ),
    )
    problems = [(p.message, p.section, p.field, p.path) for p in definition.validate()]
    assert problems == [
        (schema.DUPLICATE_SECTION_KEY, "main", "key", (1,)),
        (schema.NO_SECTION_TITLE, "main", "title", (1,)),
        (schema.BAD_KEY, "Bad", "key", (2,)),
        (schema.EMPTY_SECTION, "Bad", "questions", (2,)),
    ]


def test_it_needs_at_least_one_section() -> None:
    assert found(FormDefinition(title="周报")) == [(schema.NO_SECTIONS, "", "", "sections")]


def test_it_lists_every_problem_not_only_the_first() -> None:
    definition = form(
        q(key="Bad"),
        colour(choices=()),
        q("name", T.SHORT_TEXT, cumulative=True, aggregate=Aggregate.SUM),
        table(),
    )
    assert [p.message for p in definition.validate()] == [
        schema.BAD_KEY,
        schema.NO_CHOICES,
        schema.AGGREGATE_NOT_ALLOWED,
        schema.CUMULATIVE_NOT_NUMBER,
        schema.NO_COLUMNS,
    ]


def test_it_gives_positions_for_table_columns() -> None:
    definition = form(q(), table(q("name", T.SHORT_TEXT), q("cv", T.FILE)))
    [problem] = definition.validate()
    assert problem.path == (0, 1, 1)
    assert problem.location == "main/experts/cv:type"


def test_it_allows_the_same_column_key_in_two_tables() -> None:
    name = q("name", T.SHORT_TEXT)
    cases = replace(table(name), key="cases")
    assert form(table(name), cases).validate() == []


@pytest.mark.parametrize(
    ("type", "aggregate"),
    [(type, aggregate) for type, allowed in ALLOWED_AGGREGATES.items() for aggregate in allowed],
)
def test_it_allows_the_sensible_aggregates(type: QuestionType, aggregate: Aggregate) -> None:
    question = Question(key="answer", type=type, label="问题", aggregate=aggregate)
    assert schema.AGGREGATE_NOT_ALLOWED not in [p.message for p in form(question).validate()]


@pytest.mark.parametrize("type", list(QuestionType))
def test_it_has_a_default_aggregate_that_is_allowed(type: QuestionType) -> None:
    assert schema.default_aggregate(type) in ALLOWED_AGGREGATES[type]


def test_it_explains_problems_in_english() -> None:
    [problem] = form(q(min=Decimal(10), max=Decimal(2))).validate()
    with use_locale("en"):
        assert problem.translated() == "min (10) is greater than max (2)."
    assert str(problem) == "main/meetings:min: min (10) is greater than max (2)."


@pytest.mark.parametrize("definition", [weekly_progress_form(), form(q(), colour())])
def test_it_round_trips_through_json(definition: FormDefinition) -> None:
    stored = json.dumps(definition.to_dict(), ensure_ascii=False)
    restored = FormDefinition.from_dict(json.loads(stored))
    assert restored == definition
    assert restored.to_dict() == definition.to_dict()


def test_it_keeps_decimal_limits_exact_in_json() -> None:
    definition = replace(
        form(q("funds", T.DECIMAL, min=Decimal("0.1"), max=Decimal("10000.00"))),
        respondent=Respondent.PERSON,
    )
    data = json.loads(json.dumps(definition.to_dict()))
    assert data["sections"][0]["questions"][0]["min"] == "0.1"
    assert data["sections"][0]["questions"][0]["max"] == "10000.00"
    assert data["respondent"] == "person"
    assert str(FormDefinition.from_dict(data).sections[0].questions[0].max) == "10000.00"


@pytest.mark.parametrize(
    "change",
    [{"type": "number"}, {"aggregate": "total"}, {"min": "ten"}, {"min": True}],
)
def test_it_refuses_stored_json_that_is_not_a_form(change: dict[str, object]) -> None:
    data = form(q()).to_dict()
    data["sections"][0]["questions"][0].update(change)
    with pytest.raises(ValueError):
        FormDefinition.from_dict(data)


def test_it_finds_questions_by_key() -> None:
    definition = weekly_progress_form()
    question = definition.question("online_meetings")
    assert question is not None and question.unit == "次" and question.cumulative
    assert definition.question("missing") is None
    assert len(list(definition.questions())) == 11
