"""The public totals functions (a round, its subtotals by category, a roll-up by tree level,
a campaign's trend) and the rows of organisations they are made of."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from intranet.i18n import gettext
from intranet.models import Category, Organisation
from intranet.models.organisations import PATH_DIGITS
from intranet.sql import Sql
from surveys.answer_checks import is_answered
from surveys.models import Campaign, Response, Round
from surveys.schema import (
    TEXT_TYPES,
    Aggregate,
    FormDefinition,
    QuestionType,
)
from surveys.state_changes import late_at
from surveys.states import ResponseState
from surveys.totals import sql
from surveys.totals.figures import Figures, json_value
from surveys.totals.sql import Grouping, Scope, form_version_id, round_figures
from surveys.totals.trend import trend_points
from surveys.totals.values import (
    CHOICE_COUNTED_TYPES,
    DONE_STATES,
    UNCATEGORISED,
    Include,
    OrganisationRow,
    RoundTotals,
    TrendPoint,
    table_columns,
)

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
        stored = await round_figures([round_id], form_version_id(round_.campaign), form, include)
        figures = stored[round_id]
        figures.in_row_order(rows)
    else:
        group = Grouping("0", "")
        scope = Scope(round_ids=[round_id], organisations=organisation_ids)
        found = await sql.aggregate(columns, include, scope, group)
        figures = found.get("0") or Figures.empty(columns)
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
    group = Grouping(
        "oc.category_id",
        f"LEFT JOIN {Sql.through(Organisation, 'categories')} oc"
        " ON oc.organisation_id = r.organisation_id",
    )
    found = await sql.aggregate(columns, include, Scope(round_ids=[round_id]), group)
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
    group = Grouping(f"substr(o.path, 1, {int(prefix)})", "", where=f"o.depth >= {int(depth)}")
    found = await sql.aggregate(columns, include, Scope(round_ids=[round_id]), group)
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
    found: Mapping[str | None, Figures]
    if organisation_ids is None:
        ids = [r.id for r in rounds]
        stored = await round_figures(
            ids, form_version_id(campaign), form, include, numbers_only=True
        )
        found = {str(round_id): figures for round_id, figures in stored.items()}
    else:
        scope = Scope(campaign_id=campaign_id, organisations=organisation_ids)
        found = await sql.aggregate(columns, include, scope, Grouping("r.round_id", ""))
    progress = await _in_progress(rounds, now, organisation_ids) if now is not None else {}
    trend: dict[str, list[TrendPoint]] = {}
    for column in columns:
        trend[column.question.key] = trend_points(column, rounds, found, progress, open_in_change)
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
    answers = json_value(record["answers"]) or {}
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
