"""The `huibao` command, run as a separate process as an operator would run it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from intranet import demo
from intranet.models import Role
from intranet.security import verify_password
from intranet.settings import load_settings
from tests.databases import (
    CHEAP_ARGON2,
    Database,
    drop_postgres_database,
    throwaway_database,
)

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "Long-enough-admin-pw-7"
NAMED = ["--username", "jia", "--display-name", "甲"]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path, "cli")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    return Database(data_dir, None)


def huibao(
    database: Database, *args: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intranet", *args],
        cwd=ROOT,
        env=database.env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# -- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["serve"], ["migrate"], ["createadmin"], ["demo"], ["backup", "copy.sqlite3"]],
    ids=lambda command: command[0],
)
def test_it_stops_on_a_bad_setting_with_one_line(sqlite_database: Database, command) -> None:  # type: ignore[no-untyped-def]
    result = huibao(sqlite_database, *command, HUIBAO_SESSION_DAYS="fortnight")
    line = one_line_error(result)
    assert line.startswith("error: HUIBAO_SESSION_DAYS: ")
    assert "fortnight" in line


def test_it_names_a_bad_database_url(sqlite_database: Database) -> None:
    line = one_line_error(huibao(sqlite_database, "migrate", HUIBAO_DATABASE_URL="mysql://x/y"))
    assert line.startswith("error: HUIBAO_DATABASE_URL: ")


# -- migrate and demo -----------------------------------------------------------------------


async def test_it_loads_the_demo(database: Database) -> None:
    succeeded(huibao(database, "migrate"))
    result = succeeded(huibao(database, "demo"))

    societies = await database.column("SELECT name FROM organisation WHERE kind = 'society'")
    assert len(societies) >= 30
    assert "辽宁省计算机学会" in societies
    assert "辽宁省医学会" in societies
    for login in demo.LOGINS:
        assert login.username in result.stdout
        assert login.password in result.stdout


async def test_it_gives_the_demo_people_their_roles(database: Database) -> None:
    succeeded(huibao(database, "demo"))

    rows = await database.rows(
        "SELECT u.username, m.role, o.name FROM membership m "
        'JOIN "user" u ON u.id = m.user_id JOIN organisation o ON o.id = m.organisation_id'
    )
    assert set(rows) == {
        (login.username, login.role.value, login.organisation) for login in demo.LOGINS
    }
    branches = await database.column(
        "SELECT o.name FROM organisation o JOIN organisation p ON p.id = o.parent_id "
        "WHERE o.kind = 'branch' AND p.name = '辽宁省计算机学会'"
    )
    assert "辽宁省计算机学会人工智能专业委员会" in branches


async def test_it_does_not_load_the_demo_twice(database: Database) -> None:
    succeeded(huibao(database, "demo"))
    counts = 'SELECT (SELECT COUNT(*) FROM organisation), (SELECT COUNT(*) FROM "user")'
    before = await database.rows(counts)

    result = succeeded(huibao(database, "demo"))

    assert "already loaded" in result.stdout
    assert await database.rows(counts) == before


async def test_demo_passwords_are_acceptable_passwords() -> None:
    from intranet.security import password_problem

    for login in demo.LOGINS:
        assert password_problem(login.password, login.username) is None


# -- createadmin ----------------------------------------------------------------------------


async def test_it_creates_an_admin_who_can_sign_in(database: Database) -> None:
    result = succeeded(
        huibao(
            database,
            "createadmin",
            "--username",
            "Wang.Admin",
            "--display-name",
            "王管理员",
            "--organisation",
            "辽宁省科学技术协会",
            HUIBAO_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
    )
    assert "wang.admin" in result.stdout

    [(password_hash, role, organisation, parent)] = await database.rows(
        'SELECT u.password_hash, m.role, o.name, o.parent_id FROM "user" u '
        "JOIN membership m ON m.user_id = u.id JOIN organisation o ON o.id = m.organisation_id "
        "WHERE u.username = 'wang.admin'"
    )
    assert (role, organisation, parent) == (Role.ADMIN.value, "辽宁省科学技术协会", None)
    settings = load_settings({**CHEAP_ARGON2, "HUIBAO_DATA_DIR": str(database.data_dir)})
    assert verify_password(settings, password_hash, ADMIN_PASSWORD)
    assert not verify_password(settings, password_hash, ADMIN_PASSWORD + "x")


async def test_it_makes_the_admin_on_the_existing_top_organisation(database: Database) -> None:
    succeeded(huibao(database, "demo"))

    succeeded(
        huibao(
            database,
            "createadmin",
            "--username",
            "second-admin",
            "--display-name",
            "第二管理员",
            HUIBAO_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
    )

    organisations = await database.column(
        "SELECT o.name FROM membership m JOIN organisation o ON o.id = m.organisation_id "
        "JOIN \"user\" u ON u.id = m.user_id WHERE u.username = 'second-admin'"
    )
    assert organisations == [demo.ASSOCIATION]
    assert await database.column("SELECT COUNT(*) FROM organisation WHERE parent_id IS NULL") == [1]


@pytest.mark.parametrize(
    ("args", "env", "option"),
    [
        (["--display-name", "甲"], {"HUIBAO_ADMIN_PASSWORD": ADMIN_PASSWORD}, "--username"),
        ([*NAMED, "--organisation", "辽宁省科学技术协会"], {}, "HUIBAO_ADMIN_PASSWORD"),
        (
            [*NAMED, "--organisation", "辽宁省科学技术协会"],
            {"HUIBAO_ADMIN_PASSWORD": "short"},
            "HUIBAO_ADMIN_PASSWORD",
        ),
        (NAMED, {"HUIBAO_ADMIN_PASSWORD": ADMIN_PASSWORD}, "--organisation"),
    ],
    ids=["no-username", "no-password", "weak-password", "no-organisation"],
)
async def test_it_will_not_create_an_admin_without_what_it_needs(
    database: Database, args: list[str], env: dict[str, str], option: str
) -> None:
    line = one_line_error(huibao(database, "createadmin", *args, **env))

    assert option in line
    assert await database.column('SELECT COUNT(*) FROM "user"') == [0]


async def test_it_will_not_reuse_a_username(database: Database) -> None:
    succeeded(huibao(database, "demo"))

    result = huibao(
        database,
        "createadmin",
        "--username",
        "ADMIN",
        "--display-name",
        "冒名",
        HUIBAO_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )

    assert result.returncode == 1
    assert "already" in result.stderr
    assert await database.column("SELECT display_name FROM \"user\" WHERE username = 'admin'") == [
        "系统管理员"
    ]


# -- serve ----------------------------------------------------------------------------------


def test_it_refuses_several_workers_on_sqlite(sqlite_database: Database) -> None:
    line = one_line_error(huibao(sqlite_database, "serve", "--workers", "2", timeout=20))
    assert "SQLite" in line


# -- backup ---------------------------------------------------------------------------------


class Writer(threading.Thread):
    """Keeps writing rows, one transaction each, until stopped."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.written = 0
        self.error: Exception | None = None
        self.stop = threading.Event()
        self.started_writing = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            while not self.stop.is_set():
                with connection:
                    connection.execute(
                        "INSERT INTO login_failure (username, ip, created_at) "
                        "VALUES (?, '192.0.2.1', '2026-01-01 00:00:00+00:00')",
                        (f"writer-{self.written}",),
                    )
                self.written += 1
                if self.written == 50:
                    self.started_writing.set()
        except Exception as exc:
            self.error = exc
            self.started_writing.set()
        finally:
            connection.close()


def test_it_backs_up_while_the_database_is_written(
    sqlite_database: Database, tmp_path: Path
) -> None:
    succeeded(huibao(sqlite_database, "demo"))
    target = tmp_path / "backups" / "huibao.sqlite3"
    target.parent.mkdir()
    writer = Writer(sqlite_database.sqlite_path)
    writer.start()
    try:
        assert writer.started_writing.wait(20)
        result = succeeded(huibao(sqlite_database, "backup", str(target)))
        written_during = writer.written
    finally:
        writer.stop.set()
        writer.join(20)
    assert writer.error is None, writer.error
    assert writer.written > written_during  # the writer was not held up by the backup
    assert str(target) in result.stdout

    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        names = {row[0] for row in copy.execute("SELECT name FROM organisation")}
        usernames = [row[0] for row in copy.execute("SELECT username FROM login_failure")]
    finally:
        copy.close()
    assert "辽宁省计算机学会" in names
    # One consistent moment: the first n rows the writer wrote, none missing.
    assert 50 <= len(usernames) <= writer.written
    assert sorted(usernames) == sorted(f"writer-{n}" for n in range(len(usernames)))
    assert list(target.parent.iterdir()) == [target]  # no partial file left behind


def test_it_names_the_backup_when_given_a_directory(
    sqlite_database: Database, tmp_path: Path
) -> None:
    succeeded(huibao(sqlite_database, "migrate"))
    folder = tmp_path / "backups"
    folder.mkdir()

    succeeded(huibao(sqlite_database, "backup", str(folder)))

    [copy] = folder.iterdir()
    assert copy.name.startswith("huibao-")
    assert copy.suffix == ".sqlite3"


def test_it_says_when_there_is_nothing_to_back_up(
    sqlite_database: Database, tmp_path: Path
) -> None:
    result = huibao(sqlite_database, "backup", str(tmp_path / "copy.sqlite3"))

    assert result.returncode == 1
    assert "no database" in result.stderr
    assert not (tmp_path / "copy.sqlite3").exists()


def test_it_points_postgres_users_to_pg_dump(sqlite_database: Database, tmp_path: Path) -> None:
    result = huibao(
        sqlite_database,
        "backup",
        str(tmp_path / "copy"),
        HUIBAO_DATABASE_URL="postgres://nobody@127.0.0.1:9/huibao",
    )

    assert "pg_dump" in one_line_error(result)
