"""Reminders (催报) sent by staff, and the log of every reminder about a round: who it
reached, when and how."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from intranet.i18n import gettext
from intranet.models import User
from surveys.models import Round, RoundReminder
from surveys.notify.messages import KINDS, ROUND_REMINDER
from surveys.notify.sending import send_round_event


def reminder_key(round_id: int, sent_at: dt.datetime) -> str:
    """The key of one reminder (催报) sent by staff: its log rows and notifications share it."""
    return f"round:{round_id}:reminder:{sent_at.isoformat()}"


async def remind_round(
    round_: Round,
    organisation_ids: Collection[int],
    sender: User,
    now: dt.datetime,
    zone: ZoneInfo,
) -> list[int]:
    """A reminder (催报) from `sender` to these organisations of the round, those still
    owing their report, its deadline on the site's clock `zone`; logged with who it
    reached. Returns the organisations reminded."""
    loaded = await Round.get(id=round_.id).select_related("campaign__organiser")
    key = reminder_key(round_.id, now)
    return await send_round_event(
        loaded,
        ROUND_REMINDER.name,
        key,
        now,
        zone,
        organisation_ids=organisation_ids,
        sent_by=sender,
    )


# -- the 催报 log ---------------------------------------------------------------------------


@dataclass
class Recipient:
    name: str
    read_at: dt.datetime | None = None  # when they opened the notification in-app
    email_state: str = ""  # "" (no e-mail), or the outbox state: pending, sent, failed...
    can_sign_in: bool = True  # an active account with a password: the bell reaches them

    @property
    def reached(self) -> bool:
        """Told for real: they can sign in and see it, or an e-mail is on its way or sent.
        An invited person who never set a password and has no e-mail address is not."""
        return self.can_sign_in or self.email_state in ("pending", "sending", "sent")

    @property
    def email_label(self) -> str:
        """The e-mail's state as an English msgid; "" when none was sent."""
        from intranet.notices.notify import email_label

        return email_label(self.email_state)


@dataclass
class ReminderEntry:
    sent_at: dt.datetime
    organisation: str
    kind: str
    automatic: bool
    sent_by: str  # the staff member's name; "" when automatic
    channel: str  # "in_app" or "in_app,email"
    recipients: list[Recipient] = field(default_factory=list)

    organisation_id: int = 0
    key: str = ""

    @property
    def kind_label(self) -> str:
        label = {k.name: k.label for k in KINDS}.get(self.kind, self.kind)
        return gettext(label)

    @property
    def reached(self) -> bool:
        """Someone of the organisation was actually told (see Recipient.reached)."""
        return any(person.reached for person in self.recipients)


async def reminder_log(round_id: int, *, key: str | None = None) -> list[ReminderEntry]:
    """Who was reminded about the round, when and how (in-app, e-mail and its state;
    manual by whom, or automatic), newest first; only one reminder's rows if `key` is
    given. Four queries whatever its size."""
    from intranet.notifications.models import EmailMessage, Notification

    found = RoundReminder.filter(round_id=round_id)
    if key is not None:
        found = found.filter(key=key)
    reminders = await found.select_related("organisation", "sent_by").order_by(
        "-created_at", "organisation__path"
    )
    people_ids = {u for r in reminders for u in r.recipients}
    accounts = await User.filter(id__in=list(people_ids)).values_list(
        "id", "display_name", "password_hash", "is_active"
    )
    names = {row[0]: row[1] for row in accounts}
    signs_in = {row[0] for row in accounts if row[2] and row[3]}
    keys = {r.key for r in reminders if r.key}
    notes = await Notification.filter(key__in=list(keys), user_id__in=list(people_ids)).values(
        "id", "user_id", "key", "read_at"
    )
    by_note = {(n["user_id"], n["key"]): n for n in notes}
    emails = await EmailMessage.filter(notification_id__in=[n["id"] for n in notes]).values(
        "notification_id", "state"
    )
    state_of = {e["notification_id"]: e["state"] for e in emails}
    entries = []
    for reminder in reminders:
        people = []
        for user_id in reminder.recipients:
            note = by_note.get((user_id, reminder.key))
            people.append(
                Recipient(
                    name=str(names.get(user_id, "")),
                    read_at=note["read_at"] if note else None,
                    email_state=state_of.get(note["id"], "") if note else "",
                    can_sign_in=user_id in signs_in,
                )
            )
        entries.append(
            ReminderEntry(
                sent_at=reminder.created_at,
                organisation=reminder.organisation.name,
                kind=reminder.kind,
                automatic=reminder.sent_by is None and reminder.kind != ROUND_REMINDER.name,
                sent_by=reminder.sent_by.display_name if reminder.sent_by else "",
                channel=reminder.channel,
                recipients=people,
                organisation_id=reminder.organisation_id,
                key=reminder.key or "",
            )
        )
    return entries
