"""Organisations (a tree of any depth), their categories, and who holds which role where."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from intranet.i18n import N_


class OrganisationKind(StrEnum):
    ASSOCIATION = "association"
    SOCIETY = "society"
    BRANCH = "branch"
    MEMBER_UNIT = "member_unit"
    DEPARTMENT = "department"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    OrganisationKind.ASSOCIATION: N_("Association"),
    OrganisationKind.SOCIETY: N_("Society"),
    OrganisationKind.BRANCH: N_("Branch"),
    OrganisationKind.MEMBER_UNIT: N_("Member unit"),
    OrganisationKind.DEPARTMENT: N_("Department"),
}


class Role(StrEnum):
    """Roles are held on an organisation and cover its whole subtree."""

    ADMIN = "admin"
    STAFF = "staff"
    SECRETARY = "secretary"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: N_("Administrator"),
    Role.STAFF: N_("Staff"),
    Role.SECRETARY: N_("Secretary"),
    Role.MEMBER: N_("Member"),
}


def path_segment(organisation_id: int) -> str:
    return f"{organisation_id:0{PATH_DIGITS}d}/"


PATH_DIGITS = 7


class MoveError(Exception):
    """An organisation cannot go where it was asked to."""


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    sort_order = fields.IntField(default=0)

    class Meta:
        table = "category"
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Organisation(Model):
    id = fields.IntField(primary_key=True)
    parent_id: int | None
    parent: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "intranet.Organisation",
        null=True,
        related_name="children",
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    # Materialised path of zero-padded ids, "/000001/000007/000031/": a subtree is one
    # indexed prefix match, and sorting by path gives tree order under any collation.
    path = fields.CharField(max_length=1000, default="/", db_index=True)
    depth = fields.IntField(default=0)
    name = fields.CharField(max_length=100)
    short_name = fields.CharField(max_length=40, default="")
    kind = fields.CharEnumField(OrganisationKind, max_length=16, default=OrganisationKind.SOCIETY)
    code = fields.CharField(max_length=32, null=True, unique=True)
    contact_name = fields.CharField(max_length=64, default="")
    contact_phone = fields.CharField(max_length=32, default="")
    contact_email = fields.CharField(max_length=254, default="")
    address = fields.CharField(max_length=200, default="")
    is_active = fields.BooleanField(default=True)
    categories: fields.ManyToManyRelation[Category] = fields.ManyToManyField(
        "intranet.Category", related_name="organisations", through="organisation_category"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "organisation"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_short_name(self) -> str:
        return self.short_name or self.name

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]

    def is_within(self, other: Organisation) -> bool:
        """True if this organisation is `other` or lies anywhere below it."""
        return self.path.startswith(other.path)

    @classmethod
    async def create_under(cls, parent: Organisation | None, **values: Any) -> Organisation:
        async with in_transaction():
            organisation = await cls.create(parent=parent, **values)
            organisation.path = (parent.path if parent else "/") + path_segment(organisation.id)
            organisation.depth = parent.depth + 1 if parent else 0
            await organisation.save(update_fields=["path", "depth"])
        return organisation

    async def move_to(self, new_parent: Organisation | None) -> None:
        if new_parent is not None and new_parent.is_within(self):
            raise MoveError("An organisation cannot be moved under itself or its own branches.")
        old_path = self.path
        new_path = (new_parent.path if new_parent else "/") + path_segment(self.id)
        depth_change = (new_parent.depth + 1 if new_parent else 0) - self.depth
        async with in_transaction():
            subtree = await Organisation.filter(path__startswith=old_path)
            for organisation in subtree:
                organisation.path = new_path + organisation.path[len(old_path) :]
                organisation.depth += depth_change
            self.parent = new_parent  # type: ignore[assignment]
            await self.save(update_fields=["parent_id"])
            if subtree:
                await Organisation.bulk_update(subtree, fields=["path", "depth"])
        self.path = new_path
        self.depth += depth_change

    def subtree(self):  # type: ignore[no-untyped-def]
        return Organisation.filter(path__startswith=self.path)


class Membership(Model):
    id = fields.IntField(primary_key=True)
    user_id: int
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "intranet.User", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    organisation_id: int
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "intranet.Organisation", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    role = fields.CharEnumField(Role, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"
        unique_together = (("user", "organisation", "role"),)

    def __str__(self) -> str:
        return f"{self.role} @ {self.organisation_id}"
