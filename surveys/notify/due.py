"""The scheduler's pass: the automatic reminders each open round calls for, and the
announcement of rounds just opened (see surveys.notify for when each is sent)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from surveys.models import Campaign, Round, RoundReminder
from surveys.notify.messages import ROUND_DUE_SOON, ROUND_DUE_TODAY, ROUND_OPENED, ROUND_OVERDUE
from surveys.notify.sending import send_round_event

logger = logging.getLogger("huibao.notify")


@dataclass(frozen=True)
class DueEvent:
    kind: str
    key: str


def due_event(
    round_: Round, campaign: Campaign, now: dt.datetime, zone: ZoneInfo
) -> DueEvent | None:
    """The latest reminder `round_` calls for at `now`, if any (whether sent or not)."""
    base = f"round:{round_.id}"
    if now >= round_.due_at:
        every = campaign.overdue_every_days
        k = (now - round_.due_at) // dt.timedelta(days=every) if every > 0 else 0
        return DueEvent(ROUND_OVERDUE.name, f"{base}:overdue:{k}")
    due_day = round_.due_at.astimezone(zone).date()
    today_starts = dt.datetime.combine(due_day, dt.time(), tzinfo=zone)
    if now >= today_starts:
        return _unless_before_opening(round_, today_starts, ROUND_DUE_TODAY.name, base)
    days = campaign.remind_days_before
    if days > 0 and now >= round_.due_at - dt.timedelta(days=days):
        starts = round_.due_at - dt.timedelta(days=days)
        return _unless_before_opening(round_, starts, ROUND_DUE_SOON.name, base)
    return None


def _unless_before_opening(
    round_: Round, starts: dt.datetime, kind: str, base: str
) -> DueEvent | None:
    if starts < round_.opens_at:
        return None  # the opening itself said when it is due
    return DueEvent(kind, f"{base}:{kind.removeprefix('round.')}")


async def send_due(now: dt.datetime, zone: ZoneInfo) -> int:
    """One pass: every open round's due reminder not sent yet, to the organisations still
    owing their report; `zone` is the site's clock (Settings.zone). Returns how many
    organisations were reminded. Two queries when nothing is due; a constant number per
    round reminded."""
    still_open = Q(closed_at__isnull=True) | Q(closed_at__gt=now)
    open_rounds = await Round.filter(
        still_open, opens_at__lte=now, campaign__is_active=True
    ).select_related("campaign__organiser")
    due = [(r, e) for r in open_rounds if (e := due_event(r, r.campaign, now, zone))]
    if not due:
        return 0
    sent: set[str] = set(
        await RoundReminder.filter(  # type: ignore[arg-type]
            round_id__in=[r.id for r, _ in due], key__in=[e.key for _, e in due]
        )
        .distinct()
        .values_list("key", flat=True)
    )
    told = 0
    for round_, event in due:
        if event.key in sent:
            continue
        try:
            told += len(await send_round_event(round_, event.kind, event.key, now, zone))
        except Exception:  # one round's failure must not stop the others' reminders
            logger.exception("could not send %s for round %s", event.key, round_.id)
    return told


async def rounds_opened(rounds: Sequence[Round], now: dt.datetime, zone: ZoneInfo) -> int:
    """Tell the roster of each round just opened; returns how many organisations."""
    told = 0
    for round_ in rounds:
        loaded = await Round.get(id=round_.id).select_related("campaign__organiser")
        try:
            found = await send_round_event(
                loaded, ROUND_OPENED.name, f"round:{round_.id}:opened", now, zone
            )
        except Exception:
            logger.exception("could not announce round %s", round_.id)
            continue
        told += len(found)
    return told
