"""Read receipts of a notice, and reminders to those who have not read it.

Only the issuer's people see them (policy.require_managed_notice); a draft has reached
nobody, so it has no receipts page. The page costs the same few queries however many
organisations and people the notice reached.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise import timezone

from intranet import audit, policy
from intranet.form_fields import form_data, parse_id
from intranet.i18n import gettext
from intranet.models import User
from intranet.notices import audience
from intranet.notices import notify as notices_notify
from intranet.notices.models import (
    Notice,
    NoticeReminder,
)
from intranet.templating import render

# Someone reminded this recently is not reminded again by a second click.
REMIND_AGAIN_AFTER = datetime.timedelta(hours=1)


@dataclass
class Totals:
    people_read: int
    people: int
    organisations_read: int
    organisations: int
    organisations_without_people: int
    unread_people: int


def totals(rows: list[audience.OrganisationReceipt]) -> Totals:
    # A person may receive the notice through two organisations; count them once.
    read = {reader.user.id for row in rows for reader in row.read}
    unread = {reader.user.id for row in rows for reader in row.unread} - read
    return Totals(
        people_read=len(read),
        people=len(read | unread),
        organisations_read=sum(row.fully_read for row in rows),
        organisations=len(rows),
        organisations_without_people=sum(row.nobody for row in rows),
        unread_people=len(unread),
    )


def unread_people(receipts: list[audience.OrganisationReceipt]) -> dict[int, User]:
    """Everyone in these organisations who has not read the notice, once each."""
    return {reader.user.id: reader.user for receipt in receipts for reader in receipt.unread}


def receipts_url(request: Request, notice: Notice) -> str:
    return str(request.app.url_path_for("intranet:notice_receipts", notice_id=notice.id))


def done_counts(request: Request) -> dict[str, int] | None:
    """What the redirect after a reminder says: how many were reminded and skipped."""
    params = request.query_params
    if params.get("done") != "reminded":
        return None
    return {
        "count": parse_id(params.get("count")) or 0,
        "skipped": parse_id(params.get("skipped")) or 0,
    }


async def render_receipts(
    request: Request, notice: Notice, *, error: str = "", status_code: int = 200
) -> Response:
    rows = await audience.receipts(notice)
    only_unread = request.query_params.get("unread") == "1"
    context: dict[str, Any] = {
        "notice": notice,
        "rows": [row for row in rows if not row.fully_read] if only_unread else rows,
        "totals": totals(rows),
        "only_unread": only_unread,
        "done": done_counts(request),
        "error": error,
        "can_remind": notice.is_published,
        "reminder_log": await notices_notify.reminder_log(notice),
    }
    return render(
        request,
        "intranet/notices/receipts.html",
        context,
        status_code=status_code,
        partial="intranet/notices/_receipt_rows.html",
    )


async def receipts(request: Request) -> Response:
    _held, notice = await policy.require_managed_notice(request, request.path_params["notice_id"])
    if notice.is_draft:
        raise policy.not_found()  # sent to nobody yet: nothing to count
    return await render_receipts(request, notice)


async def remind(request: Request) -> Response:
    _held, notice = await policy.require_managed_notice(request, request.path_params["notice_id"])
    if notice.is_draft:
        raise policy.not_found()
    if not notice.is_published:
        error = gettext("The notice has been withdrawn: nobody can be reminded of it.")
        return await render_receipts(request, notice, error=error, status_code=400)
    rows = await audience.receipts(notice)
    form = await form_data(request)
    if form.get("organisation"):
        organisation_id = parse_id(form.get("organisation"))
        rows = [row for row in rows if row.organisation.id == organisation_id]
        if not rows:
            error = gettext("That organisation has not received this notice.")
            return await render_receipts(request, notice, error=error, status_code=400)
    sender = request.scope["user"]
    sent, skipped = await send_reminders(notice, unread_people(rows), sender)
    if sent:  # in-app and by e-mail, logged on this page (intranet.notices.notify)
        people = [reminder.user.id for reminder in sent]
        await notices_notify.notice_reminded(notice, people, sender, timezone.now())
        await audit.record(
            request,
            "notice.remind",
            target=notice,
            organisation=notice.issuer,
            summary=f"{len(sent)} people",
        )
    url = f"{receipts_url(request, notice)}?done=reminded&count={len(sent)}&skipped={skipped}"
    return RedirectResponse(url, status_code=303)


async def send_reminders(
    notice: Notice, people: dict[int, User], sender: User
) -> tuple[list[NoticeReminder], int]:
    """One reminder each to `people`, except those reminded within the last hour.
    The reminders made, and how many were skipped."""
    since = timezone.now() - REMIND_AGAIN_AFTER
    recent = set(
        await NoticeReminder.filter(
            notice_id=notice.id, user_id__in=list(people), created_at__gte=since
        ).values_list("user_id", flat=True)
    )
    reminders = [
        NoticeReminder(notice=notice, user=user, sent_by=sender)
        for user_id, user in people.items()
        if user_id not in recent
    ]
    if reminders:
        await NoticeReminder.bulk_create(reminders)
    return reminders, len(people) - len(reminders)


routes = [
    Route("/notices/{notice_id:id}/receipts", receipts, name="intranet:notice_receipts"),
    Route(
        "/notices/{notice_id:id}/remind",
        remind,
        methods=["POST"],
        name="intranet:notice_remind",
    ),
]
