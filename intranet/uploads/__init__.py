"""Which attachments the site accepts, judged by what is in them, and how they are named.

A file is accepted only when its contents are one of the kinds below *and* its
extension names the same kind: an HTML page called report.pdf, or an SVG called
photo.png, is refused, because browsers and office software trust one or the other.

The name a user gave a file is kept for display and download only; the file itself is
stored under a random key (see intranet.storage).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import StreamingResponse

from intranet.storage import CHUNK_BYTES, EmptyFile, LocalStorage, Storage, StoredFile, TooLarge
from intranet.uploads.kinds import (
    EXTENSIONS,
    FAMILIES,
    HEAD_BYTES,
    MAGIC,
    MARKUP_STARTS,
    MEDIA_TYPES,
    ODF_MIMETYPES,
    OOXML_FOLDERS,
    TEXT_ENCODINGS,
    AttachmentKind,
    Family,
    check_attachment,
    check_attachment_file,
    check_zip_members,
    is_text,
    looks_like_markup,
    sniff,
    storage_refusal,
)
from intranet.uploads.names import (
    FALLBACK_NAME,
    MAX_EXTENSION_CHARS,
    MAX_NAME_CHARS,
    RESERVED_NAMES,
    clean_filename,
    content_disposition,
    extension_of,
    is_reserved_name,
)
from intranet.uploads.refusal import MISMATCH, NOT_ACCEPTED, UploadRefused, refuse

__all__ = [
    "EXTENSIONS",
    "FALLBACK_NAME",
    "FAMILIES",
    "HEAD_BYTES",
    "MAGIC",
    "MARKUP_STARTS",
    "MAX_EXTENSION_CHARS",
    "MAX_FIELDS",
    "MAX_FILES",
    "MAX_NAME_CHARS",
    "MEDIA_TYPES",
    "MISMATCH",
    "NOT_ACCEPTED",
    "ODF_MIMETYPES",
    "OOXML_FOLDERS",
    "RESERVED_NAMES",
    "TEXT_ENCODINGS",
    "AttachmentKind",
    "CheckedFile",
    "Family",
    "UploadRefused",
    "check_attachment",
    "check_attachment_file",
    "check_stored",
    "check_zip_members",
    "clean_filename",
    "content_disposition",
    "download_response",
    "extension_of",
    "is_reserved_name",
    "is_text",
    "keep_file",
    "looks_like_markup",
    "read_all",
    "read_head",
    "refuse",
    "sniff",
    "storage_refusal",
    "upload_chunks",
    "upload_form",
]

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
