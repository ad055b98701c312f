"""The scheduler: rounds open on time with nobody visiting, once, whatever goes wrong."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from surveys import scheduler
from surveys.models import Campaign, Form, FormVersion, Response, Round
from surveys.round_calendar import ScheduleKind
from surveys.schema import FormDefinition
from tests.conftest import World
from tests.databases import Database, drop_postgres_database, throwaway_database
from tests.test_server import Server

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2020, 09:00: the fourth weekly round from 10 February opened at midnight.
NOW = datetime(2020, 3, 2, 9, 0, tzinfo=ZONE)


async def make_campaign(world: World, title: str, **schedule: Any) -> Campaign:
    form = await Form.create(title=title, owner=world.association)
    definition = FormDefinition(title=title)
    version = await FormVersion.create(form=form, number=1, definition=definition.to_dict())
    return await Campaign.create(
        title=title,
        form_version=version,
        organiser=world.association,
        roster_organisations=[world.society_a.id, world.society_b.id],
        **{"schedule_kind": ScheduleKind.WEEKLY, "starts_on": date(2020, 2, 10), **schedule},
    )


async def numbers(campaign: Campaign) -> list[int]:
    return sorted(await Round.filter(campaign=campaign).values_list("number", flat=True))  # type: ignore[arg-type]


async def test_a_pass_opens_the_due_rounds_and_nothing_else(world: World) -> None:
    weekly = await make_campaign(world, "周报")
    later = await make_campaign(world, "下月起的周报", starts_on=date(2020, 4, 6))
    stopped = await make_campaign(world, "已停止的周报", is_active=False)
    once = await make_campaign(
        world,
        "年度总结",
        schedule_kind=ScheduleKind.ONCE,
        opens_on=date(2020, 2, 20),
        due_on=date(2020, 3, 10),
    )

    opened = await scheduler.run_once(NOW, ZONE)

    assert sorted((r.campaign_id, r.number) for r in opened) == [
        (weekly.id, 1),
        (weekly.id, 2),
        (weekly.id, 3),
        (weekly.id, 4),
        (once.id, 1),
    ]
    assert await numbers(weekly) == [1, 2, 3, 4]
    assert await numbers(later) == []
    assert await numbers(stopped) == []
    assert await Response.filter(round__campaign=weekly).count() == 4 * 2
    assert await scheduler.run_once(NOW, ZONE) == []


async def test_a_pass_with_nothing_due_costs_one_query(world: World, queries: list[str]) -> None:
    for title in ("周报", "医药周报", "月报"):
        await make_campaign(world, title)
    await scheduler.run_once(NOW, ZONE)
    queries.clear()

    assert await scheduler.run_once(NOW, ZONE) == []

    assert len(queries) == 1


async def test_next_week_opens_just_the_next_round(world: World) -> None:
    weekly = await make_campaign(world, "周报")
    await scheduler.run_once(NOW, ZONE)

    opened = await scheduler.run_once(datetime(2020, 3, 9, 0, 0, 30, tzinfo=ZONE), ZONE)

    assert [r.number for r in opened] == [5]
    assert await numbers(weekly) == [1, 2, 3, 4, 5]


async def test_two_workers_at_once_open_each_round_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    weekly = await make_campaign(world, "周报")
    monthly = await make_campaign(world, "月报", schedule_kind=ScheduleKind.MONTHLY)
    # Both workers find the same rounds due before either opens one, as two processes
    # waking on the same minute would: they race for every round.
    both_have_read = asyncio.Barrier(2)
    find_due = scheduler._campaigns_with_rounds_due

    async def after_both_have_read(now: datetime, zone: ZoneInfo) -> list[Campaign]:
        due = await find_due(now, zone)
        await both_have_read.wait()
        return due

    monkeypatch.setattr(scheduler, "_campaigns_with_rounds_due", after_both_have_read)

    results = await asyncio.gather(scheduler.run_once(NOW, ZONE), scheduler.run_once(NOW, ZONE))

    opened = sorted((r.campaign_id, r.number) for result in results for r in result)
    assert opened == [(weekly.id, n) for n in (1, 2, 3, 4)] + [(monthly.id, 1)]
    assert await numbers(weekly) == [1, 2, 3, 4]
    assert await numbers(monthly) == [1]
    assert await Response.all().count() == 5 * 2


async def test_a_campaign_that_fails_does_not_stop_the_others(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # A one-off campaign saved without its dates cannot say when its round opens.
    broken = await make_campaign(world, "坏的", schedule_kind=ScheduleKind.ONCE)
    weekly = await make_campaign(world, "周报")

    with caplog.at_level(logging.ERROR, logger="huibao.scheduler"):
        opened = await scheduler.run_once(NOW, ZONE)

    assert [r.number for r in opened] == [1, 2, 3, 4]
    assert await numbers(weekly) == [1, 2, 3, 4]
    assert f"campaign {broken.id}" in caplog.text


class FakeState:
    def __init__(self, settings: Any) -> None:
        self.settings = settings


class FakeApp:
    def __init__(self, settings: Any) -> None:
        self.state = FakeState(settings)


async def test_the_loop_survives_errors_and_stops_when_cancelled(
    world: World,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[datetime] = []
    real_run_once = scheduler.run_once

    async def flaky(now: datetime, zone: ZoneInfo) -> list[Round]:
        calls.append(now)
        if len(calls) <= 2:
            raise ConnectionError("the database is restarting")
        return await real_run_once(NOW, zone)

    monkeypatch.setattr(scheduler, "run_once", flaky)
    weekly = await make_campaign(world, "周报")

    with caplog.at_level(logging.ERROR, logger="huibao.scheduler"):
        app = FakeApp(replace(settings, scheduler_seconds=0.01))
        task = asyncio.create_task(scheduler.run(app))  # type: ignore[arg-type]
        for _ in range(500):
            if len(calls) >= 4:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert len(calls) >= 4
    assert await numbers(weekly) == [1, 2, 3, 4]
    failures = [r for r in caplog.records if r.exc_info and "restarting" in str(r.exc_info[1])]
    assert len(failures) == 2


# -- the command and the real server -----------------------------------------------------------


@pytest.fixture
async def throwaway(tmp_path: Path) -> AsyncIterator[Database]:
    # Not `database`: that is the in-process suite's session database.
    database = await throwaway_database(tmp_path, "sched")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


def huibao(database: Database, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intranet", *args],
        cwd=ROOT,
        env=database.env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def execute(database: Database, *statements: str) -> None:
    """Change the database the way another process would, committed."""
    if database.url is None:
        import sqlite3

        connection = sqlite3.connect(database.sqlite_path)
        try:
            with connection:
                for statement in statements:
                    connection.execute(statement)
        finally:
            connection.close()
        return
    import asyncpg

    pg = await asyncpg.connect(database.url)
    try:
        async with pg.transaction():
            for statement in statements:
                await pg.execute(statement)
    finally:
        await pg.close()


WEEKLY_TITLE = "疫情防控工作进展周报"


async def forget_latest_weekly_round(database: Database) -> tuple[int, int]:
    """Delete the demo's latest weekly round, as if it had not fallen due yet: the
    scheduler must open it again. Returns its number and how many responses it had."""
    [(round_id, number)] = await database.rows(
        "SELECT r.id, r.number FROM survey_round r JOIN survey_campaign c ON c.id = r.campaign_id"
        f" WHERE c.title = '{WEEKLY_TITLE}' ORDER BY r.number DESC LIMIT 1"
    )
    [responses] = await database.column(
        f"SELECT count(*) FROM survey_response WHERE round_id = {round_id}"
    )
    of_round = f"SELECT id FROM survey_response WHERE round_id = {round_id}"
    await execute(
        database,
        f"DELETE FROM survey_response_event WHERE response_id IN ({of_round})",
        f"DELETE FROM survey_answer_change WHERE response_id IN ({of_round})",
        f"DELETE FROM survey_response WHERE round_id = {round_id}",
        f"DELETE FROM survey_round WHERE id = {round_id}",
    )
    return number, responses


async def weekly_round(database: Database, number: int) -> tuple[int, int] | None:
    rows = await database.rows(
        "SELECT r.id, (SELECT count(*) FROM survey_response s WHERE s.round_id = r.id)"
        " FROM survey_round r JOIN survey_campaign c ON c.id = r.campaign_id"
        f" WHERE c.title = '{WEEKLY_TITLE}' AND r.number = {number}"
    )
    return tuple(rows[0]) if rows else None  # type: ignore[return-value]


async def test_the_command_opens_due_rounds_once(throwaway: Database) -> None:
    database = throwaway
    loaded = huibao(database, "demo")
    assert loaded.returncode == 0, loaded.stderr
    number, responses = await forget_latest_weekly_round(database)

    first = huibao(database, "open-rounds")
    second = huibao(database, "open-rounds")

    assert first.returncode == 0, first.stderr
    assert "Opened 1 round(s)" in first.stdout
    assert f"round {number}," in first.stdout
    opened = await weekly_round(database, number)
    assert opened is not None and opened[1] == responses
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "No rounds were due."


@pytest.fixture
def server(throwaway: Database, tmp_path: Path) -> Iterator[Server]:
    # A server whose scheduler wakes twice a second (HUIBAO_SCHEDULER is on by default).
    database = throwaway
    database_env = database.env

    def with_short_interval(**extra: str) -> dict[str, str]:
        return database_env(**{"HUIBAO_SCHEDULER_SECONDS": "0.5", **extra})

    database.env = with_short_interval  # type: ignore[method-assign]
    running = Server(database, tmp_path / "server.log")
    try:
        running.wait_until_healthy()
        yield running
    finally:
        running.kill()


async def test_the_server_opens_a_due_round_with_nobody_visiting(
    server: Server, throwaway: Database
) -> None:
    database = throwaway
    number, responses = await forget_latest_weekly_round(database)

    deadline = time.monotonic() + 20
    opened = None
    while opened is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        opened = await weekly_round(database, number)

    assert opened is not None, server.output()
    assert opened[1] == responses
    assert "Traceback" not in server.output()


def test_intranet_does_not_import_surveys() -> None:
    code = (
        "import sys, intranet.cli, intranet.demo;"
        "print(any(m.startswith('surveys') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
