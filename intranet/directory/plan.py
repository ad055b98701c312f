"""Comparing a directory file with the database: what is new, what changes, what is wrong.

make_plan() is pure: it takes the rows read from the file and a snapshot of the database
(load_state, a constant handful of queries whatever the size) and returns every problem
with its sheet, row and column, and every change as field: old → new. Nothing is written
here; apply.py writes a plan that has no problems.

Which rows match which records:
- An organisation row matches the organisation with its 代码; without a 代码 (or with one
  the site does not know yet) it matches the one organisation of that name that has no
  other code. A blank 代码 never removes a code.
- A person row matches the person with its 用户名 (compared as the login compares them).
- 上级组织 and 所属组织 name an organisation by 代码 or by full name, among the file's
  rows first, then the site's.
- A person's roles inside the importer's organisations become exactly their rows in the
  file; people and organisations absent from the file are left alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections

from intranet.directory.workbook import ORGANISATIONS, PEOPLE, Directory, Problem, Row
from intranet.forms import is_email_address
from intranet.i18n import gettext, use_locale
from intranet.models import Category, Membership, Organisation, OrganisationKind, Role, User
from intranet.models.accounts import normalise_username
from intranet.models.organisations import KIND_LABELS, ROLE_LABELS

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
    connection = connections.get("default")
    for row in await connection.execute_query_dict(
        'SELECT "organisation_id", "category_id" FROM "organisation_category"'
    ):
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


def make_plan(directory: Directory, state: State, scope: Scope) -> Plan:
    plan = Plan(problems=list(directory.problems), sheets=tuple(sorted(directory.sheets)))
    organisations = _OrgPlanner(directory.organisations, state, scope, plan)
    organisations.run()
    _PeoplePlanner(directory.people, state, scope, plan, organisations).run()
    if ORGANISATIONS not in directory.sheets and PEOPLE not in directory.sheets:
        return plan
    plan.problems.sort(key=lambda p: (p.sheet != ORGANISATIONS, p.row, p.column))
    return plan


def _too_long(value: str, limit: int) -> str | None:
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


class _OrgPlanner:
    def __init__(self, rows: list[Row], state: State, scope: Scope, plan: Plan) -> None:
        self.rows = rows
        self.state = state
        self.scope = scope
        self.plan = plan
        self.kinds = kind_names()
        self.db_by_code = {o.code: o for o in state.organisations.values() if o.code}
        self.db_by_name: dict[str, list[OrgRecord]] = defaultdict(list)
        for o in state.organisations.values():
            self.db_by_name[o.name].append(o)
        self.file_by_code: dict[str, int] = {}
        self.file_by_name: dict[str, list[int]] = defaultdict(list)
        self.targets: dict[int, int] = {}  # row index → org id (negative: new)
        self.bad_rows: set[int] = set()

    def problem(self, row: Row, column: str, message: str) -> None:
        self.plan.problems.append(Problem(ORGANISATIONS, row.number, column, message))

    # A reference by code or name: the org id (negative for a new one), or a message.
    def resolve(self, ref: str) -> tuple[int | None, str | None]:
        if ref in self.file_by_code:
            return self.targets.get(self.file_by_code[ref]), None
        if ref in self.db_by_code:
            return self.db_by_code[ref].id, None
        in_file = self.file_by_name.get(ref, [])
        if len(in_file) == 1:
            return self.targets.get(in_file[0]), None
        on_site = self.db_by_name.get(ref, [])
        if len(in_file) > 1 or len(on_site) > 1:
            return None, gettext(
                "Several organisations are called %(name)s: name this one by its 代码."
            ) % {"name": ref}
        if len(on_site) == 1:
            return on_site[0].id, None
        return None, gettext("No organisation has the 代码 or full name %(name)s.") % {"name": ref}

    def run(self) -> None:
        self.match_rows()
        self.plan_rows()
        self.find_cycles()

    def match_rows(self) -> None:
        matched: dict[int, int] = {}  # org id → row index
        for index, row in enumerate(self.rows):
            name, code = row["名称"], row["代码"]
            if code:
                if code in self.file_by_code:
                    first = self.rows[self.file_by_code[code]].number
                    self.problem(
                        row,
                        "代码",
                        gettext("Row %(row)d already has this 代码.") % {"row": first},
                    )
                    self.bad_rows.add(index)
                    continue
                self.file_by_code[code] = index
            if name:
                if not code:
                    earlier = [
                        i for i in self.file_by_name.get(name, []) if not self.rows[i]["代码"]
                    ]
                    if earlier:
                        self.problem(
                            row,
                            "名称",
                            gettext("Row %(row)d has the same name: give each of them a 代码.")
                            % {"row": self.rows[earlier[0]].number},
                        )
                        self.bad_rows.add(index)
                        continue
                self.file_by_name[name].append(index)
            existing = self.match_existing(row, index)
            if existing is None:
                self.targets[index] = -(index + 1)
                continue
            if existing.id in matched:
                self.problem(
                    row,
                    "名称",
                    gettext("Row %(row)d already stands for this organisation.")
                    % {"row": self.rows[matched[existing.id]].number},
                )
                self.bad_rows.add(index)
                continue
            matched[existing.id] = index
            self.targets[index] = existing.id

    def match_existing(self, row: Row, index: int) -> OrgRecord | None:
        code, name = row["代码"], row["名称"]
        if code and code in self.db_by_code:
            return self.db_by_code[code]
        candidates = self.db_by_name.get(name, [])
        if code:
            coded = [o for o in candidates if o.code]
            candidates = [o for o in candidates if not o.code]
            if coded and not candidates:
                self.problem(
                    row,
                    "代码",
                    gettext(
                        "%(name)s is already on the site with the 代码 %(code)s: use that "
                        "代码, or another name for a new organisation."
                    )
                    % {"name": name, "code": coded[0].code},
                )
                self.bad_rows.add(index)
                return None
        if len(candidates) > 1:
            self.problem(
                row,
                "名称",
                gettext(
                    "Several organisations on the site are called %(name)s: add the 代码 "
                    "of the one this row is about."
                )
                % {"name": name},
            )
            self.bad_rows.add(index)
            return None
        return candidates[0] if candidates else None

    def plan_rows(self) -> None:
        for index, row in enumerate(self.rows):
            if index in self.bad_rows:
                continue
            target = self.targets[index]
            values, categories = self.read_values(row)
            parent, parent_ok = self.read_parent(row, target)
            if values is None or categories is None or not parent_ok:
                continue
            existing = self.state.organisations.get(target)
            if existing is None:
                self.plan_new(row, target, values, categories, parent)
            else:
                self.plan_existing(row, existing, values, categories, parent)

    def read_values(self, row: Row) -> tuple[dict[str, Any] | None, tuple[str, ...] | None]:
        ok = True
        values: dict[str, Any] = {}
        for column, name in ORG_FIELDS.items():
            value = row[column]
            message = None
            if column == "名称" and not value:
                message = gettext("This field is required.")
            elif column in ORG_LIMITS:
                message = _too_long(value, ORG_LIMITS[column])
            if (
                message is None
                and column == "代码"
                and value
                and not CODE_CHARACTERS.fullmatch(value)
            ):
                message = gettext("Use letters, digits and . - / only, without spaces.")
            if message is None and column == "联系电话":
                message = phone_problem(value)
            if message is None and column == "电子邮箱":
                message = email_problem(value)
            if message is None and column == "类型" and value:
                kind = self.kinds.get(value) or self.kinds.get(value.casefold())
                if kind is None:
                    message = gettext("Use one of: %(names)s.") % {
                        "names": "、".join(kind_label(k) for k in OrganisationKind)
                    }
                else:
                    value = kind.value
            if message:
                self.problem(row, column, message)
                ok = False
            values[name] = value
        categories: list[str] = []
        for part in CATEGORY_SEPARATORS.split(row["类别"]):
            name = part.strip()
            if not name or name in categories:
                continue
            if name not in self.state.categories:
                self.problem(
                    row,
                    "类别",
                    gettext("There is no category %(name)s. Known categories: %(names)s.")
                    % {"name": name, "names": "、".join(sorted(self.state.categories)) or "-"},
                )
                ok = False
            categories.append(name)
        ordered = tuple(sorted(categories, key=category_order(self.state.categories)))
        return (values, ordered) if ok else (None, None)

    def read_parent(self, row: Row, target: int) -> tuple[int | None, bool]:
        ref = row["上级组织"]
        if not ref:
            return None, True
        parent, message = self.resolve(ref)
        if message is None and parent == target:
            message = gettext("An organisation cannot be its own parent.")
        if message:
            self.problem(row, "上级组织", message)
            return None, False
        return parent, parent is not None

    def in_scope(self, org_id: int | None) -> bool:
        if org_id is None:
            return self.scope.top_level
        if org_id < 0:
            return True  # a new organisation: its own parent is checked on its row
        record = self.state.organisations.get(org_id)
        return record is not None and self.scope.covers(record.path)

    def plan_new(
        self,
        row: Row,
        key: int,
        values: dict[str, Any],
        categories: tuple[str, ...],
        parent: int | None,
    ) -> None:
        if not self.in_scope(parent):
            self.problem(row, "上级组织", self.out_of_reach(parent))
            return
        values = {**values, "kind": values["kind"] or OrganisationKind.SOCIETY.value}
        values["code"] = values["code"] or None
        self.plan.parents[key] = parent
        self.plan.org_inserts.append(NewOrg(key, row, values, categories))
        self.plan.new_organisations.append(
            Entry(ORGANISATIONS, row.number, values["name"], self.describe_new(values, parent))
        )

    def out_of_reach(self, parent: int | None) -> str:
        if parent is None:
            return gettext(
                "Only an administrator of the association may add a top-level organisation."
            )
        return gettext("This organisation lies outside the organisations you administer.")

    def describe_new(self, values: dict[str, Any], parent: int | None) -> list[Change]:
        changes = [Change("上级组织", "", self.parent_label(parent))] if parent is not None else []
        for column, name in ORG_FIELDS.items():
            shown = kind_label(values[name]) if name == "kind" else values[name] or ""
            if shown and column != "名称":
                changes.append(Change(column, "", shown))
        return changes

    def parent_label(self, org_id: int | None) -> str:
        if org_id is None:
            return ""
        if org_id < 0:
            return self.rows[-org_id - 1]["名称"]
        return self.state.organisations[org_id].name

    def plan_existing(
        self,
        row: Row,
        existing: OrgRecord,
        values: dict[str, Any],
        categories: tuple[str, ...],
        parent: int | None,
    ) -> None:
        if not self.scope.covers(existing.path):
            self.problem(
                row,
                "名称",
                gettext("This organisation lies outside the organisations you administer."),
            )
            return
        if not values["kind"]:
            values["kind"] = existing.kind
        if not values["code"]:
            values["code"] = existing.code
        changes: list[Change] = []
        updates: dict[str, Any] = {}
        for column, name in ORG_FIELDS.items():
            old, new = getattr(existing, name), values[name]
            if old != new:
                updates[name] = (new or None) if name == "code" else new
                if name == "kind":
                    old, new = kind_label(old), kind_label(new)
                changes.append(Change(column, old, new))
        if parent != existing.parent_id:
            if not self.in_scope(parent):
                self.problem(row, "上级组织", self.out_of_reach(parent))
                return
            updates["parent_id"] = parent
            changes.append(
                Change("上级组织", self.parent_label(existing.parent_id), self.parent_label(parent))
            )
        self.plan.parents[existing.id] = parent
        if categories != existing.categories:
            self.plan.category_sets[existing.id] = categories
            changes.append(Change("类别", "、".join(existing.categories), "、".join(categories)))
        label = values["name"]
        if changes:
            self.plan.org_updates[existing.id] = updates
            self.plan.changed_organisations.append(Entry(ORGANISATIONS, row.number, label, changes))
            self.plan.changed_org_ids.append(existing.id)
        else:
            self.plan.unchanged_organisations += 1

    def find_cycles(self) -> None:
        """A parent chain that comes back to where it began, through the file's rows and
        the site's organisations the file does not move."""
        parents = self.plan.parents

        def parent_of(org_id: int) -> int | None:
            if org_id in parents:
                return parents[org_id]
            record = self.state.organisations.get(org_id)
            return record.parent_id if record else None

        row_of = {target: index for index, target in self.targets.items()}
        reported: set[int] = set()
        for start in list(parents):
            seen: list[int] = []
            current: int | None = start
            while current is not None and current not in seen:
                seen.append(current)
                current = parent_of(current)
            if current is None or current != start:
                continue
            if reported & set(seen):
                continue
            reported.update(seen)
            names = " → ".join(self.parent_label(o) for o in [*seen, start])
            index = row_of.get(start)
            number = self.rows[index].number if index is not None else 0
            self.plan.problems.append(
                Problem(
                    ORGANISATIONS,
                    number,
                    "上级组织",
                    gettext("These organisations would be each other's parents: %(chain)s.")
                    % {"chain": names},
                )
            )


class _PeoplePlanner:
    def __init__(
        self, rows: list[Row], state: State, scope: Scope, plan: Plan, orgs: _OrgPlanner
    ) -> None:
        self.rows = rows
        self.state = state
        self.scope = scope
        self.plan = plan
        self.orgs = orgs
        self.roles = role_names()

    def problem(self, row: Row, column: str, message: str) -> None:
        self.plan.problems.append(Problem(PEOPLE, row.number, column, message))

    def run(self) -> None:
        by_username: dict[str, list[Row]] = {}
        order: list[str] = []
        for row in self.rows:
            username = self.read_username(row)
            if username is None:
                continue
            if username not in by_username:
                by_username[username] = []
                order.append(username)
            by_username[username].append(row)
        for username in order:
            self.plan_person(username, by_username[username])
        self.find_absent(set(by_username))

    def read_username(self, row: Row) -> str | None:
        typed = row["用户名"]
        username = normalise_username(typed)
        message = None
        if not typed:
            message = gettext("This field is required.")
        elif message := _too_long(username, PEOPLE_LIMITS["用户名"]):
            pass
        elif not USERNAME_CHARACTERS.fullmatch(username):
            message = gettext("Use letters, digits and . _ - @ only, without spaces.")
        if message:
            self.problem(row, "用户名", message)
            return None
        return username

    def read_details(self, row: Row) -> dict[str, str] | None:
        ok = True
        values: dict[str, str] = {}
        for column, name in PERSON_FIELDS.items():
            value = row[column]
            message = _too_long(value, PEOPLE_LIMITS[column])
            if message is None and column == "电子邮箱":
                message = email_problem(value)
            if message is None and column == "手机":
                message = phone_problem(value)
            if message:
                self.problem(row, column, message)
                ok = False
            values[name] = value
        return values if ok else None

    def read_role(self, row: Row) -> tuple[int, str] | bool | None:
        """(organisation, role), None for a row without a role, False for a bad one."""
        ref, role_text = row["所属组织"], row["角色"]
        if not ref and not role_text:
            return None
        ok = True
        organisation: int | None = None
        if not ref:
            self.problem(row, "所属组织", gettext("A role needs the organisation it is held on."))
            ok = False
        else:
            organisation, message = self.orgs.resolve(ref)
            if message is None and organisation is None:
                message = gettext("The row for this organisation has a problem; fix that first.")
            elif organisation is not None and not self.orgs.in_scope(organisation):
                message = gettext(
                    "This organisation lies outside the organisations you administer."
                )
            if message:
                self.problem(row, "所属组织", message)
                ok = False
        role = self.roles.get(role_text) or self.roles.get(role_text.casefold())
        if role is None:
            message = (
                gettext("Name the role held there.")
                if not role_text
                else gettext("Use one of: %(names)s.")
                % {"names": "、".join(role_label(r) for r in Role)}
            )
            self.problem(row, "角色", message)
            ok = False
        if not ok or organisation is None or role is None:
            return False
        return organisation, role.value

    def plan_person(self, username: str, rows: list[Row]) -> None:
        first = rows[0]
        details = self.read_details(first)
        ok = details is not None
        wanted: list[tuple[int, str]] = []
        for row in rows:
            if row is not first:
                other = self.read_details(row)
                if other is None:
                    ok = False
                elif details is not None:
                    ok = self.agrees(first, row, details, other) and ok
            role = self.read_role(row)
            if role is False:
                ok = False
            elif role is None:
                continue
            elif role in wanted:
                self.problem(
                    row, "角色", gettext("Another row already gives this person this role there.")
                )
                ok = False
            else:
                assert isinstance(role, tuple)
                wanted.append(role)
        existing = self.state.people.get(username)
        if existing is None:
            if not first["姓名"]:
                self.problem(first, "姓名", gettext("This field is required."))
                ok = False
            if not wanted and ok:
                self.problem(
                    first, "所属组织", gettext("A new person needs an organisation and a role.")
                )
                ok = False
        if not ok or details is None:
            return
        if existing is None:
            self.plan_new(username, first, details, wanted)
        else:
            self.plan_existing(existing, first, details, wanted)

    def agrees(self, first: Row, row: Row, details: dict[str, str], other: dict[str, str]) -> bool:
        for column, name in PERSON_FIELDS.items():
            if other[name] and other[name] != details[name]:
                message = (
                    gettext(
                        "Row %(row)d already uses this 用户名 for %(name)s: each person "
                        "needs a 用户名 of their own."
                    )
                    % {"row": first.number, "name": details["display_name"]}
                    if name == "display_name"
                    else gettext("Differs from row %(row)d of the same person.")
                    % {"row": first.number}
                )
                self.problem(row, "用户名" if name == "display_name" else column, message)
                return False
        return True

    def role_text(self, organisation: int, role: str) -> str:
        return f"{self.orgs.parent_label(organisation)}·{role_label(role)}"

    def plan_new(
        self, username: str, row: Row, details: dict[str, str], wanted: list[tuple[int, str]]
    ) -> None:
        self.plan.person_inserts.append({"username": username, **details})
        for organisation, role in wanted:
            self.plan.role_inserts.append((username, organisation, role))
        changes = [
            Change(column, "", details[name])
            for column, name in PERSON_FIELDS.items()
            if details[name] and column != "姓名"
        ]
        changes.append(Change("用户名", "", username))
        changes.extend(Change("角色", "", self.role_text(o, r)) for o, r in wanted)
        self.plan.new_people.append(Entry(PEOPLE, row.number, details["display_name"], changes))

    def plan_existing(
        self,
        existing: PersonRecord,
        row: Row,
        details: dict[str, str],
        wanted: list[tuple[int, str]],
    ) -> None:
        held = self.state.roles.get(existing.id, [])
        outside = [
            oid
            for _mid, oid, _role in held
            if not self.scope.covers(self.state.organisations[oid].path)
        ]
        if outside:
            self.problem(
                row,
                "用户名",
                gettext(
                    "This person also holds roles outside the organisations you administer; "
                    "an administrator over all of them must change them."
                ),
            )
            return
        if not details["display_name"]:
            details = {**details, "display_name": existing.display_name}
        changes: list[Change] = []
        updates: dict[str, str] = {}
        for column, name in PERSON_FIELDS.items():
            old, new = getattr(existing, name), details[name]
            if old != new:
                updates[name] = new
                changes.append(Change(column, old, new))
        have = {(oid, role): mid for mid, oid, role in held}
        removed = [(key, mid) for key, mid in have.items() if key not in wanted]
        added = [key for key in wanted if key not in have]
        if any(role == Role.ADMIN.value for (_o, role) in have) and not any(
            role == Role.ADMIN.value for (_o, role) in wanted
        ):
            self.problem(
                row,
                "角色",
                gettext(
                    "This would take away %(name)s's last administrator role. Change an "
                    "administrator's roles on their page instead."
                )
                % {"name": existing.display_name},
            )
            return
        for (organisation, role), mid in removed:
            self.plan.role_deletes.append((mid, existing.username, organisation, role))
            changes.append(Change("角色", self.role_text(organisation, role), ""))
        for organisation, role in added:
            self.plan.role_inserts.append((existing.username, organisation, role))
            changes.append(Change("角色", "", self.role_text(organisation, role)))
        if changes:
            if updates:
                self.plan.person_updates[existing.id] = updates
            self.plan.changed_people.append(
                Entry(PEOPLE, row.number, details["display_name"] or existing.username, changes)
            )
            self.plan.changed_person_ids.append(existing.id)
        else:
            self.plan.unchanged_people += 1

    def find_absent(self, in_file: set[str]) -> None:
        """Active people whose every role lies inside the scope and who are not in the
        file: those the preview offers to deactivate. Never the importer."""
        if PEOPLE not in self.plan.sheets:
            return
        organisations = self.state.organisations
        for person in self.state.people.values():
            if not person.is_active or person.username in in_file:
                continue
            if person.id == self.scope.actor_id:
                continue
            held = self.state.roles.get(person.id)
            if held and all(self.scope.covers(organisations[oid].path) for _m, oid, _r in held):
                self.plan.absent_people.append(person)
        self.plan.absent_people.sort(key=lambda p: p.username)


def scope_for(held: list[Membership], actor_id: int | None) -> Scope:
    """What an admin's import may touch: their subtrees (policy.administered_tops)."""
    from intranet import policy

    tops = policy.administered_tops(held)
    return Scope(
        paths=tuple(o.path for o in tops),
        top_level=policy.can_place_at_top_level(held),
        actor_id=actor_id,
    )
