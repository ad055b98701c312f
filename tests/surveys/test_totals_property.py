"""Every figure surveys.totals gets from the database equals a plain Python computation
from the raw answers, over random organisation trees, categories, states and answers
(numbers stored as JSON numbers or as decimal strings, missing, None or empty)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intranet.i18n import gettext
from intranet.models import Category, Organisation
from intranet.settings import Settings
from surveys.answer_checks import is_answered
from surveys.models import Response
from surveys.schema import Aggregate, Question, QuestionType
from surveys.states import ResponseState
from surveys.totals import (
    Include,
    campaign_trend,
    category_subtotals,
    rollup,
    round_totals,
    table_columns,
)
from tests.conftest import empty_database
from tests.survey_helpers import make_campaign, open_round
from tests.surveys.test_totals import totals_form

T = QuestionType
FORM = totals_form()
COLUMNS = table_columns(FORM)
ROUNDS = 2

# -- random answers, as stored ----------------------------------------------------------

plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=6
)
integers = st.integers(min_value=-(10**12), max_value=10**12)
decimals = st.decimals(
    min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)


@st.composite
def stored_decimal(draw: st.DrawFn) -> Any:
    """A decimal as answers.py stores it ("12.5"), with trailing zeros, or as a JSON number."""
    number = draw(decimals)
    shape = draw(st.sampled_from(["plain", "padded", "json"]))
    if shape == "json":
        return int(number) if number == number.to_integral_value() else float(number)
    text = format(number, "f")
    if shape == "plain" and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def answer_of(question: Question) -> st.SearchStrategy[Any]:
    options = [c.value for c in question.choices]
    by_type: dict[QuestionType, st.SearchStrategy[Any]] = {
        T.INTEGER: integers,
        T.DECIMAL: stored_decimal(),
        T.SINGLE_CHOICE: st.sampled_from(options),
        T.MULTIPLE_CHOICE: st.lists(st.sampled_from(options or ["x"]), unique=True, max_size=3),
        T.YES_NO: st.sampled_from(["yes", "no"]),
        T.SHORT_TEXT: plain_text,
        T.LONG_TEXT: plain_text,
        T.DATE: st.dates().map(lambda d: d.isoformat()),
        T.TABLE: st.lists(
            st.fixed_dictionaries(
                {"title": plain_text, "attendees": st.none() | st.integers(0, 1000)}
            ),
            max_size=2,
        ),
    }
    return by_type[question.type]


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for question in FORM.questions():
        kind = draw(st.sampled_from(["missing", "none", "value", "value", "value"]))
        if kind == "none":
            stored[question.key] = None
        elif kind == "value":
            stored[question.key] = draw(answer_of(question))
    if draw(st.booleans()):
        stored["not_in_the_form"] = 1
    return stored


# -- the figures, computed plainly ----------------------------------------------------


def as_number(value: Any) -> Decimal:
    return Decimal(value) if isinstance(value, int) else Decimal(str(value))


def expected_figure(question: Question, aggregate: Aggregate, values: Iterable[Any]) -> Any:
    answered = [v for v in values if is_answered(v)]
    if aggregate == Aggregate.COUNT:
        return len(answered)
    if aggregate == Aggregate.LIST:
        return [str(v) for v in answered]
    if not answered:
        return None
    if question.is_number:
        numbers = [as_number(v) for v in answered]
        if aggregate == Aggregate.AVERAGE:
            return (sum(numbers) / len(numbers)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        figure = {Aggregate.SUM: sum(numbers), Aggregate.MIN: min(numbers)}.get(
            aggregate, max(numbers)
        )
        return int(figure) if question.type == T.INTEGER else Decimal(figure)
    return min(answered) if aggregate == Aggregate.MIN else max(answered)


def expected_total(counted: list[dict[str, Any]]) -> dict[str, Any]:
    total = {}
    for column in COLUMNS:
        key = column.question.key
        if column.aggregate != Aggregate.NONE:
            values = [a.get(key) for a in counted]
            total[key] = expected_figure(column.question, column.aggregate, values)
    return total


def expected_choices(counted: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    found = {}
    for question in FORM.questions():
        if question.type == T.YES_NO:
            options = ["yes", "no"]
        elif question.type in (T.SINGLE_CHOICE, T.MULTIPLE_CHOICE):
            options = [c.value for c in question.choices]
        else:
            continue
        values = [a.get(question.key) for a in counted]
        if question.type == T.MULTIPLE_CHOICE:
            found[question.key] = {
                o: sum(isinstance(v, list) and o in v for v in values) for o in options
            }
        else:
            found[question.key] = {o: sum(v == o for v in values) for o in options}
    return found


def exact_figure(question: Question, aggregate: Aggregate, values: Iterable[Any]) -> Any:
    """The figure before rounding: an average to 60 digits (what 环比 is made from)."""
    answered = [as_number(v) for v in values if is_answered(v)]
    if aggregate == Aggregate.AVERAGE and answered:
        with localcontext() as context:
            context.prec = 60
            return sum(answered) / len(answered)
    return expected_figure(question, aggregate, values)


def change(total: Any, previous: Any) -> Decimal | None:
    """From the exact figures, rounded once to a tenth of a percent, half away from zero."""
    if total is None or previous is None or previous == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        ratio = (Decimal(total) - Decimal(previous)) / Decimal(previous)
    return ratio.quantize(Decimal("0.001"), ROUND_HALF_UP)


def assert_same(found: Any, expected: Any, where: str) -> None:
    assert found == expected, (where, found, expected)
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert_same(found[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        for index, (f, e) in enumerate(zip(found, expected, strict=True)):
            assert_same(f, e, f"{where}[{index}]")
    elif expected is not None:  # ints stay int, decimals are Decimal, never float
        assert type(found) is type(expected), (where, found, expected)


# -- the test ----------------------------------------------------------------------------


@settings(
    max_examples=int(os.environ.get("HUIBAO_TOTALS_EXAMPLES", "30")),  # more for a deep run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_total_equals_a_plain_computation_from_the_raw_answers(
    database: Settings, data: st.DataObject
) -> None:
    await empty_database()
    association = await Organisation.create_under(None, name="省科协")
    categories = [await Category.create(name=f"类{i}", sort_order=i) for i in range(2)]
    organisations = [association]
    for s in range(data.draw(st.integers(1, 3), "societies")):
        society = await Organisation.create_under(association, name=f"学会{s}")
        organisations.append(society)
        for b in range(data.draw(st.integers(0, 2), "branches")):
            organisations.append(await Organisation.create_under(society, name=f"分会{s}{b}"))
    roster = [o for o in organisations if data.draw(st.booleans(), f"in roster {o.name}")]
    in_categories: dict[int, list[Category]] = {}
    for organisation in roster:
        chosen = data.draw(st.lists(st.sampled_from(categories), unique=True, max_size=2))
        in_categories[organisation.id] = sorted(chosen, key=lambda c: c.sort_order)
        if chosen:
            await organisation.categories.add(*chosen)
    campaign = await make_campaign(association, roster, FORM)
    raw: list[dict[int, tuple[ResponseState, dict[str, Any]]]] = []
    rounds = []
    for number in range(1, ROUNDS + 1):
        round_ = await open_round(campaign, number)
        given_now = {
            o.id: (data.draw(st.sampled_from(list(ResponseState))), data.draw(answers()))
            for o in roster
        }
        for organisation_id, (state, stored) in given_now.items():
            await Response.filter(round_id=round_.id, organisation_id=organisation_id).update(
                state=state, answers=stored
            )
        raw.append(given_now)
        rounds.append(round_)
    roster.sort(key=lambda o: o.path)

    for include in Include:
        states = (
            {ResponseState.APPROVED}
            if include == Include.APPROVED
            else {ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED}
        )

        def counted(
            round_index: int, among: Iterable[Organisation], states: set[ResponseState] = states
        ) -> list[dict[str, Any]]:
            given_then = raw[round_index]
            return [given_then[o.id][1] for o in among if given_then[o.id][0] in states]

        for index, round_ in enumerate(rounds):
            await check_round(round_.id, include, roster, raw[index], states)
            await check_categories(round_.id, include, roster, in_categories, counted, index)
            await check_rollup(round_.id, include, roster, organisations, counted, index)
        await check_trend(campaign.id, include, roster, counted)


async def check_round(
    round_id: int,
    include: Include,
    roster: list[Organisation],
    given_now: dict[int, tuple[ResponseState, dict[str, Any]]],
    states: set[ResponseState],
) -> None:
    totals = await round_totals(round_id, include=include)
    counted_answers = [given_now[o.id][1] for o in roster if given_now[o.id][0] in states]
    assert [row.organisation_id for row in totals.rows] == [o.id for o in roster]
    for row in totals.rows:
        state, stored = given_now[row.organisation_id]
        assert (row.state, row.counted) == (state, state in states)
        values = {q.key: stored[q.key] for q in FORM.questions() if is_answered(stored.get(q.key))}
        assert row.values == (values if state in states else {})
    assert_same(totals.total, expected_total(counted_answers), "total")
    assert_same(totals.choice_counts, expected_choices(counted_answers), "choices")
    names = {o.id: o.name for o in roster}
    counted_rows = [
        (names[o.id], given_now[o.id][1]) for o in roster if given_now[o.id][0] in states
    ]
    for key in ("note", "story"):
        assert totals.texts[key] == [
            (n, a[key]) for n, a in counted_rows if is_answered(a.get(key))
        ]
    assert totals.tables["activities"] == [
        (n, line) for n, a in counted_rows for line in (a.get("activities") or [])
    ]
    done = {ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED}
    assert totals.submitted == sum(given_now[o.id][0] in done for o in roster)
    approved = [o for o in roster if given_now[o.id][0] == ResponseState.APPROVED]
    assert totals.approved == len(approved)


async def check_categories(
    round_id: int,
    include: Include,
    roster: list[Organisation],
    in_categories: dict[int, list[Category]],
    counted: Any,
    index: int,
) -> None:
    found = await category_subtotals(round_id, include=include)
    expected = []
    used = {c.id: c for chosen in in_categories.values() for c in chosen}
    for category in sorted(used.values(), key=lambda c: c.sort_order):
        members = [o for o in roster if category in in_categories[o.id]]
        expected.append((category.name, expected_total(counted(index, members))))
    bare = [o for o in roster if not in_categories[o.id]]
    if bare:
        expected.append((gettext("Uncategorised"), expected_total(counted(index, bare))))
    assert [name for name, _ in found] == [name for name, _ in expected]
    for (name, figures), (_, wanted) in zip(found, expected, strict=True):
        assert_same(figures, wanted, f"category {name}")


async def check_rollup(
    round_id: int,
    include: Include,
    roster: list[Organisation],
    organisations: list[Organisation],
    counted: Any,
    index: int,
) -> None:
    for depth in (0, 1, 2):
        found = await rollup(round_id, include=include, depth=depth)
        heads = [
            o
            for o in organisations
            if o.depth == depth and any(r.path.startswith(o.path) for r in roster)
        ]
        heads.sort(key=lambda o: o.path)
        assert [o.id for o, _ in found] == [o.id for o in heads]
        for (head, figures), wanted in zip(found, heads, strict=True):
            below = [r for r in roster if r.path.startswith(wanted.path)]
            assert_same(figures, expected_total(counted(index, below)), f"rollup {head.name}")


async def check_trend(
    campaign_id: int, include: Include, roster: list[Organisation], counted: Any
) -> None:
    for limit in (None, roster[:1]):
        ids = None if limit is None else [o.id for o in limit]
        trend = await campaign_trend(campaign_id, include=include, organisation_ids=ids)
        among = roster if limit is None else limit
        numbers = [c for c in COLUMNS if c.question.is_number and c.aggregate != Aggregate.NONE]
        assert set(trend) == {c.question.key for c in numbers}
        for column in numbers:
            key, question, aggregate = column.question.key, column.question, column.aggregate
            so_far: list[Any] = []
            previous = None
            for number, point in enumerate(trend[key], start=1):
                values = [a.get(key) for a in counted(number - 1, among)]
                so_far += values
                total = expected_figure(question, aggregate, values)
                assert point.round_number == number
                assert_same(point.total, total, f"trend {key} {number}")
                cumulative = expected_figure(question, aggregate, so_far)
                assert_same(point.cumulative, cumulative, f"cumulative {key} {number}")
                exact = exact_figure(question, aggregate, values)
                assert point.change == change(exact, previous)
                previous = exact
