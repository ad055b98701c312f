"""Throwaway databases for tests that run the `huibao` command or the server in another
process, and so cannot share the in-process suite's database.

On SQLite each test gets a file in its own temporary directory. With
HUIBAO_TEST_DATABASE_URL=postgres://.../NAME set, a test gets a fresh database on the same
server called NAME_<suffix>, so runs against different test databases never collide.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

CHEAP_ARGON2 = {
    "HUIBAO_ARGON2_TIME_COST": "1",
    "HUIBAO_ARGON2_MEMORY_KIB": "64",
    "HUIBAO_ARGON2_PARALLELISM": "1",
}


def postgres_test_url() -> str | None:
    url = os.environ.get("HUIBAO_TEST_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def sibling_url(url: str, suffix: str) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def _name_and_admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path.lstrip("/"), urlunsplit(parts._replace(path="/postgres"))


async def create_postgres_database(url: str) -> None:
    """Drop (if left over) and create the database `url` names."""
    import asyncpg

    name, admin_url = _name_and_admin_url(url)
    try:
        connection = await asyncpg.connect(admin_url)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"cannot reach PostgreSQL to create {name}: {exc}")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_postgres_database(url: str) -> None:
    import asyncpg

    name, admin_url = _name_and_admin_url(url)
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


class Database:
    """One throwaway database: its URL (None means the default SQLite file in the data
    directory) and plain queries against it."""

    def __init__(self, data_dir: Path, url: str | None) -> None:
        self.data_dir = data_dir
        self.url = url

    @property
    def is_sqlite(self) -> bool:
        return self.url is None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "huibao.sqlite3"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for `huibao` run against this database (no HUIBAO_* leaks in)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("HUIBAO_")}
        env.update(CHEAP_ARGON2, HUIBAO_DATA_DIR=str(self.data_dir))
        if self.url:
            env["HUIBAO_DATABASE_URL"] = self.url
        env.update(extra)
        return env

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url is None:
            connection = sqlite3.connect(self.sqlite_path)
            try:
                return [tuple(row) for row in connection.execute(sql).fetchall()]
            finally:
                connection.close()
        import asyncpg

        pg = await asyncpg.connect(self.url)
        try:
            return [tuple(row) for row in await pg.fetch(sql)]
        finally:
            await pg.close()

    async def column(self, sql: str) -> Sequence[Any]:
        return [row[0] for row in await self.rows(sql)]


async def throwaway_database(tmp_path: Path, suffix: str) -> Database:
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    base = postgres_test_url()
    if base is None:
        return Database(data_dir, None)
    url = sibling_url(base, suffix)
    await create_postgres_database(url)
    return Database(data_dir, url)
