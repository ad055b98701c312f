"""What the surveys area adds to the site (loaded by intranet.app by name)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from intranet.settings import Settings
from surveys import attention, scheduler
from surveys.views import campaigns, forms, responses


def routes() -> list[BaseRoute]:
    return [*forms.routes, *campaigns.routes, *responses.routes]


attention_providers = [attention.report_attention, campaigns.reminder_attention]
background_tasks = [scheduler.run]


async def load_demo(settings: Settings, organisations: dict[str, Any]) -> None:
    """The demo's report campaigns (called by intranet.demo after its own data)."""
    from surveys import demo  # only demo loads need it, and it reads intranet.demo

    await demo.load_demo(settings, organisations)
