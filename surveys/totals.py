"""Totals of a round's answers (汇总): the table of organisations, its 合计 row, choice
counts, texts and tables gathered, subtotals by category, roll-up by tree level, and the
trend of each number question across a campaign's rounds.

Every aggregate is computed in the database, in three queries whatever the number of
organisations: the roster and counted responses per group, then each question's
figures per group, then the choice counts per group. Each response's answers are
walked once (SQLite json_each, PostgreSQL jsonb_each: tortoise stores JSONField as
JSONB there), a row per answer, grouped by the group and the question key; the group
is nothing (a round), the category, the ancestor at a tree depth, or the round (a trend).

Numbers are exact. Integers are stored as JSON numbers; decimals as plain decimal
strings ("12.5", surveys.answers), though a JSON number in a decimal question is read
too. PostgreSQL casts both to NUMERIC and sums exactly. SQLite has no decimal type, so
each value's text is split into its whole part and its fraction scaled to an integer of
1e-9 (answers keep at most 6 places), and the two are summed apart as integers: exact,
and far from overflowing. SQLite's min and max compare the values as REAL and read the
result back through its shortest repr, which is exact because an accepted answer has at
most 15 significant digits (surveys.answers.MAX_SIGNIFICANT_DIGITS). Averages, the
cumulative figures of a trend and its changes are worked out in Python from those
exact sums and counts, in Decimal.

Decisions the issue leaves open:
- Rows are the round's response rows (the roster it opened with), in tree order. Only
  answers of responses whose state `include` counts enter a total; a row that does not
  count shows its state and no values.
- `submitted` counts submitted, resubmitted and approved responses; `not_submitted`
  names the rest (not started, draft, returned).
- A 合计 over no answers: count 0, list [], sum/average/min/max None (blank, not 0,
  so "nobody answered" differs from "everybody answered 0"). An average is rounded to
  2 places. A date question's min and max are ISO dates, as its cells are.
- A row's values hold every answered top-level question of the form, tables too.
  Per-person responses (no organisation) are no rows. `organisation_ids` limits rows,
  totals and the completion counts alike.
- Choice counts cover every choice and yes/no question, whatever its aggregate, and
  the form's options only, in form order, with zeros. Texts list every text question.
- A key the form does not have is ignored; a question the answers lack (a question
  added in a later version) is simply unanswered.
- The trend covers number questions whose aggregate is not "none". Its cumulative
  figure is the question's aggregate over every round so far (a running sum or count,
  the average of all answers so far, the lowest or highest so far); the change on the
  previous round (环比) is (this - previous) / previous rounded to 4 places, None when
  there is no previous figure or it is 0.
- A roll-up lists each organisation at the depth that has a response in the round in
  its subtree; roster organisations above that depth are in no group.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import Any

from intranet.i18n import N_, gettext
from intranet.models import Category, Organisation
from intranet.models.organisations import PATH_DIGITS
from surveys.answers import is_answered
from surveys.models import Campaign, Response, Round, RoundFigures
from surveys.responses import late_at
from surveys.schema import (
    CHOICE_TYPES,
    KEY_PATTERN,
    TEXT_TYPES,
    Aggregate,
    FormDefinition,
    Question,
    QuestionType,
)
from surveys.states import ResponseState

UNCATEGORISED = N_("Uncategorised")
CHOICE_COUNTED_TYPES = CHOICE_TYPES | {QuestionType.YES_NO}
YES_NO_VALUES = ("yes", "no")
DONE_STATES = frozenset(
    {ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED}
)
FRACTION_DIGITS = 9  # SQLite: the fraction of a decimal is summed as an integer of 1e-9
CENTS = Decimal("0.01")


class Include(StrEnum):
    APPROVED = "approved"  # approved only
    SUBMITTED = "submitted"  # submitted, resubmitted and approved (default)

    @property
    def states(self) -> frozenset[ResponseState]:
        return frozenset({ResponseState.APPROVED}) if self == Include.APPROVED else DONE_STATES


@dataclass(frozen=True)
class Column:
    """One column of the totals table."""

    question: Question  # a top-level, non-table question
    aggregate: Aggregate  # what the 合计 row does (question.aggregate)


@dataclass
class OrganisationRow:
    organisation_id: int
    name: str
    category_names: list[str]
    state: ResponseState  # of its response
    counted: bool  # whether its answers count under `include`
    submitted_at: datetime | None  # the last submission
    late: bool  # first submitted after the deadline
    values: dict[str, Any]  # question key -> stored value (answered only, and only if counted)
    unchanged: bool = False  # submitted as "no change" (surveys.carryover)
    resent: bool = False  # submitted again after it was returned (退回后重报)


@dataclass
class RoundTotals:
    round: Round  # campaign, form_version, organiser loaded
    include: Include
    columns: list[Column]  # form order
    rows: list[OrganisationRow]  # every roster organisation, by tree path
    total: dict[str, Any]  # key -> 合计 (no key for aggregate "none")
    choice_counts: dict[str, dict[str, int]]  # key -> choice value -> count
    texts: dict[str, list[tuple[str, str]]]  # key -> [(organisation name, text)]
    tables: dict[str, list[tuple[str, dict[str, Any]]]]  # table key -> [(organisation name, row)]
    roster_size: int
    submitted: int
    approved: int
    not_submitted: list[str]  # names


@dataclass(frozen=True)
class YesCount:
    """A yes/no question's 合计: its 是 answers and how many answered."""

    yes: int
    answered: int

    @property
    def share(self) -> Decimal | None:
        """The exact share of 是 among the answers (rounded only when shown)."""
        if not self.answered:
            return None
        with localcontext() as context:
            context.prec = 60
            return Decimal(self.yes) / Decimal(self.answered)


def yes_count(counts: Mapping[str, int]) -> YesCount:
    yes, no = int(counts.get("yes", 0)), int(counts.get("no", 0))
    return YesCount(yes=yes, answered=yes + no)


PERCENT_PLACES = Decimal("0.001")


def shown_ratio(ratio: Decimal | None) -> Decimal | None:
    """A ratio as a person is shown it: to a tenth of a percent, rounded once, half away
    from zero (四舍五入). The page, the workbook and the CSV all show this value."""
    if ratio is None:
        return None
    return ratio.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def format_percent(ratio: Decimal | None, *, signed: bool = False) -> str:
    """12.3% (or +12.3% when `signed`) from a ratio, rounded once by shown_ratio."""
    shown = shown_ratio(ratio)
    if shown is None:
        return ""
    percent = (shown * 100).quantize(Decimal("0.1"))
    sign = "+" if signed and percent > 0 else ""
    return f"{sign}{percent}%"


@dataclass
class TrendPoint:
    round_number: int
    period_start: date
    period_end: date
    total: Any
    cumulative: Any
    change: Any  # on the previous round (环比): a ratio Decimal rounded once, or None
    # For a round still in progress (open, before its deadline, not everyone reported):
    # how many have reported of how many asked. Its 环比 is left out unless asked for.
    reported: int | None = None
    roster: int | None = None

    @property
    def in_progress(self) -> bool:
        return self.reported is not None


# -- the public functions ---------------------------------------------------------------


async def round_totals(
    round_id: int,
    *,
    include: Include = Include.SUBMITTED,
    organisation_ids: Collection[int] | None = None,
) -> RoundTotals:
    """The round's totals table; `organisation_ids` limits rows and totals to those
    organisations (a secretary's own society or subtree)."""
    round_ = await _load_round(round_id)
    form = _form_of(round_)
    columns = table_columns(form)
    rows = [row async for row in _rows(round_, form, include, organisation_ids, chunk=None)]
    if organisation_ids is None:
        stored = await _round_figures([round_id], _form_version_id(round_.campaign), form, include)
        figures = stored[round_id]
        figures.in_row_order(rows)
    else:
        group = _Grouping("0", "")
        scope = _Scope(round_ids=[round_id], organisations=organisation_ids)
        found = await _aggregate(columns, include, scope, group)
        figures = found.get("0") or _Figures.empty(columns)
    counted = [row for row in rows if row.counted]
    return RoundTotals(
        round=round_,
        include=Include(include),
        columns=columns,
        rows=rows,
        total=figures.total(columns),
        choice_counts={
            c.question.key: figures.options[c.question.key]
            for c in columns
            if c.question.type in CHOICE_COUNTED_TYPES
        },
        texts=_texts(form, counted),
        tables=_tables(form, counted),
        roster_size=len(rows),
        submitted=sum(row.state in DONE_STATES for row in rows),
        approved=sum(row.state == ResponseState.APPROVED for row in rows),
        not_submitted=[row.name for row in rows if row.state not in DONE_STATES],
    )


async def category_subtotals(
    round_id: int, *, include: Include = Include.SUBMITTED
) -> list[tuple[str, dict[str, Any]]]:
    """(category name, key -> 合计 over that category's counted rows) for each category
    of the round's organisations, in category order; an organisation in two categories
    counts in both, and those in none under "Uncategorised", last."""
    round_ = await _load_round(round_id)
    columns = table_columns(_form_of(round_))
    group = _Grouping(
        "oc.category_id",
        "LEFT JOIN organisation_category oc ON oc.organisation_id = r.organisation_id",
    )
    found = await _aggregate(columns, include, _Scope(round_ids=[round_id]), group)
    ids = [int(key) for key in found if key is not None]
    categories = await Category.filter(id__in=ids).order_by("sort_order", "name")
    named = [(c.name, found[str(c.id)]) for c in categories]
    if None in found:
        named.append((gettext(UNCATEGORISED), found[None]))
    return [(name, figures.total(columns)) for name, figures in named]


async def rollup(
    round_id: int, *, include: Include = Include.SUBMITTED, depth: int
) -> list[tuple[Organisation, dict[str, Any]]]:
    """Each organisation at tree `depth` (0 the association, 1 societies) with a
    response in its subtree, with the 合计 of its own and its descendants' counted
    responses, in tree order."""
    if depth < 0:
        raise ValueError(f"not a tree depth: {depth}")
    round_ = await _load_round(round_id)
    columns = table_columns(_form_of(round_))
    prefix = 1 + (depth + 1) * (PATH_DIGITS + 1)  # "/0000001/0000007/" at depth 1
    group = _Grouping(f"substr(o.path, 1, {int(prefix)})", "", where=f"o.depth >= {int(depth)}")
    found = await _aggregate(columns, include, _Scope(round_ids=[round_id]), group)
    by_id = {int(str(path).strip("/").split("/")[-1]): figures for path, figures in found.items()}
    organisations = await Organisation.filter(id__in=list(by_id)).order_by("path")
    return [(o, by_id[o.id].total(columns)) for o in organisations]


async def campaign_trend(
    campaign_id: int,
    *,
    include: Include = Include.SUBMITTED,
    organisation_ids: Collection[int] | None = None,
    now: datetime | None = None,
    open_in_change: bool = False,
) -> dict[str, list[TrendPoint]]:
    """For each number question (aggregate not "none"), one point per round in round
    order: the round's 合计, the cumulative figure and the change on the previous round.
    Given `now`, a round still in progress then is marked with how many have reported,
    and left out of the change unless `open_in_change`."""
    campaign = await Campaign.get(id=campaign_id).select_related("form_version")
    form = campaign.form_version.form_definition()
    columns = [
        c for c in table_columns(form) if c.question.is_number and c.aggregate != Aggregate.NONE
    ]
    rounds = await Round.filter(campaign_id=campaign_id).order_by("number")
    found: Mapping[str | None, _Figures]
    if organisation_ids is None:
        ids = [r.id for r in rounds]
        stored = await _round_figures(
            ids, _form_version_id(campaign), form, include, numbers_only=True
        )
        found = {str(round_id): figures for round_id, figures in stored.items()}
    else:
        scope = _Scope(campaign_id=campaign_id, organisations=organisation_ids)
        found = await _aggregate(columns, include, scope, _Grouping("r.round_id", ""))
    progress = await _in_progress(rounds, now, organisation_ids) if now is not None else {}
    trend: dict[str, list[TrendPoint]] = {}
    for column in columns:
        trend[column.question.key] = _trend_points(column, rounds, found, progress, open_in_change)
    return trend


async def _in_progress(
    rounds: Sequence[Round], now: datetime, organisation_ids: Collection[int] | None
) -> dict[int, tuple[int, int]]:
    """Round id -> (reported, asked) for the rounds open at `now`, before their deadline,
    that not every organisation has reported in yet."""
    open_ids = [r.id for r in rounds if r.is_open(now) and now <= r.due_at]
    if not open_ids:
        return {}
    found = Response.filter(round_id__in=open_ids, organisation_id__isnull=False)
    if organisation_ids is not None:
        found = found.filter(organisation_id__in=list(organisation_ids))
    counts: dict[int, list[int]] = {round_id: [0, 0] for round_id in open_ids}
    for record in await found.values("round_id", "state"):
        count = counts[record["round_id"]]
        count[1] += 1
        if ResponseState(record["state"]) in DONE_STATES:
            count[0] += 1
    return {key: (done, asked) for key, (done, asked) in counts.items() if done < asked}


async def iter_round_rows(
    round_id: int, *, include: Include = Include.SUBMITTED, chunk: int = 500
) -> AsyncIterator[OrganisationRow]:
    """The same rows as round_totals().rows, read `chunk` at a time (for large exports)."""
    round_ = await _load_round(round_id)
    async for row in _rows(round_, _form_of(round_), include, None, chunk=max(1, chunk)):
        yield row


def table_columns(form: FormDefinition) -> list[Column]:
    """The columns of the totals table: every top-level question but tables, in form order."""
    return [
        Column(question=q, aggregate=q.aggregate)
        for q in form.questions()
        if q.type != QuestionType.TABLE
    ]


# -- rows -------------------------------------------------------------------------------


async def _load_round(round_id: int) -> Round:
    return await Round.get(id=round_id).select_related(
        "campaign__form_version", "campaign__organiser"
    )


def _form_of(round_: Round) -> FormDefinition:
    return round_.campaign.form_version.form_definition()


_ROW_FIELDS = (
    "organisation_id",
    "state",
    "unchanged",
    "submitted_at",
    "first_submitted_at",
    "answers",
    "organisation__name",
    "organisation__path",
)


async def _rows(
    round_: Round,
    form: FormDefinition,
    include: Include,
    organisation_ids: Collection[int] | None,
    *,
    chunk: int | None,
) -> AsyncIterator[OrganisationRow]:
    """The round's organisation rows in tree order, all at once (chunk None) or `chunk`
    at a time, each chunk one query for the responses and one for their categories."""
    keys = [q.key for q in form.questions()]
    after = ""
    while True:
        found = Response.filter(round_id=round_.id, organisation_id__isnull=False)
        if organisation_ids is not None:
            found = found.filter(organisation_id__in=list(organisation_ids))
        if after:
            found = found.filter(organisation__path__gt=after)
        found = found.order_by("organisation__path")
        if chunk is not None:
            found = found.limit(chunk)
        records: list[dict[str, Any]] = await found.values(*_ROW_FIELDS)
        if not records:
            return
        names = await _category_names([r["organisation_id"] for r in records])
        for record in records:
            yield _row(record, names, round_, keys, include)
        if chunk is None or len(records) < chunk:
            return
        after = records[-1]["organisation__path"]


def _row(
    record: Mapping[str, Any],
    categories: Mapping[int, list[str]],
    round_: Round,
    keys: list[str],
    include: Include,
) -> OrganisationRow:
    state = ResponseState(record["state"])
    counted = state in Include(include).states
    answers = _json(record["answers"]) or {}
    submitted_at = record["submitted_at"]
    first = record["first_submitted_at"] or submitted_at
    return OrganisationRow(
        organisation_id=record["organisation_id"],
        name=record["organisation__name"],
        category_names=categories.get(record["organisation_id"], []),
        state=state,
        counted=counted,
        submitted_at=submitted_at,
        late=late_at(first, round_.due_at),
        values={k: answers[k] for k in keys if is_answered(answers.get(k))} if counted else {},
        unchanged=bool(record["unchanged"]) and state in DONE_STATES,
        resent=first is not None and submitted_at is not None and submitted_at > first,
    )


async def _category_names(organisation_ids: list[int]) -> dict[int, list[str]]:
    """Each organisation's category names, in category order (one query)."""
    pairs = (
        await Category.filter(organisations__id__in=organisation_ids)
        .order_by("sort_order", "name")
        .values_list("organisations__id", "name")
    )
    names: dict[int, list[str]] = {}
    for organisation_id, name in pairs:
        names.setdefault(organisation_id, []).append(name)
    return names


def _texts(form: FormDefinition, rows: list[OrganisationRow]) -> dict[str, list[tuple[str, str]]]:
    keys = [q.key for q in form.questions() if q.type in TEXT_TYPES]
    return {k: [(row.name, row.values[k]) for row in rows if k in row.values] for k in keys}


def _tables(
    form: FormDefinition, rows: list[OrganisationRow]
) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    keys = [q.key for q in form.questions() if q.type == QuestionType.TABLE]
    gathered: dict[str, list[tuple[str, dict[str, Any]]]] = {k: [] for k in keys}
    for row in rows:
        for key in keys:
            value = row.values.get(key)
            if isinstance(value, list):
                gathered[key] += [(row.name, line) for line in value if isinstance(line, dict)]
    return gathered


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


# -- figures: what the database sums up, and the 合计 made of them ----------------------


@dataclass
class _NumberStats:
    """Count, exact sum, lowest and highest of one number question's answers."""

    count: int = 0
    sum: Decimal = Decimal(0)
    low: Decimal | None = None
    high: Decimal | None = None

    def merge(self, other: _NumberStats) -> _NumberStats:
        lows = [v for v in (self.low, other.low) if v is not None]
        highs = [v for v in (self.high, other.high) if v is not None]
        return _NumberStats(
            count=self.count + other.count,
            sum=self.sum + other.sum,
            low=min(lows) if lows else None,
            high=max(highs) if highs else None,
        )

    def to_json(self) -> list[Any]:
        return [self.count, str(self.sum), _text(self.low), _text(self.high)]

    @classmethod
    def from_json(cls, stored: list[Any]) -> _NumberStats:
        count, total, low, high = stored
        return cls(count=count, sum=Decimal(total), low=_number(low), high=_number(high))

    def exact(self, aggregate: Aggregate, integer: bool) -> Any:
        """The figure before any rounding (an average to 60 digits): what 环比 is
        worked out from, so that it is rounded once only."""
        if aggregate == Aggregate.AVERAGE and self.count:
            with localcontext() as context:
                context.prec = 60
                return self.sum / self.count
        return self.value(aggregate, integer)

    def value(self, aggregate: Aggregate, integer: bool) -> Any:
        if aggregate == Aggregate.COUNT:
            return self.count
        if not self.count:
            return None
        if aggregate == Aggregate.AVERAGE:
            with localcontext() as context:
                context.prec = 60
                return (self.sum / self.count).quantize(CENTS, rounding=ROUND_HALF_UP)
        number = {Aggregate.SUM: self.sum, Aggregate.MIN: self.low, Aggregate.MAX: self.high}.get(
            aggregate
        )
        if number is None:
            return None
        return int(number) if integer else _tidy(number)


def _text(number: Decimal | None) -> str | None:
    return None if number is None else str(number)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _tidy(number: Decimal) -> Decimal:
    """The decimal without trailing zeros and never in exponent form (12.5, 100)."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


@dataclass
class _Figures:
    """What one group (a round, a category, a subtree) adds up to, per question key."""

    roster: int = 0
    counted: int = 0
    answered: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, _NumberStats] = field(default_factory=dict)
    low: dict[str, Any] = field(default_factory=dict)
    high: dict[str, Any] = field(default_factory=dict)
    options: dict[str, dict[str, int]] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    owners: dict[str, list[int]] = field(default_factory=dict)  # whose each listed answer is

    @classmethod
    def empty(cls, columns: Iterable[Column]) -> _Figures:
        figures = cls()
        for column in columns:
            question = column.question
            figures.answered[question.key] = 0
            if question.is_number:
                figures.numbers[question.key] = _NumberStats()
            if question.type in CHOICE_COUNTED_TYPES:
                figures.options[question.key] = dict.fromkeys(_options(question), 0)
            figures.lists[question.key] = []
            figures.owners[question.key] = []
        return figures

    def numbers_json(self) -> dict[str, Any]:
        """As stored in RoundFigures.numbers: decimals as their exact text."""
        return {
            "roster": self.roster,
            "counted": self.counted,
            "numbers": {key: stats.to_json() for key, stats in self.numbers.items()},
        }

    def rest_json(self) -> dict[str, Any]:
        """As stored in RoundFigures.figures: what numbers_json leaves out."""
        return {
            "answered": self.answered,
            "low": self.low,
            "high": self.high,
            "options": self.options,
            "lists": self.lists,
            "owners": self.owners,
        }

    @classmethod
    def from_json(cls, numbers: Mapping[str, Any], stored: Mapping[str, Any] | None) -> _Figures:
        """Read back stored figures: the number questions' alone when `stored` is None."""
        figures = cls(
            roster=numbers["roster"],
            counted=numbers["counted"],
            numbers={k: _NumberStats.from_json(v) for k, v in numbers["numbers"].items()},
        )
        if stored is None:
            return figures
        return replace(
            figures,
            answered=dict(stored["answered"]),
            low=dict(stored["low"]),
            high=dict(stored["high"]),
            options={k: dict(v) for k, v in stored["options"].items()},
            lists={k: list(v) for k, v in stored["lists"].items()},
            owners={k: list(v) for k, v in stored["owners"].items()},
        )

    def in_row_order(self, rows: list[OrganisationRow]) -> None:
        """Put each listed answer in the order of `rows` (the tree order now), whatever
        the order was when the figures were stored."""
        position = {row.organisation_id: index for index, row in enumerate(rows)}
        for key, owners in self.owners.items():
            pairs = sorted(zip(owners, self.lists[key], strict=True), key=lambda p: position[p[0]])
            self.owners[key] = [owner for owner, _ in pairs]
            self.lists[key] = [value for _, value in pairs]

    def total(self, columns: Iterable[Column]) -> dict[str, Any]:
        """The 合计 row: key -> the figure its aggregate asks for (none: no key)."""
        return {c.question.key: self._figure(c) for c in columns if c.aggregate != Aggregate.NONE}

    def _figure(self, column: Column) -> Any:
        key, aggregate = column.question.key, column.aggregate
        if column.question.is_number:
            integer = column.question.type == QuestionType.INTEGER
            return self.numbers[key].value(aggregate, integer)
        if aggregate == Aggregate.COUNT:
            return self.answered[key]
        if aggregate == Aggregate.LIST:
            return self.lists[key]
        if aggregate == Aggregate.MIN:
            return self.low.get(key)
        if aggregate == Aggregate.MAX:
            return self.high.get(key)
        return None  # an aggregate the question's type does not allow


def _options(question: Question) -> list[str]:
    if question.type == QuestionType.YES_NO:
        return list(YES_NO_VALUES)
    return [choice.value for choice in question.choices]


# -- the GROUP BY -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Which responses: of these rounds or of a campaign, maybe of some organisations."""

    round_ids: list[int] | None = None
    campaign_id: int | None = None
    organisations: Collection[int] | None = None


@dataclass(frozen=True)
class _Grouping:
    """The expression responses are grouped by, the join it needs and a condition."""

    key: str
    join: str
    where: str = ""


async def _aggregate(
    columns: list[Column], include: Include, scope: _Scope, grouping: _Grouping
) -> dict[str | None, _Figures]:
    """The figures of each group: its roster and counted responses, then each question's
    figures, then the choice counts; three queries whatever the number of responses."""
    connection = Response._meta.db
    postgres = connection.capabilities.dialect == "postgres"
    found: dict[str | None, _Figures] = {}
    sql = _Sql(postgres, Include(include), scope, grouping)
    for record in await connection.execute_query_dict(sql.roster_query(), sql.values):
        figures = found[_group(record["grp"])] = _Figures.empty(columns)
        figures.roster, figures.counted = int(record["roster"]), int(record["counted"])
    by_key = {c.question.key: c for c in columns}
    if not by_key or not any(f.counted for f in found.values()):
        return found
    sql = _Sql(postgres, Include(include), scope, grouping)
    for record in await connection.execute_query_dict(sql.answers_query(columns), sql.values):
        _read_answers(record, found[_group(record["grp"])], by_key[record["question"]])
    choices = [c.question for c in columns if c.question.type in CHOICE_COUNTED_TYPES]
    if choices:
        sql = _Sql(postgres, Include(include), scope, grouping)
        for record in await connection.execute_query_dict(sql.choices_query(choices), sql.values):
            counts = found[_group(record["grp"])].options[record["question"]]
            if record["choice"] in counts:
                counts[record["choice"]] = int(record["responses"])
    return found


# -- stored figures: made once, used while the round's answers have not changed ------------


async def _round_figures(
    round_ids: list[int],
    form_version_id: int,
    form: FormDefinition,
    include: Include,
    *,
    numbers_only: bool = False,
) -> dict[int, _Figures]:
    """Each round's figures over all its responses under `include`: the stored ones
    whose stamp is the round's current one, the others computed (one GROUP BY for them
    all) and stored. Two queries when nothing changed. `numbers_only`: the stored
    number figures are enough (a trend), the listed answers and counts are not read."""
    include = Include(include)
    columns = table_columns(form)
    stamps = await _stamps(round_ids, form_version_id)
    wanted = ["id", "round_id", "stamp", "numbers"] + ([] if numbers_only else ["figures"])
    stored = {
        record["round_id"]: record
        for record in await RoundFigures.filter(
            round_id__in=round_ids, include=include.value
        ).values(*wanted)
    }
    figures: dict[int, _Figures] = {}
    stale = []
    for round_id in round_ids:
        record = stored.get(round_id)
        if record is not None and record["stamp"] == stamps[round_id]:
            rest = _json(record["figures"]) if "figures" in record else None
            figures[round_id] = _Figures.from_json(_json(record["numbers"]), rest)
        else:
            stale.append(round_id)
    if not stale:
        return figures
    scope = _Scope(round_ids=stale)
    found = await _aggregate(columns, include, scope, _Grouping("r.round_id", ""))
    made = []
    for round_id in stale:
        figures[round_id] = found.get(str(round_id)) or _Figures.empty(columns)
        values = {
            "stamp": stamps[round_id],
            "numbers": figures[round_id].numbers_json(),
            "figures": figures[round_id].rest_json(),
        }
        record = stored.get(round_id)
        if record is not None:
            await RoundFigures.filter(id=record["id"]).update(**values)
        else:
            made.append(RoundFigures(round_id=round_id, include=include.value, **values))
    if made:
        # Another request may have stored the same round meanwhile: theirs stays.
        await RoundFigures.bulk_create(made, ignore_conflicts=True)
    return figures


async def round_stamp(round_: Round) -> str:
    """What the round's figures are made from (see _stamps): equal stamps, equal figures.
    `round_.campaign` must be loaded."""
    stamps = await _stamps([round_.id], _form_version_id(round_.campaign))
    return stamps[round_.id]


async def _stamps(round_ids: list[int], form_version_id: int) -> dict[int, str]:
    """What each round's figures are made from: the form version and, over the round's
    responses, their count, sums of versions and ids, and latest change. Any response
    saved, moved on, added or removed changes it (one indexed GROUP BY over the rounds)."""
    connection = Response._meta.db
    postgres = connection.capabilities.dialect == "postgres"
    sql = _Sql(postgres, Include.SUBMITTED, _Scope(), _Grouping("", ""))
    query = (
        "SELECT r.round_id AS round, COUNT(*) AS n, SUM(r.version) AS versions,"
        " SUM(r.id) AS ids, MAX(r.updated_at) AS changed FROM survey_response r"
        f" WHERE {sql._in('r.round_id', round_ids)} GROUP BY r.round_id"
    )
    stamps = dict.fromkeys(round_ids, f"{form_version_id}:0")
    for record in await connection.execute_query_dict(query, sql.values):
        parts = (record["n"], record["versions"], record["ids"], record["changed"])
        stamps[int(record["round"])] = ":".join(str(p) for p in (form_version_id, *parts))
    return stamps


def _form_version_id(campaign: Campaign) -> int:
    return int(campaign.form_version_id)  # type: ignore[attr-defined]


def _group(value: Any) -> str | None:
    return None if value is None else str(value)


class _Sql:
    """The totals queries in SQLite's or PostgreSQL's words, with their parameters in
    order. Each response's answers are walked once (json_each / jsonb_each): a row per
    answer, grouped by the group and the question key."""

    def __init__(
        self, postgres: bool, include: Include, scope: _Scope, grouping: _Grouping
    ) -> None:
        self.postgres = postgres
        self.include = include
        self.scope = scope
        self.grouping = grouping
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    # -- the queries --

    def roster_query(self) -> str:
        inner = (
            f"SELECT {self.grouping.key} AS grp, CASE WHEN {self._counted()} THEN 1 END AS c"
            f" {self._from()} WHERE {self._where()}"
        )
        return (
            "SELECT t.grp AS grp, COUNT(*) AS roster, COUNT(t.c) AS counted"
            f" FROM ({inner}) t GROUP BY t.grp"
        )

    def answers_query(self, columns: list[Column]) -> str:
        listed = [c.question.key for c in columns if c.aggregate == Aggregate.LIST]
        answered = self._answered()
        item = f"CASE WHEN e.key IN {_keys(listed)} AND {answered} = 1 THEN {self._item()} END"
        inner = (
            f"SELECT {self.grouping.key} AS grp, e.key AS question, {answered} AS answered,"
            f" {self._number()} AS num, {self._day()} AS day, {item} AS item"
            f" {self._from()} {self._each()}"
            f" WHERE {self._where()} AND {self._counted()}"
            f" AND e.key IN {_keys(c.question.key for c in columns)}"
        )
        return (
            "SELECT t.grp AS grp, t.question AS question, SUM(t.answered) AS answered,"
            f" {self._number_figures()}, {self._day_figures()},"
            f" {self._items()} AS items FROM ({inner}) t GROUP BY t.grp, t.question"
        )

    def choices_query(self, questions: list[Question]) -> str:
        single = [q.key for q in questions if q.type != QuestionType.MULTIPLE_CHOICE]
        multiple = [q.key for q in questions if q.type == QuestionType.MULTIPLE_CHOICE]
        start = f"SELECT {self.grouping.key} AS grp, r.id AS response, e.key AS question"
        chosen = (
            f"{start}, {self._text('e.value')} AS choice {self._from()} {self._each()}"
            f" WHERE {self._where()} AND {self._counted()} AND e.key IN {_keys(single)}"
            f" AND {self._kind('e')} = {self._string()}"
        )
        ticked = (
            f"{start}, {self._text('m.value')} AS choice {self._from()} {self._each()}"
            f" {self._elements()} WHERE {self._where()} AND {self._counted()}"
            f" AND e.key IN {_keys(multiple)} AND {self._kind('m')} = {self._string()}"
        )
        return (
            "SELECT t.grp AS grp, t.question AS question, t.choice AS choice,"
            " COUNT(DISTINCT t.response) AS responses"
            f" FROM ({chosen} UNION ALL {ticked}) t GROUP BY t.grp, t.question, t.choice"
        )

    # -- which responses --

    def _from(self) -> str:
        return (
            "FROM survey_response r JOIN organisation o ON o.id = r.organisation_id "
            + self.grouping.join
        )

    def _where(self) -> str:
        scope = self.scope
        parts = ["r.organisation_id IS NOT NULL"]
        if scope.round_ids is not None:
            parts.append(self._in("r.round_id", scope.round_ids))
        if scope.campaign_id is not None:
            rounds = (
                f"SELECT id FROM survey_round WHERE campaign_id = {self.param(scope.campaign_id)}"
            )
            parts.append(f"r.round_id IN ({rounds})")
        if scope.organisations is not None:
            parts.append(self._in("r.organisation_id", scope.organisations))
        if self.grouping.where:
            parts.append(self.grouping.where)
        return " AND ".join(parts)

    def _counted(self) -> str:
        return f"r.state IN {_keys(s.value for s in sorted(self.include.states))}"

    def _in(self, column: str, ids: Collection[int]) -> str:
        """One parameter however many ids: an array on PostgreSQL, JSON on SQLite."""
        numbers = [int(i) for i in ids]
        if self.postgres:
            return f"{column} = ANY({self.param(numbers)}::integer[])"
        return f"{column} IN (SELECT value FROM json_each({self.param(json.dumps(numbers))}))"

    # -- one answer: e.key, e.value --

    def _each(self) -> str:
        if self.postgres:
            answers = "CASE WHEN jsonb_typeof(r.answers) = 'object' THEN r.answers END"
            return f"CROSS JOIN LATERAL jsonb_each({answers}) e"
        return "CROSS JOIN json_each(r.answers) e"

    def _elements(self) -> str:
        """The values ticked in a multiple choice answer (none unless it is a list)."""
        if self.postgres:
            ticked = "CASE WHEN jsonb_typeof(e.value) = 'array' THEN e.value END"
            return f"CROSS JOIN LATERAL jsonb_array_elements({ticked}) m(value)"
        return "CROSS JOIN json_each(CASE WHEN e.type = 'array' THEN e.value END) m"

    def _kind(self, alias: str) -> str:
        return f"jsonb_typeof({alias}.value)" if self.postgres else f"{alias}.type"

    def _string(self) -> str:
        return "'string'" if self.postgres else "'text'"

    def _text(self, value: str) -> str:
        return f"({value} #>> '{{}}')" if self.postgres else value

    def _answered(self) -> str:
        """1 if the answer counts as one (surveys.answers.is_answered), else 0."""
        kind, text = f"COALESCE({self._kind('e')}, 'null')", self._text("e.value")
        if self.postgres:
            return (
                f"(CASE {kind} WHEN 'string' THEN ({text} <> '')::int"
                " WHEN 'array' THEN (jsonb_array_length(e.value) > 0)::int"
                " WHEN 'object' THEN (e.value <> '{}'::jsonb)::int WHEN 'null' THEN 0 ELSE 1 END)"
            )
        return (
            f"(CASE {kind} WHEN 'text' THEN e.value <> ''"
            " WHEN 'array' THEN json_array_length(e.value) > 0"
            " WHEN 'object' THEN e.value <> '{}' WHEN 'null' THEN 0 ELSE 1 END)"
        )

    def _number(self) -> str:
        """The answer as a number: NUMERIC on PostgreSQL; on SQLite its exact decimal
        text (a JSON number's own literal, or the stored string)."""
        kind, text = self._kind("e"), self._text("e.value")
        if self.postgres:
            return (
                f"CASE WHEN {kind} = 'number' THEN {text}::numeric"
                f" WHEN {kind} = 'string' AND {text} ~ '^[+-]?[0-9]+(\\.[0-9]+)?$'"
                f" THEN {text}::numeric END"
            )
        # The app stores decimals as strings; a JSON real (from elsewhere) is read as
        # its 15 significant digits, or to 9 places when so small that %g would use an
        # exponent, which gives back any decimal an answer may hold.
        return (
            "CASE WHEN e.type = 'integer' THEN CAST(e.value AS TEXT)"
            " WHEN e.type = 'real' AND abs(e.value) < 0.0001 THEN printf('%.9f', e.value)"
            " WHEN e.type = 'real' THEN CAST(e.value AS TEXT)"
            " WHEN e.type = 'text' AND e.value GLOB '*[0-9]'"
            " AND e.value NOT GLOB '*[^0-9.+-]*' THEN e.value END"
        )

    def _day(self) -> str:
        text = self._text("e.value")
        return f"CASE WHEN {self._kind('e')} = {self._string()} AND {text} <> '' THEN {text} END"

    def _item(self) -> str:
        """[organisation path, organisation id, answer], so that a list can be put in
        tree order (by the path now, or by the rows' order when read back stored)."""
        if self.postgres:
            return "jsonb_build_array(o.path, o.id, e.value)"
        return "json_array(o.path, o.id, e.value)"

    # -- the figures of a group --

    def _number_figures(self) -> str:
        value = "t.num"
        if self.postgres:
            return (
                f"COUNT({value}) AS n, SUM({value}) AS whole, 0 AS fraction,"
                f" MIN({value}) AS low, MAX({value}) AS high"
            )
        # Exact sums without a decimal type: the whole parts and the fractions (as
        # integers of 1e-9, signed) are summed apart.
        point = f"instr({value}, '.')"
        before = f"CASE WHEN {point} > 0 THEN substr({value}, 1, {point} - 1) ELSE {value} END"
        zeros = "0" * FRACTION_DIGITS
        digits = f"substr(substr({value}, {point} + 1) || '{zeros}', 1, {FRACTION_DIGITS})"
        sign = f"(CASE WHEN substr({value}, 1, 1) = '-' THEN -1 ELSE 1 END)"
        fraction = f"CASE WHEN {point} > 0 THEN CAST({digits} AS INTEGER) * {sign} ELSE 0 END"
        return (
            f"COUNT({value}) AS n, SUM(CAST({before} AS INTEGER)) AS whole,"
            f" SUM({fraction}) AS fraction, MIN(CAST({value} AS REAL)) AS low,"
            f" MAX(CAST({value} AS REAL)) AS high"
        )

    def _day_figures(self) -> str:
        collate = ' COLLATE "C"' if self.postgres else ""
        return f"MIN(t.day{collate}) AS first_day, MAX(t.day{collate}) AS last_day"

    def _items(self) -> str:
        if self.postgres:
            return "jsonb_agg(t.item) FILTER (WHERE t.item IS NOT NULL)"
        return "json_group_array(t.item) FILTER (WHERE t.item IS NOT NULL)"


def _keys(keys: Iterable[str]) -> str:
    """An SQL list of question keys (or states): checked words, so written in as they are."""
    words = list(keys)
    for word in words:
        if not KEY_PATTERN.fullmatch(word):
            raise ValueError(f"not a question key: {word!r}")
    return "({})".format(", ".join(f"'{w}'" for w in words) or "NULL")


# -- reading the figures back ---------------------------------------------------------------


def _read_answers(record: Mapping[str, Any], figures: _Figures, column: Column) -> None:
    question = column.question
    key = question.key
    figures.answered[key] = int(record["answered"] or 0)
    if question.is_number:
        figures.answered[key] = count = int(record["n"] or 0)
        if count:
            figures.numbers[key] = _NumberStats(
                count=count,
                sum=_decimal(record["whole"])
                + _decimal(record["fraction"]).scaleb(-FRACTION_DIGITS),
                low=_decimal(record["low"]),
                high=_decimal(record["high"]),
            )
    elif question.type == QuestionType.DATE:
        figures.low[key], figures.high[key] = record["first_day"], record["last_day"]
    items = [item for item in _json(record["items"]) or [] if isinstance(item, list)]
    items.sort(key=lambda item: str(item[0]))
    figures.lists[key] = [str(value) for _, _, value in items]
    figures.owners[key] = [int(owner) for _, owner, _ in items]


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        # Exact: an accepted answer has at most 15 significant digits, which a double
        # keeps and its shortest repr gives back.
        return Decimal(repr(value))
    return Decimal(value)


# -- trends -------------------------------------------------------------------------------


def _trend_points(
    column: Column,
    rounds: list[Round],
    found: Mapping[str | None, _Figures],
    progress: Mapping[int, tuple[int, int]],
    open_in_change: bool,
) -> list[TrendPoint]:
    key, aggregate = column.question.key, column.aggregate
    integer = column.question.type == QuestionType.INTEGER
    running = _NumberStats()
    previous: Any = None
    points = []
    for round_ in rounds:
        figures = found.get(str(round_.id))
        stats = figures.numbers[key] if figures else _NumberStats()
        running = running.merge(stats)
        exact = stats.exact(aggregate, integer)
        reported, roster = progress.get(round_.id, (None, None))
        in_progress = reported is not None
        points.append(
            TrendPoint(
                round_number=round_.number,
                period_start=round_.period_start,
                period_end=round_.period_end,
                total=stats.value(aggregate, integer),
                cumulative=running.value(aggregate, integer),
                change=None if in_progress and not open_in_change else _change(exact, previous),
                reported=reported,
                roster=roster,
            )
        )
        previous = exact
    return points


def _change(total: Any, previous: Any) -> Decimal | None:
    """(this - previous) / previous from the exact figures, rounded once (shown_ratio);
    None when it cannot be said."""
    if total is None or previous is None or previous == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        ratio = (Decimal(total) - Decimal(previous)) / Decimal(previous)
        return shown_ratio(ratio)
