"""One notice's page: laid out as on paper, read once per person, forwarded originals kept
as they were, earlier versions, and who sees which state.

Personas: staff and admin act for the association (the usual issuer here); member_a is
a member of society A, sec_a its secretary; sec_b is secretary of society B; outsider
holds no role anywhere.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from bs4 import BeautifulSoup
from starlette.applications import Starlette

from intranet.models import Organisation, User
from intranet.notices import workflow
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    BodyFormat,
    Notice,
    NoticeAddressee,
    NoticeRead,
)
from tests.conftest import World
from tests.helpers import soup
from tests.intranet.test_notice_download import PDF, attach
from tests.notice_helpers import (
    ALL_SOCIETIES,
    make_notice,
    to_category,
    to_members_of,
    to_organisation,
)

ZONE = ZoneInfo("Asia/Shanghai")
ORIGINAL_NUMBER = "辽科协发〔2020〕3号"
FORWARD_NUMBER = "辽计会字〔2020〕第001号"
ORIGINAL_TITLE = "关于开展网上值班工作的通知"
ORIGINAL_BODY = "各学会：\n\n请建立网上值班制度。"


def text_of(page: BeautifulSoup, selector: str) -> str:
    element = page.select_one(selector)
    assert element is not None, selector
    return element.get_text(" ", strip=True)


def top_document(page: BeautifulSoup) -> BeautifulSoup:
    """The notice itself, without the forwarded original inside it."""
    found = page.select_one("article.notice-paper > .notice-document")
    assert found is not None
    document = copy.copy(found)
    for original in document.select(".notice-original"):
        original.decompose()
    return document


# -- the page as printed ----------------------------------------------------------------


async def test_it_shows_the_parts_of_a_notice_in_order(
    app: Starlette, world: World, as_user: Any
) -> None:
    notice = await make_notice(
        world.association,
        ORIGINAL_TITLE,
        to=[to_members_of(world.society_a)],
        number=ORIGINAL_NUMBER,
        body=ORIGINAL_BODY,
        issued_on=datetime.date(2020, 2, 3),
        addressee_line="各省级学会：",
        cc_line="中国科协办公厅",
        pinned=True,
    )
    await attach(app, notice)
    async with as_user("member_a") as c:
        response = await c.get(f"/notices/{notice.id}")
    assert response.status_code == 200
    page = soup(response)
    parts = [
        element["class"][0]
        for element in page.select("article.notice-paper .notice-document > *, .notice-head > *")
    ]
    assert parts == [
        "notice-head",
        "notice-issuer",
        "notice-number",
        "notice-title",
        "notice-to",
        "notice-body",
        "notice-attachments",
        "notice-signature",
        "notice-cc",
    ]
    assert text_of(page, ".notice-issuer") == "辽宁省科学技术协会"
    assert text_of(page, ".notice-number") == ORIGINAL_NUMBER
    assert page.select_one("h1.notice-title").get_text(strip=True) == ORIGINAL_TITLE
    assert text_of(page, ".notice-to").endswith("各省级学会：")
    assert "请建立网上值班制度。" in text_of(page, ".notice-body")
    assert text_of(page, ".notice-signature") == "辽宁省科学技术协会 2020年2月3日"
    assert text_of(page, ".notice-cc").endswith("中国科协办公厅")
    assert page.select_one(".notice-facts .notice-pinned") is not None
    link = page.select_one(".notice-attachments a")
    assert link.get_text(strip=True) == "附件1：名单.pdf"
    assert "PDF" in text_of(page, ".notice-attachments li")
    async with as_user("member_a") as c:
        assert (await c.get(link["href"])).content == PDF


async def test_it_builds_the_addressee_lines_from_the_addressees_chosen(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(
        world.association,
        to=[
            to_organisation(world.society_b),
            to_category(world.medicine),
            ALL_SOCIETIES,
            to_members_of(world.society_a),
        ],
        cc=[to_organisation(world.branch_a)],
    )
    async with as_english_user("member_a") as c:
        page = soup(await c.get(f"/notices/{notice.id}"))
    assert text_of(page, ".notice-to") == (
        "To: 辽宁省医学会, Societies in 医药卫生类, All societies, All members of 辽宁省计算机学会"
    )
    assert text_of(page, ".notice-cc") == "Copy to: 辽宁省计算机学会人工智能专业委员会"


async def test_the_english_page_is_in_english(world: World, as_english_user: Any) -> None:
    notice = await make_notice(
        world.association, to=[to_members_of(world.society_a)], issued_on=datetime.date(2020, 2, 3)
    )
    async with as_english_user("member_a") as c:
        page = soup(await c.get(f"/notices/{notice.id}"))
    assert "February 3, 2020" in text_of(page, ".notice-signature")
    assert text_of(page, ".notice-facts").startswith("Category Notice")
    assert page.html["lang"] == "en"


@pytest.mark.parametrize(
    "body",
    [
        '<p>请阅</p><script>alert("x")</script>',
        '<p>请阅<img src="x" onerror="alert(1)"></p>',
        '<p><a href="javascript:alert(1)" onclick="alert(2)">请阅</a></p>',
        '<div hx-get="/logout" hx-trigger="load">请阅</div><svg onload="alert(1)"></svg>',
        '<iframe src="https://example.org"></iframe><p style="x" onmouseover="alert(1)">请阅</p>',
    ],
)
async def test_a_hostile_body_renders_harmless(world: World, as_user: Any, body: str) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    workflow.set_body(notice, body, BodyFormat.HTML)
    await notice.save()
    async with as_user("member_a") as c:
        page = soup(await c.get(f"/notices/{notice.id}"))
    body_element = page.select_one(".notice-body")
    assert "请阅" in body_element.get_text()
    assert body_element.select("script, iframe, svg") == []
    assert all(script.get("src", "").startswith("/static/") for script in page.select("script"))
    for element in body_element.find_all(True):
        assert not [name for name in element.attrs if name.startswith(("on", "hx-"))], element
    for element in page.find_all(True):
        assert not [name for name in element.attrs if name.startswith("on")], element
        assert not str(element.get("href", "")).startswith("javascript:")
    # The only request the page makes by itself is the notification bell's.
    assert [e["hx-get"] for e in page.select("[hx-get]")] == ["/notifications/bell"]


async def test_only_the_body_is_markup_everything_else_is_escaped(
    world: World, as_user: Any
) -> None:
    notice = await make_notice(
        world.association,
        '<b onmouseover="x">标题</b>',
        to=[to_members_of(world.society_a)],
        addressee_line="<i>各学会</i>",
    )
    notice.signature = "<script>落款</script>"
    await notice.save()
    async with as_user("member_a") as c:
        response = await c.get(f"/notices/{notice.id}")
    page = soup(response)
    assert text_of(page, "h1.notice-title") == '<b onmouseover="x">标题</b>'
    assert page.select_one(".notice-title b") is None
    assert page.select_one(".notice-to i") is None
    assert "<script>落款</script>" not in response.text


# -- read receipts ----------------------------------------------------------------------


async def reads_of(notice: Notice, user: User) -> int:
    return await NoticeRead.filter(notice=notice, user=user).count()


async def test_the_first_view_is_recorded_once_per_person(world: World, as_user: Any) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_user("member_a") as c:
        for _ in range(3):
            assert (await c.get(f"/notices/{notice.id}")).status_code == 200
    async with as_user("member_a") as c:  # another device
        await c.get(f"/notices/{notice.id}")
    async with as_user("sec_a") as c:
        await c.get(f"/notices/{notice.id}")
    assert await reads_of(notice, world.member_a) == 1
    assert await reads_of(notice, world.secretary_a) == 1
    assert await NoticeRead.filter(notice=notice).count() == 2


async def test_a_draft_or_a_visitor_s_view_is_not_a_read(
    world: World, as_user: Any, client: httpx.AsyncClient
) -> None:
    draft = await make_notice(world.association, to=[to_members_of(world.society_a)], publish=False)
    public = await make_notice(world.association, is_public=True)
    async with as_user("staff") as c:
        assert (await c.get(f"/notices/{draft.id}")).status_code == 200
    assert (await client.get(f"/notices/{public.id}")).status_code == 200
    assert await NoticeRead.all().count() == 0


# -- who sees which state ---------------------------------------------------------------


async def test_a_draft_is_seen_only_by_its_issuer_s_people(
    world: World, as_english_user: Any
) -> None:
    draft = await make_notice(world.association, to=[to_members_of(world.society_a)], publish=False)
    for username, status in [
        ("staff", 200),
        ("admin", 200),
        ("sec_a", 404),
        ("member_a", 404),
        ("sec_b", 404),
        ("outsider", 404),
    ]:
        async with as_english_user(username) as c:
            response = await c.get(f"/notices/{draft.id}")
        assert response.status_code == status, username
    async with as_english_user("staff") as c:
        page = soup(await c.get(f"/notices/{draft.id}"))
    assert "Draft: not published yet" in text_of(page, ".notice-draft")
    actions = page.select_one(".notice-actions")
    assert actions.select_one(f"form[action='/notices/{draft.id}/publish'] button") is not None
    assert actions.select_one(f"form[action='/notices/{draft.id}/delete'] button") is not None
    assert actions.select_one(f"a[href='/notices/{draft.id}/edit']") is not None
    assert actions.select_one(f"form[action='/notices/{draft.id}/withdraw']") is None
    for form in actions.select("form"):
        assert form.select_one("input[name=csrf_token]")["value"]


async def test_a_withdrawn_notice_tells_its_addressees_when_by_whom_and_why(
    app: Starlette, world: World, as_english_user: Any
) -> None:
    notice = await make_notice(
        world.association,
        ORIGINAL_TITLE,
        body=ORIGINAL_BODY,
        number=ORIGINAL_NUMBER,
        to=[to_members_of(world.society_a)],
    )
    attachment = await attach(app, notice, "会议议程.pdf", PDF)
    await workflow.withdraw(notice, world.staff, "会议改期")
    withdrawn = await Notice.get(id=notice.id)
    async with as_english_user("member_a") as c:
        answer = await c.get(f"/notices/{notice.id}")
        download = await c.get(f"/notices/{notice.id}/attachments/{attachment.id}")
    assert answer.status_code == 200
    page = soup(answer)
    assert text_of(page, "h1") == "This notice has been withdrawn"
    assert ORIGINAL_NUMBER in text_of(page, ".notice-withdrawn-title")
    assert ORIGINAL_TITLE in text_of(page, ".notice-withdrawn-title")
    shown_at = withdrawn.withdrawn_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    assert text_of(page, ".notice-withdrawn-at") == shown_at
    assert (
        text_of(page, ".notice-withdrawn-by") == f"{world.staff.display_name} (辽宁省科学技术协会)"
    )
    assert text_of(page, ".notice-withdrawn-reason") == "会议改期"
    # Nothing of the notice itself: no body, no attachments, and they no longer download.
    assert "请建立" not in answer.text and "会议议程" not in answer.text
    assert page.select_one(".notice-paper") is None
    assert download.status_code == 404
    # Someone it was never addressed to learns nothing, not even that it existed.
    async with as_english_user("sec_b") as c:
        assert (await c.get(f"/notices/{notice.id}")).status_code == 404


async def test_a_withdrawn_notice_is_hidden_from_its_addressees(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    await workflow.withdraw(notice, world.staff, "<em>Sent by mistake</em>")
    async with as_english_user("member_a") as c:
        told = soup(await c.get(f"/notices/{notice.id}"))
    assert told.select_one(".notice-paper") is None
    assert text_of(told, ".notice-withdrawn-reason") == "<em>Sent by mistake</em>"
    assert told.select_one(".notice-withdrawn-reason em") is None
    async with as_english_user("staff") as c:
        page = soup(await c.get(f"/notices/{notice.id}"))
    banner = text_of(page, ".notice-withdrawn")
    assert "Withdrawn on" in banner
    assert "Reason: <em>Sent by mistake</em>" in banner
    assert page.select_one(".notice-withdrawn em") is None
    assert page.select_one(".notice-actions") is None  # nothing more to do with it


async def test_a_published_notice_offers_its_issuer_every_action(
    world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_english_user("staff") as c:
        page = soup(await c.get(f"/notices/{notice.id}"))
    actions = page.select_one(".notice-actions")
    hrefs = {a["href"] for a in actions.select("a")}
    assert hrefs == {
        f"/notices/{notice.id}/edit",
        f"/notices/{notice.id}/forward",
        f"/notices/{notice.id}/receipts",
    }
    withdraw = actions.select_one(f"form[action='/notices/{notice.id}/withdraw']")
    assert withdraw["method"] == "post"
    assert withdraw.select_one("input[name=reason]").has_attr("required")
    assert actions.select_one(f"form[action='/notices/{notice.id}/publish']") is None


async def test_readers_get_only_a_forward_link_if_they_act_for_an_organisation(
    world: World, as_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_user("sec_a") as c:
        secretary = soup(await c.get(f"/notices/{notice.id}"))
    async with as_user("member_a") as c:
        member = soup(await c.get(f"/notices/{notice.id}"))
    assert [a["href"] for a in secretary.select(".notice-actions a")] == [
        f"/notices/{notice.id}/forward"
    ]
    assert secretary.select(".notice-actions form") == []
    assert member.select_one(".notice-actions") is None


async def test_a_visitor_reads_a_public_notice_but_must_log_in_for_others(
    world: World, client: httpx.AsyncClient
) -> None:
    public = await make_notice(world.association, "公开通知", is_public=True)
    private = await make_notice(world.association, to=[to_members_of(world.society_a)])
    draft = await make_notice(world.association, "公开草稿", is_public=True, publish=False)
    response = await client.get(f"/notices/{public.id}")
    assert response.status_code == 200
    page = soup(response)
    assert text_of(page, "h1.notice-title") == "公开通知"
    assert page.select_one(".notice-actions") is None
    for hidden in (private, draft):
        response = await client.get(f"/notices/{hidden.id}")
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next=/notices/{hidden.id}"


async def test_an_unknown_notice_is_not_found(world: World, as_user: Any) -> None:
    async with as_user("member_a") as c:
        assert (await c.get("/notices/999999")).status_code == 404
        assert (await c.get("/notices/99999999999")).status_code == 404


@pytest.mark.parametrize(
    ("done", "message"),
    [
        ("published", "The notice has been published."),
        ("withdrawn", "The notice has been withdrawn."),
        ("nonsense", None),
    ],
)
async def test_it_confirms_what_was_just_done(
    world: World, as_english_user: Any, done: str, message: str | None
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    async with as_english_user("staff") as c:
        page = soup(await c.get(f"/notices/{notice.id}?done={done}"))
    shown = page.select_one(".alert.success")
    assert (shown.get_text(strip=True) if shown else None) == message


# -- forwarding -------------------------------------------------------------------------


async def forward(
    app: Starlette, original: Notice, organisation: Organisation, actor: User, number: str
) -> Notice:
    """`organisation` forwards `original` to all its members, under a typed number."""
    draft = await workflow.forward(original, organisation, actor, app.state.storage)
    await workflow.set_typed_number(draft, number)
    await draft.save()
    await NoticeAddressee.create(
        notice=draft,
        role=AddresseeRole.TO,
        target=AddresseeTarget.MEMBERS_OF,
        organisation=organisation,
    )
    return await workflow.publish(draft, actor)


@pytest.fixture
async def original(app: Starlette, world: World) -> Notice:
    notice = await make_notice(
        world.association,
        ORIGINAL_TITLE,
        to=[ALL_SOCIETIES],
        number=ORIGINAL_NUMBER,
        body=ORIGINAL_BODY,
        issued_on=datetime.date(2020, 2, 3),
    )
    await attach(app, notice, "附件1：专家名单.pdf")
    return notice


async def test_a_forwarded_notice_shows_the_chain_and_the_original(
    app: Starlette, world: World, original: Notice, as_user: Any
) -> None:
    forwarded = await forward(app, original, world.society_a, world.secretary_a, FORWARD_NUMBER)
    async with as_user("member_a") as c:
        response = await c.get(f"/notices/{forwarded.id}")
        page = soup(response)
        inner = page.select_one(".notice-original .notice-document")
        download = await c.get(inner.select_one(".notice-attachments a")["href"])
    assert response.status_code == 200
    assert [e.get_text(strip=True) for e in page.select(".notice-chain-link")] == [
        FORWARD_NUMBER,
        ORIGINAL_NUMBER,
    ]
    assert "→" in text_of(page, ".notice-chain")
    top = top_document(page)
    assert text_of(top, ".notice-issuer") == "辽宁省计算机学会"
    assert text_of(top, ".notice-number") == FORWARD_NUMBER
    assert top.select(".notice-attachments") == []  # the original's files are with it
    assert text_of(inner, ".notice-issuer") == "辽宁省科学技术协会"
    assert text_of(inner, ".notice-number") == ORIGINAL_NUMBER
    assert text_of(inner, ".notice-title") == ORIGINAL_TITLE
    assert "请建立网上值班制度。" in text_of(inner, ".notice-body")
    assert "2020年2月3日" in text_of(inner, ".notice-signature")
    assert text_of(inner, ".notice-attachments a") == "附件1：专家名单.pdf"
    assert download.content == PDF
    # A member cannot open the original (it went to the societies' secretariats) …
    assert page.select_one(".notice-original-link") is None
    # … its secretary can.
    async with as_user("sec_a") as c:
        page = soup(await c.get(f"/notices/{forwarded.id}"))
    assert page.select_one(".notice-original-link a")["href"] == f"/notices/{original.id}"


async def test_the_forwarded_original_stays_as_it_was_forwarded(
    app: Starlette, world: World, original: Notice, as_user: Any
) -> None:
    forwarded = await forward(app, original, world.society_a, world.secretary_a, FORWARD_NUMBER)
    await workflow.keep_version(original, world.staff)
    original.title = "关于调整网上值班安排的通知"
    workflow.set_body(original, "值班安排已调整。", BodyFormat.MARKDOWN)
    await original.save()
    async with as_user("sec_a") as c:
        edited = soup(await c.get(f"/notices/{forwarded.id}"))
    await workflow.withdraw(original, world.staff, "已调整")
    async with as_user("sec_a") as c:
        withdrawn = soup(await c.get(f"/notices/{forwarded.id}"))
    for page in (edited, withdrawn):
        inner = page.select_one(".notice-original .notice-document")
        assert text_of(inner, ".notice-title") == ORIGINAL_TITLE
        assert "请建立网上值班制度。" in text_of(inner, ".notice-body")
        assert "值班安排已调整" not in page.get_text()
    assert edited.select_one(".notice-original-link") is not None
    assert withdrawn.select_one(".notice-original-link") is None  # sec_a may no longer read it


async def test_a_chain_of_forwards_is_shown_level_by_level(
    app: Starlette, world: World, original: Notice, as_user: Any
) -> None:
    first = await forward(app, original, world.society_a, world.secretary_a, FORWARD_NUMBER)
    await attach(app, first, "计算机学会补充说明.pdf")
    second = await forward(app, first, world.branch_a, world.secretary_a, "人工智能专委〔2020〕1号")
    async with as_user("sec_a") as c:
        page = soup(await c.get(f"/notices/{second.id}"))
        levels = page.select(".notice-document")
        files = [
            [a.get_text(strip=True) for a in level.select(":scope > .notice-attachments a")]
            for level in levels
        ]
        downloads = [
            (await c.get(a["href"])).status_code for a in page.select(".notice-attachments a")
        ]
    assert [e.get_text(strip=True) for e in page.select(".notice-chain-link")] == [
        "人工智能专委〔2020〕1号",
        FORWARD_NUMBER,
        ORIGINAL_NUMBER,
    ]
    assert [text_of(level, ".notice-number") for level in levels] == [
        "人工智能专委〔2020〕1号",
        FORWARD_NUMBER,
        ORIGINAL_NUMBER,
    ]
    assert files == [[], ["计算机学会补充说明.pdf"], ["附件1：专家名单.pdf"]]
    assert downloads == [200, 200]


# -- earlier versions -------------------------------------------------------------------


async def test_earlier_versions_are_listed_and_shown(
    app: Starlette, world: World, as_english_user: Any
) -> None:
    notice = await make_notice(
        world.association,
        "第一版标题",
        to=[to_members_of(world.society_a)],
        body="第一版正文。",
        addressee_line="各学会：",
    )
    await attach(app, notice, "旧名单.pdf")
    await workflow.keep_version(notice, world.staff)
    notice.title = "第二版标题"
    workflow.set_body(notice, "第二版正文。", BodyFormat.MARKDOWN)
    await notice.save()
    async with as_english_user("member_a") as c:
        current = soup(await c.get(f"/notices/{notice.id}"))
        old = await c.get(f"/notices/{notice.id}/versions/1")
        unknown = await c.get(f"/notices/{notice.id}/versions/2")
        huge = await c.get(f"/notices/{notice.id}/versions/99999999999")
    link = current.select_one(".notice-versions a")
    assert link["href"] == f"/notices/{notice.id}/versions/1"
    assert link.get_text(strip=True) == "Version 1"
    assert "by 省科协工作人员" in text_of(current, ".notice-versions li")
    assert "This is version 2." in text_of(current, ".notice-versions")
    assert old.status_code == 200
    page = soup(old)
    assert "This is an earlier version (version 1)" in text_of(page, ".notice-old-version")
    assert page.select_one(".notice-old-version a")["href"] == f"/notices/{notice.id}"
    assert text_of(page, ".notice-title") == "第一版标题"
    assert "第一版正文。" in text_of(page, ".notice-body")
    assert text_of(page, ".notice-to").endswith("各学会：")
    assert text_of(page, ".notice-attachments li").startswith("旧名单.pdf")
    assert page.select(".notice-attachments a") == []  # only the name was kept
    assert unknown.status_code == 404
    assert huge.status_code == 404


async def test_an_earlier_version_is_only_for_those_who_may_read_the_notice(
    world: World, as_user: Any, client: httpx.AsyncClient
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    await workflow.keep_version(notice, world.staff)
    notice.title = "改过的标题"
    await notice.save()
    async with as_user("sec_b") as c:
        assert (await c.get(f"/notices/{notice.id}/versions/1")).status_code == 404
    response = await client.get(f"/notices/{notice.id}/versions/1")
    assert response.status_code == 303


async def test_its_notifications_say_withdrawn_and_lead_to_the_withdrawal(
    world: World, as_english_user: Any
) -> None:
    from intranet.notices.notify import notice_published
    from intranet.notifications.models import Notification

    kept = await make_notice(
        world.association, "仍然有效的通知", to=[to_members_of(world.society_a)]
    )
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    for published in (kept, notice):
        await notice_published(published, datetime.datetime.now(datetime.UTC))
    await workflow.withdraw(notice, world.staff, "会议改期")
    async with as_english_user("member_a") as c:
        listed = soup(await c.get("/notifications"))
        mine = await Notification.get(
            user_id=world.member_a.id, key=f"notice:{notice.id}:published"
        )
        opened = await c.get(f"/notifications/{mine.id}")
        landed = await c.get(opened.headers["location"])
    marked = {
        li.select_one(".notification-title a").get_text(strip=True): li.select_one(
            ".notification-withdrawn"
        )
        for li in listed.select("li.notification")
    }
    assert len(marked) == 2
    assert [title for title, tag in marked.items() if tag is not None] == [mine.title]
    assert marked[mine.title].get_text(strip=True) == "Withdrawn"
    assert landed.status_code == 200
    assert text_of(soup(landed), ".notice-withdrawn-reason") == "会议改期"
