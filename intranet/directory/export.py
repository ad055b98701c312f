"""The directory as a workbook in the import format: export → import changes nothing.

An admin's export holds the organisations in their subtrees and the people they manage
(every role inside those subtrees), one row per role, and people with no role at all.
"""

from __future__ import annotations

import io
from pathlib import Path

from intranet.directory.plan import (
    WHOLE_SITE,
    Scope,
    State,
    chinese,
    kind_label,
    load_state,
    role_label,
)
from intranet.directory.workbook import (
    ORGANISATION_HEADERS,
    PEOPLE_HEADERS,
    write_workbook,
)
from intranet.models import OrganisationKind, Role
from intranet.models.organisations import KIND_LABELS, ROLE_LABELS


def reference(state: State, org_id: int | None) -> str:
    """How a row names another organisation: its 代码, or its full name."""
    if org_id is None:
        return ""
    record = state.organisations[org_id]
    return record.code or record.name


def directory_rows(state: State, scope: Scope) -> tuple[list[list[str]], list[list[str]]]:
    organisations = sorted(
        (o for o in state.organisations.values() if scope.covers(o.path)), key=lambda o: o.path
    )
    org_rows = [
        [
            o.name,
            o.short_name,
            reference(state, o.parent_id),
            kind_label(o.kind),
            o.code,
            "、".join(o.categories),
            o.contact_name,
            o.contact_phone,
            o.contact_email,
        ]
        for o in organisations
    ]
    people_rows: list[list[str]] = []
    by_path = {o.id: o.path for o in state.organisations.values()}
    for person in sorted(state.people.values(), key=lambda p: p.username):
        held = state.roles.get(person.id, [])
        if not all(scope.covers(by_path[oid]) for _m, oid, _r in held):
            continue
        details = [person.display_name, person.username, person.email, person.phone]
        if not held:
            people_rows.append([*details, "", ""])
        for _mid, oid, role in sorted(held, key=lambda h: (by_path[h[1]], h[2])):
            people_rows.append([*details, reference(state, oid), role_label(role)])
    return org_rows, people_rows


def template_notes(state: State | None = None) -> list[tuple[str, str]]:
    categories = (
        "、".join(sorted(state.categories, key=lambda n: state.categories[n])) if state else ""
    )
    return [
        ("组织机构", "每行一个组织。" + "、".join(ORGANISATION_HEADERS) + "。"),
        ("上级组织", "填写上级组织的代码或全称；留空表示最上层组织。"),
        ("类型", "、".join(chinese(KIND_LABELS[k]) for k in OrganisationKind)),
        ("类别", "可填多个，用“、”或“，”分隔" + (f"：{categories}" if categories else "。")),
        ("人员", "每行一个角色：" + "、".join(PEOPLE_HEADERS) + "。一人多个角色填多行。"),
        ("所属组织", "填写组织的代码或全称。"),
        ("角色", "、".join(chinese(ROLE_LABELS[r]) for r in Role)),
        (
            "新人员",
            "导入后不设密码：有电子邮箱的人会收到设置密码的链接，其余人的一次性邀请码由管理员下载后转交。",
        ),
        ("CSV", "CSV 文件只含一张表，由第一行的表头区分；可用 UTF-8 或 GB18030 编码。"),
    ]


async def export_directory(target: Path | io.BytesIO, scope: Scope = WHOLE_SITE) -> None:
    state = await load_state()
    org_rows, people_rows = directory_rows(state, scope)
    write_workbook(target, org_rows, people_rows)


async def write_template(target: Path | io.BytesIO) -> None:
    state = await load_state()
    write_workbook(target, [], [], notes=template_notes(state))
