"""Signing in and out: passwords, sessions and login throttling."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from tortoise import timezone
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from intranet.i18n import N_, gettext
from intranet.models import LoginFailure, Membership, Organisation, User, UserSession
from intranet.models.accounts import normalise_username
from intranet.security import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    verify_password,
)
from intranet.settings import Settings
from intranet.sql import Columns, Sql

# Throttling slows whoever guesses without locking out the owner. Failures are counted
# per (account, address): guesses from one place lock that account from that place only,
# so the owner signing in from anywhere else (or from the same office after someone
# else's mistakes there) is never refused. An address or an account that is under
# attack as a whole ("hot") allows only one failure per account and address, so a
# guesser spreading tries over many accounts, or many addresses, gets one each.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # per (account, address)
MAX_FAILURES_PER_ADDRESS = 30  # over all accounts: the address is hot
MAX_FAILURES_PER_ACCOUNT_ANYWHERE = 20  # over all addresses: the account is hot
MAX_FAILURES_WHEN_HOT = 1


async def throttled_until(username: str, ip: str) -> datetime | None:
    """When this account may next be tried from this address, if not now."""
    name = normalise_username(username)
    since = timezone.now() - THROTTLE_WINDOW
    recent = LoginFailure.filter(created_at__gte=since)
    pair: list[datetime] = await (
        recent.filter(username=name, ip=ip[:64])
        .order_by("-created_at")
        .limit(MAX_FAILURES_PER_ACCOUNT)
        .values_list("created_at", flat=True)
    )  # type: ignore[assignment]
    if len(pair) < MAX_FAILURES_WHEN_HOT:
        return None  # this address has not failed for this account: always let it try
    limit = MAX_FAILURES_PER_ACCOUNT
    if len(pair) < limit and await _is_hot(recent, name, ip):
        limit = MAX_FAILURES_WHEN_HOT
    if len(pair) < limit:
        return None
    # Free again once the limit-th latest failure has left the window.
    return pair[limit - 1] + THROTTLE_WINDOW


async def _is_hot(recent: QuerySet[LoginFailure], name: str, ip: str) -> bool:
    if ip and await recent.filter(ip=ip[:64]).count() >= MAX_FAILURES_PER_ADDRESS:
        return True
    return await recent.filter(username=name).count() >= MAX_FAILURES_PER_ACCOUNT_ANYWHERE


async def authenticate(settings: Settings, username: str, password: str, ip: str) -> User | None:
    """The active user with this name and password, or None. An unknown name costs the
    same hashing work as a wrong password, so timing does not tell them apart."""
    name = normalise_username(username)
    user = await User.get_or_none(username=name, is_active=True) if name else None
    # Argon2 is CPU work: keep it off the event loop.
    if user is None or not user.password_hash:
        await asyncio.to_thread(burn_verification_time, settings, password)
        ok = False
    else:
        ok = await asyncio.to_thread(verify_password, settings, user.password_hash, password)
    if not ok or user is None:
        await LoginFailure.create(username=name[:64], ip=ip[:64])
        return None
    # Only this address's failures are forgiven: the owner signing in does not wipe
    # the count of someone guessing from elsewhere.
    await LoginFailure.filter(username=name, ip=ip[:64]).delete()
    if needs_rehash(settings, user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, settings, password)
        await user.save(update_fields=["password_hash"])
    return user


def session_lifetime(settings: Settings, *, remember: bool) -> timedelta:
    return timedelta(days=settings.remember_days if remember else settings.session_days)


async def start_session(
    settings: Settings, user: User, ip: str, user_agent: str, *, remember: bool = False
) -> str:
    """A new session (always a new id: a token from before login is worth nothing).
    Remembered, it lasts HUIBAO_REMEMBER_DAYS in a cookie that outlives the browser;
    otherwise HUIBAO_SESSION_DAYS at most, and the cookie ends with the browser."""
    token = new_token()
    now = timezone.now()
    await UserSession.create(
        key_hash=token_hash(token),
        user=user,
        last_seen_at=now,
        expires_at=now + session_lifetime(settings, remember=remember),
        ip=ip[:64],
        user_agent=user_agent[:200],
        remembered=remember,
    )
    user.last_login_at = now
    await user.save(update_fields=["last_login_at"])
    return token


async def sessions_of(user: User) -> list[UserSession]:
    """The person's live sessions, most recently used first."""
    live = UserSession.filter(user=user, expires_at__gt=timezone.now())
    return await live.order_by("-last_seen_at", "-created_at")


_SESSION = Columns(UserSession, "s")
_USER = Columns(User, "u")
_MEMBERSHIP = Columns(Membership, "m")
_ORGANISATION = Columns(Organisation, "o")


async def live_session(token: str, now: datetime) -> tuple[UserSession, list[Membership]] | None:
    """The unexpired session of this token with its person (`session.user`), and that
    person's roles with their organisations, as the ORM's select_related would give
    them, read in one statement: every signed-in request asks this first."""
    sql = Sql()
    expires_at = UserSession._meta.fields_map["expires_at"]
    rows = await sql.rows(
        f"SELECT {_SESSION.select}, {_USER.select}, {_MEMBERSHIP.select}, "
        f"{_ORGANISATION.select} FROM {Sql.table(UserSession)} s "
        f"JOIN {Sql.table(User)} u ON u.id = s.user_id "
        f"LEFT JOIN {Sql.table(Membership)} m ON m.user_id = u.id "
        f"LEFT JOIN {Sql.table(Organisation)} o ON o.id = m.organisation_id "
        f"WHERE s.key_hash = {sql.param(token_hash(token))} "
        f"AND s.expires_at > {sql.param(expires_at.to_db_value(now, UserSession))} "
        "ORDER BY m.id"
    )
    if not rows:
        return None
    session: UserSession = _SESSION.instance(rows[0])
    object.__setattr__(session, "_user", _USER.instance(rows[0]))
    held: list[Membership] = []
    for row in rows:
        if row["m.id"] is None:  # no role at all
            break
        membership = _MEMBERSHIP.instance(row)
        object.__setattr__(membership, "_organisation", _ORGANISATION.instance(row))
        held.append(membership)
    return session, held


async def end_session(token: str) -> None:
    await UserSession.filter(key_hash=token_hash(token)).delete()


async def end_all_sessions(user: User, *, except_token: str | None = None) -> int:
    query = UserSession.filter(user=user)
    if except_token:
        query = query.filter(~Q(key_hash=token_hash(except_token)))
    return await query.delete()


async def set_password(settings: Settings, user: User, password: str) -> None:
    user.password_hash = await asyncio.to_thread(hash_password, settings, password)
    user.password_changed_at = timezone.now()
    await user.save(update_fields=["password_hash", "password_changed_at"])


async def deactivate(user: User) -> None:
    user.is_active = False
    await user.save(update_fields=["is_active"])
    await end_all_sessions(user)


# (marker in the User-Agent, name shown), first match wins: WeChat and Edge also say
# Chrome and Safari, and Chrome says Safari.
_BROWSERS = (
    ("MicroMessenger", N_("WeChat")),
    ("DingTalk", N_("DingTalk")),
    ("Edg", "Edge"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Chromium", "Chrome"),
    ("Safari", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("HarmonyOS", "HarmonyOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Macintosh", "Mac"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str) -> str:
    """A short name for the browser and system a session was started from, such as
    "Chrome · Android", for the list of sessions; "" when the User-Agent says nothing
    we know."""
    browser = next((gettext(name) for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no host, no //evil.example or /\\evil.example."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\t\\"):
        return default
    return target
