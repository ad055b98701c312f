"""Database configuration and migrations of the intranet and its areas (Tortoise ORM)."""

from __future__ import annotations

import errno
import socket
import sqlite3
import sys
from typing import Any
from urllib.parse import urlencode

from tortoise import Tortoise
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate as _migrate

from intranet.areas import load_areas
from intranet.settings import Settings

# A write waits this long for another process (a backup, a CLI command) to let go.
# FULL syncs the WAL at every commit (about 0.3 ms here): a save the site has answered
# survives a power cut or an operating-system crash, which NORMAL does not promise.
SQLITE_PRAGMAS = {"busy_timeout": 10000, "synchronous": "FULL"}

# The intranet's own Tortoise app; each area adds its own (intranet.areas).
INTRANET_APP: dict[str, dict[str, Any]] = {
    "intranet": {
        "models": [
            "intranet.models",
            "intranet.notices.models",
            "intranet.notifications.models",
            "intranet.directory.models",
        ],
        "migrations": "intranet.migrations",
    },
}


def apps() -> dict[str, dict[str, Any]]:
    """Every Tortoise app of the site: the intranet's, then each area's."""
    found = dict(INTRANET_APP)
    for area in load_areas():
        if area.tortoise_app is not None:
            found[area.name] = area.tortoise_app
    return found


def connection_url(settings: Settings) -> str:
    if settings.is_sqlite:
        separator = "&" if "?" in settings.database_url else "?"
        return settings.database_url + separator + urlencode(SQLITE_PRAGMAS)
    return settings.database_url


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": connection_url(settings)},
        "apps": {label: {**app, "default_connection": "default"} for label, app in apps().items()},
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(settings: Settings) -> None:
    """Bring the database up to the committed migrations of the intranet and its areas."""
    await _migrate(config=tortoise_config(settings))


async def init(settings: Settings) -> None:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()


# Socket errors that mean the database server cannot be reached, as opposed to, say, a
# full disk while writing an upload.
_UNREACHABLE_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
    }
)
# asyncpg's errors for a server that is gone, going or not yet back (SQLSTATE class 08,
# 57P01-57P03, 53300 too many connections), by name: asyncpg is only imported on PostgreSQL.
# InternalClientError is what the pool raises when it resets a connection on its way back
# and the server, shutting down, has just told that connection it is being closed.
_ASYNCPG_UNAVAILABLE = (
    "PostgresConnectionError",
    "ConnectionDoesNotExistError",
    "AdminShutdownError",
    "CrashShutdownError",
    "CannotConnectNowError",
    "TooManyConnectionsError",
    "InternalClientError",
)


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, says the database cannot be reached
    or used for now (down, restarting, refusing connections, or on SQLite still locked
    after busy_timeout): the request may well succeed if tried again shortly."""
    asyncpg = sys.modules.get("asyncpg")
    unavailable: tuple[type[BaseException], ...] = (
        DBConnectionError,
        ConnectionError,
        TimeoutError,
        socket.gaierror,
    )
    if asyncpg is not None:
        unavailable += tuple(getattr(asyncpg, name) for name in _ASYNCPG_UNAVAILABLE)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, unavailable):
            return True
        if isinstance(current, OSError) and current.errno in _UNREACHABLE_ERRNOS:
            return True
        if isinstance(current, sqlite3.OperationalError) and "locked" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def __getattr__(name: str) -> Any:
    # For the `tortoise` CLI: tortoise -c intranet.db.TORTOISE_ORM makemigrations
    if name == "TORTOISE_ORM":
        from intranet.settings import load_settings

        return tortoise_config(load_settings())
    raise AttributeError(name)
