"""A GET changes nothing: every route, requested by every kind of person.

Each person requests every route of the site by GET, aimed at real things (see
hostile.routes.targets); every table's rows are compared before and after each request.
Routes that take no GET must answer 405 and change nothing either. The only writes a GET
may make are listed in ALLOWED below, each with the reason it is not a change of state
a person asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import World
from tests.hostile.routes import (
    PEOPLE,
    Snapshot,
    changed_tables,
    fill,
    named_routes,
    route_of,
    rows_of,
    signed_in,
    snapshot,
    targets,
)

# Figures of a round kept so that report pages need not add up every answer on every
# view (surveys.totals.round_figures): a cache of what the answers say, made again
# whenever they change, never something a person sees change.
CACHES = {"survey_round_figures"}

Check = Callable[[Snapshot, Snapshot, int | None, dict[str, Any]], bool]


def first_view_recorded(before: Snapshot, after: Snapshot, who: int | None, found: dict) -> bool:
    """A notice records its reader's first view: the issuer's read receipts (已阅/未阅)
    are made of these. Only a row for this reader and this notice may appear."""
    old, new = set(rows_of(before, "notice_read")), set(rows_of(after, "notice_read"))
    added = new - old
    return old <= new and all(
        f"notice_id={found['notice_id']!r}" in row and f"user_id={who!r}" in row for row in added
    )


def notification_opened(before: Snapshot, after: Snapshot, who: int | None, found: dict) -> bool:
    """Following one's own notification (the link in its e-mail) marks it read: only
    its read_at may change, and only if it is the reader's."""

    def without_read_at(taken: Snapshot) -> list[tuple[str, ...]]:
        return [
            tuple(c for c in row if not c.startswith("read_at="))
            for row in rows_of(taken, "notification")
        ]

    opened = [
        row
        for row in set(rows_of(after, "notification")) - set(rows_of(before, "notification"))
        if f"id={found['notification_id']!r}" in row
    ]
    return without_read_at(before) == without_read_at(after) and all(
        f"user_id={who!r}" in row for row in opened
    )


ALLOWED: dict[str, dict[str, Check]] = {
    "intranet:notice": {"notice_read": first_view_recorded},
    "intranet:notification_open": {"notification": notification_opened},
}


@pytest.mark.parametrize("who", PEOPLE)
async def test_no_get_changes_any_row(app, world: World, who: str) -> None:  # type: ignore[no-untyped-def]
    found = await targets(app, world)
    person_id = getattr(world, {"sec_a": "secretary_a"}.get(who, who), None)
    person_id = person_id.id if person_id is not None else None
    client = await signed_in(app, who)
    wrong = []
    try:
        before = await snapshot()
        for name, route in sorted(named_routes(app).items()):
            path = fill(route, found)
            response = await client.get(path)
            takes_get = route_of(app, path, "GET") is not None
            if not takes_get and response.status_code != 405:
                wrong.append(f"GET {path} ({name}, no GET) as {who}: {response.status_code}")
            if response.status_code >= 500:
                wrong.append(f"GET {path} ({name}) as {who}: {response.status_code}")
            after = await snapshot()
            allowed = ALLOWED.get(name, {})
            for table in changed_tables(before, after):
                if table in CACHES:
                    continue
                if table in allowed and allowed[table](before, after, person_id, found):
                    continue
                wrong.append(f"GET {path} ({name}) as {who} changed {table}")
            before = after
    finally:
        await client.aclose()
    assert wrong == []


async def test_a_change_by_get_would_be_seen(app, world: World) -> None:  # type: ignore[no-untyped-def]
    """The comparison sees one changed cell in any table (the walk above is not blind)."""
    from intranet.models import Organisation

    before = await snapshot()
    await Organisation.filter(id=world.society_a.id).update(contact_phone="110")
    assert changed_tables(before, await snapshot()) == ["organisation"]
