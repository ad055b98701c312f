"""One-time invitations to set a password: issued, sent, redeemed, revoked.

A person invited gets a code such as "K7QM-X3RT-9BWP-HF2C" (80 random bits), by e-mail as a
link through the outbox, or on a sheet the admin hands on by hand. Only the code's SHA-256
is stored. A code works once, until it expires (HUIBAO_INVITATION_DAYS), and not at all
once it is revoked, a newer one is issued, the person has set a password since, or the
person is deactivated.
"""

from __future__ import annotations

import hashlib
import html
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise import timezone
from tortoise.transactions import in_transaction

from intranet.directory.bulk import insert_rows
from intranet.directory.models import Invitation
from intranet.i18n import gettext, use_locale
from intranet.models import User
from intranet.notifications.models import EmailMessage, EmailState
from intranet.notifications.send import absolute_url

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed by hand
GROUPS, GROUP_LENGTH = 4, 4
EMAIL = "email"
CODE = "code"
BATCH = 2000


def new_code() -> str:
    """16 characters of 32 kinds: 80 random bits, grouped by four."""
    number = int.from_bytes(secrets.token_bytes(10), "big")
    letters = []
    for _ in range(GROUPS * GROUP_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "-".join(
        "".join(letters[i : i + GROUP_LENGTH]) for i in range(0, len(letters), GROUP_LENGTH)
    )


def normalise_code(typed: str) -> str:
    """A code as typed or pasted: any case, with or without dashes and spaces."""
    letters = "".join(c for c in typed.upper() if c.isalnum())
    return "-".join(letters[i : i + GROUP_LENGTH] for i in range(0, len(letters), GROUP_LENGTH))


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


LINK_MARK = "/invitation/"


def link_path(code: str) -> str:
    return f"{LINK_MARK}{code}"


@dataclass(frozen=True)
class Invitee:
    id: int
    display_name: str
    email: str
    locale: str = ""


async def issue(
    people: Sequence[Invitee], *, channel: str, days: int, now: datetime | None = None
) -> dict[int, str]:
    """New codes for these people (any older ones stop working); for the e-mail channel
    each is queued in the outbox. A constant number of statements per 2,000 people.
    Returns each person's code: shown once, never stored."""
    now = (now or timezone.now()).astimezone(UTC)
    expires = now + timedelta(days=days)
    ids = [p.id for p in people]
    codes = {p.id: new_code() for p in people}
    for start in range(0, len(ids), BATCH):
        await Invitation.filter(
            user_id__in=ids[start : start + BATCH], used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
    await forget_links(ids)
    await insert_rows(
        Invitation,
        ("user_id", "token_hash", "created_at", "expires_at", "channel"),
        [(p.id, code_hash(codes[p.id]), now, expires, channel) for p in people],
    )
    if channel == EMAIL:
        messages = []
        pending = EmailState.PENDING.value
        for person in people:
            if person.email:
                subject, text, page = mail(person, codes[person.id], expires)
                row = (person.id, person.email, subject, text, page, pending, 0, "", now, now)
                messages.append(row)
        await insert_rows(
            EmailMessage,
            (
                "user_id",
                "to_address",
                "subject",
                "text_body",
                "html_body",
                "state",
                "attempts",
                "last_error",
                "next_attempt_at",
                "created_at",
            ),
            messages,
        )
    return codes


def mail(person: Invitee, code: str, expires: datetime) -> tuple[str, str, str]:
    link = absolute_url(link_path(code))
    with use_locale(person.locale if person.locale == "en" else "zh_CN"):
        subject = gettext("Set your password for Huibao")
        greeting = gettext("Dear %(name)s,") % {"name": person.display_name}
        body = gettext(
            "An account has been made for you on Huibao. Open this link to choose your "
            "password; it works once, until %(date)s:"
        ) % {"date": expires.strftime("%Y-%m-%d")}
        ignore = gettext("If you did not expect this message, you may ignore it.")
    text = f"{greeting}\n\n{body}\n{link}\n\n{ignore}"
    page = (
        '<!doctype html><html><body style="font-family:sans-serif;line-height:1.6">'
        f"<p>{html.escape(greeting)}</p><p>{html.escape(body)}</p>"
        f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>'
        f'<p style="color:#666">{html.escape(ignore)}</p></body></html>'
    )
    return subject, text, page


async def forget_links(user_ids: Sequence[int]) -> None:
    """The outbox keeps no working link once an invitation is over: a mail not yet sent
    is dropped (its link would be dead on arrival), a sent one loses its body."""
    pending = EmailState.PENDING.value
    for start in range(0, len(user_ids), BATCH):
        chunk = list(user_ids[start : start + BATCH])
        mails = EmailMessage.filter(user_id__in=chunk, text_body__contains=LINK_MARK)
        await mails.filter(state=pending).delete()
        await mails.exclude(state=pending).update(text_body="", html_body="")


async def find_usable(code: str, now: datetime | None = None) -> Invitation | None:
    """The invitation this code stands for, with its person, if it may still be used."""
    normalised = normalise_code(code)
    if len(normalised) != GROUPS * GROUP_LENGTH + GROUPS - 1:
        return None
    now = now or timezone.now()
    invitation = await Invitation.get_or_none(token_hash=code_hash(normalised)).select_related(
        "user"
    )
    if invitation is None or invitation.used_at or invitation.revoked_at:
        return None
    if invitation.expires_at <= now or not invitation.user.is_active:
        return None
    changed = invitation.user.password_changed_at
    if changed is not None and changed >= invitation.created_at:
        return None
    return invitation


async def redeem(invitation: Invitation, password_hash: str) -> bool:
    """Set the password and use the invitation up, exactly once even if the form is sent
    twice at once: False if another request used it first."""
    now = timezone.now()
    async with in_transaction():
        taken = await Invitation.filter(
            id=invitation.id, used_at__isnull=True, revoked_at__isnull=True
        ).update(used_at=now)
        if not taken:
            return False
        await User.filter(id=invitation.user.id).update(
            password_hash=password_hash, password_changed_at=now
        )
        await Invitation.filter(user_id=invitation.user.id, used_at__isnull=True).update(
            revoked_at=now
        )
        await forget_links([invitation.user.id])
    return True


async def revoke(user_ids: Sequence[int], now: datetime | None = None) -> int:
    now = now or timezone.now()
    revoked = 0
    for start in range(0, len(user_ids), BATCH):
        revoked += await Invitation.filter(
            user_id__in=list(user_ids[start : start + BATCH]),
            used_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=now)
    await forget_links(list(user_ids))
    return revoked


async def pending(user: User, now: datetime | None = None) -> Invitation | None:
    """The person's invitation still waiting to be used, if any."""
    now = now or timezone.now()
    return (
        await Invitation.filter(
            user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )
