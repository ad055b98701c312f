"""The GROUP BY over the answers, written once per database dialect, and the figures stored
per round so they are computed once while its answers do not change."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from intranet.models import Organisation
from intranet.sql import Sql
from surveys.models import Campaign, Response, Round, RoundFigures
from surveys.schema import (
    KEY_PATTERN,
    Aggregate,
    FormDefinition,
    Question,
    QuestionType,
)
from surveys.totals.figures import Figures, json_value
from surveys.totals.trend import read_answers
from surveys.totals.values import (
    CHOICE_COUNTED_TYPES,
    FRACTION_DIGITS,
    Column,
    Include,
    table_columns,
)

# -- the GROUP BY -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which responses: of these rounds or of a campaign, maybe of some organisations."""

    round_ids: list[int] | None = None
    campaign_id: int | None = None
    organisations: Collection[int] | None = None


@dataclass(frozen=True)
class Grouping:
    """The expression responses are grouped by, the join it needs and a condition."""

    key: str
    join: str
    where: str = ""


async def aggregate(
    columns: list[Column], include: Include, scope: Scope, grouping: Grouping
) -> dict[str | None, Figures]:
    """The figures of each group: its roster and counted responses, then each question's
    figures, then the choice counts; three queries whatever the number of responses."""
    found: dict[str | None, Figures] = {}
    sql = _Totals(Include(include), scope, grouping)
    for record in await sql.rows(sql.roster_query()):
        figures = found[_group(record["grp"])] = Figures.empty(columns)
        figures.roster, figures.counted = int(record["roster"]), int(record["counted"])
    by_key = {c.question.key: c for c in columns}
    if not by_key or not any(f.counted for f in found.values()):
        return found
    sql = _Totals(Include(include), scope, grouping)
    for record in await sql.rows(sql.answers_query(columns)):
        read_answers(record, found[_group(record["grp"])], by_key[record["question"]])
    choices = [c.question for c in columns if c.question.type in CHOICE_COUNTED_TYPES]
    if choices:
        sql = _Totals(Include(include), scope, grouping)
        for record in await sql.rows(sql.choices_query(choices)):
            counts = found[_group(record["grp"])].options[record["question"]]
            if record["choice"] in counts:
                counts[record["choice"]] = int(record["responses"])
    return found


# -- stored figures: made once, used while the round's answers have not changed ------------


async def round_figures(
    round_ids: list[int],
    form_version_id: int,
    form: FormDefinition,
    include: Include,
    *,
    numbers_only: bool = False,
) -> dict[int, Figures]:
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
    figures: dict[int, Figures] = {}
    stale = []
    for round_id in round_ids:
        record = stored.get(round_id)
        if record is not None and record["stamp"] == stamps[round_id]:
            rest = json_value(record["figures"]) if "figures" in record else None
            figures[round_id] = Figures.from_json(json_value(record["numbers"]), rest)
        else:
            stale.append(round_id)
    if not stale:
        return figures
    scope = Scope(round_ids=stale)
    found = await aggregate(columns, include, scope, Grouping("r.round_id", ""))
    made = []
    for round_id in stale:
        figures[round_id] = found.get(str(round_id)) or Figures.empty(columns)
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
    stamps = await _stamps([round_.id], form_version_id(round_.campaign))
    return stamps[round_.id]


async def _stamps(round_ids: list[int], form_version_id: int) -> dict[int, str]:
    """What each round's figures are made from: the form version and, over the round's
    responses, their count, sums of versions and ids, and latest change. Any response
    saved, moved on, added or removed changes it (one indexed GROUP BY over the rounds)."""
    sql = Sql(Response._meta.db)
    query = (
        "SELECT r.round_id AS round, COUNT(*) AS n, SUM(r.version) AS versions,"
        f" SUM(r.id) AS ids, MAX(r.updated_at) AS changed FROM {Sql.table(Response)} r"
        f" WHERE {sql.in_ids('r.round_id', round_ids)} GROUP BY r.round_id"
    )
    stamps = dict.fromkeys(round_ids, f"{form_version_id}:0")
    for record in await sql.rows(query):
        parts = (record["n"], record["versions"], record["ids"], record["changed"])
        stamps[int(record["round"])] = ":".join(str(p) for p in (form_version_id, *parts))
    return stamps


def form_version_id(campaign: Campaign) -> int:
    return int(campaign.form_version_id)


def _group(value: Any) -> str | None:
    return None if value is None else str(value)


class _Totals(Sql):
    """The totals queries in SQLite's or PostgreSQL's words, with their parameters in
    order (intranet.sql.Sql). Each response's answers are walked once (json_each /
    jsonb_each): a row per answer, grouped by the group and the question key. `o` is the
    response's organisation, `r` the response."""

    def __init__(self, include: Include, scope: Scope, grouping: Grouping) -> None:
        super().__init__(Response._meta.db)
        self.include = include
        self.scope = scope
        self.grouping = grouping

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
            f"FROM {Sql.table(Response)} r JOIN {Sql.table(Organisation)} o"
            f" ON o.id = r.organisation_id {self.grouping.join}"
        )

    def _where(self) -> str:
        scope = self.scope
        parts = ["r.organisation_id IS NOT NULL"]
        if scope.round_ids is not None:
            parts.append(self.in_ids("r.round_id", scope.round_ids))
        if scope.campaign_id is not None:
            campaign = self.param(scope.campaign_id)
            rounds = f"SELECT id FROM {Sql.table(Round)} WHERE campaign_id = {campaign}"
            parts.append(f"r.round_id IN ({rounds})")
        if scope.organisations is not None:
            parts.append(self.in_ids("r.organisation_id", scope.organisations))
        if self.grouping.where:
            parts.append(self.grouping.where)
        return " AND ".join(parts)

    def _counted(self) -> str:
        return f"r.state IN {_keys(s.value for s in sorted(self.include.states))}"

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
        """1 if the answer counts as one (surveys.answer_checks.is_answered), else 0."""
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
