"""Attachments of a notice: judged by their contents, stored under random names, and
refused with a clear message that leaves nothing behind — no row, no file."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from intranet.app import create_app
from intranet.models import User
from intranet.notices import workflow
from intranet.notices.models import Notice, NoticeAttachment, NoticeState, NoticeVersion
from intranet.settings import Settings
from tests.conftest import World, csrf_token, login, new_client, post
from tests.helpers import soup
from tests.notice_helpers import ALL_SOCIETIES, make_notice, to_members_of

PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>'
EXPERTS = "姓名,单位,专业\n张三,东北大学,计算机\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zipped(
    {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
    }
)
MACRO_DOCX = zipped(
    {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document/>",
        "word/vbaProject.bin": b"\xd0\xcf\x11\xe0",
    }
)
PLAIN_ZIP = zipped({"readme.txt": b"hello"})


def files_under(root: Path) -> set[Path]:
    """Every file, temporary ones included."""
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


async def upload(
    client: httpx.AsyncClient,
    notice: Notice,
    *files: tuple[str, bytes],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    token = await csrf_token(client, "/profile")
    return await client.post(
        f"/notices/{notice.id}/attachments",
        data={"csrf_token": token},
        files=[("file", (name, content, "application/octet-stream")) for name, content in files],
        headers=headers,
    )


async def upload_raw_name(client: httpx.AsyncClient, notice: Notice, name: bytes) -> httpx.Response:
    """A multipart body written by hand, so the file name reaches the site byte for byte
    (httpx, like browsers, would percent-encode control characters)."""
    token = await csrf_token(client, "/profile")
    body = (
        b"--B0UNDARY\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + name + b'"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + EXPERTS + b"\r\n--B0UNDARY--\r\n"
    )
    return await client.post(
        f"/notices/{notice.id}/attachments",
        content=body,
        headers={
            "content-type": "multipart/form-data; boundary=B0UNDARY",
            "x-csrf-token": token,
        },
    )


def refusal_text(response: httpx.Response) -> str:
    alert = soup(response).select_one(".alert.error, #error-file")
    assert alert is not None, response.text
    return alert.get_text(" ", strip=True)


@pytest.fixture
async def draft(world: World) -> Notice:
    return await make_notice(
        world.association, to=[ALL_SOCIETIES], prefix="辽科协发", publish=False
    )


@pytest.fixture
async def staff(world: World, as_english_user: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with as_english_user("staff") as client:
        yield client


@pytest.fixture
def uploads_dir(settings: Settings) -> Path:
    return settings.uploads_dir


# -- refused, and nothing left behind ---------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("report.pdf", HTML, "The contents of report.pdf do not match its file name extension"),
        ("photo.png", SVG, "The contents of photo.png do not match its file name extension"),
        ("notes.txt", HTML, "This kind of file is not accepted: notes.txt"),
        ("drawing.svg", SVG, "This kind of file is not accepted: drawing.svg"),
        ("page.html", HTML, "This kind of file is not accepted: page.html"),
        ("setup.exe", EXE, "This kind of file is not accepted: setup.exe"),
        ("setup.pdf", EXE, "This kind of file is not accepted: setup.pdf"),
        ("报名表.docx", PLAIN_ZIP, "The contents of 报名表.docx do not match"),
        ("宏.docx", MACRO_DOCX, "This kind of file is not accepted: 宏.docx"),
        ("统计.xlsx", DOCX, "The contents of 统计.xlsx do not match"),
        ("empty.pdf", b"", "empty.pdf is empty"),
        ("..", PDF, "The file needs a name"),
        ("../..", PDF, "The file needs a name"),
        ("no-extension", PDF, "This kind of file is not accepted: no-extension"),
    ],
)
async def test_a_refused_file_leaves_nothing_behind(
    draft: Notice,
    staff: httpx.AsyncClient,
    uploads_dir: Path,
    filename: str,
    content: bytes,
    message: str,
) -> None:
    before = files_under(uploads_dir)
    response = await upload(staff, draft, (filename, content))

    assert response.status_code == 400
    assert message in refusal_text(response)
    back = [a["href"] for a in soup(response).select("a")]
    assert f"/notices/{draft.id}/edit" in back
    assert not await NoticeAttachment.exists()
    assert files_under(uploads_dir) == before


async def test_htmx_gets_the_refusal_inside_the_attachments_editor(
    draft: Notice, staff: httpx.AsyncClient, uploads_dir: Path
) -> None:
    before = files_under(uploads_dir)
    response = await upload(staff, draft, ("report.pdf", HTML), headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert "HX-Request" in response.headers["vary"]
    page = soup(response)
    assert page.select_one("html") is None  # the partial alone
    editor = page.select_one("#notice-attachments")
    assert editor is not None
    assert "The contents of report.pdf do not match" in editor.select_one("#error-file").text
    assert not await NoticeAttachment.exists()
    assert files_under(uploads_dir) == before


async def test_one_bad_file_among_several_attaches_none(
    draft: Notice, staff: httpx.AsyncClient, uploads_dir: Path
) -> None:
    before = files_under(uploads_dir)
    response = await upload(
        staff, draft, ("通知.pdf", PDF), ("photo.png", SVG), ("报名表.docx", DOCX)
    )

    assert response.status_code == 400
    assert "photo.png" in refusal_text(response)
    assert not await NoticeAttachment.exists()
    assert files_under(uploads_dir) == before


async def test_no_file_chosen_is_refused(draft: Notice, staff: httpx.AsyncClient) -> None:
    response = await post(staff, f"/notices/{draft.id}/attachments", {})
    assert response.status_code == 400
    assert "Choose a file to attach." in refusal_text(response)
    assert not await NoticeAttachment.exists()


@pytest.fixture
async def small_limit_client(world: World, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Staff of the association on a site that takes at most 1 MB."""
    small = create_app(dataclasses.replace(settings, max_upload_mb=1), manage_database=False)
    async with new_client(small, cookies={"huibao_lang": "en"}) as client:
        assert (await login(client, "staff")).status_code == 303
        yield client


async def test_a_file_over_the_limit_is_refused(
    draft: Notice, small_limit_client: httpx.AsyncClient, uploads_dir: Path
) -> None:
    before = files_under(uploads_dir)
    too_big = PDF + b"0" * (1024 * 1024)
    response = await upload(small_limit_client, draft, ("扫描件.pdf", too_big))

    assert response.status_code == 400
    assert "扫描件.pdf is larger than the limit of 1 MB" in refusal_text(response)
    assert not await NoticeAttachment.exists()
    assert files_under(uploads_dir) == before


async def test_a_body_far_over_the_limit_is_turned_away_before_it_is_read(
    draft: Notice, small_limit_client: httpx.AsyncClient, uploads_dir: Path
) -> None:
    before = files_under(uploads_dir)
    response = await upload(small_limit_client, draft, ("扫描件.pdf", PDF + b"0" * 3 * 1024 * 1024))

    assert response.status_code == 413
    assert not await NoticeAttachment.exists()
    assert files_under(uploads_dir) == before


async def test_a_file_just_under_the_limit_is_accepted(
    draft: Notice, small_limit_client: httpx.AsyncClient
) -> None:
    content = PDF + b"0" * (1024 * 1024 - len(PDF))
    response = await upload(small_limit_client, draft, ("扫描件.pdf", content))
    assert response.status_code == 303
    attachment = await NoticeAttachment.get(notice=draft)
    assert attachment.size == 1024 * 1024


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/var/lib/huibao/uploads/名单.txt", "名单.txt"),
        ("a%00b%0D%0A.txt", "a%00b%0D%0A.txt"),  # as browsers send \0 \r \n: harmless text
        ("CON.txt", "_CON.txt"),
    ],
)
async def test_a_path_in_the_file_name_is_dropped(
    app: Any,
    draft: Notice,
    staff: httpx.AsyncClient,
    settings: Settings,
    sent: str,
    shown: str,
) -> None:
    before = files_under(settings.data_dir)
    response = await upload(staff, draft, (sent, EXPERTS))

    assert response.status_code == 303
    attachment = await NoticeAttachment.get(notice=draft)
    assert attachment.filename == shown
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.storage_key)
    added = files_under(settings.data_dir) - before
    assert added == {app.state.storage.path(attachment.storage_key)}
    assert all(path.is_relative_to(settings.uploads_dir) for path in added)


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        (b"a\x00b\x07c\x1b.txt", "abc.txt"),
        ("附件\u202efdp.txt".encode(), "附件fdp.txt"),
        ("名单\u200b\u2028.txt".encode(), "名单.txt"),
    ],
)
async def test_control_characters_are_taken_out_of_the_name(
    draft: Notice, staff: httpx.AsyncClient, sent: bytes, shown: str
) -> None:
    response = await upload_raw_name(staff, draft, sent)
    assert response.status_code == 303
    attachment = await NoticeAttachment.get(notice=draft)
    assert attachment.filename == shown


@pytest.mark.parametrize("sent", [b"\x01\x02", b"\x00", b" . ", "\u202e\u200b".encode()])
async def test_a_name_of_nothing_but_control_characters_is_refused(
    draft: Notice, staff: httpx.AsyncClient, uploads_dir: Path, sent: bytes
) -> None:
    before = files_under(uploads_dir)
    response = await upload_raw_name(staff, draft, sent)
    assert response.status_code == 400
    assert "The file needs a name" in refusal_text(response)
    assert not await NoticeAttachment.exists()
    assert files_under(uploads_dir) == before


# -- accepted ---------------------------------------------------------------------------


async def test_it_attaches_a_pdf_a_docx_and_a_chinese_named_text_file(
    app: Any, draft: Notice, staff: httpx.AsyncClient
) -> None:
    response = await upload(
        staff,
        draft,
        ("通知.pdf", PDF),
        ("报名表.docx", DOCX),
        ("附件1：专家名单.txt", EXPERTS),
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/notices/{draft.id}/edit?done=attached"
    attachments = await NoticeAttachment.filter(notice=draft).order_by("position")
    assert [(a.filename, a.kind, a.position) for a in attachments] == [
        ("通知.pdf", "pdf", 0),
        ("报名表.docx", "docx", 1),
        ("附件1：专家名单.txt", "txt", 2),
    ]
    assert [a.size for a in attachments] == [len(PDF), len(DOCX), len(EXPERTS)]
    for attachment, content in zip(attachments, (PDF, DOCX, EXPERTS), strict=True):
        assert app.state.storage.path(attachment.storage_key).read_bytes() == content
        assert not attachment.from_forwarded
    staff_user = await User.get(username="staff")
    assert {a.uploaded_by_id for a in attachments} == {staff_user.id}


async def test_the_download_name_round_trips(draft: Notice, staff: httpx.AsyncClient) -> None:
    await upload(staff, draft, ("附件1：专家名单.txt", EXPERTS))
    attachment = await NoticeAttachment.get(notice=draft)

    response = await staff.get(f"/notices/{draft.id}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.content == EXPERTS
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    assert encoded is not None
    assert unquote(encoded.group(1)) == "附件1：专家名单.txt"


async def test_later_uploads_go_after_the_earlier_ones(
    draft: Notice, staff: httpx.AsyncClient
) -> None:
    await upload(staff, draft, ("一.txt", EXPERTS))
    await upload(staff, draft, ("二.pdf", PDF), ("三.zip", PLAIN_ZIP))
    names = (
        await NoticeAttachment.filter(notice=draft)
        .order_by("position")
        .values_list("filename", flat=True)
    )
    assert names == ["一.txt", "二.pdf", "三.zip"]


async def test_htmx_gets_the_editor_back_with_the_new_file(
    draft: Notice, staff: httpx.AsyncClient
) -> None:
    response = await upload(staff, draft, ("通知.pdf", PDF), headers={"HX-Request": "true"})

    assert response.status_code == 200
    editor = soup(response).select_one("#notice-attachments")
    assert editor is not None
    assert [a.text for a in editor.select(".own-attachments a")] == ["通知.pdf"]
    assert "The attachment has been added." in editor.select_one("[role=status]").text


async def test_the_editor_lists_sizes_and_offers_upload_and_removal(
    app: Any, world: World, draft: Notice, staff: httpx.AsyncClient
) -> None:
    await upload(staff, draft, ("通知.pdf", PDF))
    response = await staff.get(f"/notices/{draft.id}/edit")
    assert response.status_code == 200
    editor = soup(response).select_one("#notice-attachments")
    assert editor is not None
    row = editor.select_one(".own-attachments li")
    assert "通知.pdf" in row.text and f"{len(PDF)} Bytes" in row.text
    attachment = await NoticeAttachment.get(notice=draft)
    remove = row.select_one("form")
    assert remove["action"] == f"/notices/{draft.id}/attachments/{attachment.id}/delete"
    form = editor.select_one("form[enctype='multipart/form-data']")
    assert form["action"] == f"/notices/{draft.id}/attachments"
    file_input = form.select_one("input[type=file][name=file]")
    assert file_input.has_attr("multiple")
    assert ".docx" in file_input["accept"] and ".png" in file_input["accept"]
    assert "20 MB" in form.select_one(".help").text
    assert form.select_one("input[name=csrf_token]") is not None


async def test_a_published_notice_keeps_its_earlier_attachments_in_its_history(
    world: World, staff: httpx.AsyncClient
) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES], prefix="辽科协发")
    assert (await upload(staff, notice, ("通知.pdf", PDF))).status_code == 303
    assert (await upload(staff, notice, ("名单.txt", EXPERTS))).status_code == 303

    kept = await Notice.get(id=notice.id)
    assert kept.state == NoticeState.PUBLISHED
    assert kept.version == 3
    versions = await NoticeVersion.filter(notice=notice).order_by("version")
    assert [(v.version, v.attachment_names) for v in versions] == [
        (1, []),
        (2, ["通知.pdf"]),
    ]

    first = await NoticeAttachment.get(notice=notice, filename="通知.pdf")
    response = await post(staff, f"/notices/{notice.id}/attachments/{first.id}/delete")
    assert response.status_code == 303
    assert (await Notice.get(id=notice.id)).version == 4
    latest = await NoticeVersion.get(notice=notice, version=3)
    assert sorted(latest.attachment_names) == ["名单.txt", "通知.pdf"]


async def test_a_withdrawn_notice_takes_no_attachments(
    world: World, staff: httpx.AsyncClient, uploads_dir: Path
) -> None:
    notice = await make_notice(world.association, to=[ALL_SOCIETIES])
    await workflow.withdraw(notice, None, "发错了")
    before = files_under(uploads_dir)
    response = await upload(staff, notice, ("通知.pdf", PDF))
    assert response.status_code == 400
    assert "A withdrawn notice can no longer be changed." in refusal_text(response)
    assert not await NoticeAttachment.exists()
    assert files_under(uploads_dir) == before


# -- removing ---------------------------------------------------------------------------


async def test_it_removes_an_attachment_and_its_file(
    app: Any, draft: Notice, staff: httpx.AsyncClient
) -> None:
    await upload(staff, draft, ("通知.pdf", PDF), ("名单.txt", EXPERTS))
    first = await NoticeAttachment.get(notice=draft, filename="通知.pdf")
    path = app.state.storage.path(first.storage_key)
    assert path.exists()

    response = await post(staff, f"/notices/{draft.id}/attachments/{first.id}/delete")

    assert response.status_code == 303
    assert response.headers["location"] == f"/notices/{draft.id}/edit?done=attachment_removed"
    assert await NoticeAttachment.filter(notice=draft).values_list("filename", flat=True) == [
        "名单.txt"
    ]
    assert not path.exists()
    # A second click finds it gone and changes nothing more.
    again = await post(staff, f"/notices/{draft.id}/attachments/{first.id}/delete")
    assert again.status_code == 404


async def test_an_attachment_is_removed_only_through_its_own_notice(
    world: World, draft: Notice, staff: httpx.AsyncClient
) -> None:
    other = await make_notice(world.association, "另一份通知", to=[ALL_SOCIETIES], publish=False)
    await upload(staff, other, ("通知.pdf", PDF))
    attachment = await NoticeAttachment.get(notice=other)
    response = await post(staff, f"/notices/{draft.id}/attachments/{attachment.id}/delete")
    assert response.status_code == 404
    assert await NoticeAttachment.exists(id=attachment.id)
    huge = await post(staff, f"/notices/{draft.id}/attachments/99999999999/delete")
    assert huge.status_code == 404


async def test_the_forwarded_notices_attachments_cannot_be_removed(
    app: Any, world: World, as_english_user: Any, staff: httpx.AsyncClient
) -> None:
    original = await make_notice(world.association, to=[ALL_SOCIETIES], publish=False)
    await upload(staff, original, ("附件1：专家名单.txt", EXPERTS))
    await workflow.publish(original, None)
    copy = await workflow.forward(original, world.society_a, None, app.state.storage)
    forwarded = await NoticeAttachment.get(notice=copy)
    assert forwarded.from_forwarded

    async with as_english_user("sec_a") as sec_a:
        response = await post(sec_a, f"/notices/{copy.id}/attachments/{forwarded.id}/delete")
        assert response.status_code == 400
        assert "part of the forwarded notice" in refusal_text(response)
        assert await NoticeAttachment.exists(id=forwarded.id)
        assert await app.state.storage.exists(forwarded.storage_key)

        # The society adds its own attachment beside them; the editor shows both kinds.
        response = await upload(sec_a, copy, ("学会通知.pdf", PDF), headers={"HX-Request": "true"})
        assert response.status_code == 200
    editor = soup(response).select_one("#notice-attachments")
    assert editor is not None
    own = editor.select(".own-attachments li")
    assert [li.select_one("a").text for li in own] == ["学会通知.pdf"]
    assert own[0].select_one("form") is not None
    read_only = editor.select(".forwarded-attachments li")
    assert [li.select_one("a").text for li in read_only] == ["附件1：专家名单.txt"]
    assert read_only[0].select_one("form, button") is None


# -- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["sec_a", "member_a", "sec_b", "outsider"])
async def test_only_the_issuers_people_upload_and_remove(
    world: World,
    as_user: Any,
    staff: httpx.AsyncClient,
    uploads_dir: Path,
    who: str,
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    await upload(staff, notice, ("通知.pdf", PDF))
    attachment = await NoticeAttachment.get(notice=notice)
    before = files_under(uploads_dir)

    async with as_user(who) as client:
        assert (await upload(client, notice, ("名单.txt", EXPERTS))).status_code == 404
        response = await post(client, f"/notices/{notice.id}/attachments/{attachment.id}/delete")
        assert response.status_code == 404

    assert await NoticeAttachment.filter(notice=notice).count() == 1
    assert files_under(uploads_dir) == before
    assert (await Notice.get(id=notice.id)).version == 2  # only the staff upload counted
