"""Test fixtures: one migrated database per run, emptied before every test.

Set HUIBAO_TEST_DATABASE_URL=postgres://... to run the same suite on PostgreSQL; the
public schema of that database is dropped and rebuilt from the migrations first.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import connections

from intranet import db
from intranet.app import create_app
from intranet.models import Category, Membership, Organisation, OrganisationKind, Role, User
from intranet.security import hash_password
from intranet.settings import Settings, load_settings

PASSWORD = "Correct-Horse-42"
KEPT_TABLES = {"tortoise_migrations"}


def test_database_url(data_dir: Path) -> str:
    return os.environ.get("HUIBAO_TEST_DATABASE_URL") or f"sqlite:///{data_dir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("huibao-data")


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    return load_settings(
        {
            "HUIBAO_DATA_DIR": str(data_dir),
            "HUIBAO_DATABASE_URL": test_database_url(data_dir),
            "HUIBAO_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            # Where the in-process client reaches the site (httpx's default host).
            "HUIBAO_SITE_URL": "http://testserver",
            # Cheap hashes keep the suite fast; production parameters are the defaults.
            "HUIBAO_ARGON2_TIME_COST": "1",
            "HUIBAO_ARGON2_MEMORY_KIB": "64",
            "HUIBAO_ARGON2_PARALLELISM": "1",
        }
    )


async def reset_schema(settings: Settings) -> None:
    """Leave an empty database for the migrations to build on."""
    if settings.is_sqlite:
        return  # a new file in a new temporary directory
    import asyncpg

    connection = await asyncpg.connect(settings.database_url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def table_names() -> list[str]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        rows = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
        names = [row["name"] for row in rows]
    else:
        rows = await connection.execute_query_dict(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        names = [row["tablename"] for row in rows]
    return [name for name in names if name not in KEPT_TABLES]


async def empty_database() -> None:
    connection = connections.get("default")
    names = await table_names()
    if connection.capabilities.dialect == "sqlite":
        await connection.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f'DELETE FROM "{name}";' for name in names)
            + "PRAGMA foreign_keys=ON;"
        )
        has_sequence = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE name='sqlite_sequence'"
        )
        if has_sequence:
            await connection.execute_script("DELETE FROM sqlite_sequence;")
    else:
        quoted = ", ".join(f'"{name}"' for name in names)
        await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE;")


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Settings]:
    await reset_schema(settings)
    await db.migrate(settings)
    await db.init(settings)
    yield settings
    await db.close()


@pytest.fixture
async def app(database: Settings):  # type: ignore[no-untyped-def]
    await empty_database()
    running_before = asyncio.all_tasks()
    yield create_app(database, manage_database=False)
    await stop_leftover_tasks(running_before)


async def stop_leftover_tasks(running_before: set[asyncio.Task[Any]]) -> None:
    """Fail a test that leaves a task running (a scheduler, a sender): the event loop lives
    for the whole run, so such a task would go on working against later tests' data."""
    leftovers = [
        task
        for task in asyncio.all_tasks() - running_before
        if not task.done() and task is not asyncio.current_task()
    ]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.wait(leftovers, timeout=10)
        names = ", ".join(repr(task.get_coro()) for task in leftovers)
        pytest.fail(f"the test left {len(leftovers)} task(s) running: {names}")


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with new_client(app) as c:
        yield c


def new_client(app, **kwargs) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=kwargs.pop("peer", ("127.0.0.1", 50000)))
    return httpx.AsyncClient(
        transport=transport, base_url=kwargs.pop("base_url", "http://testserver"), **kwargs
    )


# -- the people and organisations most tests need -----------------------------------------


@dataclass
class World:
    association: Organisation
    society_a: Organisation  # 辽宁省计算机学会
    branch_a: Organisation  # a branch under society A
    society_b: Organisation  # 辽宁省医学会
    medicine: Category
    admin: User
    staff: User
    secretary_a: User
    member_a: User
    secretary_b: User
    outsider: User  # an account with no role anywhere


async def make_user(settings: Settings, username: str, display_name: str, **extra) -> User:  # type: ignore[no-untyped-def]
    return await User.create(
        username=username,
        display_name=display_name,
        password_hash=hash_password(settings, PASSWORD),
        **extra,
    )


@pytest.fixture
async def world(app, settings: Settings) -> World:  # type: ignore[no-untyped-def]
    association = await Organisation.create_under(
        None,
        name="辽宁省科学技术协会",
        short_name="省科协",
        kind=OrganisationKind.ASSOCIATION,
        code="LNAST",
    )
    medicine = await Category.create(name="医药卫生类", sort_order=3)
    society_a = await Organisation.create_under(
        association,
        name="辽宁省计算机学会",
        short_name="计算机学会",
        code="LNCCF",
        contact_name="王秘书",
        contact_phone="024-23456789",
    )
    branch_a = await Organisation.create_under(
        society_a, name="辽宁省计算机学会人工智能专业委员会", kind=OrganisationKind.BRANCH
    )
    society_b = await Organisation.create_under(
        association, name="辽宁省医学会", short_name="医学会", code="LNMA"
    )
    await society_b.categories.add(medicine)
    people = {
        "admin": ("admin", "管理员", association, Role.ADMIN),
        "staff": ("staff", "省科协工作人员", association, Role.STAFF),
        "secretary_a": ("sec_a", "计算机学会秘书", society_a, Role.SECRETARY),
        "member_a": ("member_a", "计算机学会会员", society_a, Role.MEMBER),
        "secretary_b": ("sec_b", "医学会秘书", society_b, Role.SECRETARY),
    }
    users = {}
    for key, (username, name, organisation, role) in people.items():
        users[key] = await make_user(settings, username, name)
        await Membership.create(user=users[key], organisation=organisation, role=role)
    outsider = await make_user(settings, "outsider", "无角色用户")
    return World(
        association=association,
        society_a=society_a,
        branch_a=branch_a,
        society_b=society_b,
        medicine=medicine,
        outsider=outsider,
        **users,
    )


# -- driving the site -------------------------------------------------------------------

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
_CSRF_HEADER = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    """The token the site hands this browser, read from a page as a browser would."""
    response = await client.get(path)
    match = _CSRF_INPUT.search(response.text) or _CSRF_HEADER.search(response.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    token = await csrf_token(client, "/login")
    response = await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    return response


async def post(
    client: httpx.AsyncClient,
    path: str,
    data: dict | None = None,
    *,
    token_from: str = "/profile",
    **kwargs,
) -> httpx.Response:  # type: ignore[no-untyped-def]
    """Submit a form the way the browser does, with the page's CSRF token."""
    token = await csrf_token(client, token_from)
    return await client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def as_user(app):  # type: ignore[no-untyped-def]
    """A factory of signed-in clients: `async with as_user("sec_a") as c: ...`."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def signed_in(username: str, **kwargs):  # type: ignore[no-untyped-def]
        async with new_client(app, **kwargs) as c:
            response = await login(c, username)
            assert response.status_code == 303, response.text
            yield c

    return signed_in


@pytest.fixture
def as_english_user(as_user):  # type: ignore[no-untyped-def]
    """Signed-in clients that read the site in English, the language messages are written
    in, so assertions on them do not depend on the Chinese catalogue."""

    def in_english(username: str, **kwargs):  # type: ignore[no-untyped-def]
        cookies = {"huibao_lang": "en", **kwargs.pop("cookies", {})}
        return as_user(username, cookies=cookies, **kwargs)

    return in_english


@pytest.fixture
async def admin_a(world: World, settings: Settings) -> User:
    """An administrator of society A only."""
    person = await make_user(settings, "admin_a", "计算机学会管理员")
    await Membership.create(user=person, organisation=world.society_a, role=Role.ADMIN)
    return person


@pytest.fixture
async def member(world: World, as_user) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A signed-in member of society A."""
    async with as_user("member_a") as c:
        yield c


# -- what a page costs ---------------------------------------------------------------------


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement sent to the database while the test runs (clear it to start
    counting afresh)."""
    sent: list[str] = []
    client_class = type(connections.get("default"))
    for name in ("execute_query", "execute_query_dict", "execute_insert"):
        original = getattr(client_class, name)

        async def counting(self: Any, query: str, values: Any = None, _original: Any = original):
            sent.append(str(query))
            return await _original(self, query, values)

        monkeypatch.setattr(client_class, name, counting)
    return sent
