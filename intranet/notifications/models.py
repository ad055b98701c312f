"""The notifications' tables: the in-app notice, the e-mail outbox, the preferences."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from intranet.i18n import N_


class EmailState(StrEnum):
    PENDING = "pending"  # waiting for its next_attempt_at
    SENDING = "sending"  # claimed by one worker (claimed_at says when)
    SENT = "sent"
    FAILED = "failed"  # gave up after the last back-off; an admin may retry it

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    EmailState.PENDING: N_("Waiting to be sent"),
    EmailState.SENDING: N_("Being sent"),
    EmailState.SENT: N_("Sent"),
    EmailState.FAILED: N_("Failed"),
}


# One in-app notification to one person. (user, key) is unique: an event that is
# announced twice (two workers, a retried pass) still reaches each person once.
class Notification(Model):
    id = fields.BigIntField(primary_key=True)
    user_id: int
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name="notifications", on_delete=fields.CASCADE, db_index=True
    )
    kind = fields.CharField(max_length=40)
    title = fields.CharField(max_length=300)
    body = fields.TextField(default="")
    url = fields.CharField(max_length=500, default="")
    key = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        unique_together = (("user", "key"),)
        # The bell counts unread rows of one person; the list reads them newest first.
        indexes = [Index(fields=["user_id", "read_at"]), Index(fields=["user_id", "created_at"])]

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


# The outbox: one e-mail to one person, sent exactly once (see send.deliver_due).
class EmailMessage(Model):
    id = fields.BigIntField(primary_key=True)
    notification_id: int | None
    notification: fields.ForeignKeyNullableRelation[Notification] = fields.ForeignKeyField(
        "intranet.Notification",
        null=True,
        related_name="emails",
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    user_id: int
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name="emails", on_delete=fields.CASCADE
    )
    to_address = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    text_body = fields.TextField(default="")
    html_body = fields.TextField(default="")
    state = fields.CharField(max_length=16, default=EmailState.PENDING.value)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "email_message"
        # The worker's claim: due pending messages, oldest first.
        indexes = [Index(fields=["state", "next_attempt_at"])]

    @property
    def state_label(self) -> str:
        return EmailState(self.state).label


# Which kinds a person wants by e-mail; no row means the kind's default.
class EmailPreference(Model):
    id = fields.IntField(primary_key=True)
    user_id: int
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name="email_preferences", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=40)
    by_email = fields.BooleanField()

    class Meta:
        table = "email_preference"
        unique_together = (("user", "kind"),)
