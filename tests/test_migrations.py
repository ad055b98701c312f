"""The committed migrations build the schema the models describe, and nothing is missing.

Two brand-new databases: one built by `huibao migrate`, one by Tortoise straight from the
models (generate_schemas). Their tables, columns, indexes and foreign keys must match.
Then `tortoise makemigrations` must find no model change without a migration.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.databases import Database, drop_postgres_database, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("intranet", "surveys")
MIGRATION_TABLES = {"tortoise_migrations"}

GENERATE_SCHEMA = """
import asyncio
from tortoise import Tortoise
from intranet import db
from intranet.settings import load_settings

async def main():
    await db.init(load_settings())
    try:
        await Tortoise.generate_schemas(safe=False)
    finally:
        await db.close()

asyncio.run(main())
"""

Schema = dict[str, Any]


@pytest.fixture
async def migrated(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path / "migrated", "migrated")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


@pytest.fixture
async def generated(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path / "generated", "generated")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


def run(database: Database, *command: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        [sys.executable, *command],
        cwd=cwd,
        env=database.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_migrations_build_the_schema_of_the_models(
    migrated: Database, generated: Database
) -> None:
    run(migrated, "-m", "intranet", "migrate")
    run(generated, "-c", GENERATE_SCHEMA)

    from_migrations = await schema_of(migrated)
    from_models = await schema_of(generated)

    assert from_migrations["tables"] - MIGRATION_TABLES == from_models["tables"]
    for part in ("columns", "indexes", "foreign_keys"):
        assert _without_migration_tables(from_migrations[part]) == from_models[part], part


async def test_migrating_twice_changes_nothing(migrated: Database) -> None:
    run(migrated, "-m", "intranet", "migrate")
    before = await schema_of(migrated)

    run(migrated, "-m", "intranet", "migrate")

    assert await schema_of(migrated) == before


def test_no_model_change_lacks_a_migration(tmp_path: Path) -> None:
    # makemigrations writes any migration it finds missing next to the packages it
    # imports, so it runs on a copy of them: a failure here never writes into the tree.
    copy = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    database = Database(tmp_path / "data", None)
    database.data_dir.mkdir()
    before = sorted(path.relative_to(copy) for path in copy.rglob("*.py"))
    imported = run(database, "-c", "import intranet; print(intranet.__file__)", cwd=copy)
    assert Path(imported.strip()).is_relative_to(copy)

    output = run(
        database, "-m", "tortoise", "-c", "intranet.db.TORTOISE_ORM", "makemigrations", cwd=copy
    )

    assert "No changes detected" in output
    assert sorted(path.relative_to(copy) for path in copy.rglob("*.py")) == before


# -- reading a schema back ------------------------------------------------------------------


def _without_migration_tables(items: set[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    return {item for item in items if item[0] not in MIGRATION_TABLES}


async def schema_of(database: Database) -> Schema:
    if database.is_sqlite:
        return sqlite_schema(database.sqlite_path)
    return await postgres_schema(database)


def sqlite_schema(path: Path) -> Schema:
    connection = sqlite3.connect(path)
    try:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        columns, indexes, foreign_keys = set(), set(), set()
        for table in tables:
            for _, name, kind, not_null, default, pk in connection.execute(
                f'PRAGMA table_info("{table}")'
            ):
                columns.add((table, name, kind.upper(), bool(not_null), default, pk))
            for _, index, unique, _origin, partial in connection.execute(
                f'PRAGMA index_list("{table}")'
            ):
                names = tuple(row[2] for row in connection.execute(f'PRAGMA index_info("{index}")'))
                indexes.add((table, names, bool(unique), bool(partial)))
            for row in connection.execute(f'PRAGMA foreign_key_list("{table}")'):
                _, _, target, source, target_column, on_update, on_delete, _ = row
                foreign_keys.add((table, source, target, target_column, on_update, on_delete))
    finally:
        connection.close()
    return {"tables": tables, "columns": columns, "indexes": indexes, "foreign_keys": foreign_keys}


async def postgres_schema(database: Database) -> Schema:
    tables = set(
        await database.column(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    )
    columns = set(
        await database.rows(
            "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, "
            "column_default, is_identity FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
    )
    indexes = set(
        await database.rows(
            "SELECT t.relname, "
            "  array_to_string(array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)"
            "    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o), ','),"
            "  i.indisunique, i.indisprimary, i.indpred IS NOT NULL "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public'"
        )
    )
    foreign_keys = set(
        await database.rows(
            "SELECT c.conrelid::regclass::text, "
            "  array_to_string(array(SELECT a.attname FROM unnest(c.conkey) k(n) "
            "    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n), ','), "
            "  c.confrelid::regclass::text, c.confupdtype, c.confdeltype "
            "FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace "
            "WHERE c.contype = 'f' AND s.nspname = 'public'"
        )
    )
    return {"tables": tables, "columns": columns, "indexes": indexes, "foreign_keys": foreign_keys}
