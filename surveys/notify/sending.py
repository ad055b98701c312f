"""Telling the people of a round's organisations about an event: who is told (see
surveys.notify for the rule), each organisation claimed once per event key, the
notifications and e-mails queued in the same transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Collection
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from intranet import policy
from intranet.models import Membership, Organisation, Role, User
from intranet.sql import Sql
from surveys.models import Response, Round, RoundReminder
from surveys.notify.messages import AWAITING, ROUND_OPENED, Message, compose, round_url

EMAILED = "in_app,email"  # RoundReminder.channel when someone was also sent an e-mail


# -- who is told ------------------------------------------------------------------------


async def recipients(
    organisation_ids: Collection[int], organiser: Organisation
) -> dict[int, list[int]]:
    """Organisation id → the ids of the active people told about its report (see the
    package's decisions). Two queries however many organisations."""
    if not organisation_ids:
        return {}
    found = await Organisation.filter(id__in=list(organisation_ids)).values_list("id", "path")
    chains = {
        org_id: _chain_below(str(path), organiser.path)
        for org_id, path in found  # type: ignore[misc]
    }
    wanted = {i for chain in chains.values() for i in chain}
    holders = await Membership.filter(
        organisation_id__in=list(wanted), role__in=list(policy.ACTING_ROLES), user__is_active=True
    ).values_list("organisation_id", "user_id", "role")
    secretaries: dict[int, set[int]] = defaultdict(set)
    others: dict[int, set[int]] = defaultdict(set)
    for org_id, user_id, role in holders:  # type: ignore[misc]
        (secretaries if role == Role.SECRETARY else others)[org_id].add(user_id)
    told = {}
    for org_id, chain in chains.items():
        people: set[int] = set()
        for level in chain:
            people = secretaries.get(level) or others.get(level) or set()
            if people:
                break
        told[org_id] = sorted(people)
    return told


def _chain_below(path: str, organiser_path: str) -> list[int]:
    """The organisation and its ancestors, nearest first, stopping below the organiser
    (or at the top of the tree when the organisation is not under it)."""
    ids = [int(part) for part in path.strip("/").split("/") if part]
    top = len([p for p in organiser_path.strip("/").split("/") if p])
    if not path.startswith(organiser_path):
        top = 0
    return list(reversed(ids[top:])) or ids[-1:]


# -- sending ----------------------------------------------------------------------------


async def deliver(
    user_ids: Collection[int], *, kind: str, key: str, message: Message, now: dt.datetime
) -> set[int]:
    """Notify these people (each once per key) and return those with an e-mail queued."""
    from intranet.notifications.models import EmailMessage
    from intranet.notifications.send import notify

    if not user_ids:
        return set()
    made = await notify(
        user_ids,
        kind=kind,
        key=key,
        title=message.title,
        body=message.body,
        url=message.url,
        now=now,
    )
    if not made:
        return set()
    mailed = await EmailMessage.filter(
        notification__key=key, user_id__in=list(user_ids)
    ).values_list("user_id", flat=True)
    return set(mailed)  # type: ignore[arg-type]


async def _claim(
    round_: Round,
    kind: str,
    key: str,
    told: dict[int, list[int]],
    now: dt.datetime,
    sent_by: User | None,
) -> dict[int, list[int]]:
    """Insert a reminder row per organisation for this key unless one exists, in one
    statement; return the organisations (and their people) this call claimed."""
    if not told:
        return {}
    blank = RoundReminder(created_at=now)
    created = RoundReminder._meta.fields_map["created_at"].to_db_value(now, blank)
    names = '"round_id", "organisation_id", "sent_by_id", "channel", "kind", "key", '
    names += '"recipients", "created_at"'
    ids = sorted(told)
    people = [json.dumps(told[i]) for i in ids]
    sender = sent_by.id if sent_by is not None else None
    sql = Sql()
    if sql.postgres:
        marks = [sql.param(value) for value in (round_.id, ids, sender, kind, key, people, created)]
        rows = (
            f"SELECT {marks[0]}::integer, unnest({marks[1]}::integer[]), {marks[2]}::integer, "
            f"'in_app', {marks[3]}::varchar, {marks[4]}::varchar, unnest({marks[5]}::text[])"
            f"::jsonb, {marks[6]}::timestamptz"
        )
    else:
        pairs = json.dumps([[i, told[i]] for i in ids])
        marks = [sql.param(value) for value in (round_.id, sender, kind, key, created, pairs)]
        rows = (
            f"SELECT {marks[0]}, json_extract(value, '$[0]'), {marks[1]}, 'in_app', {marks[2]}, "
            f"{marks[3]}, json_extract(value, '$[1]'), {marks[4]} FROM json_each({marks[5]}) "
            "WHERE true"
        )
    query = (
        f"INSERT INTO {Sql.table(RoundReminder)} ({names}) {rows} "
        'ON CONFLICT ("organisation_id", "key") DO NOTHING RETURNING "organisation_id"'
    )
    claimed = {row["organisation_id"] for row in await sql.rows(query)}
    return {i: told[i] for i in ids if i in claimed}


async def send_round_event(
    round_: Round,
    kind: str,
    key: str,
    now: dt.datetime,
    zone: ZoneInfo,
    *,
    organisation_ids: Collection[int] | None = None,
    sent_by: User | None = None,
) -> list[int]:
    """Tell the people of the organisations in `round_` (`campaign__organiser` loaded)
    whose report still awaits an answer (only those in `organisation_ids`, if given)
    about `kind`, once per organisation and key. Returns the organisations told. A
    constant number of queries however many organisations and people."""
    owing = Response.filter(round_id=round_.id, state__in=list(AWAITING))
    if organisation_ids is not None:
        owing = owing.filter(organisation_id__in=list(organisation_ids))
    rows = await owing.values_list("organisation_id", "user_id")
    org_ids = sorted({o for o, _ in rows if o is not None})  # type: ignore[misc]
    persons = sorted({u for o, u in rows if o is None and u is not None})  # type: ignore[misc]
    if kind == ROUND_OPENED.name:
        persons = []  # a per-person form: who must fill it in is not known yet
    told = await recipients(org_ids, round_.campaign.organiser)
    message = compose(kind, round_, zone, round_url(round_.id))
    async with in_transaction():
        claimed = await _claim(round_, kind, key, told, now, sent_by)
        people = {u for users in claimed.values() for u in users} | set(persons)
        mailed = await deliver(people, kind=kind, key=key, message=message, now=now)
        emailed = [i for i, users in claimed.items() if mailed & set(users)]
        if emailed:
            await RoundReminder.filter(key=key, organisation_id__in=emailed).update(channel=EMAILED)
    return sorted(claimed)
