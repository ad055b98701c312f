"""Signing in and out: passwords, sessions and login throttling."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlsplit

from tortoise import timezone
from tortoise.expressions import Q

from intranet.models import LoginFailure, User, UserSession
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

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 30


async def is_throttled(username: str, ip: str) -> bool:
    since = timezone.now() - THROTTLE_WINDOW
    recent = LoginFailure.filter(created_at__gte=since)
    by_account = recent.filter(username=normalise_username(username))
    if await by_account.count() >= MAX_FAILURES_PER_ACCOUNT:
        return True
    return bool(ip) and await recent.filter(ip=ip).count() >= MAX_FAILURES_PER_ADDRESS


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
    await LoginFailure.filter(username=name).delete()
    if needs_rehash(settings, user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, settings, password)
        await user.save(update_fields=["password_hash"])
    return user


async def start_session(settings: Settings, user: User, ip: str, user_agent: str) -> str:
    """A new session (always a new id: a token from before login is worth nothing)."""
    token = new_token()
    now = timezone.now()
    await UserSession.create(
        key_hash=token_hash(token),
        user=user,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.session_days),
        ip=ip[:64],
        user_agent=user_agent[:200],
    )
    user.last_login_at = now
    await user.save(update_fields=["last_login_at"])
    return token


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


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no host, no //evil.example or /\\evil.example."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\t\\"):
        return default
    return target
