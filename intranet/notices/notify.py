"""Notifications about notices: published to you, and a reminder to read one (催报).

Who is told is who the notice is for (intranet.notices.audience): for an organisation
addressed as a unit, the people acting for it there (admins, staff, secretaries); for
"all members of", everyone holding a role there. Resolved when it is sent, in a constant
number of queries whatever the audience.

A reminder's key carries who sent it and when, so the receipts page's 催报 log reads
from the notifications themselves: who was reminded, by whom, when, whether they have
opened it, and what became of the e-mail.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass

from intranet import paths, policy
from intranet.i18n import DEFAULT_LOCALE, N_, gettext, use_locale
from intranet.models import Membership, User
from intranet.notices.models import AudienceScope, Notice, NoticeAudience, NoticeState
from intranet.notifications.kinds import NOTICE_PUBLISHED, NOTICE_REMINDER
from intranet.notifications.models import STATE_LABELS, EmailMessage, EmailState, Notification
from intranet.notifications.send import notify

logger = logging.getLogger("huibao.notify")

PUBLISHED_TITLE = N_("New notice: %(title)s")
PUBLISHED_BODY = N_("%(issuer)s has published %(number)s%(title)s.")
REMINDER_TITLE = N_("Please read: %(title)s")
REMINDER_BODY = N_(
    "%(issuer)s reminds you to read %(number)s%(title)s, which you have not opened yet."
)


async def addressed_people(notice: Notice) -> set[int]:
    """The ids of the active people the published notice is for. Two queries."""
    audience = await NoticeAudience.filter(notice_id=notice.id).values_list(
        "organisation_id", "scope"
    )
    scope_of = dict(audience)  # type: ignore[arg-type]
    if not scope_of:
        return set()
    held = await Membership.filter(
        organisation_id__in=list(scope_of), user__is_active=True
    ).values_list("organisation_id", "user_id", "role")
    return {
        user_id
        for org_id, user_id, role in held  # type: ignore[misc]
        if scope_of[org_id] == AudienceScope.EVERYONE or policy.is_acting_role(role)
    }


async def _texts(notice: Notice, title: str, body: str) -> tuple[str, str]:
    issuer = await notice.issuer
    values = {
        "title": notice.title,
        "issuer": issuer.name,
        "number": f"{notice.document_number} " if notice.document_number else "",
    }
    with use_locale(DEFAULT_LOCALE):
        return gettext(title) % values, gettext(body) % values


async def notice_published(notice: Notice, now: dt.datetime) -> int:
    """Tell everyone the newly published notice is for (once, whatever calls it again);
    returns how many were told."""
    people = await addressed_people(notice)
    title, body = await _texts(notice, PUBLISHED_TITLE, PUBLISHED_BODY)
    return await notify(
        people,
        kind=NOTICE_PUBLISHED.name,
        key=f"notice:{notice.id}:published",
        title=title,
        body=body,
        url=paths.notice(notice.id),
        now=now,
    )


def notice_id_of(key: str) -> int | None:
    """The notice a notification is about, from its key ("notice:<id>:..."); else None."""
    kind, _, rest = key.partition(":")
    number = rest.partition(":")[0]
    return int(number) if kind == "notice" and number.isdecimal() else None


async def withdrawn_among(notifications: Collection[Notification]) -> set[int]:
    """The ids of those notifications about a notice that has since been withdrawn, so
    the list can say so. One query."""
    about = {n.id: notice_id_of(n.key) for n in notifications}
    wanted = {i for i in about.values() if i is not None}
    if not wanted:
        return set()
    withdrawn = set(
        await Notice.filter(id__in=wanted, state=NoticeState.WITHDRAWN).values_list("id", flat=True)
    )
    return {n for n, notice_id in about.items() if notice_id in withdrawn}


def reminder_key(notice_id: int, sender_id: int, now: dt.datetime) -> str:
    return f"notice:{notice_id}:reminder:{sender_id}:{now.astimezone(dt.UTC).isoformat()}"


async def notice_reminded(
    notice: Notice, user_ids: Collection[int], sender: User, now: dt.datetime
) -> int:
    """A reminder from `sender` to these people to read the notice; returns how many."""
    title, body = await _texts(notice, REMINDER_TITLE, REMINDER_BODY)
    return await notify(
        user_ids,
        kind=NOTICE_REMINDER.name,
        key=reminder_key(notice.id, sender.id, now),
        title=title,
        body=body,
        url=paths.notice(notice.id),
        now=now,
    )


@dataclass
class ReminderEntry:
    sent_at: dt.datetime
    person: str
    sent_by: str
    read_at: dt.datetime | None  # when they opened the reminder in-app
    email_state: str  # "" (no e-mail) or the outbox state

    @property
    def email_label(self) -> str:
        """The e-mail's state as an English msgid; "" when none was sent."""
        return email_label(self.email_state)


def email_label(state: str) -> str:
    return STATE_LABELS.get(EmailState(state), state) if state else ""


async def reminder_log(notice: Notice) -> list[ReminderEntry]:
    """Every reminder to read the notice, newest first. Three queries."""
    prefix = f"notice:{notice.id}:reminder:"
    notes = (
        await Notification.filter(kind=NOTICE_REMINDER.name, key__startswith=prefix)
        .select_related("user")
        .order_by("-created_at", "user__display_name")
    )
    senders = {_sender_id(n.key, prefix) for n in notes}
    names = dict(await User.filter(id__in=list(senders)).values_list("id", "display_name"))
    emails = await EmailMessage.filter(notification_id__in=[n.id for n in notes]).values_list(
        "notification_id", "state"
    )
    state_of = dict(emails)  # type: ignore[arg-type]
    return [
        ReminderEntry(
            sent_at=n.created_at,
            person=n.user.display_name,
            sent_by=str(names.get(_sender_id(n.key, prefix), "")),
            read_at=n.read_at,
            email_state=str(state_of.get(n.id, "")),
        )
        for n in notes
    ]


def _sender_id(key: str, prefix: str) -> int:
    head = key.removeprefix(prefix).split(":", 1)[0]
    return int(head) if head.isdecimal() else 0
