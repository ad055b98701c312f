"""The directory's table: one-time invitations to set a password."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


# A one-time link (or code) that lets a person set their password. Only the SHA-256 of
# the token is kept; the token itself exists in the e-mail or on the sheet handed out.
class Invitation(Model):
    id = fields.IntField(primary_key=True)
    user_id: int
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name="invitations", on_delete=fields.CASCADE, db_index=True
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    # "email" when it went to the outbox, "code" when handed to the admin to pass on.
    channel = fields.CharField(max_length=8, default="email")

    class Meta:
        table = "invitation"
