"""The notice list: what each person sees, in which order, found how, at what cost.

Personas: member_a is a member of society A (reads notices to "all members of A");
sec_a acts for A; sec_b acts for society B; outsider holds no role anywhere.
"""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest
from tortoise import timezone

from intranet.models import Organisation
from intranet.notices import workflow
from intranet.notices.models import (
    AudienceScope,
    Notice,
    NoticeAudience,
    NoticeCategory,
    NoticeState,
)
from tests.conftest import World
from tests.helpers import soup
from tests.notice_helpers import (
    ALL_SOCIETIES,
    make_notice,
    to_category,
    to_members_of,
    to_organisation,
)

DUTY_BODY = "各学会：\n\n请建立网上值班制度，做好专家储备工作。"


def listed_titles(response: httpx.Response) -> list[str]:
    links = soup(response).select("table.notice-table tbody tr td.notice-row-title a")
    return [link.get_text(strip=True) for link in links]


def unread_titles(response: httpx.Response) -> set[str]:
    rows = soup(response).select("table.notice-table tbody tr.unread")
    return {row.select_one("td.notice-row-title a").get_text(strip=True) for row in rows}


async def many_notices(issuer: Organisation, readers: Organisation, count: int) -> None:
    """`count` published notices of `issuer` to all members of `readers`, made in bulk."""
    start = timezone.now() - datetime.timedelta(days=count)
    await Notice.bulk_create(
        [
            Notice(
                issuer=issuer,
                title=f"第{number}号通知",
                search_text=f"第{number}号通知",
                state=NoticeState.PUBLISHED,
                published_at=start + datetime.timedelta(days=number),
                issued_on=(start + datetime.timedelta(days=number)).date(),
                year=2020,
            )
            for number in range(count)
        ]
    )
    ids = await Notice.filter(issuer=issuer).values_list("id", flat=True)
    await NoticeAudience.bulk_create(
        [
            NoticeAudience(notice_id=notice_id, organisation=readers, scope=AudienceScope.EVERYONE)
            for notice_id in ids
        ]
    )


# -- what is listed, in which order ---------------------------------------------------


async def test_it_lists_pinned_notices_first_then_the_newest(
    world: World, as_english_user: Any
) -> None:
    to_members = [to_members_of(world.society_a)]
    oldest = await make_notice(world.association, "最早的通知", to=to_members)
    pinned = await make_notice(world.association, "置顶的通知", to=to_members, pinned=True)
    newest = await make_notice(world.association, "最新的通知", to=to_members)
    # Made last but published earlier than `oldest`: publication time decides, not the id.
    backdated = await make_notice(world.association, "补发的通知", to=to_members)
    backdated.published_at = oldest.published_at - datetime.timedelta(days=1)  # type: ignore[operator]
    await backdated.save()
    async with as_english_user("member_a") as c:
        response = await c.get("/notices")
    assert response.status_code == 200
    assert listed_titles(response) == [pinned.title, newest.title, oldest.title, backdated.title]
    pinned_row = soup(response).select_one("table.notice-table tbody tr")
    assert "pinned" in pinned_row["class"]
    assert pinned_row.select_one(".notice-pinned").get_text(strip=True) == "Pinned"


async def test_each_row_shows_number_issuer_category_and_date(
    world: World, as_english_user: Any
) -> None:
    await make_notice(
        world.association,
        to=[to_members_of(world.society_a)],
        number="辽科协发〔2020〕3号",
        issued_on=datetime.date(2020, 2, 3),
        category=NoticeCategory.ANNOUNCEMENT,
    )
    async with as_english_user("member_a") as c:
        response = await c.get("/notices")
    row = soup(response).select_one("table.notice-table tbody tr")
    assert row.select_one(".notice-row-number").get_text(strip=True) == "辽科协发〔2020〕3号"
    assert row.select_one(".notice-row-issuer").get_text(strip=True) == "省科协"
    assert row.select_one(".notice-row-category").get_text(strip=True) == "Announcement"
    assert row.select_one(".notice-row-date time")["datetime"] == "2020-02-03"


async def test_only_notices_the_person_may_read_are_listed(world: World, as_user: Any) -> None:
    await make_notice(world.association, "致计算机学会会员", to=[to_members_of(world.society_a)])
    await make_notice(world.association, "致各学会秘书处", to=[ALL_SOCIETIES])
    await make_notice(world.association, "致医学会", to=[to_organisation(world.society_b)])
    await make_notice(world.association, "医药卫生类学会通知", to=[to_category(world.medicine)])
    await make_notice(
        world.association, "未发布的草稿", to=[to_members_of(world.society_a)], publish=False
    )
    withdrawn = await make_notice(
        world.association, "已撤回的通知", to=[to_members_of(world.society_a)]
    )
    await workflow.withdraw(withdrawn, world.staff, "发错了")
    await make_notice(world.society_b, "医学会公开通知", is_public=True)
    await make_notice(world.society_b, "医学会内部草稿", publish=False)

    expected = {
        "member_a": {"致计算机学会会员", "医学会公开通知"},
        "sec_a": {"致计算机学会会员", "致各学会秘书处", "医学会公开通知"},
        "sec_b": {"致各学会秘书处", "致医学会", "医药卫生类学会通知", "医学会公开通知"},
        "outsider": {"医学会公开通知"},
    }
    for username, titles in expected.items():
        async with as_user(username) as c:
            response = await c.get("/notices")
        assert set(listed_titles(response)) == titles, username


async def test_an_issuer_lists_its_own_published_notices(world: World, as_user: Any) -> None:
    await make_notice(world.society_a, "计算机学会发给分会", to=[to_organisation(world.branch_a)])
    async with as_user("sec_a") as c:
        response = await c.get("/notices")
    assert listed_titles(response) == ["计算机学会发给分会"]


async def test_a_visitor_is_asked_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/notices")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# -- read and unread --------------------------------------------------------------------


async def test_the_unread_mark_goes_once_the_notice_is_opened(
    world: World, as_english_user: Any
) -> None:
    first = await make_notice(world.association, "第一份通知", to=[to_members_of(world.society_a)])
    await make_notice(world.association, "第二份通知", to=[to_members_of(world.society_a)])
    async with as_english_user("member_a") as c:
        before = await c.get("/notices")
        await c.get(f"/notices/{first.id}")
        after = await c.get("/notices")
    assert unread_titles(before) == {"第一份通知", "第二份通知"}
    unread_row = soup(before).select_one("tr.unread")
    assert unread_row.select_one(".notice-unread").get_text(strip=True) == "Unread"
    assert unread_titles(after) == {"第二份通知"}
    # Another person's reading changes nothing for this one.
    async with as_english_user("sec_a") as c:
        response = await c.get("/notices")
    assert unread_titles(response) == {"第一份通知", "第二份通知"}


# -- pages ------------------------------------------------------------------------------


async def test_it_shows_fifty_notices_a_page(world: World, as_english_user: Any) -> None:
    await many_notices(world.association, world.society_a, 51)
    async with as_english_user("member_a") as c:
        first = await c.get("/notices")
        second = await c.get("/notices?page=2")
        beyond = await c.get("/notices?page=3")
    assert len(listed_titles(first)) == 50
    assert listed_titles(first)[0] == "第50号通知"
    assert listed_titles(second) == ["第0号通知"]
    assert "Page 1 of 2" in soup(first).select_one("nav.pager").get_text(" ", strip=True)
    assert soup(first).select_one("nav.pager a[rel=next]")["href"].endswith("page=2")
    assert soup(second).select_one("nav.pager a[rel=prev]") is not None
    assert "51 notices" in first.text
    assert listed_titles(beyond) == []
    assert soup(beyond).select_one(".notice-empty a") is not None


async def test_it_says_so_when_there_is_nothing(world: World, as_english_user: Any) -> None:
    async with as_english_user("member_a") as c:
        nothing = await c.get("/notices")
        no_match = await c.get("/notices?q=nothing-like-this")
    assert soup(nothing).select_one(".notice-empty").get_text(strip=True) == (
        "There are no notices for you yet."
    )
    assert "No notice matches" in soup(no_match).select_one(".notice-empty").get_text()


# -- filters and search -----------------------------------------------------------------


@pytest.fixture
async def filtered_world(world: World) -> World:
    to_members = [to_members_of(world.society_a)]
    await make_notice(
        world.association,
        "关于开展网上值班工作的通知",
        to=to_members,
        number="辽科协发〔2020〕3号",
        body=DUTY_BODY,
    )
    await make_notice(
        world.society_a,
        "计算机学会年会新闻",
        to=to_members,
        body="年会在沈阳召开。",
        issued_on=datetime.date(2021, 5, 6),
        category=NoticeCategory.NEWS,
    )
    await make_notice(
        world.association,
        "关于征集优秀案例的通知",
        to=to_members,
        body="请各单位推荐案例。",
        issued_on=datetime.date(2021, 3, 1),
    )
    return world


DUTY = "关于开展网上值班工作的通知"
NEWS = "计算机学会年会新闻"
CASES = "关于征集优秀案例的通知"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"issuer": "association"}, {DUTY, CASES}),
        ({"issuer": "society_a"}, {NEWS}),
        ({"category": "news"}, {NEWS}),
        ({"category": "notice"}, {DUTY, CASES}),
        ({"year": "2020"}, {DUTY}),
        ({"year": "2021"}, {NEWS, CASES}),
        ({"year": "2021", "category": "notice"}, {CASES}),
        ({"category": "nonsense"}, {DUTY, NEWS, CASES}),  # an unknown value filters nothing
    ],
)
async def test_it_filters_by_issuer_category_and_year(
    filtered_world: World, as_user: Any, query: dict[str, str], expected: set[str]
) -> None:
    if "issuer" in query:
        query = {**query, "issuer": str(getattr(filtered_world, query["issuer"]).id)}
    async with as_user("member_a") as c:
        response = await c.get("/notices", params=query)
    assert set(listed_titles(response)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("值班", {DUTY}),  # a word of a title
        ("学会", {DUTY, NEWS}),  # two characters, in a title or a body
        ("专家储备", {DUTY}),  # a word of the body only
        ("沈阳", {NEWS}),
        ("辽科协发〔2020〕3号", {DUTY}),  # the number as printed
        ("辽科协发 〔2020〕 3号", {DUTY}),  # with stray spaces
        ("辽科协发[2020]3号", {DUTY}),  # with ASCII brackets
        ("辽科协发〔2020〕4号", set()),
        ("案例 通知", {CASES}),  # each word, wherever it is
        ("辽科协发【2020】3号", {DUTY}),
        ("年会 值班", set()),
        ("%", set()),  # LIKE wildcards are looked for, not obeyed
    ],
)
async def test_it_finds_chinese_text_anywhere_in_number_title_and_body(
    filtered_world: World, as_user: Any, q: str, expected: set[str]
) -> None:
    async with as_user("member_a") as c:
        response = await c.get("/notices", params={"q": q})
    assert set(listed_titles(response)) == expected


async def test_search_looks_at_the_first_fifty_characters(
    filtered_world: World, as_user: Any
) -> None:
    async with as_user("member_a") as c:
        response = await c.get("/notices", params={"q": "值班" + "x" * 200})
    assert response.status_code == 200
    search = soup(response).select_one("#field-q")
    assert len(search["value"]) == 50


async def test_the_filters_offer_only_issuers_and_years_the_person_can_read(
    filtered_world: World, as_user: Any
) -> None:
    await make_notice(
        filtered_world.society_b,
        "医学会内部通知",
        to=[to_members_of(filtered_world.society_b)],
        issued_on=datetime.date(2019, 1, 1),
    )
    async with as_user("member_a") as c:
        response = await c.get("/notices", params={"year": "2021"})
    page = soup(response)
    issuers = [o.get_text(strip=True) for o in page.select("#field-issuer option[value!='']")]
    years = [o["value"] for o in page.select("#field-year option[value!='']")]
    assert issuers == ["辽宁省科学技术协会", "辽宁省计算机学会"]
    assert years == ["2021", "2020"]
    assert page.select_one("#field-year option[selected]")["value"] == "2021"


async def test_htmx_gets_only_the_rows(filtered_world: World, as_user: Any) -> None:
    async with as_user("member_a") as c:
        response = await c.get("/notices?q=值班", headers={"HX-Request": "true"})
        restore = await c.get(
            "/notices?q=值班",
            headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
        )
    assert "<html" not in response.text
    assert listed_titles(response) == [DUTY]
    assert "HX-Request" in response.headers["vary"]
    assert "<html" in restore.text


@pytest.mark.parametrize(
    ("query", "total", "pages"),
    [
        ({}, 61, 2),
        ({"q": "号通知"}, 60, 2),
        ({"q": "1号"}, 6, 1),  # 第1号, 第11号 … 第51号
        ({"q": "号通知", "year": "2020"}, 60, 2),
        ({"year": "2020", "category": "news"}, 0, 1),
        ({"issuer_of": "society_b"}, 1, 1),
    ],
)
async def test_it_counts_every_match_not_only_the_page(
    world: World, as_english_user: Any, query: dict[str, str], total: int, pages: int
) -> None:
    await many_notices(world.association, world.society_a, 60)
    await make_notice(world.society_b, "医学会公开通知", is_public=True)
    if "issuer_of" in query:
        query = {"issuer": str(getattr(world, query.pop("issuer_of")).id)}
    async with as_english_user("member_a") as c:
        response = await c.get("/notices", params=query)
    page = soup(response)
    if total:
        counted = page.select_one("#notice-rows > p.muted").get_text(strip=True)
        assert counted == (f"{total} notices" if total > 1 else "1 notice")
    else:
        assert page.select_one(".notice-empty") is not None
    pager = page.select_one("nav.pager")
    assert (pager.get_text(" ", strip=True) if pager else "") == (
        f"Page 1 of {pages} Next" if pages > 1 else ""
    )


async def test_the_pager_keeps_the_filters(world: World, as_user: Any) -> None:
    await many_notices(world.association, world.society_a, 60)
    async with as_user("member_a") as c:
        response = await c.get("/notices", params={"q": "号通知", "year": "2020"})
    link = soup(response).select_one("nav.pager a[rel=next]")["href"]
    assert "year=2020" in link and "page=2" in link and "q=" in link


# -- the page around the list -----------------------------------------------------------


async def test_people_who_issue_notices_get_links_to_write_one(
    world: World, as_english_user: Any
) -> None:
    async with as_english_user("sec_a") as c:
        issuer = soup(await c.get("/notices"))
    async with as_english_user("member_a") as c:
        member = soup(await c.get("/notices"))
    assert issuer.select_one("a[href='/notices/new']").get_text(strip=True) == "New notice"
    assert issuer.select_one("a[href='/notices/paste']") is not None
    assert issuer.select_one("nav.menu a[href='/notices/issued']") is not None
    assert member.select_one("a[href='/notices/new']") is None
    assert member.select_one("nav.menu a[href='/notices/issued']") is None
    assert member.select_one("nav.menu a[href='/notices']") is not None


async def test_the_page_points_feed_readers_at_the_public_feed(world: World, as_user: Any) -> None:
    async with as_user("member_a") as c:
        page = soup(await c.get("/notices"))
    feed = page.select_one("head link[rel=alternate][type='application/atom+xml']")
    assert feed["href"] == "/notices/feed.atom"


async def test_a_notice_published_since_the_last_visit_is_listed_and_counted(
    world: World, as_english_user: Any
) -> None:
    """The total and filter options are kept a few seconds, but publishing forgets them."""
    await make_notice(world.association, "第一份通知", to=[to_members_of(world.society_a)])
    async with as_english_user("member_a") as c:
        before = soup(await c.get("/notices"))
        await make_notice(world.society_b, "医学会公开通知", is_public=True)
        after = await c.get("/notices")
    assert before.select_one("#notice-rows > p.muted").get_text(strip=True) == "1 notice"
    assert soup(after).select_one("#notice-rows > p.muted").get_text(strip=True) == ("2 notices")
    assert "医学会公开通知" in listed_titles(after)
    issuers = soup(after).select("#field-issuer option")
    assert world.society_b.name in [option.get_text(strip=True) for option in issuers]


async def test_the_english_page_is_in_english(world: World, as_english_user: Any) -> None:
    await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_english_user("member_a") as c:
        response = await c.get("/notices")
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Notices"
    assert page.select_one("label[for=field-q]").get_text(strip=True) == (
        "Search number, title and text"
    )
    assert page.select_one(".notice-unread").get_text(strip=True) == "Unread"


# -- what it costs ----------------------------------------------------------------------


async def queries_for(client: httpx.AsyncClient, queries: list[str], path: str) -> int:
    """The statements a page sends beyond those of the session: a page that sends none
    of its own (one that does not exist) gives the session's share."""
    queries.clear()
    assert (await client.get("/no-such-page")).status_code == 404
    session_share = len(queries)
    queries.clear()
    response = await client.get(path)
    assert response.status_code == 200
    return len(queries) - session_share


@pytest.mark.parametrize("count", [3, 60])
async def test_the_list_makes_at_most_three_queries(
    world: World, as_user: Any, queries: list[str], count: int
) -> None:
    await many_notices(world.association, world.society_a, count)
    await make_notice(world.society_b, "医学会公开通知", is_public=True)
    async with as_user("member_a") as c:
        await c.get(f"/notices/{(await Notice.first()).id}")  # one read, one unread
        for path in ("/notices", "/notices?page=2", "/notices?q=通知&year=2020&category=notice"):
            assert await queries_for(c, queries, path) <= 3, path
