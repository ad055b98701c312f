"""The pieces of a directory plan: the database's records, whose directory an import may
touch, the plan itself and the checks of a single field."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from intranet.directory.workbook import Problem, Row
from intranet.form_fields import is_email_address
from intranet.i18n import gettext, use_locale
from intranet.models import Category, Membership, Organisation, OrganisationKind, Role, User
from intranet.models.organisations import KIND_LABELS, ROLE_LABELS
from intranet.sql import Sql

USERNAME_CHARACTERS = re.compile(r"[\w.@-]+")
CODE_CHARACTERS = re.compile(r"[\w.\-/]+")
PHONE_CHARACTERS = re.compile(r"[0-9+()（）\-\s转,，/]+")
CATEGORY_SEPARATORS = re.compile(r"[、，,;；]")
MIN_PHONE_DIGITS = 5


def _limit(model: Any, name: str) -> int:
    return int(model._meta.fields_map[name].max_length)


ORG_LIMITS = {
    "名称": _limit(Organisation, "name"),
    "简称": _limit(Organisation, "short_name"),
    "代码": _limit(Organisation, "code"),
    "联系人": _limit(Organisation, "contact_name"),
    "联系电话": _limit(Organisation, "contact_phone"),
    "电子邮箱": _limit(Organisation, "contact_email"),
    "上级组织": _limit(Organisation, "name"),
}
PEOPLE_LIMITS = {
    "姓名": _limit(User, "display_name"),
    "用户名": _limit(User, "username"),
    "电子邮箱": _limit(User, "email"),
    "手机": _limit(User, "phone"),
    "所属组织": _limit(Organisation, "name"),
}
# Organisation columns as the file names them, and the model's field for each.
ORG_FIELDS = {
    "名称": "name",
    "简称": "short_name",
    "类型": "kind",
    "代码": "code",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "电子邮箱": "contact_email",
}
PERSON_FIELDS = {"姓名": "display_name", "电子邮箱": "email", "手机": "phone"}
SHOWN_ENTRIES = 300  # of each list on the preview page; the counts are always complete


def chinese(label: str) -> str:
    with use_locale("zh_CN"):
        return gettext(label)


def kind_names() -> dict[str, OrganisationKind]:
    """Every spelling of a kind a file may use: the Chinese label, the English, the value."""
    names: dict[str, OrganisationKind] = {}
    for kind, label in KIND_LABELS.items():
        names[chinese(label)] = kind
        names[label.casefold()] = kind
        names[kind.value] = kind
    return names


def role_names() -> dict[str, Role]:
    names: dict[str, Role] = {}
    for role, label in ROLE_LABELS.items():
        names[chinese(label)] = role
        names[label.casefold()] = role
        names[role.value] = role
    return names


def kind_label(kind: str) -> str:
    return chinese(KIND_LABELS[OrganisationKind(kind)])


def role_label(role: str) -> str:
    return chinese(ROLE_LABELS[Role(role)])


# -- the database as it is ---------------------------------------------------------------------


@dataclass
class OrgRecord:
    id: int
    parent_id: int | None
    path: str
    name: str
    short_name: str
    kind: str
    code: str
    contact_name: str
    contact_phone: str
    contact_email: str
    categories: tuple[str, ...]


@dataclass
class PersonRecord:
    id: int
    username: str
    display_name: str
    email: str
    phone: str
    is_active: bool


@dataclass
class State:
    organisations: dict[int, OrgRecord]
    categories: dict[str, int]  # name → id
    people: dict[str, PersonRecord]  # by username
    roles: dict[int, list[tuple[int, int, str]]]  # user id → (membership id, org id, role)

    @property
    def people_by_id(self) -> dict[int, PersonRecord]:
        return {p.id: p for p in self.people.values()}


async def load_state() -> State:
    """The whole directory in five queries, whatever its size."""
    org_rows = await Organisation.all().values(
        "id",
        "parent_id",
        "path",
        "name",
        "short_name",
        "kind",
        "code",
        "contact_name",
        "contact_phone",
        "contact_email",
    )
    categories = {name: cid for cid, name in await Category.all().values_list("id", "name")}
    names_by_id = {cid: name for name, cid in categories.items()}
    links: dict[int, list[str]] = defaultdict(list)
    pairs = (
        f'SELECT "organisation_id", "category_id" FROM {Sql.through(Organisation, "categories")}'
    )
    for row in await Sql().rows(pairs):
        links[int(row["organisation_id"])].append(names_by_id[int(row["category_id"])])
    organisations = {
        row["id"]: OrgRecord(
            id=row["id"],
            parent_id=row["parent_id"],
            path=row["path"],
            name=row["name"],
            short_name=row["short_name"],
            kind=str(getattr(row["kind"], "value", row["kind"])),
            code=row["code"] or "",
            contact_name=row["contact_name"],
            contact_phone=row["contact_phone"],
            contact_email=row["contact_email"],
            categories=tuple(sorted(links.get(row["id"], ()), key=category_order(categories))),
        )
        for row in org_rows
    }
    people = {
        row["username"]: PersonRecord(**row)
        for row in await User.all().values(
            "id", "username", "display_name", "email", "phone", "is_active"
        )
    }
    roles: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for mid, uid, oid, role in await Membership.all().values_list(
        "id", "user_id", "organisation_id", "role"
    ):
        roles[uid].append((mid, oid, str(getattr(role, "value", role))))
    return State(organisations, categories, people, dict(roles))


def category_order(categories: dict[str, int]):  # type: ignore[no-untyped-def]
    return lambda name: (categories.get(name, 0), name)


# -- whose directory ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where an import may write: the subtrees at `paths` (None: the whole site), and
    whether it may put an organisation at the top of the tree."""

    paths: tuple[str, ...] | None
    top_level: bool
    actor_id: int | None = None

    def covers(self, path: str) -> bool:
        return self.paths is None or any(path.startswith(p) for p in self.paths)


WHOLE_SITE = Scope(paths=None, top_level=True)


# -- the plan ------------------------------------------------------------------------------------


@dataclass
class Change:
    field: str  # the column's header
    old: str
    new: str


@dataclass
class Entry:
    sheet: str
    row: int
    label: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class NewOrg:
    key: int  # negative: the id it has until it is written
    row: Row
    values: dict[str, Any]
    categories: tuple[str, ...]


@dataclass
class Plan:
    problems: list[Problem] = field(default_factory=list)
    new_organisations: list[Entry] = field(default_factory=list)
    changed_organisations: list[Entry] = field(default_factory=list)
    unchanged_organisations: int = 0
    new_people: list[Entry] = field(default_factory=list)
    changed_people: list[Entry] = field(default_factory=list)
    unchanged_people: int = 0
    absent_people: list[PersonRecord] = field(default_factory=list)
    sheets: tuple[str, ...] = ()
    # What apply() writes.
    org_inserts: list[NewOrg] = field(default_factory=list)
    org_updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → changed values
    parents: dict[int, int | None] = field(default_factory=dict)  # every file org's parent
    category_sets: dict[int, tuple[str, ...]] = field(default_factory=dict)  # changed only
    person_inserts: list[dict[str, str]] = field(default_factory=list)
    person_updates: dict[int, dict[str, str]] = field(default_factory=dict)
    role_inserts: list[tuple[str, int, str]] = field(default_factory=list)  # username, org, role
    role_deletes: list[tuple[int, str, int, str]] = field(default_factory=list)  # mid, user…
    changed_org_ids: list[int] = field(default_factory=list)  # beside changed_organisations
    changed_person_ids: list[int] = field(default_factory=list)  # beside changed_people

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(
            self.new_organisations
            or self.changed_organisations
            or self.new_people
            or self.changed_people
        )

    def summary(self) -> dict[str, int]:
        return {
            "new_organisations": len(self.new_organisations),
            "changed_organisations": len(self.changed_organisations),
            "unchanged_organisations": self.unchanged_organisations,
            "new_people": len(self.new_people),
            "changed_people": len(self.changed_people),
            "unchanged_people": self.unchanged_people,
            "absent_people": len(self.absent_people),
            "problems": len(self.problems),
        }


def too_long(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return gettext("At most %(count)d characters, please.") % {"count": limit}
    return None


def phone_problem(value: str) -> str | None:
    if not value:
        return None
    digits = sum(c.isdigit() for c in value)
    if not PHONE_CHARACTERS.fullmatch(value) or digits < MIN_PHONE_DIGITS:
        return gettext("Enter a phone number such as 024-23456789 or 13800000000.")
    return None


def email_problem(value: str) -> str | None:
    if value and not is_email_address(value):
        return gettext("Enter an e-mail address such as name@example.org.")
    return None


def scope_for(held: list[Membership], actor_id: int | None) -> Scope:
    """What an admin's import may touch: their subtrees (policy.administered_tops)."""
    from intranet import policy

    tops = policy.administered_tops(held)
    return Scope(
        paths=tuple(o.path for o in tops),
        top_level=policy.can_place_at_top_level(held),
        actor_id=actor_id,
    )
