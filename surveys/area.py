"""What the surveys area adds to the site: `area`, read by intranet.areas.load_areas()."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from intranet import policy
from intranet.areas import Area, NavLink
from intranet.i18n import N_
from intranet.settings import Settings
from surveys import attention, commands, notify, scheduler
from surveys.export import jobs as export_jobs
from surveys.views import (
    campaigns,
    forms,
    reminders,
    reports,
    response_actions,
    responses,
    review_queue,
)


def routes() -> list[BaseRoute]:
    return [
        *forms.routes,
        *campaigns.routes,
        *responses.routes,
        *response_actions.routes,
        *reports.routes,
        *reminders.routes,
        *review_queue.routes,
    ]


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """The export pool (made on first use) is stopped with the site: queued exports
    are cancelled, a running one is waited for."""
    try:
        yield
    finally:
        await export_jobs.shutdown()


async def send_due(now: datetime, settings: Settings) -> int:
    """One pass of the scheduler, for `huibao send-due` (cron): open the rounds due, then
    send the reminders due; returns how many organisations were reminded."""
    await scheduler.run_once(now, settings.zone)
    return await notify.send_due(now, settings.zone)


async def load_demo(settings: Settings, organisations: dict[str, Any]) -> None:
    """The demo's report campaigns (called by intranet.demo after its own data)."""
    from surveys import demo  # only demo loads need it, and it reads intranet.demo

    await demo.load_demo(settings, organisations)


def forget_kept() -> None:
    """What a view keeps between requests, forgotten when a new site is built."""
    reports.forget_bodies()


area = Area(
    name="surveys",
    routes=routes,
    models=("surveys.models",),
    migrations="surveys.migrations",
    nav_links=(
        NavLink("surveys:my_reports", N_("My reports")),
        # Whoever acts for an organisation runs its campaigns and keeps its forms.
        NavLink("surveys:campaigns", N_("Campaigns"), policy.acts_for_any),
        NavLink("surveys:forms", N_("Forms"), policy.acts_for_any),
    ),
    stylesheets=("css/surveys.css",),
    scripts=("js/surveys.js",),
    attention_providers=(
        attention.report_attention,
        attention.review_attention,
        campaigns.reminder_attention,
    ),
    background_tasks=(scheduler.run,),
    commands=commands.COMMANDS,
    lifespan=lifespan,
    load_demo=load_demo,
    send_due=send_due,
    forget_kept=forget_kept,
)
