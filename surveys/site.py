"""What the surveys area adds to the site (loaded by intranet.app by name)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from surveys import attention, scheduler
from surveys.views import campaigns, forms, responses


def routes() -> list[BaseRoute]:
    return [*forms.routes, *campaigns.routes, *responses.routes]


attention_providers = [attention.report_attention]
background_tasks = [scheduler.run]
