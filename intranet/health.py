"""Whether the site can serve: the database check behind `/healthz`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from intranet.sql import Sql


async def database_answers() -> bool:
    try:
        await Sql().execute("SELECT 1")
    except Exception:
        return False
    return True


class HealthCheck:
    """Whether the database answers. A success is trusted for `fresh_for` seconds, so a
    flood of probes costs at most one query a second; a failure is never remembered, so
    the site reports itself healthy again as soon as the database is back. Requests that
    come while a query is under way share its answer instead of queueing their own."""

    def __init__(
        self,
        check: Callable[[], Awaitable[bool]] = database_answers,
        *,
        fresh_for: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.check = check
        self.fresh_for = fresh_for
        self.clock = clock
        self.last_success = -float("inf")
        self.in_flight: asyncio.Future[bool] | None = None

    async def __call__(self) -> bool:
        if self.clock() - self.last_success < self.fresh_for:
            return True
        if self.in_flight is None or self.in_flight.done():
            self.in_flight = asyncio.ensure_future(self.ask())
        # Shielded: a probe that gives up does not cancel the others' answer.
        return await asyncio.shield(self.in_flight)

    async def ask(self) -> bool:
        answered = await self.check()
        if answered:
            self.last_success = self.clock()
        return answered
