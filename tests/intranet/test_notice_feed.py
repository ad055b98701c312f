"""The Atom feed of public notices: for anyone, valid XML, nothing that is not public."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import httpx

from intranet.notices import workflow
from intranet.notices.models import BodyFormat, Notice
from tests.conftest import World
from tests.notice_helpers import make_notice, to_members_of

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root


def entry_titles(feed: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title", "") for entry in feed.iter(f"{ATOM}entry")]


def is_rfc3339(value: str) -> bool:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


async def test_it_lists_public_published_notices_for_anyone(
    world: World, client: httpx.AsyncClient
) -> None:
    await make_notice(world.association, "公开通知", is_public=True, number="辽科协发〔2020〕3号")
    await make_notice(world.association, "内部通知", to=[to_members_of(world.society_a)])
    await make_notice(world.association, "公开草稿", is_public=True, publish=False)
    withdrawn = await make_notice(world.association, "撤回的公开通知", is_public=True)
    await workflow.withdraw(withdrawn, world.staff, "作废")
    feed = parse(await client.get("/notices/feed.atom"))
    assert entry_titles(feed) == ["辽科协发〔2020〕3号 公开通知"]


async def test_each_entry_links_to_the_notice_and_says_who_issued_it(
    world: World, client: httpx.AsyncClient
) -> None:
    notice = await make_notice(
        world.society_b,
        "医学会公开通知",
        is_public=True,
        body="各会员：\n\n" + "请积极参加学术年会。" * 40,
    )
    feed = parse(await client.get("/notices/feed.atom"))
    assert feed.findtext(f"{ATOM}id")
    assert is_rfc3339(feed.findtext(f"{ATOM}updated", ""))
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == "http://testserver/notices/feed.atom"
    entry = feed.find(f"{ATOM}entry")
    assert entry is not None
    url = f"http://testserver/notices/{notice.id}"
    assert entry.findtext(f"{ATOM}id") == url
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href") == url
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "辽宁省医学会"
    assert is_rfc3339(entry.findtext(f"{ATOM}updated", ""))
    summary = entry.findtext(f"{ATOM}summary", "")
    assert summary.startswith("各会员： 请积极参加学术年会。")
    assert len(summary) <= 201 and summary.endswith("…")
    # The link works for a visitor: the notice is public.
    assert (await client.get(f"/notices/{notice.id}")).status_code == 200


async def test_markup_in_a_title_is_text_in_the_feed(
    world: World, client: httpx.AsyncClient
) -> None:
    title = '<script>alert("x")</script> & 通知'
    # A control character XML cannot carry is left out rather than breaking the feed.
    notice = await make_notice(world.association, title + "\x01", is_public=True)
    workflow.set_body(notice, "<p><b>粗体</b> &amp; 更多\x0c</p>", BodyFormat.HTML)
    await notice.save()
    response = await client.get("/notices/feed.atom")
    feed = parse(response)
    assert entry_titles(feed) == [title]
    assert b"<script>" not in response.content
    assert feed.findtext(f"{ATOM}entry/{ATOM}summary") == "粗体 & 更多"


async def test_it_holds_the_newest_twenty(world: World, client: httpx.AsyncClient) -> None:
    for number in range(22):
        await make_notice(world.association, f"公开通知{number}", is_public=True)
    feed = parse(await client.get("/notices/feed.atom"))
    titles = entry_titles(feed)
    assert len(titles) == 20
    assert titles[0] == "公开通知21" and titles[-1] == "公开通知2"


async def test_an_empty_feed_is_still_a_feed(world: World, client: httpx.AsyncClient) -> None:
    await make_notice(world.association, to=[to_members_of(world.society_a)])
    feed = parse(await client.get("/notices/feed.atom"))
    assert entry_titles(feed) == []
    assert await Notice.filter(is_public=True).count() == 0
