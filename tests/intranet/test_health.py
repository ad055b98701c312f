"""/healthz tells a load balancer whether the site can reach its database."""

from __future__ import annotations

import pytest
from tortoise import connections

from intranet.models import Organisation


async def test_healthz_answers_ok_with_the_database_up(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers  # probes leave no sessions behind


async def test_healthz_answers_503_when_the_database_fails(
    client, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    connection = connections.get("default")

    async def unreachable(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(type(connection), "execute_query", unreachable)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert "database down" not in response.text


async def test_sqlite_runs_with_wal_foreign_keys_a_busy_timeout_and_full_sync(
    app, settings
) -> None:  # type: ignore[no-untyped-def]
    """synchronous=FULL: a commit the site acknowledged is on disk before the answer goes,
    so a power cut or an operating-system crash cannot take it back (NORMAL can, in WAL)."""
    if not settings.is_sqlite:
        pytest.skip("SQLite settings; this run uses PostgreSQL")
    connection = connections.get("default")
    pragmas = {}
    for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous"):
        rows = await connection.execute_query_dict(f"PRAGMA {name}")
        pragmas[name] = next(iter(rows[0].values()))
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10000,
        "synchronous": 2,  # FULL
    }


async def test_the_database_refuses_a_dangling_parent(app) -> None:  # type: ignore[no-untyped-def]
    from tortoise.exceptions import IntegrityError

    with pytest.raises(IntegrityError):
        await Organisation.create(name="孤儿", parent_id=999999)


async def test_a_success_is_trusted_for_one_second_and_a_failure_never() -> None:
    from intranet.health import HealthCheck

    now = [100.0]
    answers = [True, False, False, True]
    queries = []

    async def check() -> bool:
        queries.append(now[0])
        return answers[len(queries) - 1]

    health = HealthCheck(check, fresh_for=1.0, clock=lambda: now[0])
    assert await health() is True
    now[0] += 0.5
    assert await health() is True  # within the second: no query
    assert queries == [100.0]
    now[0] += 0.6
    assert await health() is False  # stale: asks again, and the database is down
    assert await health() is False  # a failure is not remembered: asks again
    assert await health() is True  # back up at once
    assert len(queries) == 4


async def test_probes_arriving_together_share_one_query() -> None:
    import asyncio

    from intranet.health import HealthCheck

    queries = 0
    release = asyncio.Event()

    async def slow_check() -> bool:
        nonlocal queries
        queries += 1
        await release.wait()
        return True

    health = HealthCheck(slow_check)
    probes = [asyncio.ensure_future(health()) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*probes) == [True] * 50
    assert queries == 1
