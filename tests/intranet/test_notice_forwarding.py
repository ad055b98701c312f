"""Forwarding (转发): a society makes its own notice with the association's attached, as it
read when forwarded, whatever happens to the original afterwards."""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest

from intranet.notices import workflow
from intranet.notices.models import (
    AddresseeTarget,
    Notice,
    NoticeAddressee,
    NoticeAttachment,
    NoticeState,
)
from intranet.storage import Storage
from tests.conftest import World, post
from tests.helpers import soup
from tests.notice_helpers import (
    ALL_SOCIETIES,
    make_notice,
    prefix_for,
    to_members_of,
    to_organisation,
)

DAY = datetime.date(2020, 2, 3)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
LIST = "专家姓名,单位\n张三,沈阳\n".encode()


async def read_all(storage: Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in await storage.open(key)])


async def attach(app: Any, notice: Notice, filename: str, content: bytes, kind: str) -> None:
    stored = await app.state.storage.save(content, max_bytes=len(content))
    position = await NoticeAttachment.filter(notice=notice).count()
    await NoticeAttachment.create(
        notice=notice,
        storage_key=stored.key,
        filename=filename,
        kind=kind,
        size=stored.size,
        sha256=stored.sha256,
        position=position,
    )


async def association_notice(app: Any, world: World, **kwargs: Any) -> Notice:
    """辽科协发〔2020〕1号 to all societies, with two attachments."""
    kwargs.setdefault("to", [ALL_SOCIETIES])
    publish = kwargs.pop("publish", True)
    notice = await make_notice(
        world.association,
        "关于做好疫情防控期间学会工作的通知",
        body="各省级学会：\n\n请**建立网上值班制度**。",
        prefix="辽科协发",
        issued_on=DAY,
        publish=False,
        **kwargs,
    )
    await attach(app, notice, "附件1：专家名单.txt", LIST, "txt")
    await attach(app, notice, "附件2：报名表.pdf", PDF, "pdf")
    if publish:
        await workflow.publish(notice, None)
    return notice


async def forward(
    client: httpx.AsyncClient, notice: Notice, organisation_id: Any
) -> httpx.Response:
    return await post(client, f"/notices/{notice.id}/forward", {"organisation": organisation_id})


async def forwarded_by_society_a(app: Any, world: World, as_user: Any) -> tuple[Notice, Notice]:
    original = await association_notice(app, world)
    await prefix_for(world.society_a, "辽计会字")
    async with as_user("sec_a") as sec_a:
        response = await forward(sec_a, original, world.society_a.id)
    assert response.status_code == 303, response.text
    copy = await Notice.get(forwarded_from_id=original.id)
    assert response.headers["location"] == f"/notices/{copy.id}/edit?done=forwarded"
    return original, copy


async def test_the_page_shows_the_original_and_whom_one_can_forward_for(
    app: Any,
    world: World,
    as_user: Any,
) -> None:
    original = await association_notice(app, world)
    async with as_user("sec_a") as sec_a:
        response = await sec_a.get(f"/notices/{original.id}/forward")

    assert response.status_code == 200
    page = soup(response)
    assert page.select_one(".original-number").text == "辽科协发〔2020〕1号"
    assert page.select_one(".original-title").text == original.title
    assert page.select_one(".original-issuer").text == "辽宁省科学技术协会"
    options = [(o["value"], o.text) for o in page.select("select[name=organisation] option")]
    assert options == [(str(world.society_a.id), "辽宁省计算机学会")]
    assert [li.contents[0].strip() for li in page.select(".attachment-list li")] == [
        "附件1：专家名单.txt",
        "附件2：报名表.pdf",
    ]


async def test_a_secretary_forwards_a_notice_as_a_draft_of_the_society(
    app: Any,
    world: World,
    as_user: Any,
) -> None:
    original, copy = await forwarded_by_society_a(app, world, as_user)

    assert copy.issuer_id == world.society_a.id
    assert copy.state == NoticeState.DRAFT
    assert copy.title == "关于转发《关于做好疫情防控期间学会工作的通知》的通知"
    prefix = await copy.prefix
    assert prefix is not None and prefix.text == "辽计会字"
    snapshot = copy.forwarded_snapshot
    assert snapshot is not None
    assert snapshot["document_number"] == "辽科协发〔2020〕1号"
    assert snapshot["title"] == original.title
    assert snapshot["issuer_name"] == "辽宁省科学技术协会"
    assert snapshot["body_html"] == original.body_html
    assert "<strong>建立网上值班制度</strong>" in snapshot["body_html"]
    assert [a["filename"] for a in snapshot["attachments"]] == [
        "附件1：专家名单.txt",
        "附件2：报名表.pdf",
    ]
    # Copies of the files under new keys, the same bytes, marked as the original's.
    originals = await NoticeAttachment.filter(notice=original).order_by("position")
    copies = await NoticeAttachment.filter(notice=copy).order_by("position")
    assert [a.filename for a in copies] == [a.filename for a in originals]
    assert all(a.from_forwarded for a in copies)
    assert {a.storage_key for a in copies}.isdisjoint(a.storage_key for a in originals)
    for kept, source in zip(copies, originals, strict=True):
        assert await read_all(app.state.storage, kept.storage_key) == await read_all(
            app.state.storage, source.storage_key
        )
        assert kept.sha256 == source.sha256


async def test_the_forwarded_notice_stays_as_it_was_forwarded(
    app: Any,
    world: World,
    as_user: Any,
) -> None:
    original, copy = await forwarded_by_society_a(app, world, as_user)
    snapshot_before = copy.forwarded_snapshot
    copies_before = await NoticeAttachment.filter(notice=copy).order_by("position").values()

    # The association edits its notice, removes an attachment, then withdraws it.
    await workflow.keep_version(original, None)
    original.title = "关于做好学会工作的通知（修订）"
    workflow.set_body(original, "全部改写。", original.body_format)
    await original.save()
    removed = await NoticeAttachment.filter(notice=original).order_by("position").first()
    assert removed is not None
    async with as_user("staff") as staff:
        response = await post(staff, f"/notices/{original.id}/attachments/{removed.id}/delete", {})
        assert response.status_code == 303
        assert (
            await post(staff, f"/notices/{original.id}/withdraw", {"reason": "修订"})
        ).status_code == 303

    kept = await Notice.get(id=copy.id)
    assert kept.forwarded_snapshot == snapshot_before
    assert kept.forwarded_snapshot["title"] == "关于做好疫情防控期间学会工作的通知"  # type: ignore[index]
    copies = await NoticeAttachment.filter(notice=copy).order_by("position").values()
    assert copies == copies_before
    for row in copies:
        assert await app.state.storage.exists(row["storage_key"])
    assert not await app.state.storage.exists(removed.storage_key)


async def test_the_chain_shows_once_the_forwarding_notice_is_published(
    app: Any,
    world: World,
    as_user: Any,
) -> None:
    _, copy = await forwarded_by_society_a(app, world, as_user)
    await workflow.set_typed_number(copy, "辽计会字〔2020〕第001号")
    await copy.save()
    await make_members_addressees(copy, world)
    async with as_user("sec_a") as sec_a:
        assert (await post(sec_a, f"/notices/{copy.id}/publish")).status_code == 303
    published = await Notice.get(id=copy.id)
    assert published.chain() == ["辽计会字〔2020〕第001号", "辽科协发〔2020〕1号"]

    async with as_user("member_a") as member:
        response = await member.get(f"/notices/{copy.id}")
    assert response.status_code == 200
    chain = soup(response).select_one(".notice-chain")
    assert chain is not None
    text = chain.get_text(" ", strip=True)
    assert "辽计会字〔2020〕第001号" in text and "辽科协发〔2020〕1号" in text
    assert (
        text.index("辽计会字〔2020〕第001号") < text.index("→") < text.index("辽科协发〔2020〕1号")
    )


async def make_members_addressees(notice: Notice, world: World) -> None:
    await NoticeAddressee.create(
        notice=notice, target=AddresseeTarget.MEMBERS_OF, organisation=world.society_a
    )


async def test_a_member_who_cannot_issue_cannot_forward(
    app: Any,
    world: World,
    as_user: Any,
) -> None:
    original = await association_notice(app, world, to=[to_members_of(world.society_a)])
    async with as_user("member_a") as member:
        assert (await member.get(f"/notices/{original.id}")).status_code == 200
        assert (await member.get(f"/notices/{original.id}/forward")).status_code == 404
        assert (await forward(member, original, world.society_a.id)).status_code == 404
    assert await Notice.all().count() == 1


async def test_a_draft_cannot_be_forwarded(app: Any, world: World, as_user: Any) -> None:
    original = await association_notice(app, world, publish=False)
    for who in ("sec_a", "staff"):
        async with as_user(who) as client:
            assert (await client.get(f"/notices/{original.id}/forward")).status_code == 404
            organisation = world.society_a if who == "sec_a" else world.association
            assert (await forward(client, original, organisation.id)).status_code == 404
    assert await Notice.all().count() == 1


async def test_a_withdrawn_notice_cannot_be_forwarded(app: Any, world: World, as_user: Any) -> None:
    original = await association_notice(app, world)
    await workflow.withdraw(original, None, "发错了")
    async with as_user("sec_a") as sec_a:
        assert (await sec_a.get(f"/notices/{original.id}/forward")).status_code == 404
        assert (await forward(sec_a, original, world.society_a.id)).status_code == 404
    assert await Notice.all().count() == 1


async def test_a_notice_not_addressed_to_one_cannot_be_forwarded(
    app: Any,
    world: World,
    as_user: Any,
) -> None:
    original = await association_notice(app, world, to=[to_organisation(world.society_a)])
    async with as_user("sec_b") as sec_b:
        assert (await sec_b.get(f"/notices/{original.id}/forward")).status_code == 404
        assert (await forward(sec_b, original, world.society_b.id)).status_code == 404
    assert await Notice.all().count() == 1


@pytest.mark.parametrize("organisation", ["society_b", "association", "branch_a", "", "x", "99999"])
async def test_forwarding_for_an_organisation_one_does_not_act_for_is_refused(
    app: Any,
    world: World,
    as_english_user: Any,
    organisation: str,
) -> None:
    original = await association_notice(app, world)
    files_before = await NoticeAttachment.all().values_list("storage_key", flat=True)
    target = getattr(world, organisation).id if hasattr(world, organisation) else organisation
    async with as_english_user("sec_a") as sec_a:
        response = await forward(sec_a, original, target)

    assert response.status_code == 400
    error = soup(response).select_one("#error-organisation")
    assert error is not None
    assert "Choose one of the organisations you act for." in error.text
    assert await Notice.all().count() == 1
    assert sorted(await NoticeAttachment.all().values_list("storage_key", flat=True)) == sorted(
        files_before
    )


async def test_forwarding_asks_a_visitor_to_log_in(
    app: Any, world: World, client: httpx.AsyncClient
) -> None:
    original = await association_notice(app, world, is_public=True)
    response = await client.get(f"/notices/{original.id}/forward")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# -- search finds words that only the forwarded original has --------------------------------


async def published_forward(app: Any, world: World, as_user: Any) -> Notice:
    _, copy = await forwarded_by_society_a(app, world, as_user)
    await workflow.set_typed_number(copy, "辽计会字〔2020〕第001号")
    await copy.save()
    await make_members_addressees(copy, world)
    async with as_user("sec_a") as sec_a:
        assert (await post(sec_a, f"/notices/{copy.id}/publish")).status_code == 303
    return copy


async def search_as(as_user: Any, who: str, q: str) -> list[str]:
    async with as_user(who) as client:
        response = await client.get("/notices", params={"q": q})
    assert response.status_code == 200
    return [str(a["href"]) for a in soup(response).select("a[href^='/notices/']") if a.get_text()]


async def test_a_member_finds_the_forwarding_notice_by_words_of_the_original(
    app: Any, world: World, as_user: Any
) -> None:
    copy = await published_forward(app, world, as_user)
    # member_a reads the society's forwarding notice, not the association's original.
    # 网上值班 is only in the original's body, 辽科协发〔2020〕1号 only its number.
    for words in ("网上值班", "辽科协发〔2020〕1号", "疫情防控期间学会工作"):
        assert f"/notices/{copy.id}" in await search_as(as_user, "member_a", words), words
    assert f"/notices/{copy.id}" not in await search_as(as_user, "member_a", "年度总结")


async def test_the_search_text_is_written_when_the_draft_is_made(
    app: Any, world: World, as_user: Any
) -> None:
    _, copy = await forwarded_by_society_a(app, world, as_user)
    assert "建立网上值班制度" in copy.search_text


async def test_the_upgrade_adds_the_original_to_existing_forwarding_notices(
    app: Any, world: World, as_user: Any
) -> None:
    from importlib import import_module
    from types import SimpleNamespace

    from tortoise import connections

    copy = await published_forward(app, world, as_user)
    # As saved before the original was searched: number, title and body only.
    await Notice.filter(id=copy.id).update(search_text="辽计会字〔2020〕第001号\n关于转发")
    plain = await make_notice(world.association, "没有转发的通知", to=[ALL_SOCIETIES])
    untouched = (await Notice.get(id=plain.id)).search_text
    assert f"/notices/{copy.id}" not in await search_as(as_user, "member_a", "网上值班")

    upgrade = import_module("intranet.migrations.0004_forwarded_search_text")
    editor = SimpleNamespace(client=connections.get("default"))
    await upgrade.recompute_forwarded_search_text(None, editor)

    assert f"/notices/{copy.id}" in await search_as(as_user, "member_a", "网上值班")
    assert (await Notice.get(id=plain.id)).search_text == untouched
