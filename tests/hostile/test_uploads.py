"""Hostile uploads on every way a file comes in: notice attachments, report file answers
and form imports.

Notice attachments have their own detailed tests (tests/intranet/test_notice_attachments.py,
tests/intranet/test_storage_uploads.py); here the same attacks are aimed at the other ways in,
and the bodies over the limit at all of them: oversize bodies (declared, or chunked with
no length), lying contents, hostile file names. Each is refused with a message or
stored under a safe name, nothing is written outside the upload directory, and the
download is an attachment with a header that cannot be broken.
"""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from intranet.app import create_app
from intranet.notices.models import Notice, NoticeAttachment
from intranet.settings import Settings
from surveys.models import Form, Response
from surveys.schema import FormDefinition, Question, QuestionType, Section
from surveys.xlsform import form_to_xlsx
from tests.conftest import World, csrf_token, login, new_client
from tests.hostile.payloads import RTL_FILENAME
from tests.notice_helpers import make_notice
from tests.survey_helpers import make_campaign, open_round, response_of

PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64)
PNG_HEADER = b"\x89PNG\r\n\x1a\n"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = 1024 * 1024

FORM = FormDefinition(
    title="年度工作总结",
    sections=(
        Section(
            key="main",
            title="总结",
            questions=(Question(key="summary_file", type=QuestionType.FILE, label="总结文件"),),
        ),
    ),
)


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def zip_bomb_xlsx() -> bytes:
    """A real form workbook plus a member that inflates to 200 MB (200 kB compressed)."""
    buffer = io.BytesIO(form_to_xlsx(FORM))
    with (
        zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(MB)
        for _ in range(200):
            member.write(chunk)
    return buffer.getvalue()


@dataclasses.dataclass
class Targets:
    notice: Notice
    response: Response
    form: Form


@pytest.fixture
async def targets(world: World) -> Targets:
    notice = await make_notice(world.association, "关于报送材料的通知", publish=False)
    campaign = await make_campaign(world.association, [world.society_a], FORM)
    round_ = await open_round(campaign)
    response = await response_of(round_, world.society_a)
    form = await Form.create(title="空表", owner=world.society_a)
    return Targets(notice=notice, response=response, form=form)


@pytest.fixture
async def small_site(
    world: World, settings: Settings
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The association's staff and society A's secretary on a site that takes 1 MB."""
    small = create_app(dataclasses.replace(settings, max_upload_mb=1), manage_database=False)
    clients = {}
    for username in ("staff", "sec_a"):
        client = new_client(small, cookies={"huibao_lang": "en"})
        assert (await login(client, username)).status_code == 303
        clients[username] = client
    yield clients
    for client in clients.values():
        await client.aclose()


# (who, path, file field, other fields) for each way a file comes in.
def upload_points(t: Targets, world: World) -> dict[str, tuple[str, str, str, dict[str, str]]]:
    return {
        "notice attachment": ("staff", f"/notices/{t.notice.id}/attachments", "file", {}),
        "report file answer": (
            "sec_a",
            f"/reports/responses/{t.response.id}/files/summary_file",
            "file.summary_file",
            {"base.summary_file": ""},
        ),
        "form import": (
            "sec_a",
            "/reports/forms/import",
            "file",
            {"owner": str(world.society_a.id)},
        ),
        "form version import": ("sec_a", f"/reports/forms/{t.form.id}/import", "file", {}),
    }


UPLOAD_POINTS = ["notice attachment", "report file answer", "form import", "form version import"]


def multipart(fields: dict[str, str], file_field: str, name: bytes, content: bytes) -> bytes:
    """A multipart body written by hand, so the file name arrives byte for byte."""
    parts = [
        b'--B0UNDARY\r\nContent-Disposition: form-data; name="'
        + key.encode()
        + b'"\r\n\r\n'
        + value.encode()
        + b"\r\n"
        for key, value in fields.items()
    ]
    parts.append(
        b'--B0UNDARY\r\nContent-Disposition: form-data; name="'
        + file_field.encode()
        + b'"; filename="'
        + name
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + b"\r\n"
    )
    return b"".join(parts) + b"--B0UNDARY--\r\n"


async def nothing_stored(t: Targets) -> None:
    assert not await NoticeAttachment.filter(notice_id=t.notice.id).exists()
    assert (await Response.get(id=t.response.id)).answers == {}
    assert await Form.all().count() == 2  # the campaign's and the empty one


# -- bodies over the limit ----------------------------------------------------------------


@pytest.mark.parametrize("point", UPLOAD_POINTS)
@pytest.mark.parametrize("how", ["declared length", "chunked, no length"])
async def test_a_body_over_the_limit_is_refused_before_it_is_stored(
    world: World,
    targets: Targets,
    small_site: dict[str, httpx.AsyncClient],
    settings: Settings,
    point: str,
    how: str,
) -> None:
    who, path, file_field, fields = upload_points(targets, world)[point]
    client = small_site[who]
    token = await csrf_token(client, "/profile")
    body = multipart(fields, file_field, b"big.pdf", PDF + b"0" * 4 * MB)
    headers = {"content-type": "multipart/form-data; boundary=B0UNDARY", "x-csrf-token": token}
    before = files_under(settings.data_dir)

    if how == "declared length":
        response = await client.post(path, content=body, headers=headers)
    else:

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 64 * 1024):
                yield body[start : start + 64 * 1024]

        response = await client.post(path, content=chunks(), headers=headers)
        assert "content-length" not in response.request.headers

    assert response.status_code == 413
    assert "larger than the site accepts" in response.text
    await nothing_stored(targets)
    assert files_under(settings.data_dir) == before


# -- lying contents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("setup.pdf", EXE, "application/pdf"),
        ("photo.png", HTML, "image/png"),
        ("photo.png", PNG_HEADER[:4] + HTML, "image/png"),
        ("统计.xlsx", "这不是表格\n".encode(), XLSX_TYPE),
        ("page.html", HTML, "text/html"),
        ("说明.txt", HTML, "text/plain"),
        (RTL_FILENAME, EXE, "application/pdf"),
        (RTL_FILENAME, PDF, "application/pdf"),
    ],
)
async def test_a_file_answer_that_lies_about_its_contents_is_refused(
    world: World,
    targets: Targets,
    as_english_user: Any,
    settings: Settings,
    name: str,
    content: bytes,
    content_type: str,
) -> None:
    before = files_under(settings.data_dir)
    async with as_english_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{targets.response.id}")
        reply = await c.post(
            f"/reports/responses/{targets.response.id}/files/summary_file",
            data={"csrf_token": token, "base.summary_file": ""},
            files={"file.summary_file": (name, content, content_type)},
        )
    assert reply.status_code == 422, reply.text[:300]
    message = BeautifulSoup(reply.text, "html.parser").get_text(" ")
    assert re.search(r"not accepted|do not match", message), message[:500]
    await nothing_stored(targets)
    assert files_under(settings.data_dir) == before


async def test_a_zip_bomb_called_xlsx_is_refused_as_a_form(
    world: World, as_english_user: Any
) -> None:
    bomb = zip_bomb_xlsx()
    assert len(bomb) < 2 * MB  # under the import limit: only what is inside can tell
    async with as_english_user("sec_a") as c:
        token = await csrf_token(c, "/reports/forms")
        reply = await c.post(
            "/reports/forms/import",
            data={"csrf_token": token, "owner": str(world.society_a.id)},
            files={"file": ("表单.xlsx", bomb, XLSX_TYPE)},
        )
    assert reply.status_code in (400, 422)
    assert "too large" in BeautifulSoup(reply.text, "html.parser").get_text(" ").lower()
    assert not await Form.exists()


async def test_a_zip_bomb_called_xlsx_is_refused_as_an_answer(
    world: World, targets: Targets, as_english_user: Any, settings: Settings
) -> None:
    before = files_under(settings.data_dir)
    async with as_english_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{targets.response.id}")
        reply = await c.post(
            f"/reports/responses/{targets.response.id}/files/summary_file",
            data={"csrf_token": token, "base.summary_file": ""},
            files={"file.summary_file": ("统计.xlsx", zip_bomb_xlsx(), XLSX_TYPE)},
        )
    # An xlsx with a large picture in it is a legitimate file: accepted or refused, it is
    # never inflated onto the disk.
    assert reply.status_code in (303, 422)
    added = files_under(settings.data_dir) - before
    assert all(p.is_relative_to(settings.uploads_dir) for p in added)
    assert sum(p.stat().st_size for p in added) < 2 * MB


# -- hostile names ----------------------------------------------------------------------------

HOSTILE_NAMES = [
    b"../../etc/passwd.pdf",
    b"..\\..\\x.pdf",
    b"/etc/cron.d/x.pdf",
    b"a\x00b.pdf",
    b"a\r\nSet-Cookie: x=1\r\n.pdf",
    b"a\"; filename*=UTF-8''evil.sh; x=\".pdf",
    b"<script>alert(1)</script>.pdf",
    b"x" * 1000 + b".pdf",
    "报告\u202efdp.pdf".encode(),
    "名单\u200b\u2028.pdf".encode(),
    b"CON.pdf",
    b"%2e%2e%2fpasswd.pdf",
    # Device names in forms Windows (or an ASCII fallback) folds back to CON, COM1, LPT2…
    "ＣＯＮ.pdf".encode(),
    "COM¹.pdf".encode(),
    "LPT².pdf".encode(),
    b"CONIN$.pdf",
    "ｎｕｌ .pdf".encode(),
    "CO中N.pdf".encode(),
]
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789"
}


def is_windows_device(name: str) -> bool:
    """What Windows would open as a device: the stem, compatibility-folded, less spaces."""
    stem = name.split(".")[0]
    return any(
        unicodedata.normalize(form, stem).strip(" ").upper() in WINDOWS_DEVICES
        for form in ("NFKC", "NFKD")
    )


UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
async def test_a_hostile_name_on_a_file_answer_is_stored_safely(
    app: Any,
    world: World,
    targets: Targets,
    as_user: Any,
    settings: Settings,
    name: bytes,
) -> None:
    before = files_under(settings.data_dir)
    async with as_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{targets.response.id}")
        reply = await c.post(
            f"/reports/responses/{targets.response.id}/files/summary_file",
            content=multipart({"base.summary_file": ""}, "file.summary_file", name, PDF),
            headers={
                "content-type": "multipart/form-data; boundary=B0UNDARY",
                "x-csrf-token": token,
            },
        )
        added = files_under(settings.data_dir) - before
        assert all(p.is_relative_to(settings.uploads_dir) for p in added), added
        if reply.status_code != 303:
            assert reply.status_code in (400, 422), reply.text[:300]
            await nothing_stored(targets)
            assert added == set()
            return
        stored = (await Response.get(id=targets.response.id)).answers["summary_file"]
        assert added == {app.state.storage.path(stored["key"])}
        assert re.fullmatch(r"[0-9a-f]{32}", stored["key"])
        shown = str(stored["name"])
        assert not UNSAFE.search(shown), shown
        assert 0 < len(shown) <= 200 and shown.endswith(".pdf")
        assert not shown.startswith(".")
        assert not is_windows_device(shown), shown
        download = await c.get(
            f"/reports/responses/{targets.response.id}/files/summary_file/{stored['key']}"
        )
    assert download.status_code == 200
    assert download.content == PDF
    check_download_headers(download)


def check_download_headers(download: httpx.Response) -> None:
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert re.fullmatch(
        r'attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8\'\'[\w%.\-~]+', disposition
    ), disposition
    fallback = disposition.split('filename="', 1)[1].split('"; filename*=', 1)[0]
    assert '"' not in fallback and "\\" not in fallback and "/" not in fallback
    assert not is_windows_device(fallback), fallback
    assert download.headers["x-content-type-options"] == "nosniff"
    assert not download.headers["content-type"].startswith(("text/html", "image/svg"))
    # One header each: nothing smuggled in through the name.
    assert download.headers.get_list("content-disposition") == [disposition]
    assert "set-cookie" not in download.headers


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
async def test_a_notice_attachment_with_any_stored_name_downloads_safely(
    app: Any, world: World, targets: Targets, as_user: Any, name: bytes
) -> None:
    """Whatever name an attachment holds (an older release, a forwarded copy, the
    database edited by hand), the download header stays one well-formed header."""
    stored = await app.state.storage.save(PDF, max_bytes=MB)
    await NoticeAttachment.create(
        notice=targets.notice,
        storage_key=stored.key,
        # PostgreSQL cannot hold NUL in text at all: the nearest it can hold.
        filename=name.decode("utf-8", "replace").replace("\x00", "\x01")[:200],
        kind="pdf",
        size=stored.size,
        sha256=stored.sha256,
    )
    attachment = await NoticeAttachment.get(notice_id=targets.notice.id)
    async with as_user("staff") as c:
        download = await c.get(f"/notices/{targets.notice.id}/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.content == PDF
    check_download_headers(download)
