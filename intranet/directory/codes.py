"""The sheet of one-time codes for people without an e-mail address, handed on by hand
(SMS, WeChat). The codes are made when the sheet is written and kept nowhere else."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from tortoise import timezone

from intranet.directory import invitations
from intranet.directory.workbook import write_sheet
from intranet.models import Membership, User
from intranet.notifications.send import absolute_url

CODE_SHEET = "邀请码"
CODE_HEADERS = ("姓名", "用户名", "所属组织", "邀请码", "设置密码链接", "有效期至")


async def write_code_sheet(
    target: Path | io.BytesIO,
    user_ids: Sequence[int],
    *,
    days: int,
    zone: object | None = None,
    now: datetime | None = None,
) -> int:
    """Issue a new code to each active person in `user_ids` (older codes stop working)
    and write them to one sheet; returns how many rows it holds."""
    now = now or timezone.now()
    people = await User.filter(id__in=list(user_ids), is_active=True).order_by("username")
    first_org: dict[int, str] = {}
    for uid, name in (
        await Membership.filter(user_id__in=[p.id for p in people])
        .order_by("organisation__path")
        .values_list("user_id", "organisation__name")
    ):
        first_org.setdefault(int(uid), str(name))
    codes = await invitations.issue(
        [invitations.Invitee(p.id, p.display_name, "") for p in people],
        channel=invitations.CODE,
        days=days,
        now=now,
    )
    expires = now + timedelta(days=days)
    local = expires.astimezone(zone) if zone is not None else expires  # type: ignore[arg-type]
    rows = [
        (
            p.display_name,
            p.username,
            first_org.get(p.id, ""),
            codes[p.id],
            absolute_url(invitations.link_path(codes[p.id])),
            local.strftime("%Y-%m-%d %H:%M"),
        )
        for p in people
    ]
    write_sheet(target, CODE_SHEET, CODE_HEADERS, rows)
    return len(rows)
