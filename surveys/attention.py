"""What the home page's "needs your attention" box says about reports (to be built)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from intranet.models import Membership


async def report_attention(request: Request, held: list[Membership]) -> list[dict[str, Any]]:
    return []
