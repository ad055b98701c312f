"""Writing a directory file: everything in one transaction, or nothing.

apply_directory() reads the database again inside the transaction and makes the plan
afresh, so what it writes is what the data is now, not what it was at the preview; if a
problem has appeared since, nothing is written. Writes are bulk statements: their number
depends on the number of rows only through batches of a few thousand, never per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from intranet.directory import invitations
from intranet.directory.bulk import insert_rows
from intranet.directory.plan import (
    Entry,
    Plan,
    Scope,
    State,
    load_state,
    make_plan,
)
from intranet.directory.workbook import Directory
from intranet.models import AuditEvent, Membership, Organisation, User, UserSession
from intranet.models.organisations import path_segment
from intranet.sql import Sql

BATCH = 2000  # rows per INSERT: inside SQLite's and PostgreSQL's parameter limits
UPDATE_BATCH = 1000  # rows per bulk UPDATE (each field is a CASE over them)
IN_BATCH = 5000  # ids per IN (...)


class Refused(Exception):
    """The file has problems now (perhaps someone changed the data since the preview)."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(f"{len(plan.problems)} problems")
        self.plan = plan


@dataclass
class Actor:
    id: int | None
    name: str
    ip: str = ""


@dataclass
class Outcome:
    summary: dict[str, int]
    emailed: int = 0
    deactivated: int = 0
    # New people without an e-mail address: their codes go on a sheet, issued once.
    need_codes: list[int] = field(default_factory=list)


Progress = Callable[[int], None]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def apply_directory(
    directory: Directory,
    scope: Scope,
    actor: Actor,
    *,
    deactivate_absent: bool,
    invitation_days: int,
    now: datetime,
    progress: Progress | None = None,
) -> Outcome:
    now = now.astimezone(UTC)
    report = progress or (lambda percent: None)
    async with in_transaction():
        state = await load_state()
        plan = make_plan(directory, state, scope)
        if not plan.ok:
            raise Refused(plan)
        report(20)
        org_ids = await _write_organisations(plan, state, now)
        report(40)
        user_ids = await _write_people(plan, state, org_ids, now)
        report(60)
        deactivated = [p.id for p in plan.absent_people] if deactivate_absent else []
        if deactivated:
            await _deactivate(deactivated, now)
        await _audit(plan, actor, now, org_ids, user_ids, deactivated)
        report(80)
        new_people = [
            invitations.Invitee(user_ids[p["username"]], p["display_name"], p["email"])
            for p in plan.person_inserts
        ]
        with_email = [p for p in new_people if p.email]
        if with_email:
            await invitations.issue(
                with_email, channel=invitations.EMAIL, days=invitation_days, now=now
            )
    report(100)
    return Outcome(
        summary=plan.summary(),
        emailed=len(with_email),
        deactivated=len(deactivated),
        need_codes=[p.id for p in new_people if not p.email],
    )


async def _write_organisations(plan: Plan, state: State, now: datetime) -> dict[int, int]:
    """New organisations inserted, changed and moved ones updated; returns the id of each
    new one by its key."""
    marker = f"/~import-{now.timestamp():.6f}/"
    ids: dict[int, int] = {}
    if plan.org_inserts:
        await Organisation.bulk_create(
            [
                Organisation(
                    **new.values,
                    path=f"{marker}{-new.key}/",
                    depth=0,
                    created_at=now,
                    updated_at=now,
                )
                for new in plan.org_inserts
            ],
            batch_size=BATCH,
        )
        for oid, path in await Organisation.filter(path__startswith=marker).values_list(
            "id", "path"
        ):
            ids[-int(path[len(marker) :].strip("/"))] = oid

    def real(key: int | None) -> int | None:
        return ids[key] if key is not None and key < 0 else key

    parents = {o.id: o.parent_id for o in state.organisations.values()}
    for key, parent in plan.parents.items():
        parents[real(key)] = real(parent)  # type: ignore[index]
    paths: dict[int, str] = {}

    def path_of(oid: int) -> str:
        chain = []
        current: int | None = oid
        while current is not None and current not in paths:
            chain.append(current)
            current = parents.get(current)
        prefix = paths[current] if current is not None else "/"
        for node in reversed(chain):
            prefix = prefix + path_segment(node)
            paths[node] = prefix
        return paths[oid]

    rows: list[Organisation] = []  # changed or moved: every field
    placed: list[Organisation] = []  # new: only where they sit, the rest was inserted
    new_ids = set(ids.values())
    for oid in parents:
        path = path_of(oid)
        record = state.organisations.get(oid)
        if record is None:
            placed.append(
                Organisation(id=oid, parent_id=parents[oid], path=path, depth=path.count("/") - 2)
            )
            continue
        else:
            updates = plan.org_updates.get(oid, {})
            if path == record.path and not updates:
                continue
            values = {
                name: getattr(record, name)
                for name in (
                    "name",
                    "short_name",
                    "kind",
                    "contact_name",
                    "contact_phone",
                    "contact_email",
                )
            }
            values["code"] = record.code or None
            values.update({k: v for k, v in updates.items() if k != "parent_id"})
        rows.append(
            Organisation(
                id=oid,
                parent_id=parents[oid],
                path=path,
                depth=path.count("/") - 2,
                updated_at=now,
                **values,
            )
        )
    if placed:
        await Organisation.bulk_update(
            placed, fields=["parent_id", "path", "depth"], batch_size=UPDATE_BATCH
        )
    if rows:
        await Organisation.bulk_update(
            rows,
            fields=[
                "parent_id",
                "path",
                "depth",
                "name",
                "short_name",
                "kind",
                "code",
                "contact_name",
                "contact_phone",
                "contact_email",
                "updated_at",
            ],
            batch_size=UPDATE_BATCH,
        )
    await _write_categories(plan, state, ids, new_ids)
    return ids


async def _write_categories(
    plan: Plan, state: State, ids: dict[int, int], new_ids: set[int]
) -> None:
    sets = dict(plan.category_sets)
    for new in plan.org_inserts:
        if new.categories:
            sets[ids[new.key]] = new.categories
    if not sets:
        return
    changed = [oid for oid in sets if oid not in new_ids]
    categories = Sql.through(Organisation, "categories")
    for chunk in _chunks(changed, IN_BATCH):
        sql = Sql()
        marks = sql.params(chunk)
        await sql.execute(f'DELETE FROM {categories} WHERE "organisation_id" IN ({marks})')
    pairs = [(oid, state.categories[name]) for oid, names in sets.items() for name in names]
    for chunk in _chunks(pairs, BATCH):
        sql = Sql()
        values = ", ".join(f"({sql.param(a)}, {sql.param(b)})" for a, b in chunk)
        await sql.execute(
            f'INSERT INTO {categories} ("organisation_id", "category_id") VALUES {values}'
        )


async def _write_people(
    plan: Plan, state: State, org_ids: dict[int, int], now: datetime
) -> dict[str, int]:
    """People inserted and updated, roles given and taken; returns every id by username."""
    user_ids = {username: p.id for username, p in state.people.items()}
    if plan.person_inserts:
        await insert_rows(
            User,
            (
                "username",
                "display_name",
                "email",
                "phone",
                "title",
                "password_hash",
                "is_active",
                "locale",
                "created_at",
            ),
            [
                (v["username"], v["display_name"], v["email"], v["phone"], "", "", True, "", now)
                for v in plan.person_inserts
            ],
        )
        for chunk in _chunks([p["username"] for p in plan.person_inserts], IN_BATCH):
            for uid, username in await User.filter(username__in=chunk).values_list(
                "id", "username"
            ):
                user_ids[username] = uid
    if plan.person_updates:
        by_id = state.people_by_id
        await User.bulk_update(
            [
                User(
                    id=uid,
                    **{
                        name: updates.get(name, getattr(by_id[uid], name))
                        for name in ("display_name", "email", "phone")
                    },
                )
                for uid, updates in plan.person_updates.items()
            ],
            fields=["display_name", "email", "phone"],
            batch_size=UPDATE_BATCH,
        )
    for chunk in _chunks([mid for mid, *_ in plan.role_deletes], IN_BATCH):
        await Membership.filter(id__in=chunk).delete()
    await insert_rows(
        Membership,
        ("user_id", "organisation_id", "role", "created_at"),
        [
            (user_ids[username], org_ids.get(org, org), role, now)
            for username, org, role in plan.role_inserts
        ],
    )
    return user_ids


async def _deactivate(user_ids: list[int], now: datetime) -> None:
    for chunk in _chunks(user_ids, IN_BATCH):
        await User.filter(id__in=chunk).update(is_active=False)
        await UserSession.filter(user_id__in=chunk).delete()
    await invitations.revoke(user_ids, now)


def _describe(entry: Entry) -> str:
    changes = "; ".join(f"{c.field}: {c.old or '-'} → {c.new or '-'}" for c in entry.changes)
    return f"{entry.label}: {changes}" if changes else entry.label


async def _audit(
    plan: Plan,
    actor: Actor,
    now: datetime,
    org_ids: dict[int, int],
    user_ids: dict[str, int],
    deactivated: list[int],
) -> None:
    """One event for the import as a whole and one for each thing it changed."""
    summary = plan.summary()
    counts = (
        f"组织机构: +{summary['new_organisations']} ~{summary['changed_organisations']}; "
        f"人员: +{summary['new_people']} ~{summary['changed_people']}; "
        f"停用: {len(deactivated)}"
    )

    def event(
        action: str, object_type: str, object_id: int | str, text: str, org: int | None
    ) -> tuple[Any, ...]:
        name, ip = actor.name[:64], actor.ip[:64]
        return (actor.id, name, action, object_type, str(object_id), org, text[:500], ip, now)

    events = [event("directory.import", "", "", counts, None)]
    org_by_row = {new.row.number: org_ids[new.key] for new in plan.org_inserts}
    for entry in plan.new_organisations:
        oid = org_by_row[entry.row]
        events.append(event("organisation.create", "organisation", oid, _describe(entry), oid))
    for entry, oid in zip(plan.changed_organisations, plan.changed_org_ids, strict=True):
        events.append(event("organisation.update", "organisation", oid, _describe(entry), oid))
    for entry in plan.new_people:
        username = next(c.new for c in entry.changes if c.field == "用户名")
        events.append(event("person.create", "user", user_ids[username], _describe(entry), None))
    for entry, uid in zip(plan.changed_people, plan.changed_person_ids, strict=True):
        events.append(event("person.update", "user", uid, _describe(entry), None))
    for uid in deactivated:
        events.append(event("person.deactivate", "user", uid, "", None))
    await insert_rows(
        AuditEvent,
        (
            "actor_id",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "organisation_id",
            "summary",
            "ip",
            "created_at",
        ),
        events,
    )
