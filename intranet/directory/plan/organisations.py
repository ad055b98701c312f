"""The organisation rows of a directory file matched with the site's organisations,
checked, and planned as new organisations and changes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from intranet.directory.plan.model import (
    CATEGORY_SEPARATORS,
    CODE_CHARACTERS,
    ORG_FIELDS,
    ORG_LIMITS,
    Change,
    Entry,
    NewOrg,
    OrgRecord,
    Plan,
    Scope,
    State,
    category_order,
    email_problem,
    kind_label,
    kind_names,
    phone_problem,
    too_long,
)
from intranet.directory.workbook import ORGANISATIONS, Problem, Row
from intranet.i18n import gettext
from intranet.models import OrganisationKind


class OrganisationPlanner:
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
                message = too_long(value, ORG_LIMITS[column])
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
