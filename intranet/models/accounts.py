"""People, their server-side sessions and failed logins."""

from __future__ import annotations

import unicodedata

from tortoise import fields
from tortoise.models import Model


def normalise_username(raw: str) -> str:
    """Usernames compare case- and width-insensitively (ＡＢＣ == abc)."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64)
    email = fields.CharField(max_length=254, default="")
    phone = fields.CharField(max_length=32, default="")
    title = fields.CharField(max_length=64, default="")  # job title shown in the directory
    password_hash = fields.CharField(max_length=255, default="")
    is_active = fields.BooleanField(default=True)
    locale = fields.CharField(max_length=8, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)

    memberships: fields.ReverseRelation

    class Meta:
        table = "user"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username


# A login. The cookie holds a random token; only its SHA-256 is stored here.
# (No class docstrings on models: Tortoise turns them into table comments.)
class UserSession(Model):
    key_hash = fields.CharField(max_length=64, primary_key=True)
    user_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "intranet.User", related_name="sessions", on_delete=fields.CASCADE, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=200, default="")
    # "Keep me signed in on this device": a lasting cookie and HUIBAO_REMEMBER_DAYS.
    remembered = fields.BooleanField(default=False)

    class Meta:
        table = "user_session"


# One failed login, counted per account and per client address for throttling.
class LoginFailure(Model):
    id = fields.BigIntField(primary_key=True)
    username = fields.CharField(max_length=64, db_index=True)
    ip = fields.CharField(max_length=64, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "login_failure"
