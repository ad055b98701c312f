"""Opening a campaign's rounds when they fall due, each exactly once.

The app's scheduler calls `open_due_rounds` for every active campaign now and then; so
may several workers at the same moment. Each round opens in one transaction with the
roster's responses, so a round never exists without them, and the unique
(campaign, number) lets only one worker open it: the others' inserts fail and they move
on. Organisations get their response rows when the round opens (one bulk insert per
round); a per-person form gets a person's row when that person first answers, because
who will answer is not known in advance.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from intranet.models import Organisation
from intranet.sql import Sql
from surveys.models import Campaign, Form, FormVersion, Response, Round
from surveys.round_calendar import RoundPlan, due_to_open
from surveys.schema import Respondent


async def open_due_rounds(campaign: Campaign, now: datetime, *, zone: ZoneInfo) -> list[Round]:
    """Open every round of `campaign` due by `now` (aware) that is not open yet, oldest
    first, and return those this call opened; a round another worker opened first is
    left to it. `zone` is the site's wall clock (Settings.zone)."""
    numbers: list[int] = await Round.filter(campaign=campaign).values_list(  # type: ignore[assignment]
        "number", flat=True
    )
    plans = due_to_open(campaign.schedule(zone), now, set(numbers))
    if not plans:
        return []
    per_organisation = await _respondent(campaign) == Respondent.ORGANISATION
    opened = []
    for plan in plans:
        round_ = await _open_round(campaign, plan, per_organisation=per_organisation)
        if round_ is not None:
            opened.append(round_)
    return opened


async def roster_organisation_ids(campaign: Campaign) -> list[int]:
    """The active organisations the campaign's roster names today: those listed and
    those in its categories, each once, by id."""
    named = []
    if campaign.roster_organisations:
        named.append(Q(id__in=campaign.roster_organisations))
    if campaign.roster_categories:
        named.append(Q(categories__id__in=campaign.roster_categories))
    if not named:
        return []
    wanted = Q(*named, join_type=Q.OR)
    ids: list[int] = await Organisation.filter(wanted, is_active=True).values_list(  # type: ignore[assignment]
        "id", flat=True
    )
    return sorted(set(ids))


async def _open_round(
    campaign: Campaign, plan: RoundPlan, *, per_organisation: bool
) -> Round | None:
    try:
        async with in_transaction() as connection:
            round_ = await Round.create(
                campaign=campaign,
                number=plan.number,
                period_start=plan.period_start,
                period_end=plan.period_end,
                opens_at=plan.opens_at,
                due_at=plan.due_at,
            )
            # Answers now exist against this version: editing the form makes a new one.
            await FormVersion.filter(id=campaign.form_version_id, frozen=False).update(frozen=True)
            if per_organisation:
                ids = await roster_organisation_ids(campaign)
                await _insert_responses(connection, round_, ids)
    except IntegrityError:
        if await Round.exists(campaign=campaign, number=plan.number):
            return None  # another worker opened it first
        raise
    return round_


async def _insert_responses(
    connection: BaseDBAsyncClient, round_: Round, organisation_ids: list[int]
) -> None:
    """A not-started response for each organisation, in one statement that takes the ids
    as one array. Written by hand, not with Response.bulk_create, which builds a model
    instance per row and sends a row at a time, and so costs several times more for 200
    societies (bench/round_opening.py). The model's own fields convert the values, which
    are the same for every row."""
    if not organisation_ids:
        return
    blank = Response(round=round_)
    fields = Response._meta.fields_map
    same = [fields[name].to_db_value(getattr(blank, name), blank) for name in _SAME_FOR_ALL]
    names = ", ".join(f'"{name}"' for name in ("round_id", "organisation_id", *_SAME_FOR_ALL))
    sql = Sql(connection)
    if sql.postgres:  # the ids as one array, unnested
        first, ids = sql.param(round_.id), sql.param(organisation_ids)
        types = ("varchar", "integer", "jsonb", "timestamptz", "boolean")
        shared = ", ".join(f"{sql.param(v)}::{t}" for v, t in zip(same, types, strict=True))
        rows = f"SELECT {first}::integer, unnest({ids}::integer[]), {shared}"
    else:  # the ids as one JSON array, a row per element
        first = sql.param(round_.id)
        rows = f"SELECT {first}, value, {sql.params(same)} FROM json_each("
        rows += f"{sql.param(json.dumps(organisation_ids))})"
    await sql.execute(f"INSERT INTO {Sql.table(Response)} ({names}) {rows}")


_SAME_FOR_ALL = ("state", "version", "answers", "updated_at", "unchanged")


async def _respondent(campaign: Campaign) -> Respondent:
    form = await Form.get(versions__id=campaign.form_version_id)
    return Respondent(form.respondent)
