"""The audit log: who did what, to which object, when and from where."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    actor_id: int | None
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "intranet.User",
        null=True,
        related_name="audit_events",
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    # Kept as text too, so the log still reads right after a person is renamed or removed.
    actor_name = fields.CharField(max_length=64, default="")
    action = fields.CharField(max_length=64, db_index=True)
    object_type = fields.CharField(max_length=32, default="", db_index=True)
    object_id = fields.CharField(max_length=32, default="")
    organisation_id: int | None
    organisation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "intranet.Organisation",
        null=True,
        related_name="audit_events",
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    summary = fields.CharField(max_length=500, default="")
    ip = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_event"
        ordering = ["-created_at", "-id"]
