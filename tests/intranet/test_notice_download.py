"""Downloading a notice's attachments: only for its readers, always as a download, under
its own name.

Personas: member_a reads notices to all members of society A; sec_b (society B) does not.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from starlette.applications import Starlette

from intranet.notices import workflow
from intranet.notices.models import Notice, NoticeAttachment
from tests.conftest import World
from tests.notice_helpers import make_notice, to_members_of

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def attach(
    app: Starlette,
    notice: Notice,
    filename: str = "附件1：名单.pdf",
    content: bytes = PDF,
    kind: str = "pdf",
    **extra: Any,
) -> NoticeAttachment:
    """A stored file and its attachment row, as an upload would leave them."""
    stored = await app.state.storage.save(content, max_bytes=1024 * 1024)
    return await NoticeAttachment.create(
        notice=notice,
        storage_key=stored.key,
        filename=filename,
        kind=kind,
        size=stored.size,
        sha256=stored.sha256,
        **extra,
    )


def url_of(attachment: NoticeAttachment) -> str:
    return f"/notices/{attachment.notice_id}/attachments/{attachment.id}"


async def test_it_sends_the_file_as_a_download_under_its_chinese_name(
    app: Starlette, world: World, as_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    attachment = await attach(app, notice)
    async with as_user("member_a") as c:
        response = await c.get(url_of(attachment))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(PDF))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"].startswith("private")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('附件1：名单.pdf')}" in disposition
    assert disposition.encode("latin-1")  # the header itself is plain ASCII


async def test_a_text_file_that_looks_like_a_page_is_still_only_a_download(
    app: Starlette, world: World, as_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    attachment = await attach(
        app, notice, "说明.txt", "说明：请按时报送。<b>重要</b>".encode(), kind="txt"
    )
    async with as_user("member_a") as c:
        response = await c.get(url_of(attachment))
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["content-security-policy"]


async def test_people_who_may_not_read_the_notice_get_not_found(
    app: Starlette, world: World, as_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    attachment = await attach(app, notice)
    for username in ("sec_b", "outsider"):
        async with as_user(username) as c:
            response = await c.get(url_of(attachment))
        assert response.status_code == 404, username
        assert PDF not in response.content


async def test_a_draft_or_withdrawn_notice_s_files_are_only_for_its_issuer(
    app: Starlette, world: World, as_user: Any
) -> None:
    draft = await make_notice(world.association, to=[to_members_of(world.society_a)], publish=False)
    withdrawn = await make_notice(world.association, to=[to_members_of(world.society_a)])
    await workflow.withdraw(withdrawn, world.staff, "重复发布")
    files = [await attach(app, draft), await attach(app, withdrawn)]
    async with as_user("member_a") as c:
        assert [(await c.get(url_of(f))).status_code for f in files] == [404, 404]
    async with as_user("staff") as c:
        assert [(await c.get(url_of(f))).status_code for f in files] == [200, 200]


async def test_a_visitor_is_asked_to_log_in_unless_the_notice_is_public(
    app: Starlette, world: World, client: httpx.AsyncClient
) -> None:
    private = await attach(
        app, await make_notice(world.association, to=[to_members_of(world.society_a)])
    )
    public = await attach(app, await make_notice(world.association, is_public=True))
    response = await client.get(url_of(private))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    response = await client.get(url_of(public))
    assert response.status_code == 200
    assert response.content == PDF


async def test_an_attachment_of_another_notice_is_not_found(
    app: Starlette, world: World, as_user: Any
) -> None:
    mine = await make_notice(world.association, to=[to_members_of(world.society_a)])
    other = await make_notice(world.society_b, "医学会内部通知")
    hidden = await attach(app, other, "内部名单.pdf")
    async with as_user("member_a") as c:
        response = await c.get(f"/notices/{mine.id}/attachments/{hidden.id}")
        unknown = await c.get(f"/notices/{mine.id}/attachments/999999")
        huge = await c.get(f"/notices/{mine.id}/attachments/99999999999")
    assert response.status_code == 404
    assert PDF not in response.content
    assert unknown.status_code == 404
    assert huge.status_code == 404


async def test_a_missing_file_gives_the_not_found_page(
    app: Starlette, world: World, as_english_user: Any
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    attachment = await attach(app, notice)
    await app.state.storage.delete(attachment.storage_key)
    async with as_english_user("member_a") as c:
        response = await c.get(url_of(attachment))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


async def test_a_device_name_in_full_width_is_not_offered_as_one(
    app: Starlette, world: World, as_user: Any
) -> None:
    # Stored as it came (an attachment forwarded from before names were folded): the
    # browser's plain-ASCII name must still not be CON.txt, which Windows cannot save.
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    attachment = await attach(app, notice, "ＣＯＮ.txt", b"plain text\n", kind="txt")
    async with as_user("member_a") as c:
        response = await c.get(url_of(attachment))
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="_CON.txt";'), disposition
    assert f"filename*=UTF-8''{quote('_ＣＯＮ.txt')}" in disposition
