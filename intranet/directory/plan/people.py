"""The person rows of a directory file matched with the site's people, checked, and
planned as new people, changes and roles."""

from __future__ import annotations

from intranet.directory.plan.model import (
    PEOPLE_LIMITS,
    PERSON_FIELDS,
    USERNAME_CHARACTERS,
    Change,
    Entry,
    PersonRecord,
    Plan,
    Scope,
    State,
    email_problem,
    phone_problem,
    role_label,
    role_names,
    too_long,
)
from intranet.directory.plan.organisations import OrganisationPlanner
from intranet.directory.workbook import PEOPLE, Problem, Row
from intranet.i18n import gettext
from intranet.models import Role
from intranet.models.accounts import normalise_username


class PeoplePlanner:
    def __init__(
        self, rows: list[Row], state: State, scope: Scope, plan: Plan, orgs: OrganisationPlanner
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
        elif message := too_long(username, PEOPLE_LIMITS["用户名"]):
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
            message = too_long(value, PEOPLE_LIMITS[column])
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
