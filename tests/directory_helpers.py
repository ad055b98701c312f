"""Building directory files in tests, as a person's Excel would hold them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook

from intranet.directory.apply import Actor, Outcome, apply_directory
from intranet.directory.plan import WHOLE_SITE, Plan, Scope, load_state, make_plan
from intranet.directory.workbook import (
    ORGANISATION_HEADERS,
    ORGANISATIONS,
    PEOPLE,
    PEOPLE_HEADERS,
    Directory,
    read_file,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def xlsx_bytes(
    organisations: Sequence[Sequence[object]] = (),
    people: Sequence[Sequence[object]] = (),
    *,
    org_headers: Sequence[str] = ORGANISATION_HEADERS,
    people_headers: Sequence[str] = PEOPLE_HEADERS,
) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = ORGANISATIONS
    first.append(list(org_headers))
    for row in organisations:
        first.append(list(row))
    second = book.create_sheet(PEOPLE)
    second.append(list(people_headers))
    for row in people:
        second.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_bytes(tmp_path: Path, data: bytes, name: str = "directory.xlsx") -> Directory:
    path = tmp_path / name
    path.write_bytes(data)
    return read_file(path, name)


async def preview(directory: Directory, scope: Scope = WHOLE_SITE) -> Plan:
    return make_plan(directory, await load_state(), scope)


async def apply(
    directory: Directory, scope: Scope = WHOLE_SITE, *, deactivate: bool = False
) -> Outcome:
    return await apply_directory(
        directory,
        scope,
        Actor(scope.actor_id, "导入者"),
        deactivate_absent=deactivate,
        invitation_days=7,
        now=NOW,
    )


def org_row(
    name: str,
    parent: str = "",
    *,
    code: str = "",
    short: str = "",
    kind: str = "学会",
    categories: str = "",
    contact: str = "",
    phone: str = "",
    email: str = "",
) -> list[str]:
    return [name, short, parent, kind, code, categories, contact, phone, email]


def person_row(
    name: str,
    username: str,
    organisation: str = "",
    role: str = "",
    email: str = "",
    phone: str = "",
) -> list[str]:
    return [name, username, email, phone, organisation, role]
