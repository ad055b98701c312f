"""Workbooks are built in the export process, never on the site's event loop: directly
for a download, or as a background job with progress and a link for the person who
asked; the pool stops with the app; the round workbook carries the 催报 log."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from bs4 import BeautifulSoup

from intranet.app import create_app
from intranet.i18n import gettext
from intranet.settings import Settings
from surveys import export, notify
from surveys.export import jobs as export_jobs
from surveys.models import Round
from surveys.states import ResponseState
from surveys.totals import Include
from tests.conftest import World, post
from tests.survey_helpers import make_campaign, open_round, weekly_answers

NOW = datetime(2020, 3, 2, 1, 30, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")
FIRST_ROW = 4  # title, subtitle, header, then the rows (1-based)


@pytest.fixture(autouse=True)
async def stop_the_pool() -> AsyncIterator[None]:
    """Tests run without the lifespan: stop the pool each made."""
    yield
    await export_jobs.shutdown()


async def weekly_round(world: World) -> Round:
    campaign = await make_campaign(
        world.association, [world.society_a, world.branch_a, world.society_b], title="周报"
    )
    return await open_round(
        campaign,
        answers={
            world.society_a.id: weekly_answers(online_meetings=3),
            world.society_b.id: weekly_answers(online_meetings=4),
        },
        states={
            world.society_a.id: ResponseState.SUBMITTED,
            world.society_b.id: ResponseState.SUBMITTED,
        },
    )


def export_request(round_: Round, path: Path, **changes: Any) -> export_jobs.ExportRequest:
    request = export_jobs.ExportRequest(
        kind="round",
        target_id=round_.id,
        include="submitted",
        subtotals=False,
        organisation_ids=None,
        now=NOW,
        locale="zh_CN",
        path=str(path),
    )
    return replace(request, **changes)


def block_the_pool(seconds: float) -> None:
    """Keep the single export worker busy, so the next export waits its turn."""
    export_jobs.pool(1).submit(time.sleep, seconds)


# -- another process ---------------------------------------------------------------------


async def test_the_workbook_is_written_in_another_process(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    round_ = await weekly_round(world)
    path = tmp_path / "round.xlsx"

    pid = await export_jobs.build(settings, export_request(round_, path))

    assert pid != os.getpid()
    book = openpyxl.load_workbook(path)
    totals = book.worksheets[1]
    names = [row[1] for row in totals.iter_rows(min_row=FIRST_ROW, values_only=True)]
    assert world.society_a.name in names and world.society_b.name in names
    # Nobody was reminded yet: no empty 催报 log sheet.
    assert gettext(export.SHEET_REMINDERS) not in book.sheetnames


async def test_it_is_the_same_workbook_as_one_written_in_process(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    round_ = await weekly_round(world)
    there, here = tmp_path / "there.xlsx", tmp_path / "here.xlsx"
    await export_jobs.build(settings, export_request(round_, there))
    await export.write_round_workbook(
        round_.id, str(here), include=Include.SUBMITTED, subtotals=False, now=NOW, zone=ZONE
    )
    a, b = openpyxl.load_workbook(there), openpyxl.load_workbook(here)
    assert a.sheetnames == b.sheetnames
    for sheet in a.sheetnames:
        assert list(a[sheet].values) == list(b[sheet].values), sheet


async def test_pages_are_served_while_an_export_is_being_built(
    world: World, settings: Settings, as_user
) -> None:  # type: ignore[no-untyped-def]
    round_ = await weekly_round(world)
    finished: dict[str, float] = {}

    async def fetch(client: httpx.AsyncClient, name: str, path: str) -> httpx.Response:
        response = await client.get(path)
        finished[name] = time.monotonic()
        return response

    async with as_user("staff") as c:
        await c.get("/healthz")
        block_the_pool(1.5)  # the export waits behind this in the export process
        workbook, health = await asyncio.gather(
            fetch(c, "workbook", f"/reports/rounds/{round_.id}/totals.xlsx"),
            fetch(c, "health", "/healthz"),
        )
    assert workbook.status_code == 200 and health.status_code == 200
    assert finished["health"] < finished["workbook"] - 1.0
    assert workbook.content.startswith(b"PK")
    # The direct download's file is deleted once sent.
    assert not list((settings.data_dir / "exports").glob("direct-*"))


async def test_the_lifespan_stops_the_pool(settings: Settings) -> None:
    app = create_app(replace(settings, run_scheduler=False), manage_database=False)
    async with app.router.lifespan_context(app):
        executor = export_jobs.pool(1)
        assert await asyncio.wrap_future(executor.submit(os.getpid)) != os.getpid()
    assert not export_jobs.POOL.started
    with pytest.raises(RuntimeError):
        executor.submit(os.getpid)  # shut down: it takes no more work


async def test_a_queued_export_is_cancelled_at_shutdown(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    round_ = await weekly_round(world)
    block_the_pool(1.0)
    token = await export_jobs.start(
        settings,
        owner_id=world.staff.id,
        kind="round",
        target_id=round_.id,
        filename="f.xlsx",
        include="submitted",
        subtotals=False,
        organisation_ids=None,
    )
    await export_jobs.shutdown()
    status = export_jobs.job_status(settings, token)
    assert status is not None and status.state == export_jobs.FAILED
    assert not export_jobs.file_path(settings, token).exists()


# -- background jobs -------------------------------------------------------------------------


def watch(path: Path, seen: list[tuple[str, int]], stop: list[bool]) -> None:
    """Every state and progress the job's file goes through (as often as we can look)."""
    while not stop:
        try:
            status = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        step = (status["state"], status["progress"])
        if not seen or seen[-1] != step:
            seen.append(step)
        if status["state"] in ("done", "failed"):
            return
        time.sleep(0.002)


async def test_a_background_export_shows_progress_then_a_download_for_its_owner(
    world: World, settings: Settings, as_user
) -> None:  # type: ignore[no-untyped-def]
    round_ = await weekly_round(world)
    report = f"/reports/rounds/{round_.id}/totals"
    async with as_user("staff") as c:
        page = BeautifulSoup((await c.get(report)).text, "html.parser")
        form = page.select_one("form.survey-export-start")
        assert form is not None and form["action"].endswith(f"/reports/rounds/{round_.id}/exports")
        block_the_pool(1.0)
        started = await post(c, str(form["action"]), {"include": "submitted"}, token_from=report)
        assert started.status_code == 303
        status_url = started.headers["location"]
        token = status_url.rstrip("/").rsplit("/", 1)[-1]

        queued = BeautifulSoup((await c.get(status_url)).text, "html.parser")
        box = queued.select_one("#export-status")
        assert box is not None and box["data-state"] == "queued"
        assert box["hx-trigger"] == "every 2s"
        assert queued.select_one("progress") is not None
        assert queued.select_one("a[href$='/download']") is None

        seen: list[tuple[str, int]] = []
        stop: list[bool] = []
        watcher = asyncio.create_task(
            asyncio.to_thread(watch, export_jobs.status_path(settings, token), seen, stop)
        )
        try:
            await asyncio.wait_for(asyncio.shield(watcher), 60)
        finally:
            stop.append(True)
        states = [state for state, _ in seen]
        assert states[0] in ("queued", "running") and states[-1] == "done"
        assert states == sorted(states, key=["queued", "running", "done"].index)
        progress = [percent for _, percent in seen]
        assert progress == sorted(progress) and progress[-1] == 100

        done = await c.get(status_url, headers={"HX-Request": "true"})
        partial = BeautifulSoup(done.text, "html.parser")
        box = partial.select_one("#export-status")
        assert box is not None and box["data-state"] == "done" and not box.get("hx-trigger")
        assert partial.select_one("h1") is None  # the partial alone, for htmx
        link = partial.select_one("a[href$='/download']")
        assert link is not None
        download = await c.get(str(link["href"]))
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        assert download.content.startswith(b"PK")

    for other in ("admin", "sec_a", "sec_b"):
        async with as_user(other) as c:
            assert (await c.get(status_url)).status_code == 404, other
            assert (await c.get(status_url + "/download")).status_code == 404, other


async def test_a_secretarys_export_holds_their_rows_and_is_refused_once_they_lose_the_role(
    world: World, settings: Settings, as_user
) -> None:  # type: ignore[no-untyped-def]
    round_ = await weekly_round(world)
    report = f"/reports/rounds/{round_.id}/totals"
    async with as_user("sec_a") as c:
        started = await post(c, f"/reports/rounds/{round_.id}/exports", {}, token_from=report)
        assert started.status_code == 303
        token = started.headers["location"].rsplit("/", 1)[-1]
        status = export_jobs.job_status(settings, token)
        assert status is not None and status.owner_id == world.secretary_a.id
        assert set(status.organisation_ids or []) <= {world.society_a.id, world.branch_a.id}
        for _ in range(600):
            status = export_jobs.job_status(settings, token)
            if status is not None and status.finished:
                break
            await asyncio.sleep(0.1)
        assert status is not None and status.state == export_jobs.DONE
        download = await c.get(f"{started.headers['location']}/download")
        assert download.status_code == 200
        path = export_jobs.file_path(settings, token)
        book = openpyxl.load_workbook(path)
        assert gettext(export.SHEET_REMINDERS) not in book.sheetnames  # names other societies
        names = [r[1] for r in book.worksheets[1].iter_rows(min_row=FIRST_ROW, values_only=True)]
        assert world.society_b.name not in names

        from intranet.models import Membership

        await Membership.filter(user_id=world.secretary_a.id).delete()
        assert (await c.get(f"{started.headers['location']}/download")).status_code == 404


async def test_an_unknown_or_malformed_token_is_not_found(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    async with as_user("staff") as c:
        for token in ("nope", "..%2F..%2Fhuibao", "a" * 100):
            assert (await c.get(f"/reports/exports/{token}")).status_code == 404, token


def test_files_older_than_a_day_are_removed(settings: Settings) -> None:
    folder = export_jobs.exports_dir(settings)
    old, fresh = folder / "old-token.xlsx", folder / "fresh-token.xlsx"
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    day_ago = time.time() - export_jobs.KEEP_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    export_jobs.remove_old(settings)
    assert not old.exists() and fresh.exists()
    fresh.unlink()


async def test_the_workbook_tells_its_progress_in_order(world: World, tmp_path: Path) -> None:
    round_ = await weekly_round(world)
    told: list[int] = []
    await export.write_round_workbook(
        round_.id,
        str(tmp_path / "r.xlsx"),
        include=Include.SUBMITTED,
        subtotals=False,
        now=NOW,
        zone=ZONE,
        progress=told.append,
    )
    assert told == sorted(told) and told[0] > 0 and told[-1] == 100 and len(set(told)) >= 4


# -- the 催报 sheet ----------------------------------------------------------------------------


async def test_the_round_workbook_holds_the_reminder_log(world: World, tmp_path: Path) -> None:
    round_ = await weekly_round(world)
    await world.staff.__class__.filter(id=world.staff.id).update(display_name="=HYPERLINK(1)")
    staff = await world.staff.__class__.get(id=world.staff.id)
    sent_at = datetime(2020, 3, 1, 2, 5, tzinfo=UTC)
    await notify.remind_round(round_, [world.branch_a.id], staff, sent_at, ZONE)
    log = await notify.reminder_log(round_.id)
    assert log, "the branch has a secretary to remind"

    path = tmp_path / "round.xlsx"
    await export.write_round_workbook(
        round_.id, str(path), include=Include.SUBMITTED, subtotals=False, now=NOW, zone=ZONE
    )
    sheet = openpyxl.load_workbook(path)[gettext(export.SHEET_REMINDERS)]
    rows = list(sheet.iter_rows(min_row=FIRST_ROW, values_only=True))
    assert len(rows) == len(log)
    entry, row = log[0], rows[0]
    assert row[0] == entry.sent_at.astimezone(ZONE).replace(tzinfo=None, second=0, microsecond=0)
    assert row[1] == world.branch_a.name
    assert row[2] == entry.kind_label
    assert row[3] == gettext(export.MANUAL)
    assert row[4] == "=HYPERLINK(1)"  # a name is text, never a formula
    assert row[5] in {gettext(label) for label in export.CHANNELS.values()}
    expected = export.recipients_text(entry)
    assert row[6] == expected and all(p.name in expected for p in entry.recipients)
    assert sheet.freeze_panes == f"C{FIRST_ROW}"
