"""What the home page's "needs your attention" box says about notices.

A person is asked to read the published notices addressed to them (not those that are
merely public, nor those they wrote) that they have not opened yet: the ones they were
reminded of first, then the newest, a few at a time.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from intranet.i18n import gettext, ngettext
from intranet.models import Membership, User
from intranet.notices.models import Notice, NoticeRead, NoticeReminder, NoticeState
from intranet.policy import audience_for

SHOWN = 5
# Reminders looked through for the reminded notices; more than anyone gets in practice.
REMINDERS_LOOKED_AT = 50


def unread_notices(held: list[Membership], user: User) -> QuerySet[Notice]:
    """Published notices addressed to this person, not written by them, not yet read."""
    addressed = Subquery(audience_for(held).values("notice_id"))
    read = Subquery(NoticeRead.filter(user_id=user.id).values("notice_id"))
    notices = Notice.filter(state=NoticeState.PUBLISHED, id__in=addressed)
    # Written by someone else, or by nobody still on the site.
    not_mine = Q(author_id__isnull=True) | ~Q(author_id=user.id)
    return notices.exclude(id__in=read).filter(not_mine)


def notice_title(notice: Notice) -> str:
    return f"{notice.document_number} {notice.title}" if notice.document_number else notice.title


async def notice_attention(request: Request, held: list[Membership]) -> list[dict[str, Any]]:
    """At most SHOWN notices and one line for the rest, in two or three queries."""
    user = request.scope.get("user")
    if user is None or not held:
        return []
    unread = unread_notices(held, user)
    reminders = (
        await NoticeReminder.filter(user_id=user.id, notice_id__in=Subquery(unread.values("id")))
        .select_related("notice", "sent_by")
        .order_by("-created_at")
        .limit(REMINDERS_LOOKED_AT)
    )
    latest: dict[int, NoticeReminder] = {}
    for reminder in reminders:
        latest.setdefault(reminder.notice.id, reminder)  # newest first
    reminded = list(latest.values())
    # One more than fits tells whether a "more" line is needed without counting.
    others = (
        await unread.exclude(id__in=list(latest))
        .order_by("-pinned", "-published_at", "-id")
        .limit(max(SHOWN - len(reminded), 0) + 1)
    )
    zone = request.app.state.settings.zone
    items = [reminded_item(request, reminder, zone) for reminder in reminded[:SHOWN]]
    items += [unread_item(request, notice) for notice in others[: SHOWN - len(items)]]
    if len(reminded) + len(others) > len(items):
        total = len(latest) + await unread.exclude(id__in=list(latest)).count()
        items.append(more_item(request, total - len(items)))
    return items


def notice_url(request: Request, notice: Notice) -> str:
    return str(request.app.url_path_for("intranet:notice", notice_id=notice.id))


def reminded_item(request: Request, reminder: NoticeReminder, zone: Any) -> dict[str, Any]:
    sender = reminder.sent_by
    when = reminder.created_at.astimezone(zone).strftime("%Y-%m-%d")
    if sender is not None:
        note = gettext("reminded by %(name)s on %(date)s") % {
            "name": sender.display_name or sender.username,
            "date": when,
        }
    else:
        note = gettext("reminded on %(date)s") % {"date": when}
    return {
        "kind": "notice reminded",
        "url": notice_url(request, reminder.notice),
        "title": notice_title(reminder.notice),
        "note": note,
    }


def unread_item(request: Request, notice: Notice) -> dict[str, Any]:
    return {
        "kind": "notice",
        "url": notice_url(request, notice),
        "title": notice_title(notice),
        "note": gettext("unread notice"),
    }


def more_item(request: Request, count: int) -> dict[str, Any]:
    return {
        "kind": "notice more",
        "url": str(request.app.url_path_for("intranet:notices")),
        "title": ngettext(
            "and %(num)d more unread notice", "and %(num)d more unread notices", count
        )
        % {"num": count},
        "note": "",
    }
