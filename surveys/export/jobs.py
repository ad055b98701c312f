"""Workbooks built in another process, directly or as background jobs with progress.

Writing a workbook is seconds of CPU work; done on the event loop (or in one of its
threads, which hold the GIL) it stalls every page of the site. So the site hands it to
a small process pool (intranet.workers): one worker by default (HUIBAO_EXPORT_WORKERS),
started with "spawn" (forking a process that runs an event loop copies its loop and
connections).
Each job opens its own ORM connection from the site's Settings in its own event loop,
writes the file under <data_dir>/exports/ and returns; the caller awaits it with
loop.run_in_executor. The pool is made on first use and shut down in the app's lifespan
(the lifespan in surveys.area); tests call shutdown() themselves.

A background job is a token: <token>.json holds its state (queued, running, done,
failed), progress 0-100, its owner and what it exports; <token>.xlsx is the file. The
worker updates the JSON as it goes; the status page polls it. Files older than a day
are removed whenever a job is started.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from intranet import db, i18n
from intranet.memory import release_free_memory
from intranet.settings import Settings
from intranet.workers import WorkerPool, read_status, valid_token, write_status
from surveys import export
from surveys.totals import Include

logger = logging.getLogger("huibao.exports")

KEEP_SECONDS = 24 * 3600
_TOKEN_BYTES = 18
Kind = Literal["round", "campaign"]
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class ExportRequest:
    """What to write, as plain values a worker process can unpickle."""

    kind: Kind
    target_id: int  # the round's or the campaign's id
    include: str
    subtotals: bool
    organisation_ids: tuple[int, ...] | None  # None: every row (those running it)
    now: datetime
    locale: str
    path: str  # the file to write
    status_path: str | None = None  # the job's JSON, for progress; None when direct
    open_in_change: bool = False  # a campaign's: the round in progress counts in 环比


@dataclass
class JobStatus:
    owner_id: int
    kind: str
    target_id: int
    filename: str  # what the download is called
    organisation_ids: list[int] | None = None  # whose rows it holds; None: every row
    state: str = QUEUED
    progress: int = 0
    created_at: float = field(default_factory=time.time)
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


# -- the pool ------------------------------------------------------------------------------

POOL = WorkerPool()


def pool(workers: int) -> ProcessPoolExecutor:
    """The export pool, made on first use with `workers` processes
    (Settings.export_workers)."""
    return POOL.executor(workers)


async def shutdown() -> None:
    """Stop the pool: queued exports are cancelled, the running one is waited for."""
    await POOL.shutdown()


async def build(settings: Settings, request: ExportRequest) -> int:
    """Write the workbook in the export process; returns that process's id."""
    return await POOL.run(settings.export_workers, run_in_worker, settings, request)


# -- in the worker process ----------------------------------------------------------------


def run_in_worker(settings: Settings, request: ExportRequest) -> int:
    """A job, in the worker: its own event loop and ORM connection for this job only."""
    asyncio.run(_write(settings, request))
    return os.getpid()


async def _write(settings: Settings, request: ExportRequest) -> None:
    i18n.set_locale(request.locale)
    progress = _Progress(request.status_path)
    progress.state(RUNNING)
    await db.init(settings)
    try:
        await _write_workbook(settings, request, progress)
    except BaseException as error:
        progress.state(FAILED, error=type(error).__name__)
        raise
    finally:
        await db.close()
    # The worker stays between exports: without this it would keep the size of the
    # largest workbook it has written (malloc holds on to freed pages).
    release_free_memory()
    progress.state(DONE, 100)


async def _write_workbook(settings: Settings, request: ExportRequest, progress: _Progress) -> None:
    ids = request.organisation_ids
    if request.kind == "round":
        await export.write_round_workbook(
            request.target_id,
            request.path,
            include=Include(request.include),
            subtotals=request.subtotals,
            now=request.now,
            zone=settings.zone,
            organisation_ids=ids,
            progress=progress,
        )
    else:
        await export.write_campaign_workbook(
            request.target_id,
            request.path,
            include=Include(request.include),
            now=request.now,
            zone=settings.zone,
            organisation_ids=ids,
            progress=progress,
            open_in_change=request.open_in_change,
        )


class _Progress:
    """Writes the job's state to its JSON file (atomically), at most once per percent."""

    def __init__(self, status_path: str | None) -> None:
        self.path = Path(status_path) if status_path else None
        self.last = -1

    def __call__(self, percent: int) -> None:
        if percent > self.last:
            self.last = percent
            self.update(progress=min(percent, 99))

    def state(self, state: str, percent: int | None = None, error: str = "") -> None:
        changes: dict[str, Any] = {"state": state, "error": error}
        if percent is not None:
            changes["progress"] = percent
        self.update(**changes)

    def update(self, **changes: Any) -> None:
        if self.path is None:
            return
        status = read_status(self.path, JobStatus)
        if status is None:
            return
        for name, value in changes.items():
            setattr(status, name, value)
        write_status(self.path, status)


# -- background jobs ----------------------------------------------------------------------


def exports_dir(settings: Settings) -> Path:
    folder = settings.data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def status_path(settings: Settings, token: str) -> Path:
    return exports_dir(settings) / f"{token}.json"


def file_path(settings: Settings, token: str) -> Path:
    return exports_dir(settings) / f"{token}.xlsx"


def job_status(settings: Settings, token: str) -> JobStatus | None:
    return read_status(status_path(settings, token), JobStatus) if valid_token(token) else None


async def start(
    settings: Settings,
    *,
    owner_id: int,
    kind: Kind,
    target_id: int,
    filename: str,
    include: str,
    subtotals: bool,
    organisation_ids: tuple[int, ...] | None,
    open_in_change: bool = False,
) -> str:
    """Queue a background export and return its token; the worker does the rest."""
    await asyncio.to_thread(remove_old, settings)
    token = new_token()
    status = status_path(settings, token)
    ids = list(organisation_ids) if organisation_ids is not None else None
    write_status(status, JobStatus(owner_id, kind, target_id, filename, ids))
    request = ExportRequest(
        kind=kind,
        target_id=target_id,
        include=include,
        subtotals=subtotals,
        organisation_ids=organisation_ids,
        now=datetime.now(UTC),
        locale=i18n.current_locale(),
        path=str(file_path(settings, token)),
        status_path=str(status),
        open_in_change=open_in_change,
    )
    task = POOL.follow(_follow(settings, request))
    # Cancelled at shutdown, perhaps before it began: say so, or it stays "queued".
    task.add_done_callback(
        lambda done: _mark_failed(request, "Cancelled") if done.cancelled() else None
    )
    return token


async def _follow(settings: Settings, request: ExportRequest) -> None:
    """Awaits the worker; marks the job failed if it never ran or died."""
    try:
        await build(settings, request)
    except Exception as error:
        _mark_failed(request, type(error).__name__)
        logger.warning("export %s failed: %r", request.path, error)


def _mark_failed(request: ExportRequest, error: str) -> None:
    if request.status_path is None:
        return
    path = Path(request.status_path)
    status = read_status(path, JobStatus)
    if status is not None and status.state != DONE:
        status.state, status.error = FAILED, error
        write_status(path, status)


def remove_old(settings: Settings, *, now: float | None = None) -> int:
    """Delete job files older than a day; returns how many were removed."""
    cutoff = (now if now is not None else time.time()) - KEEP_SECONDS
    removed = 0
    for path in exports_dir(settings).iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
