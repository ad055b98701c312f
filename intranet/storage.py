"""Where uploaded files are kept.

The site talks to a `Storage`; `LocalStorage` keeps files under the data directory's
uploads folder. An install spread over several machines can swap in shared storage
with the same four operations.

A stored file is named by a random key, never by the name the user gave it: the
original name is only for display and download (see intranet.uploads.clean_filename).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from intranet.settings import Settings

CHUNK_BYTES = 1024 * 1024
KEY_BYTES = 16
_KEY = re.compile(f"[0-9a-f]{{{KEY_BYTES * 2}}}")
TEMP_PREFIX = ".incoming-"

BytesLike = bytes | bytearray | memoryview
Source = BytesLike | AsyncIterable[bytes] | BinaryIO


class StorageError(Exception):
    """A file could not be stored or found."""


class TooLarge(StorageError):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the file is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


class EmptyFile(StorageError):
    def __init__(self) -> None:
        super().__init__("the file is empty")


class BadKey(StorageError, ValueError):
    def __init__(self, key: object) -> None:
        super().__init__(f"not a storage key: {key!r}")


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


class Storage(Protocol):
    async def save(self, source: Source, *, max_bytes: int) -> StoredFile:
        """Store everything `source` gives; raise TooLarge or EmptyFile and keep nothing."""
        ...

    async def open(self, key: str) -> AsyncGenerator[bytes, None]:
        """The stored bytes in chunks; FileNotFoundError if there is no such file."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove the file; False if it was not there."""
        ...

    async def exists(self, key: str) -> bool: ...


def new_key() -> str:
    return secrets.token_hex(KEY_BYTES)


def check_key(key: str) -> str:
    # Hex only, so a key can never name a parent folder or an absolute path.
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise BadKey(key)
    return key


async def _chunks(source: Source) -> AsyncGenerator[bytes, None]:
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for start in range(0, len(view), CHUNK_BYTES):
            yield bytes(view[start : start + CHUNK_BYTES])
    elif isinstance(source, AsyncIterable):
        async for chunk in source:
            yield bytes(chunk)
    else:
        while chunk := await asyncio.to_thread(source.read, CHUNK_BYTES):
            yield chunk


class LocalStorage:
    """Files under `root`, in two levels of folders named after the key (ab/cd/abcd…)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_settings(cls, settings: Settings) -> LocalStorage:
        return cls(settings.uploads_dir)

    def path(self, key: str) -> Path:
        """Where the file lives on disk, for serving it with a file response."""
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    async def save(self, source: Source, *, max_bytes: int) -> StoredFile:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        # The temporary file sits in the root so the final rename never crosses a
        # file system and a half-written file is never seen under a key.
        fd, temp_name = await asyncio.to_thread(tempfile.mkstemp, prefix=TEMP_PREFIX, dir=self.root)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                size, digest = await _write(handle, source, max_bytes)
                await asyncio.to_thread(_flush, handle)
            key = new_key()
            await asyncio.to_thread(_move, temp, self.path(key))
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=digest)

    async def open(self, key: str) -> AsyncGenerator[bytes, None]:
        handle = await asyncio.to_thread(self.path(key).open, "rb")
        return _read(handle)

    async def delete(self, key: str) -> bool:
        path = self.path(key)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)


async def _write(handle: BinaryIO, source: Source, max_bytes: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    pending = bytearray()
    async for chunk in _chunks(source):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(max_bytes)
        digest.update(chunk)
        pending += chunk
        if len(pending) >= CHUNK_BYTES:
            await asyncio.to_thread(handle.write, bytes(pending))
            pending.clear()
    if size == 0:
        raise EmptyFile()
    if pending:
        await asyncio.to_thread(handle.write, bytes(pending))
    return size, digest.hexdigest()


def _flush(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _move(temp: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, final)


async def _read(handle: BinaryIO) -> AsyncGenerator[bytes, None]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()
