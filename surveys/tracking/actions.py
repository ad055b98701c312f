"""What staff do to a round: remind the late, approve in bulk, close, reopen or extend it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from intranet.models import Membership, Organisation, User
from intranet.policy import acting_organisation_ids
from surveys import notify
from surveys.models import (
    Response,
    Round,
    RoundReminder,
)
from surveys.state_changes import AWAITING_ANSWER, ResponseChanged, act
from surveys.states import Action, Actor, TransitionRefused
from surveys.tracking.messages import (
    DUE_INVALID,
    DUE_NOT_EXTENDED,
    DUE_NOT_LATER,
    REMINDER_DAYS,
    ROUND_ALREADY_CLOSED,
    ROUND_NOT_CLOSED,
    ROUND_NOT_OPENED,
    RoundRefused,
)
from surveys.tracking.progress import respondent_name

# -- reminders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminded:
    sent_at: dt.datetime  # names the reminder in the 催报 log (notify.reminder_key)
    organisation_ids: list[int]  # the organisations it was sent to, reached or not


async def remind(
    round_: Round, response_ids: Sequence[int], user: User, zone: ZoneInfo
) -> Reminded:
    """Remind the organisations of the chosen responses that still owe an answer
    (responses outside the round, per-person or already answered are left out); the
    deadline is written on the site's clock `zone`."""
    owing: list[int] = await Response.filter(  # type: ignore[assignment]
        round_id=round_.id,
        id__in=list(response_ids),
        organisation_id__isnull=False,
        state__in=list(AWAITING_ANSWER),
    ).values_list("organisation_id", flat=True)
    # surveys.notify records each reminder (its 催报 log row) and tells the secretaries.
    sent_at = dt.datetime.now(dt.UTC)
    sent_to = await notify.remind_round(round_, sorted(set(owing)), user, sent_at, zone)
    return Reminded(sent_at, sent_to)


@dataclass
class ReminderOutcome:
    """What one reminder achieved, read from its rows of the 催报 log, so the message
    after sending and the log always agree."""

    reached: list[str] = field(default_factory=list)  # organisation names
    unreached: list[Organisation] = field(default_factory=list)  # nobody could be told

    @property
    def sent(self) -> int:
        return len(self.reached) + len(self.unreached)


async def reminder_outcome(round_: Round, sent_at: dt.datetime) -> ReminderOutcome:
    """The organisations a reminder sent at `sent_at` reached, and those it reached
    nobody in: no secretary (nor anyone acting for them), or only people who can neither
    sign in nor receive e-mail. Those are in tree order, to be called or given a secretary."""
    entries = await notify.reminder_log(round_.id, key=notify.reminder_key(round_.id, sent_at))
    outcome = ReminderOutcome(reached=sorted(e.organisation for e in entries if e.reached))
    missed = [e.organisation_id for e in entries if not e.reached]
    if missed:
        outcome.unreached = await Organisation.filter(id__in=missed).order_by("path")
    return outcome


async def reminders_for(
    held: list[Membership], now: dt.datetime
) -> list[tuple[RoundReminder, int]]:
    """Recent reminders to the organisations this person answers for, about rounds still
    awaiting their answer; the latest per round and organisation. `round__campaign__
    organiser` and `organisation` loaded, each with the id of the response it is about."""
    organisation_ids = acting_organisation_ids(held)
    if not organisation_ids:
        return []
    since = now - dt.timedelta(days=REMINDER_DAYS)
    reminders = (
        await RoundReminder.filter(
            organisation_id__in=organisation_ids,
            created_at__gte=since,
            kind=notify.ROUND_REMINDER.name,  # by staff; the automatic ones ring the bell
        )
        .select_related("round__campaign__organiser", "organisation")
        .order_by("-created_at")
    )
    latest: dict[tuple[int, int], RoundReminder] = {}
    for reminder in reminders:
        latest.setdefault((reminder.round_id, reminder.organisation_id), reminder)
    if not latest:
        return []
    owing = await Response.filter(
        round_id__in=[k[0] for k in latest],
        organisation_id__in=organisation_ids,
        state__in=list(AWAITING_ANSWER),
    ).values_list("round_id", "organisation_id", "id")
    response_ids = {(row[0], row[1]): row[2] for row in owing}
    return [(r, response_ids[key]) for key, r in latest.items() if key in response_ids]


# -- bulk approval -----------------------------------------------------------------------


@dataclass
class BulkApproval:
    approved: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # name, translated reason


async def approve_many(
    round_: Round, response_ids: Sequence[int], user: User, now: dt.datetime
) -> BulkApproval:
    """Approve each chosen response of the round that can be approved now; say why each
    other one was skipped. Ids outside the round are ignored."""
    result = BulkApproval()
    chosen = (
        await Response.filter(round_id=round_.id, id__in=list(response_ids))
        .select_related("organisation", "user")
        .order_by("id")
    )
    for response in chosen:
        response.round = round_
        name = respondent_name(response)
        try:
            await act(response, Action.APPROVE, actor=Actor.REVIEWER, user=user, now=now)
        except (TransitionRefused, ResponseChanged) as refusal:
            result.skipped.append((name, refusal.translated()))
        else:
            result.approved.append(name)
    return result


# -- closing, reopening and extending a round ------------------------------------------------


async def close_round(round_: Round, now: dt.datetime) -> None:
    if round_.opens_at > now:
        raise RoundRefused("not_opened", ROUND_NOT_OPENED)
    if round_.closed_at is not None and round_.closed_at <= now:
        raise RoundRefused("already_closed", ROUND_ALREADY_CLOSED)
    await _update(round_, closed_at=now)


async def reopen_round(round_: Round, now: dt.datetime) -> None:
    if round_.closed_at is None or round_.closed_at > now:
        raise RoundRefused("not_closed", ROUND_NOT_CLOSED)
    await _update(round_, closed_at=None)


def parse_deadline(day: str, at: str, zone: ZoneInfo) -> dt.datetime | None:
    """A deadline typed as a date and a time of day on the site's clock, in UTC."""
    try:
        moment = dt.datetime.combine(
            dt.date.fromisoformat(day), dt.time.fromisoformat(at or "23:59")
        )
    except ValueError:
        return None
    return moment.replace(tzinfo=zone).astimezone(dt.UTC)


async def extend_round(round_: Round, new_due: dt.datetime | None, now: dt.datetime) -> None:
    """Move the deadline later; a closed round is reopened only by `reopen_round`."""
    if new_due is None:
        raise RoundRefused("due_invalid", DUE_INVALID)
    if new_due <= now:
        raise RoundRefused("due_not_later", DUE_NOT_LATER)
    if new_due <= round_.due_at:
        raise RoundRefused("due_not_extended", DUE_NOT_EXTENDED)
    await _update(round_, due_at=new_due)


async def _update(round_: Round, **changes: Any) -> None:
    await Round.filter(id=round_.id).update(**changes)
    for name, value in changes.items():
        setattr(round_, name, value)
