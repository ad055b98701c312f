"""What every `huibao` command uses: its error, its argument types, and running database
work (see intranet.cli, which assembles the commands)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from intranet import db
from intranet.settings import Settings

T = TypeVar("T")


class CommandError(Exception):
    """A command cannot go on. The message is printed as one line."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def port(raw: str) -> int:
    value = positive(raw)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


# -- running database work ------------------------------------------------------------------


def with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Migrate, then run `work` with the ORM ready, and let go of the database."""

    async def session() -> T:
        try:
            await db.migrate(settings)
            await db.init(settings)
            return await work()
        finally:
            await db.close()

    try:
        return asyncio.run(session())
    except OSError as exc:
        raise CommandError(
            f"HUIBAO_DATABASE_URL: cannot reach {redacted(settings.database_url)}: {exc}"
        ) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("asyncpg", "tortoise.exceptions")):
            raise CommandError(f"database {redacted(settings.database_url)}: {exc}") from None
        raise


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
