"""The home page asks people to read the notices addressed to them, reminded ones first."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
from bs4 import BeautifulSoup
from tortoise import timezone

from intranet.notices import audience, workflow
from intranet.notices.attention import notice_attention
from intranet.notices.models import Notice, NoticeReminder
from intranet.settings import Settings
from tests.conftest import World
from tests.notice_helpers import ALL_SOCIETIES, make_notice, to_members_of, to_organisation


async def attention(client: httpx.AsyncClient) -> list[tuple[str, str, str]]:
    """(link, title, note) of each notice item on the home page."""
    response = await client.get("/")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    items = []
    for item in page.select(".attention li.notice"):
        link = item.select_one("a")
        note = item.select_one(".muted")
        items.append(
            (link["href"], link.get_text(strip=True), note.get_text(strip=True) if note else "")
        )
    return items


async def remind(notice: Notice, world: World, user: Any, *, hours_ago: float = 0) -> None:
    reminder = await NoticeReminder.create(notice=notice, user=user, sent_by=world.staff)
    if hours_ago:
        when = timezone.now() - datetime.timedelta(hours=hours_ago)
        await NoticeReminder.filter(id=reminder.id).update(created_at=when)


async def test_it_lists_an_unread_notice_addressed_to_me(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(
        world.association,
        "关于开展网上值班的通知",
        to=[ALL_SOCIETIES],
        number="辽科协发〔2020〕3号",
    )
    async with as_english_user("sec_a") as c:
        before = await attention(c)
        await c.get(f"/notices/{notice.id}")
        after = await attention(c)
    assert before == [
        (f"/notices/{notice.id}", "辽科协发〔2020〕3号 关于开展网上值班的通知", "unread notice")
    ]
    assert after == []


async def test_it_leaves_out_what_is_not_addressed_to_me(
    world: World, as_english_user: Any
) -> None:
    await make_notice(world.association, "公开的公告", is_public=True)
    await make_notice(world.association, "给医学会的通知", to=[to_organisation(world.society_b)])
    await make_notice(world.association, "给各学会的通知", to=[ALL_SOCIETIES])  # units, not members
    await make_notice(world.association, "草稿", to=[to_members_of(world.society_a)], publish=False)
    withdrawn = await make_notice(world.association, "撤回", to=[to_members_of(world.society_a)])
    await workflow.withdraw(withdrawn, world.staff, "发错了")
    async with as_english_user("member_a") as c:
        assert await attention(c) == []


async def test_it_leaves_out_notices_i_wrote(world: World, as_english_user: Any) -> None:
    notice = await make_notice(
        world.society_a, "学会通知", to=[to_members_of(world.society_a)], author=world.secretary_a
    )
    async with as_english_user("sec_a") as c:
        mine = await attention(c)
    async with as_english_user("member_a") as c:
        theirs = await attention(c)
    assert mine == []
    assert [title for _, title, _ in theirs] == ["学会通知"]
    assert theirs[0][0] == f"/notices/{notice.id}"


async def test_reminded_notices_come_first_and_say_who_reminded(
    world: World, settings: Settings, as_english_user: Any
) -> None:
    older = await make_notice(world.association, "较早的通知", to=[ALL_SOCIETIES])
    await make_notice(world.association, "较新的通知", to=[ALL_SOCIETIES])
    await remind(older, world, world.secretary_a)
    today = timezone.now().astimezone(settings.zone).date()
    async with as_english_user("sec_a") as c:
        items = await attention(c)
    assert [title for _, title, _ in items] == ["较早的通知", "较新的通知"]
    assert items[0][2] == f"reminded by 省科协工作人员 on {today.isoformat()}"
    assert items[1][2] == "unread notice"


async def test_the_last_reminder_counts_and_each_notice_shows_once(
    world: World, as_english_user: Any
) -> None:
    first = await make_notice(world.association, "第一份", to=[ALL_SOCIETIES])
    second = await make_notice(world.association, "第二份", to=[ALL_SOCIETIES])
    await remind(first, world, world.secretary_a, hours_ago=3)
    await remind(second, world, world.secretary_a, hours_ago=2)
    await remind(first, world, world.secretary_a)
    async with as_english_user("sec_a") as c:
        items = await attention(c)
    assert [title for _, title, _ in items] == ["第一份", "第二份"]


async def test_a_read_notice_is_not_asked_for_even_if_reminded(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    await remind(notice, world, world.secretary_a)
    await audience.mark_read(notice, world.secretary_a)
    async with as_english_user("sec_a") as c:
        assert await attention(c) == []


async def test_it_shows_five_and_counts_the_rest(world: World, as_english_user: Any) -> None:
    notices = [
        await make_notice(world.association, f"通知{n:02}", to=[ALL_SOCIETIES]) for n in range(8)
    ]
    await remind(notices[0], world, world.secretary_a)
    async with as_english_user("sec_a") as c:
        items = await attention(c)
    assert len(items) == 6
    assert [title for _, title, _ in items[:5]] == [
        "通知00",
        "通知07",
        "通知06",
        "通知05",
        "通知04",
    ]
    assert items[5][:2] == ("/notices", "and 3 more unread notices")


async def test_more_reminded_notices_than_fit(world: World, as_english_user: Any) -> None:
    notices = [
        await make_notice(world.association, f"通知{n:02}", to=[ALL_SOCIETIES]) for n in range(7)
    ]
    for hours, notice in enumerate(notices):
        await remind(notice, world, world.secretary_a, hours_ago=hours + 1)
    await make_notice(world.association, "未提醒", to=[ALL_SOCIETIES])
    async with as_english_user("sec_a") as c:
        items = await attention(c)
    assert [title for _, title, _ in items[:5]] == [f"通知{n:02}" for n in range(5)]
    assert items[5][1] == "and 3 more unread notices"


async def test_pinned_notices_come_before_newer_ones(world: World, as_english_user: Any) -> None:
    await make_notice(world.association, "置顶", to=[ALL_SOCIETIES], pinned=True)
    await make_notice(world.association, "最新", to=[ALL_SOCIETIES])
    async with as_english_user("sec_a") as c:
        items = await attention(c)
    assert [title for _, title, _ in items] == ["置顶", "最新"]


async def test_it_asks_at_most_three_queries(
    app: Any, world: World, as_english_user: Any, queries: list[str]
) -> None:
    for n in range(12):
        notice = await make_notice(world.association, f"通知{n}", to=[ALL_SOCIETIES])
        if n % 3 == 0:
            await remind(notice, world, world.secretary_a)
    async with as_english_user("sec_a") as c:
        app.state.attention_providers = []
        queries.clear()
        await c.get("/")
        without = len(queries)
        app.state.attention_providers = [notice_attention]  # the notices' part alone
        queries.clear()
        items = await attention(c)
    assert len(items) == 6
    assert len(queries) - without == 3
