"""Database configuration and migrations for both packages (Tortoise ORM)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tortoise import Tortoise
from tortoise.migrations.api import migrate as _migrate

from intranet.settings import Settings

# A write waits this long for another process (a backup, a CLI command) to let go.
SQLITE_PRAGMAS = {"busy_timeout": 10000, "synchronous": "NORMAL"}

APPS: dict[str, dict[str, Any]] = {
    "intranet": {
        "models": ["intranet.models", "intranet.notices.models", "intranet.notifications.models"],
        "migrations": "intranet.migrations",
    },
    "surveys": {"models": ["surveys.models"], "migrations": "surveys.migrations"},
}


def connection_url(settings: Settings) -> str:
    if settings.is_sqlite:
        separator = "&" if "?" in settings.database_url else "?"
        return settings.database_url + separator + urlencode(SQLITE_PRAGMAS)
    return settings.database_url


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": connection_url(settings)},
        "apps": {label: {**app, "default_connection": "default"} for label, app in APPS.items()},
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(settings: Settings) -> None:
    """Bring the database up to the committed migrations of both packages."""
    await _migrate(config=tortoise_config(settings))


async def init(settings: Settings) -> None:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()


def __getattr__(name: str) -> Any:
    # For the `tortoise` CLI: tortoise -c intranet.db.TORTOISE_ORM makemigrations
    if name == "TORTOISE_ORM":
        from intranet.settings import load_settings

        return tortoise_config(load_settings())
    raise AttributeError(name)
