"""The in-app scheduler (to be built)."""

from __future__ import annotations

from starlette.applications import Starlette


async def run(app: Starlette) -> None:
    return None
