"""Notification pages: the list, the bell, preferences, and the admin's e-mail outbox.

A person sees only their own notifications: another's id answers 404. The outbox holds
every person's mail, so only an administrator of the top organisation sees it.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise import timezone

from intranet import audit, policy
from intranet.form_fields import done_message, form_data, page_number, parse_id
from intranet.i18n import N_, gettext
from intranet.notices.notify import withdrawn_among
from intranet.notifications import kinds
from intranet.notifications.email import OutgoingEmail, describe_error
from intranet.notifications.models import EmailMessage, EmailPreference, EmailState, Notification
from intranet.notifications.send import retry_now
from intranet.templating import render

PAGE_SIZE = 30
OUTBOX_SIZE = 100
BELL = "intranet/notifications/_bell.html"

DONE_MESSAGES = {
    "all_read": N_("All notifications are marked as read."),
    "saved": N_("Your e-mail choices are saved."),
    "retried": N_("The messages will be sent again within a minute."),
}


def see_other(request: Request, route: str, done: str = "") -> Response:
    url = str(request.app.url_path_for(route))
    return RedirectResponse(f"{url}?done={done}" if done else url, status_code=303)


# -- the person's own -------------------------------------------------------------------


async def notification_list(request: Request) -> Response:
    user = policy.require_user(request)
    mine = Notification.filter(user_id=user.id)
    total = await mine.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = page_number(request)
    rows = await mine.order_by("-created_at", "-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    unread = await mine.filter(read_at__isnull=True).count()
    context = {
        "rows": rows,
        # Those about a notice since withdrawn say so (its page then says when and why).
        "withdrawn": await withdrawn_among(rows),
        "page": page,
        "pages": pages,
        "total": total,
        "unread": unread,
        "done": done_message(request, DONE_MESSAGES),
    }
    return render(request, "intranet/notifications/list.html", context)


async def own_notification(request: Request) -> Notification:
    user = policy.require_user(request)
    notification_id = parse_id(str(request.path_params["notification_id"]))
    found = await Notification.get_or_none(id=notification_id or 0, user_id=user.id)
    if found is None:
        raise policy.not_found()
    return found


async def open_notification(request: Request) -> Response:
    """Follow a notification: it is marked read, and the person lands on its page."""
    notification = await own_notification(request)
    if notification.read_at is None:
        await Notification.filter(id=notification.id, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    target = notification.url
    if not target.startswith("/") or target.startswith("//"):
        target = str(request.app.url_path_for("intranet:notifications"))
    return RedirectResponse(target, status_code=303)


async def mark_read(request: Request) -> Response:
    notification = await own_notification(request)
    await Notification.filter(id=notification.id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return see_other(request, "intranet:notifications")


async def mark_all_read(request: Request) -> Response:
    user = policy.require_user(request)
    await Notification.filter(user_id=user.id, read_at__isnull=True).update(read_at=timezone.now())
    return see_other(request, "intranet:notifications", "all_read")


async def unread_count(user_id: int) -> int:
    """One COUNT on the (user_id, read_at) index."""
    return await Notification.filter(user_id=user_id, read_at__isnull=True).count()


async def bell(request: Request) -> Response:
    """The bell's partial, polled by htmx; without htmx, the bell is a plain link."""
    user = policy.require_user(request)
    response = render(request, BELL, {"unread_count": await unread_count(user.id), "loaded": True})
    response.headers["cache-control"] = "no-store"
    return response


# -- preferences --------------------------------------------------------------------------


async def preferences(request: Request) -> Response:
    user = policy.require_user(request)
    if request.method == "POST":
        form = await form_data(request)
        chosen = {kind.name: form.get(f"email_{kind.name}") == "yes" for kind in kinds.all_kinds()}
        await save_preferences(user.id, chosen)
        return see_other(request, "intranet:notification_preferences", "saved")
    stored = dict(await EmailPreference.filter(user_id=user.id).values_list("kind", "by_email"))
    choices = [
        (kind, bool(stored.get(kind.name, kind.email_by_default))) for kind in kinds.all_kinds()
    ]
    context: dict[str, Any] = {
        "choices": choices,
        "has_email": bool(user.email),
        "done": done_message(request, DONE_MESSAGES),
    }
    return render(request, "intranet/notifications/preferences.html", context)


async def save_preferences(user_id: int, chosen: dict[str, bool]) -> None:
    """One row per registered kind, replaced together."""
    from tortoise.transactions import in_transaction

    async with in_transaction():
        await EmailPreference.filter(user_id=user_id).delete()
        await EmailPreference.bulk_create(
            [EmailPreference(user_id=user_id, kind=k, by_email=v) for k, v in chosen.items()]
        )


# -- the admin's outbox -----------------------------------------------------------------


async def require_outbox_admin(request: Request) -> None:
    held = await policy.require_admin(request)
    if not policy.is_root_admin(held):
        raise policy.not_found()


async def outbox(request: Request, test_result: dict[str, str] | None = None) -> Response:
    await require_outbox_admin(request)
    unsent = EmailMessage.filter(state__in=[EmailState.PENDING.value, EmailState.FAILED.value])
    rows = await unsent.order_by("state", "next_attempt_at", "id").limit(OUTBOX_SIZE)
    counts = {
        state.value: await EmailMessage.filter(state=state.value).count()
        for state in (EmailState.PENDING, EmailState.SENDING, EmailState.FAILED)
    }
    settings = request.app.state.settings
    context = {
        "rows": rows,
        "counts": counts,
        "settings": settings,
        "test_result": test_result,
        "done": done_message(request, DONE_MESSAGES),
    }
    status = 200 if not test_result or test_result["ok"] else 502
    return render(request, "intranet/notifications/outbox.html", context, status_code=status)


async def retry(request: Request) -> Response:
    await require_outbox_admin(request)
    form = await form_data(request)
    message_id = parse_id(form.get("message_id"))
    # Made due only: the scheduler (or `huibao send-due`) sends them within the minute, so
    # a slow or unreachable server never holds up this page.
    await retry_now([message_id] if message_id else None, timezone.now())
    return see_other(request, "intranet:admin_email", "retried")


async def send_test(request: Request) -> Response:
    """Send a test mail to the admin now, through the configured backend, and say how it went."""
    await require_outbox_admin(request)
    user = policy.require_user(request)
    if not user.email:
        result = {"ok": "", "message": gettext("Add an e-mail address to your profile first.")}
        return await outbox(request, result)
    message = OutgoingEmail(
        to_address=user.email,
        to_name=user.display_name,
        subject=gettext("Huibao test message"),
        text_body=gettext("This test message shows that Huibao can send e-mail."),
    )
    try:
        await request.app.state.email_backend.send(message)
    except Exception as error:
        result = {"ok": "", "message": describe_error(error)}
    else:
        result = {
            "ok": "yes",
            "message": gettext("A test message was sent to %(address)s.") % {"address": user.email},
        }
    await audit.record(request, "email.test", summary=result["message"][:500])
    return await outbox(request, result)


routes = [
    Route("/notifications", notification_list, name="intranet:notifications"),
    Route("/notifications/bell", bell, name="intranet:notifications_bell"),
    Route(
        "/notifications/read-all",
        mark_all_read,
        methods=["POST"],
        name="intranet:notifications_read_all",
    ),
    Route(
        "/notifications/preferences",
        preferences,
        methods=["GET", "POST"],
        name="intranet:notification_preferences",
    ),
    Route(
        "/notifications/{notification_id:id}",
        open_notification,
        name="intranet:notification_open",
    ),
    Route(
        "/notifications/{notification_id:id}/read",
        mark_read,
        methods=["POST"],
        name="intranet:notification_read",
    ),
    Route("/admin/email", outbox, name="intranet:admin_email"),
    Route("/admin/email/retry", retry, methods=["POST"], name="intranet:admin_email_retry"),
    Route("/admin/email/test", send_test, methods=["POST"], name="intranet:admin_email_test"),
]
