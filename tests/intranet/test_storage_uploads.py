from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from intranet.storage import BadKey, EmptyFile, LocalStorage, StoredFile, TooLarge
from intranet.uploads import (
    AttachmentKind,
    UploadRefused,
    check_attachment,
    check_attachment_file,
    check_zip_members,
    clean_filename,
    content_disposition,
    storage_refusal,
)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
    b"\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ooxml(folder: str, part: str) -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", f"{folder}/{part}": b"<x/>"})


def odf(mimetype: str) -> bytes:
    return zipped({"mimetype": mimetype.encode(), "content.xml": b"<x/>"})


DOCX = ooxml("word", "document.xml")
XLSX = ooxml("xl", "workbook.xml")
PPTX = ooxml("ppt", "presentation.xml")
ODT = odf("application/vnd.oasis.opendocument.text")
ODS = odf("application/vnd.oasis.opendocument.spreadsheet")
PLAIN_ZIP = zipped({"readme.txt": b"hello"})


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def read_all(storage: LocalStorage, key: str) -> bytes:
    return b"".join([chunk async for chunk in await storage.open(key)])


# -- storage ----------------------------------------------------------------------------


async def test_it_saves_opens_and_deletes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "uploads")
    stored = await storage.save(chunks(b"hello ", b"world"), max_bytes=100)

    assert stored == StoredFile(stored.key, 11, hashlib.sha256(b"hello world").hexdigest())
    assert await storage.exists(stored.key)
    assert await read_all(storage, stored.key) == b"hello world"
    assert await storage.delete(stored.key)
    assert not await storage.exists(stored.key)
    assert not await storage.delete(stored.key)
    with pytest.raises(FileNotFoundError):
        await storage.open(stored.key)


@pytest.mark.parametrize("source", [b"x" * 3000, bytearray(b"x" * 3000), io.BytesIO(b"x" * 3000)])
async def test_it_takes_bytes_and_files(tmp_path: Path, source: object) -> None:
    storage = LocalStorage(tmp_path)
    stored = await storage.save(source, max_bytes=3000)  # type: ignore[arg-type]
    assert stored.size == 3000
    assert await read_all(storage, stored.key) == b"x" * 3000


async def test_it_names_files_by_a_random_sharded_key(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    first = await storage.save(b"same", max_bytes=10)
    second = await storage.save(b"same", max_bytes=10)

    assert first.key != second.key
    assert len(first.key) == 32 and int(first.key, 16) >= 0
    assert storage.path(first.key) == tmp_path / first.key[:2] / first.key[2:4] / first.key
    assert storage.path(first.key).read_bytes() == b"same"
    files = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    assert files == sorted([storage.path(first.key), storage.path(second.key)])


async def test_it_refuses_a_file_over_the_limit_and_keeps_nothing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(TooLarge):
        await storage.save(chunks(b"a" * 60, b"b" * 60), max_bytes=100)
    with pytest.raises(TooLarge):
        await storage.save(b"c" * 101, max_bytes=100)
    assert tree(tmp_path) == []


async def test_it_accepts_a_file_of_exactly_the_limit(tmp_path: Path) -> None:
    stored = await LocalStorage(tmp_path).save(b"a" * 100, max_bytes=100)
    assert stored.size == 100


@pytest.mark.parametrize("source", [b"", chunks(), chunks(b"", b"")])
async def test_it_refuses_an_empty_file_and_keeps_nothing(tmp_path: Path, source: object) -> None:
    with pytest.raises(EmptyFile):
        await LocalStorage(tmp_path).save(source, max_bytes=100)  # type: ignore[arg-type]
    assert tree(tmp_path) == []


async def test_it_keeps_nothing_when_the_stream_breaks(tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"part of it"
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await LocalStorage(tmp_path).save(broken(), max_bytes=100)
    assert tree(tmp_path) == []


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "ab/../../etc/passwd",
        "/etc/passwd",
        "..",
        "",
        "0123456789abcdef0123456789ABCDEF",
        "0123456789abcdef0123456789abcdef\n",
        "0123456789abcdef0123456789abcde/",
    ],
)
async def test_it_refuses_keys_that_are_not_its_own(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(BadKey):
        await storage.open(key)
    with pytest.raises(BadKey):
        await storage.delete(key)
    with pytest.raises(BadKey):
        await storage.exists(key)


# -- kinds of file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content", "kind"),
    [
        ("通知.pdf", PDF, AttachmentKind.PDF),
        ("报名表.doc", OLE2, AttachmentKind.DOC),
        ("统计.XLS", OLE2, AttachmentKind.XLS),
        ("汇报.ppt", OLE2, AttachmentKind.PPT),
        ("报名表.docx", DOCX, AttachmentKind.DOCX),
        ("统计.xlsx", XLSX, AttachmentKind.XLSX),
        ("汇报.pptx", PPTX, AttachmentKind.PPTX),
        ("notes.odt", ODT, AttachmentKind.ODT),
        ("sheet.ods", ODS, AttachmentKind.ODS),
        ("材料.zip", PLAIN_ZIP, AttachmentKind.ZIP),
        ("材料.zip", DOCX, AttachmentKind.ZIP),
        ("photo.jpg", JPEG, AttachmentKind.JPEG),
        ("photo.jpeg", JPEG, AttachmentKind.JPEG),
        ("chart.png", PNG, AttachmentKind.PNG),
        ("说明.txt", "会议于三月召开。\n".encode(), AttachmentKind.TXT),
        ("说明.txt", "会议于三月召开。\n".encode("gb18030"), AttachmentKind.TXT),
    ],
)
def test_it_accepts_each_kind(filename: str, content: bytes, kind: AttachmentKind) -> None:
    assert check_attachment(filename, content[:8192]) is kind
    assert check_attachment_file(filename, content) is kind


def test_it_checks_a_stored_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(XLSX)
    assert check_attachment_file("统计.xlsx", path) is AttachmentKind.XLSX
    path.write_bytes(PLAIN_ZIP)
    with pytest.raises(UploadRefused):
        check_attachment_file("统计.xlsx", path)


def test_it_reads_the_kind_inside_a_zip() -> None:
    assert check_zip_members(DOCX) is AttachmentKind.DOCX
    assert check_zip_members(XLSX) is AttachmentKind.XLSX
    assert check_zip_members(PPTX) is AttachmentKind.PPTX
    assert check_zip_members(ODT) is AttachmentKind.ODT
    assert check_zip_members(ODS) is AttachmentKind.ODS
    assert check_zip_members(PLAIN_ZIP) is AttachmentKind.ZIP


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("通知.pdf", HTML, "mismatch"),
        ("photo.docx", PNG, "mismatch"),
        ("统计.xlsx", PLAIN_ZIP, "mismatch"),
        ("统计.xlsx", DOCX, "mismatch"),
        ("报名表.doc", PDF, "mismatch"),
        ("icon.png", SVG, "mismatch"),
        ("icon.svg", SVG, "type"),
        ("page.html", HTML, "type"),
        ("page.txt", HTML, "type"),
        ("icon.txt", b"  \n" + SVG, "type"),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "type"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "type"),
        ("archive.7z", b"7z\xbc\xaf\x27\x1c", "type"),
        ("noextension", PDF, "type"),
        ("empty.pdf", b"", "empty"),
        ("macro.docx", zipped({"[Content_Types].xml": b"", "word/vbaProject.bin": b""}), "type"),
        ("slides.odt", odf("application/vnd.oasis.opendocument.presentation"), "type"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "type"),
        ("../", PDF, "name"),
    ],
)
def test_it_refuses_files_that_are_not_what_they_claim(
    filename: str, content: bytes, code: str
) -> None:
    with pytest.raises(UploadRefused) as refused:
        check_attachment_file(filename, content)
    assert refused.value.code == code


def test_a_refusal_carries_a_message_to_translate() -> None:
    with pytest.raises(UploadRefused) as refused:
        check_attachment("page.html", HTML)
    assert refused.value.message == "This kind of file is not accepted: %(name)s"
    assert refused.value.params == {"name": "page.html"}
    assert str(refused.value) == "This kind of file is not accepted: page.html"


def test_storage_errors_become_refusals() -> None:
    too_large = storage_refusal("大.pdf", TooLarge(20 * 1024 * 1024))
    assert (too_large.code, too_large.params) == ("too_large", {"name": "大.pdf", "limit": "20"})
    assert storage_refusal("空.pdf", EmptyFile()).code == "empty"


# -- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\张三\\Desktop\\报名表.docx", "报名表.docx"),
        ("a\x00b\u202e.pdf", "ab.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("...hidden.txt", "hidden.txt"),
        ("trailing.pdf. . ", "trailing.pdf"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("console.txt", "console.txt"),
        ('a<b>c:"d"|e?f*.pdf', "a_b_c__d__e_f_.pdf"),
        ("e\u0301te\u0301.txt", "été.txt"),
        ("关于召开2020年会议的通知.docx", "关于召开2020年会议的通知.docx"),
    ],
)
def test_it_cleans_file_names(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


@pytest.mark.parametrize(
    ("raw", "stored", "fallback"),
    [
        ("ＣＯＮ.txt", "_ＣＯＮ.txt", "_CON.txt"),
        ("COM¹.txt", "_COM¹.txt", "_COM1.txt"),
        ("LPT².txt", "_LPT².txt", "_LPT2.txt"),
        ("CONIN$.txt", "_CONIN$.txt", "_CONIN$.txt"),
        ("conout$.log", "_conout$.log", "_conout$.log"),
        ("ｎｕｌ .tar.gz", "_ｎｕｌ .tar.gz", "_nul .tar.gz"),
        ("Ａｕｘ", "_Ａｕｘ", "_Aux"),
        ("COM0.txt", "_COM0.txt", "_COM0.txt"),
        # Not a device name itself, but its ASCII fallback would be one.
        ("CO中N.txt", "CO中N.txt", "_CON.txt"),
        ("LPT²号.docx", "LPT²号.docx", "_LPT2.docx"),
        # Names that merely start like one are left alone.
        ("COM¹².txt", "COM¹².txt", "COM12.txt"),
        ("ＣＯＮＳＯＬＥ.txt", "ＣＯＮＳＯＬＥ.txt", "CONSOLE.txt"),
    ],
)
def test_it_keeps_device_names_out_after_folding(raw: str, stored: str, fallback: str) -> None:
    assert clean_filename(raw) == stored
    assert content_disposition(raw).startswith(f'attachment; filename="{fallback}";')


def test_it_trims_long_names_keeping_the_extension() -> None:
    name = clean_filename("长" * 300 + ".pdf")
    assert len(name) == 120
    assert name == "长" * 116 + ".pdf"


@pytest.mark.parametrize("raw", ["", "   ", "...", "a/b/", "\u202e\x00", "C:\\dir\\"])
def test_it_refuses_names_with_nothing_left(raw: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        clean_filename(raw)
    assert refused.value.code == "name"


def test_content_disposition_for_a_chinese_name() -> None:
    header = content_disposition("关于召开2020年会议的通知.docx")
    assert header == (
        'attachment; filename="2020.docx"; '
        "filename*=UTF-8''%E5%85%B3%E4%BA%8E%E5%8F%AC%E5%BC%802020%E5%B9%B4"
        "%E4%BC%9A%E8%AE%AE%E7%9A%84%E9%80%9A%E7%9F%A5.docx"
    )
    header.encode("latin-1")


def test_content_disposition_for_a_name_with_no_ascii_letters() -> None:
    assert content_disposition("通知.pdf").startswith('attachment; filename="download.pdf";')


@pytest.mark.parametrize(
    "raw", ['evil"; filename="x.html.pdf', 'a\\"b\r\nSet-Cookie: x=1.txt', "50%.pdf", "\r\n"]
)
def test_content_disposition_cannot_break_the_header(raw: str) -> None:
    header = content_disposition(raw)
    fallback = header.split('filename="', 1)[1].split('"; filename*=', 1)[0]
    assert not set(fallback) & set('"\\\r\n%')
    assert header.count('"') == 2
    assert "\r" not in header and "\n" not in header
    assert all(0x20 <= ord(ch) < 0x7F for ch in header)


async def test_it_keeps_nothing_when_the_upload_is_cancelled(tmp_path: Path) -> None:
    started = asyncio.Event()

    async def stalled() -> AsyncIterator[bytes]:
        yield b"part of it"
        started.set()
        await asyncio.sleep(3600)
        yield b"never"

    saving = asyncio.create_task(LocalStorage(tmp_path).save(stalled(), max_bytes=100))
    await started.wait()
    saving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await saving
    assert tree(tmp_path) == []
