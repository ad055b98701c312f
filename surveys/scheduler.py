"""The in-app scheduler: rounds open on time even when nobody visits the site.

Every worker runs `run` for its life (intranet.app starts it when HUIBAO_SCHEDULER is on);
it wakes every Settings.scheduler_seconds and opens whatever rounds are due. Several workers, or a
cron job running `huibao open-rounds` beside them, may do so at the same moment:
surveys.rounds opens each round exactly once whoever asks, so the loser simply opens
nothing. A pass that fails (the database restarting, one campaign with a broken
schedule) is logged and the next pass tries again: the scheduler never stops on its own.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from tortoise import timezone
from tortoise.functions import Count, Max

from surveys import notify
from surveys.models import Campaign, Round
from surveys.round_calendar import due_to_open
from surveys.rounds import open_due_rounds

logger = logging.getLogger("huibao.scheduler")


async def run(app: Starlette) -> None:
    """Open due rounds and send due reminders (surveys.notify) now and then every
    interval, until cancelled (at shutdown)."""
    zone = app.state.settings.zone
    # Rounds open at midnight or at a set time of day: a minute late is on time.
    interval = app.state.settings.scheduler_seconds
    logger.info("scheduler started: opening due rounds every %ss", interval)
    while True:
        try:
            await run_once(timezone.now(), zone)
        except Exception:  # never let one bad pass end the loop; the next one retries
            logger.exception("opening due rounds failed; trying again in %ss", interval)
        try:
            await notify.send_due(timezone.now(), zone)
        except Exception:
            logger.exception("sending due reminders failed; trying again in %ss", interval)
        # A library may turn the shutdown's cancellation into an error of its own (an
        # SMTP client does), which the pass then swallows: stop all the same.
        if cancelling():
            raise asyncio.CancelledError
        await asyncio.sleep(interval)


async def run_once(now: datetime, zone: ZoneInfo) -> list[Round]:
    """One pass: open every round due by `now` (aware) in every active campaign, and
    return those this pass opened. One query when nothing is due; a campaign that fails
    is logged and the others still open."""
    opened: list[Round] = []
    for campaign in await _campaigns_with_rounds_due(now, zone):
        try:
            opened.extend(await open_due_rounds(campaign, now, zone=zone))
        except Exception:
            logger.exception("could not open the due rounds of campaign %s", campaign.id)
    for round_ in opened:
        logger.info("opened round %s of campaign %s", round_.number, round_.campaign_id)
    if opened:  # each round's roster hears of it once (surveys.notify claims it)
        await notify.rounds_opened(opened, now, zone)
    return opened


async def _campaigns_with_rounds_due(now: datetime, zone: ZoneInfo) -> list[Campaign]:
    """The active campaigns that have a round to open, read in one query: each comes with
    how many rounds it has and its highest number, and when those are 1..n the schedule
    alone says whether round n+1 or a later one is due."""
    campaigns = (
        await Campaign.filter(is_active=True)
        .annotate(round_count=Count("rounds"), last_number=Max("rounds__number"))
        .group_by("id")
        .order_by("id")
    )
    due = []
    for campaign in campaigns:
        count, last = campaign.round_count, campaign.last_number or 0  # type: ignore[attr-defined]
        if count != last:  # numbers with gaps: let open_due_rounds read which ones exist
            due.append(campaign)
            continue
        try:
            pending = due_to_open(campaign.schedule(zone), now, set(range(1, last + 1)))
        except ValueError:
            logger.exception("campaign %s has a schedule that cannot be read", campaign.id)
            continue
        if pending:
            due.append(campaign)
    return due


def cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
