"""The intranet's own background task: send the e-mail outbox every minute or sooner.

Run by every worker (intranet.app starts it when HUIBAO_SCHEDULER is on); deliver_due
claims each message in the database, so workers running side by side, or `huibao
send-due` from cron, never send one twice. A failed pass is logged and the next retries.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.applications import Starlette
from tortoise import timezone

from intranet.notifications.email import EmailBackend
from intranet.notifications.send import Delivery, deliver_due

logger = logging.getLogger("huibao.notifications")

BATCH = 100


async def run(app: Starlette) -> None:
    """Deliver due e-mail now and then every interval, until cancelled (at shutdown)."""
    backend: EmailBackend = app.state.email_backend
    interval = app.state.settings.scheduler_seconds
    while True:
        try:
            await run_once(backend)
        except Exception:  # never let one bad pass end the loop
            logger.exception("sending e-mail failed; trying again in %ss", interval)
        # A library may turn the shutdown's cancellation into an error of its own (an
        # SMTP client does), which the pass then swallows: stop all the same.
        if cancelling():
            raise asyncio.CancelledError
        await asyncio.sleep(interval)


async def run_once(backend: EmailBackend) -> Delivery:
    """Deliver every message due now, a batch at a time, until a batch comes back short."""
    total = Delivery()
    while True:
        delivery = await deliver_due(timezone.now(), backend, limit=BATCH)
        total.sent += delivery.sent
        total.retrying += delivery.retrying
        total.failed += delivery.failed
        total.errors.extend(delivery.errors)
        if delivery.claimed < BATCH:
            return total


def cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
