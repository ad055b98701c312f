"""Which kinds of file the site accepts, judged by their contents and their names."""

from __future__ import annotations

import codecs
import zipfile
from enum import StrEnum
from io import BytesIO
from pathlib import Path

from intranet.i18n import N_
from intranet.storage import EmptyFile, TooLarge
from intranet.uploads.names import clean_filename, extension_of
from intranet.uploads.refusal import MISMATCH, NOT_ACCEPTED, UploadRefused, refuse

HEAD_BYTES = 8192
_MIMETYPE_MAX_BYTES = 200


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
