"""Faults the site must come through: the server killed with kill -9 while secretaries
autosave and send their reports, and PostgreSQL stopped and started under the running
site. bench/faults.py runs the same at a larger scale and prints the figures.
"""

from __future__ import annotations

import errno
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from intranet import db, i18n
from intranet.app import ERROR_MESSAGES
from tests.databases import Database, drop_postgres_database, throwaway_database
from tests.fault_helpers import (
    INTEGER_KEYS,
    Ledger,
    ServerProcess,
    add_secretaries,
    check_ledger,
    create_database,
    drive_until_killed,
    free_port,
    integrity_check,
    log_in,
    page_state,
    pages_show,
    postgres_bindir,
    read_stored,
    server_env,
    temp_cluster,
)

UNAVAILABLE_TITLE, UNAVAILABLE_MESSAGE = ERROR_MESSAGES[503]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path, "faults")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


async def test_every_acknowledged_save_and_sending_survives_kill_9(
    database: Database, tmp_path: Path
) -> None:
    env = server_env(database.data_dir, database.url)
    server = ServerProcess(env, tmp_path / "server.log", workers=1 if database.is_sqlite else 2)
    try:
        server.start()
        secretaries = add_secretaries(env, 3)
        sender = secretaries[0].response_id
        ledger = Ledger()

        acknowledged = await drive_until_killed(
            server, secretaries, ledger, kill_after=30, submitters={sender: 6}, serial_base=1
        )

        assert server.process is not None and server.process.returncode == -9
        assert acknowledged >= 30 and not ledger.refused, ledger.refused
        assert ledger.submitted == {sender}
        server.start()  # on the same database, as after a crash
        stored = await read_stored(
            database.url, database.sqlite_path, [s.response_id for s in secretaries]
        )
        assert check_ledger(ledger, stored) == []
        assert stored.responses[sender][0] == "submitted"
        if database.is_sqlite:
            assert integrity_check(database.sqlite_path) == "ok"
        for secretary in secretaries:
            assert await pages_show(server.url, secretary, ledger) == []
    finally:
        server.stop()


def unavailable_text() -> str:
    return i18n.translations("zh_CN").gettext(UNAVAILABLE_MESSAGE)


async def healthz_becomes(client: httpx.AsyncClient, status: int, within: float) -> bool:
    """/healthz trusts a success for a second: wait for it to say `status`."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await client.get("/healthz")).status_code == status:
            return True
    return False


async def test_pages_answer_503_while_postgresql_is_down_and_recover_by_themselves(
    tmp_path: Path,
) -> None:
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL's initdb is not installed: no cluster of our own to stop")
    with temp_cluster() as cluster:
        await create_database(cluster.url(), "huibao")
        (tmp_path / "data").mkdir()
        env = server_env(tmp_path / "data", cluster.url("huibao"))
        server = ServerProcess(env, tmp_path / "server.log")
        try:
            server.start()
            secretary = add_secretaries(env, 1)[0]
            report = f"/reports/responses/{secretary.response_id}"
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
                assert await log_in(client, secretary)
                page = await client.get(report)
                assert page.status_code == 200
                headers, version, _ = page_state(page.text)

                cluster.stop("fast")
                started = time.monotonic()
                down = await client.get(report)
                save = await client.post(
                    f"{report}/answers/{INTEGER_KEYS[0]}",
                    data={"value": "3", "base": "", "version": str(version)},
                    headers={**headers, "HX-Request": "true"},
                )
                assert time.monotonic() - started < 5  # refused at once, not left hanging
                for answer in (down, save):
                    assert answer.status_code == 503
                    assert answer.headers["retry-after"] == "5"
                    assert unavailable_text() in answer.text
                    assert "Traceback" not in answer.text
                assert await healthz_becomes(client, 503, within=5)

                cluster.start()
                # No restart of the site: the pool replaces the connections PostgreSQL
                # closed, and the very next request is served.
                assert (await client.get(report)).status_code == 200
                assert await healthz_becomes(client, 200, within=5)
        finally:
            server.stop()
        assert "Unhandled error" not in server.output()
        assert "Database unavailable on GET " + report in server.output()


# -- what counts as the database being unavailable ------------------------------------------


async def test_a_refused_postgresql_connection_counts_as_unavailable() -> None:
    import asyncpg

    with pytest.raises(Exception) as refused:
        await asyncpg.connect(f"postgres://postgres@127.0.0.1:{free_port()}/huibao", timeout=5)
    assert db.is_unavailable(refused.value)


def test_sqlite_still_locked_after_the_busy_timeout_counts_as_unavailable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    writer = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            writer.execute("INSERT INTO t VALUES (1)")
    finally:
        writer.close()
        holder.close()
    from tortoise.exceptions import OperationalError

    try:  # as Tortoise raises it: its own error, from sqlite3's
        raise OperationalError(locked.value) from locked.value
    except OperationalError as translated:
        assert db.is_unavailable(translated)


def test_other_failures_are_not_mistaken_for_an_unavailable_database(tmp_path: Path) -> None:
    from tortoise.exceptions import IntegrityError

    connection = sqlite3.connect(tmp_path / "plain.sqlite3")
    with pytest.raises(sqlite3.OperationalError) as bad_sql:
        connection.execute("SELECT * FROM no_such_table")
    connection.close()
    assert not db.is_unavailable(bad_sql.value)
    assert not db.is_unavailable(IntegrityError("duplicate key"))
    assert not db.is_unavailable(OSError(errno.ENOSPC, "No space left on device"))
    assert not db.is_unavailable(ValueError("bad input"))
