"""Which attachments the site accepts, judged by what is in them, and how they are named.

A file is accepted only when its contents are one of the kinds below *and* its
extension names the same kind: an HTML page called report.pdf, or an SVG called
photo.png, is refused, because browsers and office software trust one or the other.

The name a user gave a file is kept for display and download only; the file itself is
stored under a random key (see intranet.storage).
"""

from __future__ import annotations

import asyncio
import codecs
import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import StreamingResponse

from intranet.i18n import N_, Refusal
from intranet.storage import CHUNK_BYTES, EmptyFile, LocalStorage, Storage, StoredFile, TooLarge

HEAD_BYTES = 8192
MAX_NAME_CHARS = 120
MAX_EXTENSION_CHARS = 10
FALLBACK_NAME = "download"
_MIMETYPE_MAX_BYTES = 200

NOT_ACCEPTED = N_("This kind of file is not accepted: %(name)s")
MISMATCH = N_("The contents of %(name)s do not match its file name extension")


class UploadRefused(Refusal):
    """An upload the site will not keep."""


class AttachmentKind(StrEnum):
    PDF = "pdf"
    DOC = "doc"
    XLS = "xls"
    PPT = "ppt"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    ODT = "odt"
    ODS = "ods"
    TXT = "txt"
    ZIP = "zip"
    JPEG = "jpeg"
    PNG = "png"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self]


class Family(StrEnum):
    """What the first bytes can tell: doc/xls/ppt share one container, as do docx/zip."""

    PDF = "pdf"
    OLE2 = "ole2"
    ZIP = "zip"
    JPEG = "jpeg"
    PNG = "png"
    TEXT = "text"


K = AttachmentKind
EXTENSIONS: dict[str, AttachmentKind] = {
    "pdf": K.PDF,
    "doc": K.DOC,
    "xls": K.XLS,
    "ppt": K.PPT,
    "docx": K.DOCX,
    "xlsx": K.XLSX,
    "pptx": K.PPTX,
    "odt": K.ODT,
    "ods": K.ODS,
    "txt": K.TXT,
    "zip": K.ZIP,
    "jpg": K.JPEG,
    "jpeg": K.JPEG,
    "png": K.PNG,
}
FAMILIES: dict[AttachmentKind, Family] = {
    K.PDF: Family.PDF,
    K.DOC: Family.OLE2,
    K.XLS: Family.OLE2,
    K.PPT: Family.OLE2,
    K.DOCX: Family.ZIP,
    K.XLSX: Family.ZIP,
    K.PPTX: Family.ZIP,
    K.ODT: Family.ZIP,
    K.ODS: Family.ZIP,
    K.ZIP: Family.ZIP,
    K.TXT: Family.TEXT,
    K.JPEG: Family.JPEG,
    K.PNG: Family.PNG,
}
_OOXML = "application/vnd.openxmlformats-officedocument."
MEDIA_TYPES: dict[AttachmentKind, str] = {
    K.PDF: "application/pdf",
    K.DOC: "application/msword",
    K.XLS: "application/vnd.ms-excel",
    K.PPT: "application/vnd.ms-powerpoint",
    K.DOCX: _OOXML + "wordprocessingml.document",
    K.XLSX: _OOXML + "spreadsheetml.sheet",
    K.PPTX: _OOXML + "presentationml.presentation",
    K.ODT: "application/vnd.oasis.opendocument.text",
    K.ODS: "application/vnd.oasis.opendocument.spreadsheet",
    K.TXT: "text/plain",
    K.ZIP: "application/zip",
    K.JPEG: "image/jpeg",
    K.PNG: "image/png",
}
MAGIC: tuple[tuple[bytes, Family], ...] = (
    (b"%PDF-", Family.PDF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Family.OLE2),
    (b"PK\x03\x04", Family.ZIP),
    (b"\xff\xd8\xff", Family.JPEG),
    (b"\x89PNG\r\n\x1a\n", Family.PNG),
)
ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": K.ODT,
    "application/vnd.oasis.opendocument.spreadsheet": K.ODS,
}
OOXML_FOLDERS = (("word/", K.DOCX), ("xl/", K.XLSX), ("ppt/", K.PPTX))
# Text that a browser would render as a page if it were ever shown inline.
MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<svg", b"<?xml", b"<script")
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")

# Windows refuses these as file names whatever the extension (CON.txt, nul.tar.gz), and
# also in their folded forms: it reads ＣＯＮ, COM¹ and LPT² as CON, COM1 and LPT2.
RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"COM{n}" for n in range(10)]
    + [f"LPT{n}" for n in range(10)]
)
_UNSAFE_CHARS = re.compile(r'[<>:"|?*]')
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def refuse(code: str, message: str, name: str | None = None) -> UploadRefused:
    return UploadRefused(code, message, {"name": name} if name is not None else None)


# -- names ------------------------------------------------------------------------------


def clean_filename(name: str) -> str:
    """The name to show and offer for download; raises UploadRefused("name") if none is left."""
    name = unicodedata.normalize("NFC", name)
    # Control characters, bidi overrides (report\u202efdp.exe) and zero-width marks go.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split())
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        raise UploadRefused("name", N_("The file needs a name"))
    if is_reserved_name(name):
        name = "_" + name
    return _trim(name)


def is_reserved_name(name: str) -> bool:
    """Whether Windows would take the name for a device: the part before the first dot,
    less spaces, compared in its compatibility-folded forms (NFKC and NFKD)."""
    stem = name.split(".")[0]
    folded = {unicodedata.normalize(form, stem).strip(" ").upper() for form in ("NFKC", "NFKD")}
    return not folded.isdisjoint(RESERVED_NAMES)


def _trim(name: str) -> str:
    if len(name) <= MAX_NAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS:
        return name[:MAX_NAME_CHARS].rstrip(". ")
    stem = stem[: MAX_NAME_CHARS - len(extension) - 1].rstrip(". ")
    return f"{stem}.{extension}" if stem else extension


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def content_disposition(filename: str) -> str:
    """An attachment header (RFC 6266) with an ASCII fallback and the full UTF-8 name."""
    try:
        name = clean_filename(filename)
    except UploadRefused:
        name = FALLBACK_NAME
    return (
        f'attachment; filename="{_ascii_fallback(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='', encoding='utf-8')}"
    )


def _ascii_fallback(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    stem, extension = _ascii(stem).strip(" ."), _ascii(extension)
    if not any(ch.isalnum() for ch in stem):
        stem = FALLBACK_NAME
    fallback = f"{stem}.{extension}" if extension else stem
    # Dropping what is not ASCII can make a device name (ＣＯＮ.txt, CO中N.txt → CON.txt).
    return "_" + fallback if is_reserved_name(fallback) else fallback


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    # Only plain printable characters, and none that ends or escapes a quoted string.
    return re.sub(r'[^\x20-\x7e]|["\\%]', "_", text)


# -- contents ---------------------------------------------------------------------------


def check_attachment(filename: str, head: bytes) -> AttachmentKind:
    """Judge a file by its first bytes (HEAD_BYTES or more) and its name.

    For docx/xlsx/pptx/odt/ods the first bytes only show a zip archive; call
    `check_attachment_file` once the whole file is there to look inside it.
    """
    name = clean_filename(filename)
    kind = EXTENSIONS.get(extension_of(name))
    if kind is None:
        raise refuse("type", NOT_ACCEPTED, name)
    if not head:
        raise refuse("empty", N_("%(name)s is empty"), name)
    family = sniff(head)
    if family is None:
        raise refuse("type", NOT_ACCEPTED, name)
    if family != FAMILIES[kind]:
        raise refuse("mismatch", MISMATCH, name)
    if family is Family.TEXT and looks_like_markup(head):
        raise refuse("type", NOT_ACCEPTED, name)
    return kind


def check_attachment_file(filename: str, source: Path | bytes) -> AttachmentKind:
    """`check_attachment`, and for zip archives a look at what is inside."""
    if isinstance(source, Path):
        with source.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    else:
        head = bytes(source[:HEAD_BYTES])
    kind = check_attachment(filename, head)
    if FAMILIES[kind] is Family.ZIP and kind is not K.ZIP:
        name = clean_filename(filename)
        if check_zip_members(source, name) is not kind:
            raise refuse("mismatch", MISMATCH, name)
    return kind


def check_zip_members(source: Path | bytes, name: str = "") -> AttachmentKind:
    """DOCX/XLSX/PPTX/ODT/ODS from the archive's parts, or ZIP for any other archive.

    Only the list of members and the small ODF `mimetype` entry are read, so an archive
    that would unpack to something huge costs nothing here.
    """
    try:
        with zipfile.ZipFile(source if isinstance(source, Path) else BytesIO(source)) as archive:
            members = archive.namelist()
            if "mimetype" in members:
                return _odf_kind(archive, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise refuse("type", NOT_ACCEPTED, name) from None
    if "[Content_Types].xml" not in members:
        return K.ZIP
    if any(member.lower().endswith("vbaproject.bin") for member in members):
        raise refuse("type", NOT_ACCEPTED, name)  # macro-enabled, whatever it is called
    for folder, kind in OOXML_FOLDERS:
        if any(member.startswith(folder) for member in members):
            return kind
    raise refuse("type", NOT_ACCEPTED, name)


def _odf_kind(archive: zipfile.ZipFile, name: str) -> AttachmentKind:
    if archive.getinfo("mimetype").file_size > _MIMETYPE_MAX_BYTES:
        raise refuse("type", NOT_ACCEPTED, name)
    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    kind = ODF_MIMETYPES.get(mimetype)
    if kind is None:
        raise refuse("type", NOT_ACCEPTED, name)
    return kind


def sniff(head: bytes) -> Family | None:
    for magic, family in MAGIC:
        if head.startswith(magic):
            return family
    return Family.TEXT if is_text(head) else None


def is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in TEXT_ENCODINGS:
        # Incremental, so a character cut in two at the end of the head is no error.
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def looks_like_markup(head: bytes) -> bool:
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()[:64].lower()
    return start.startswith(MARKUP_STARTS)


def storage_refusal(filename: str, error: TooLarge | EmptyFile) -> UploadRefused:
    """The refusal to show for a file that storage would not keep."""
    try:
        name = clean_filename(filename)
    except UploadRefused as refusal:
        return refusal
    if isinstance(error, TooLarge):
        limit = f"{error.max_bytes / (1024 * 1024):g}"
        return UploadRefused(
            "too_large",
            N_("%(name)s is larger than the limit of %(limit)s MB"),
            {"name": name, "limit": limit},
        )
    return refuse("empty", N_("%(name)s is empty"), name)


# -- keeping an upload, and giving a file back -------------------------------------------

# Files in one upload; the CSRF check parses forms with the same limit.
MAX_FILES = 20
MAX_FIELDS = 20


@dataclass(frozen=True)
class CheckedFile:
    """An upload that is stored and whose contents match its name."""

    filename: str
    kind: AttachmentKind
    stored: StoredFile


async def upload_form(request: Request) -> tuple[FormData, bool]:
    """The form, parsed here with the upload limits unless the CSRF check already read it;
    and whether it was parsed here (then it is ours to close)."""
    form = request.scope.get("huibao.form")
    if form is not None:
        return form, False
    settings = request.app.state.settings
    form = await request.form(
        max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=settings.max_form_bytes
    )
    return form, True


async def keep_file(storage: Storage, upload: UploadFile, max_bytes: int) -> CheckedFile:
    """Store one upload and judge what was stored; on refusal nothing of it is kept."""
    filename = clean_filename(upload.filename or "")
    if extension_of(filename) not in EXTENSIONS:
        # Refused by its name alone: not worth writing to disk.
        raise refuse("type", NOT_ACCEPTED, filename)
    try:
        stored = await storage.save(upload_chunks(upload), max_bytes=max_bytes)
    except (TooLarge, EmptyFile) as error:
        raise storage_refusal(filename, error) from None
    try:
        kind = await check_stored(storage, stored.key, filename)
    except BaseException:
        await storage.delete(stored.key)
        raise
    return CheckedFile(filename=filename, kind=kind, stored=stored)


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    await upload.seek(0)
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


async def check_stored(storage: Storage, key: str, filename: str) -> AttachmentKind:
    """What the stored file is, judged by its first bytes, and for zip-based office files
    by the archive's members too; UploadRefused if that does not match its name."""
    head = await read_head(storage, key)
    kind = check_attachment(filename, head)
    if FAMILIES[kind] is not Family.ZIP:
        return kind
    whole: Any = (
        storage.path(key) if isinstance(storage, LocalStorage) else await read_all(storage, key)
    )
    return await asyncio.to_thread(check_attachment_file, filename, whole)


async def read_head(storage: Storage, key: str) -> bytes:
    head = bytearray()
    async with aclosing(await storage.open(key)) as chunks:
        async for chunk in chunks:
            head += chunk
            if len(head) >= HEAD_BYTES:
                break
    return bytes(head[:HEAD_BYTES])


async def read_all(storage: Storage, key: str) -> bytes:
    async with aclosing(await storage.open(key)) as chunks:
        return b"".join([chunk async for chunk in chunks])


def download_response(
    chunks: AsyncIterator[bytes], filename: str, size: int, media_type: str
) -> StreamingResponse:
    """A stored file, always as a download under `filename`: never shown inline and run
    in a sandbox, so an office file or a page cannot act as a page of the site."""
    headers = {
        "content-disposition": content_disposition(filename),
        "content-length": str(size),
        "x-content-type-options": "nosniff",
        "cache-control": "private, no-cache",
        "content-security-policy": "default-src 'none'; sandbox",
    }
    return StreamingResponse(
        chunks, media_type=media_type or "application/octet-stream", headers=headers
    )
