"""The notice list renders byte for byte as recorded: a change to how its rows are read
or shown must not change one character of the page.

The pages in tests/fixtures/notice_list_golden/ were recorded from fixed data (below)
for a member of society A and for society A's secretary. The CSRF token, the only value
that differs between requests, is replaced by a mark. After a deliberate change to the
page, record them again and read the diff before committing it:

    HUIBAO_RECORD_GOLDEN=1 .venv/bin/python -m pytest -q tests/intranet/test_notice_list_golden.py
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import httpx
import pytest
from tortoise import timezone

from intranet.models import Membership, Organisation, Role, User
from intranet.notices.models import (
    AddresseeRole,
    AudienceScope,
    Notice,
    NoticeAudience,
    NoticeCategory,
    NoticeRead,
    NoticeState,
)
from tests.conftest import World

GOLDEN_DIR = Path(__file__).parent.parent / "fixtures" / "notice_list_golden"
RECORD = os.environ.get("HUIBAO_RECORD_GOLDEN") == "1"
_TOKEN = re.compile(r"(csrf_token\" value=\"|\"X-CSRF-Token\": \")[0-9a-f]+")
NOTICES = 130
EXTRA_SOCIETIES = 24
START = datetime.datetime(2020, 3, 2, 8, 0, tzinfo=datetime.UTC)
CATEGORIES = list(NoticeCategory)
TOPICS = ("网上值班", "优秀案例", "学术年会", "科普活动", "Open Data 培训", "青年人才托举")


def normalised(html: str) -> str:
    return _TOKEN.sub(r"\1CSRF", html)


async def extra_societies(world: World) -> list[Organisation]:
    """Issuers enough for a long issuer filter, some named with characters to escape."""
    societies = []
    for number in range(EXTRA_SOCIETIES):
        name = f"辽宁省第{number:02d}学会" if number % 5 else f"辽宁省<{number:02d}>&学会"
        short = "" if number % 3 else f"第{number:02d}会"
        societies.append(
            await Organisation.create_under(world.association, name=name, short_name=short)
        )
    return societies


def audience_of(index: int, world: World, extras: list[Organisation]) -> list[NoticeAudience]:
    """Every way a notice reaches (or does not reach) society A's people."""
    kind = index % 6
    rows = []
    if kind == 0:
        rows.append((world.society_a, AudienceScope.EVERYONE, AddresseeRole.TO))
    elif kind == 1:
        rows.append((world.society_a, AudienceScope.UNIT, AddresseeRole.CC))
    elif kind == 2:
        rows.append((world.branch_a, AudienceScope.EVERYONE, AddresseeRole.TO))
    elif kind == 3:
        rows.append((world.society_b, AudienceScope.EVERYONE, AddresseeRole.TO))
    elif kind == 4:
        rows.append((extras[index % len(extras)], AudienceScope.UNIT, AddresseeRole.TO))
        rows.append((world.society_a, AudienceScope.EVERYONE, AddresseeRole.CC))
    return [
        NoticeAudience(notice_id=index + 1, organisation=org, scope=scope, role=role)
        for org, scope, role in rows
    ]


async def golden_data(world: World) -> None:
    extras = await extra_societies(world)
    issuers = [world.association, world.society_a, world.society_b, world.branch_a, *extras]
    notices = []
    for index in range(NOTICES):
        # Every seventh notice shares its moment with the one before: the id decides.
        published = START + datetime.timedelta(hours=(index - (index % 7 == 0)) * 19)
        state = NoticeState.PUBLISHED
        if index % 23 == 5:
            state = NoticeState.DRAFT
        elif index % 29 == 7:
            state = NoticeState.WITHDRAWN
        topic = TOPICS[index % len(TOPICS)]
        number = f"辽科协发〔{2020 + index % 3}〕{index}号" if index % 4 else None
        title = f"关于{topic}的通知（{index}）"
        notices.append(
            Notice(
                id=index + 1,
                issuer=issuers[(index * 5) % len(issuers)],
                title=title,
                document_number=number,
                search_text=" ".join(filter(None, [number, title, "各学会"])).casefold(),
                state=state,
                published_at=None if state == NoticeState.DRAFT else published,
                issued_on=published.date() if index % 9 else None,
                year=2020 + index % 3,
                category=CATEGORIES[index % len(CATEGORIES)],
                pinned=index % 31 == 3,
                is_public=index % 6 == 5 or index % 11 == 0,
            )
        )
    await Notice.bulk_create(notices)
    audience = [row for index in range(NOTICES) for row in audience_of(index, world, extras)]
    await NoticeAudience.bulk_create(audience)
    readers: list[User] = [world.member_a, world.secretary_a]
    await NoticeRead.bulk_create(
        [
            NoticeRead(notice_id=index + 1, user=reader, read_at=timezone.now())
            for index in range(0, NOTICES, 3)
            for reader in readers
        ]
    )
    # Two roles, one below the other: what each reaches is read once.
    await Membership.create(user=world.secretary_a, organisation=world.branch_a, role=Role.STAFF)


PAGES = {
    "member_first_page": ("member_a", "/notices"),
    "member_second_page": ("member_a", "/notices?page=2"),
    "member_search": ("member_a", "/notices?q=%E4%BC%98%E7%A7%80+%E9%80%9A%E7%9F%A5"),
    "member_search_latin": ("member_a", "/notices?q=OPEN+data"),
    "member_search_number": ("member_a", "/notices?q=%5B2021%5D"),
    "member_by_issuer": ("member_a", "/notices?issuer=2"),
    "member_by_category_year": ("member_a", "/notices?category=announcement&year=2021"),
    "member_empty_page": ("member_a", "/notices?page=9"),
    "member_rows_only": ("member_a", "/notices?page=2&q=%E9%80%9A%E7%9F%A5"),
    "secretary_first_page": ("sec_a", "/notices"),
}


async def page(client: httpx.AsyncClient, name: str, path: str) -> str:
    headers = {"HX-Request": "true"} if name.endswith("rows_only") else {}
    response = await client.get(path, headers=headers)
    assert response.status_code == 200
    return normalised(response.text)


@pytest.mark.parametrize("name", sorted(PAGES))
async def test_it_renders_the_list_as_recorded(world: World, as_user, name: str) -> None:  # type: ignore[no-untyped-def]
    await golden_data(world)
    username, path = PAGES[name]
    async with as_user(username) as client:
        html = await page(client, name, path)
    golden = GOLDEN_DIR / f"{name}.html"
    if RECORD:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        golden.write_text(html, encoding="utf-8")
    assert html == golden.read_text(encoding="utf-8")
