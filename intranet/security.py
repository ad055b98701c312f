"""Passwords, session tokens and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from intranet.i18n import N_
from intranet.settings import Settings

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )


def password_hasher(settings: Settings) -> PasswordHasher:
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def hash_password(settings: Settings, password: str) -> str:
    return password_hasher(settings).hash(password)


def verify_password(settings: Settings, stored_hash: str, password: str) -> bool:
    try:
        return password_hasher(settings).verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(settings: Settings, stored_hash: str) -> bool:
    try:
        return password_hasher(settings).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=4)
def dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A hash to verify against when the account does not exist, so both take as long."""
    return _hasher(time_cost, memory_cost, parallelism).hash(secrets.token_urlsafe(16))


def burn_verification_time(settings: Settings, password: str) -> None:
    stored = dummy_hash(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
    verify_password(settings, stored, password)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(settings: Settings, binding: str) -> str:
    """A CSRF token bound to the session (or, before login, to the visitor cookie)."""
    return hmac.new(
        settings.secret_key.encode(), b"csrf:" + binding.encode(), hashlib.sha256
    ).hexdigest()


def csrf_matches(settings: Settings, binding: str, offered: str) -> bool:
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError,
    # so a 500 instead of a 403 for whoever sends one).
    expected = csrf_token(settings, binding).encode()
    return bool(binding) and hmac.compare_digest(expected, offered.encode("utf-8", "replace"))


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is not acceptable (an English msgid), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("The password must be at least 10 characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        return N_("The password must be at most 256 characters long.")
    if username and password.casefold() == username.casefold():
        return N_("The password must not be the same as the username.")
    if len(set(password)) < 4:
        return N_("The password is too simple.")
    return None


# No 0/O, 1/l/I: a generated password is read aloud or copied by hand.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(groups: int = 4, group_length: int = 4) -> str:
    """A random password such as "k7Qm-x3Rt-9bWp-Hf2c" (about 93 bits)."""
    return "-".join(
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(group_length))
        for _ in range(groups)
    )
