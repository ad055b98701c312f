"""Announcing an event to people (notify) and sending the e-mail outbox (deliver_due).

notify() writes in a constant number of statements whatever the number of recipients:
one INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING for the notifications (the
unique (user_id, key) keeps an event from reaching anyone twice, even from two workers at
once), one read of addresses and one of preferences, one bulk insert of e-mails.

deliver_due() claims due messages with one UPDATE (on PostgreSQL its subquery takes them
FOR UPDATE SKIP LOCKED), so two workers never hold the same message; each claimed message
is sent, then marked sent, or put back with a back-off and its error, and after the last
back-off marked failed for an admin to see and retry.
"""

from __future__ import annotations

import html
from collections.abc import Collection, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from intranet.i18n import gettext, use_locale
from intranet.models import User
from intranet.notifications import kinds
from intranet.notifications.email import (
    EmailBackend,
    OutgoingEmail,
    ServerUnreachable,
    describe_error,
    header_text,
)
from intranet.notifications.models import (
    EmailMessage,
    EmailPreference,
    EmailState,
    Notification,
)
from intranet.settings import Settings
from intranet.sql import Sql

# After the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
# A message left "sending" this long was claimed by a worker that died mid-send: it is
# claimed again (SMTP timeouts are 30 s, so a live worker is long done by then).
STALE_CLAIM = timedelta(hours=1)
# Ids per INSERT ... SELECT: well inside SQLite's and PostgreSQL's parameter limits.
CHUNK = 5000
MAX_KEY_LENGTH = 200
MAX_TITLE_LENGTH = 300
MAX_URL_LENGTH = 500
EMAIL_LOCALE = "zh_CN"


@dataclass
class _Site:
    url: str = "http://127.0.0.1:8000"


_site = _Site()


def configure(settings: Settings) -> None:
    """Links in e-mail start with HUIBAO_SITE_URL (called when the app or a command starts)."""
    _site.url = settings.site_url.rstrip("/")


def absolute_url(url: str) -> str:
    return _site.url + url


# -- notify -----------------------------------------------------------------------------


async def notify(
    user_ids: Collection[int],
    *,
    kind: str,
    key: str,
    title: str,
    body: str,
    url: str,
    now: datetime,
) -> int:
    """Notify each active person in `user_ids` who does not already hold `key`; queue an
    e-mail for those who want `kind` by e-mail and have an address. Returns how many
    notifications were created. `url` is the site path the notification leads to."""
    _check(kind, key, url)
    title = header_text(title, MAX_TITLE_LENGTH)
    ids = sorted({int(i) for i in user_ids})
    if not ids:
        return 0
    now = now.astimezone(UTC)
    created: list[tuple[int, int]] = []  # (notification id, user id)
    for start in range(0, len(ids), CHUNK):
        created.extend(
            await _insert_new(ids[start : start + CHUNK], kind, key, title, body, url, now)
        )
    if created:
        await _queue_emails(created, kind=kind, title=title, body=body, url=url, now=now)
    return len(created)


def _check(kind: str, key: str, url: str) -> None:
    if kinds.get(kind) is None:
        raise ValueError(f"unknown notification kind {kind!r}: register it in kinds first")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"a notification key has 1 to {MAX_KEY_LENGTH} characters")
    # A path on this site: the click-through redirects there, so never another site.
    if not url.startswith("/") or url.startswith("//") or len(url) > MAX_URL_LENGTH:
        raise ValueError(f"a notification url is a path on this site, got {url!r}")


async def _insert_new(
    ids: Sequence[int], kind: str, key: str, title: str, body: str, url: str, now: datetime
) -> list[tuple[int, int]]:
    sql = Sql()
    values = [sql.param(value) for value in (kind, key, title, body, url, now)]
    id_marks = sql.params(ids)
    active = "TRUE" if sql.postgres else "1"
    notification, user = Sql.table(Notification), Sql.table(User)
    statement = (
        f'INSERT INTO {notification} ("user_id", "kind", "key", "title", "body", "url", '
        '"created_at") '
        f'SELECT "id", {values[0]}, {values[1]}, {values[2]}, {values[3]}, {values[4]}, '
        f'{values[5]} FROM {user} WHERE "id" IN ({id_marks}) AND "is_active" = {active} '
        'ON CONFLICT ("user_id", "key") DO NOTHING RETURNING "id", "user_id"'
    )
    rows = await sql.rows(statement)
    return [(int(row["id"]), int(row["user_id"])) for row in rows]


async def _queue_emails(
    created: list[tuple[int, int]], *, kind: str, title: str, body: str, url: str, now: datetime
) -> None:
    user_ids = [user_id for _, user_id in created]
    wanted = _wants_email(kind, await _preferences(kind, user_ids))
    people = {
        row["id"]: row
        for row in await User.filter(id__in=user_ids)
        .exclude(email="")
        .values("id", "email", "display_name", "locale")
    }
    messages = []
    for notification_id, user_id in created:
        person = people.get(user_id)
        if person is None or not wanted(user_id):
            continue
        text, page = mail_bodies(person["display_name"], title, body, url, person["locale"])
        messages.append(
            EmailMessage(
                notification_id=notification_id,
                user_id=user_id,
                to_address=person["email"],
                subject=title,
                text_body=text,
                html_body=page,
                state=EmailState.PENDING.value,
                next_attempt_at=now,
                created_at=now,
            )
        )
    if messages:
        await EmailMessage.bulk_create(messages, batch_size=1000)


async def _preferences(kind: str, user_ids: list[int]) -> dict[int, bool]:
    rows = await EmailPreference.filter(kind=kind, user_id__in=user_ids).values_list(
        "user_id", "by_email"
    )
    return {int(user_id): bool(by_email) for user_id, by_email in rows}


def _wants_email(kind: str, chosen: dict[int, bool]):  # type: ignore[no-untyped-def]
    found = kinds.get(kind)
    default = found.email_by_default if found else False
    return lambda user_id: chosen.get(user_id, default)


def mail_bodies(name: str, title: str, body: str, url: str, locale: str = "") -> tuple[str, str]:
    """The plain-text and HTML parts, in the person's language (Chinese by default)."""
    link = absolute_url(url)
    settings_link = absolute_url("/notifications/preferences")
    with use_locale(locale if locale == "en" else EMAIL_LOCALE):
        greeting = gettext("Dear %(name)s,") % {"name": name}
        open_label = gettext("Open it on the site:")
        footer = gettext(
            "This message was sent by Huibao. To choose which notifications reach you by "
            "e-mail, visit:"
        )
    text = "\n\n".join(
        part
        for part in (
            greeting,
            title,
            body,
            f"{open_label}\n{link}",
            f"--\n{footer}\n{settings_link}",
        )
        if part
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.split("\n") if line.strip())
    page = (
        '<!doctype html><html><body style="font-family:sans-serif;line-height:1.6">'
        f"<p>{html.escape(greeting)}</p>"
        f'<h2 style="font-size:1.2em">{html.escape(title)}</h2>{paragraphs}'
        f'<p>{html.escape(open_label)} <a href="{html.escape(link)}">{html.escape(link)}</a></p>'
        f'<hr><p style="color:#666;font-size:.9em">{html.escape(footer)} '
        f'<a href="{html.escape(settings_link)}">{html.escape(settings_link)}</a></p>'
        "</body></html>"
    )
    return text, page


# -- deliver_due ------------------------------------------------------------------------


@dataclass
class Delivery:
    """What one pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed


async def deliver_due(now: datetime, backend: EmailBackend, *, limit: int = 100) -> Delivery:
    """Send up to `limit` due messages, each exactly once whatever else runs at once."""
    now = now.astimezone(UTC)
    delivery = Delivery()
    claimed_ids = await _claim(now, limit)
    if not claimed_ids:
        return delivery
    messages = await EmailMessage.filter(id__in=claimed_ids).select_related("user").order_by("id")
    # A backend that can keep one connection for the whole batch (SmtpBackend) does.
    batch = getattr(backend, "batch", None)
    async with batch() if batch is not None else nullcontext(backend) as sender:
        await _send_each(messages, sender, now, delivery)
    return delivery


async def _send_each(
    messages: list[EmailMessage], sender: Any, now: datetime, delivery: Delivery
) -> None:
    for index, message in enumerate(messages):
        try:
            await sender.send(
                OutgoingEmail(
                    to_address=message.to_address,
                    to_name=message.user.display_name,
                    subject=message.subject,
                    text_body=message.text_body,
                    html_body=message.html_body,
                )
            )
        except ServerUnreachable as error:
            # One timeout per pass, not one per message: the rest wait for their back-off.
            for waiting in messages[index:]:
                await _record_failure(waiting, now, str(error), delivery)
            return
        except Exception as error:  # any failure: keep the message and say why
            await _record_failure(message, now, describe_error(error), delivery)
        else:
            await EmailMessage.filter(id=message.id).update(
                state=EmailState.SENT.value, sent_at=now, last_error=""
            )
            delivery.sent += 1


async def _claim(now: datetime, limit: int) -> list[int]:
    sql = Sql()
    now_mark = sql.param(now)
    now_again = sql.again(now_mark, now)
    stale_mark, limit_mark = sql.param(now - STALE_CLAIM), sql.param(limit)
    lock = " FOR UPDATE SKIP LOCKED" if sql.postgres else ""
    table = Sql.table(EmailMessage)
    statement = (
        f'UPDATE {table} SET "state" = \'sending\', "claimed_at" = '
        f'{now_mark}, "attempts" = "attempts" + 1 WHERE "id" IN ('
        f'SELECT "id" FROM {table} WHERE ("state" = \'pending\' AND '
        f'"next_attempt_at" <= {now_again}) OR ("state" = \'sending\' AND "claimed_at" < '
        f'{stale_mark}) ORDER BY "next_attempt_at", "id" LIMIT {limit_mark}{lock}) '
        'RETURNING "id"'
    )
    rows = await sql.rows(statement)
    return [int(row["id"]) for row in rows]


async def _record_failure(
    message: EmailMessage, now: datetime, error: str, delivery: Delivery
) -> None:
    delivery.errors.append(error)
    if message.attempts <= len(BACKOFF):
        await EmailMessage.filter(id=message.id).update(
            state=EmailState.PENDING.value,
            next_attempt_at=now + BACKOFF[message.attempts - 1],
            last_error=error,
        )
        delivery.retrying += 1
    else:
        await EmailMessage.filter(id=message.id).update(
            state=EmailState.FAILED.value, last_error=error
        )
        delivery.failed += 1


async def retry_now(message_ids: Collection[int] | None, now: datetime) -> int:
    """Make waiting or failed messages due now (all of them when `message_ids` is None);
    a failed one starts its back-off afresh. Returns how many were made due."""
    unsent = EmailMessage.filter(state__in=[EmailState.PENDING.value, EmailState.FAILED.value])
    if message_ids is not None:
        unsent = unsent.filter(id__in=list(message_ids))
    return await unsent.update(
        state=EmailState.PENDING.value, next_attempt_at=now.astimezone(UTC), attempts=0
    )
