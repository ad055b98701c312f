"""Imports run in another process, with their progress in a file the page polls.

Reading a workbook of 20,000 rows and comparing it with the database is seconds of CPU
work; on the event loop (or in one of its threads, which hold the GIL) it would stall
every page of the site. As an area's workbook exports do, a small process pool
(intranet.workers, one worker) does the work: each job opens its own ORM connection
from the site's Settings and closes it when done.

A job is a token: <data_dir>/directory/<token>.json holds its state and, once read, the
preview (counts, problems, the first entries of each list); <token>.upload is the file.
Jobs older than a day are removed whenever one is started.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intranet import db, i18n
from intranet.directory import apply, plan, workbook
from intranet.settings import Settings
from intranet.workers import WorkerPool, read_status, valid_token, write_status

logger = logging.getLogger("huibao.directory")

KEEP_SECONDS = 24 * 3600
SHOWN_PROBLEMS = 500
QUEUED, READING, PREVIEWED, APPLYING, APPLIED, FAILED = (
    "queued",
    "reading",
    "previewed",
    "applying",
    "applied",
    "failed",
)
RUNNING_STATES = (QUEUED, READING, APPLYING)


@dataclass
class JobStatus:
    owner_id: int
    filename: str
    scope_paths: list[str] | None
    top_level: bool
    state: str = QUEUED
    progress: int = 0
    created_at: float = field(default_factory=time.time)
    error: str = ""  # translated, for the page
    preview: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    need_codes: list[int] = field(default_factory=list)
    codes_taken: bool = False

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES

    def scope(self) -> plan.Scope:
        paths = tuple(self.scope_paths) if self.scope_paths is not None else None
        return plan.Scope(paths=paths, top_level=self.top_level, actor_id=self.owner_id)


# -- files --------------------------------------------------------------------------------


def jobs_dir(settings: Settings) -> Path:
    folder = settings.data_dir / "directory"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def status_path(settings: Settings, token: str) -> Path:
    return jobs_dir(settings) / f"{token}.json"


def upload_path(settings: Settings, token: str) -> Path:
    return jobs_dir(settings) / f"{token}.upload"


def job_status(settings: Settings, token: str) -> JobStatus | None:
    return read_status(status_path(settings, token), JobStatus) if valid_token(token) else None


def update(settings: Settings, token: str, **changes: Any) -> JobStatus | None:
    path = status_path(settings, token)
    status = read_status(path, JobStatus)
    if status is None:
        return None
    for name, value in changes.items():
        setattr(status, name, value)
    write_status(path, status)
    return status


def claim(settings: Settings, token: str, what: str) -> bool:
    """True for the first caller only, even if two requests come at once: the marker
    file is created exclusively."""
    marker = jobs_dir(settings) / f"{token}.{what}"
    try:
        os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def take_codes(settings: Settings, token: str) -> bool:
    """Claim the job's one-time codes, once."""
    if not claim(settings, token, "codes"):
        return False
    update(settings, token, codes_taken=True)
    return True


def remove_old(settings: Settings, *, now: float | None = None) -> int:
    cutoff = (now if now is not None else time.time()) - KEEP_SECONDS
    removed = 0
    for path in jobs_dir(settings).iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


# -- the pool -----------------------------------------------------------------------------

POOL = WorkerPool()  # one worker: an import at a time


async def shutdown() -> None:
    """Stop the import worker, if one started (the app's lifespan)."""
    await POOL.shutdown()


async def wait_all() -> None:
    """Let every running job finish (tests, shutdown)."""
    await POOL.wait_all()


def _follow(settings: Settings, token: str, work: Any, *args: Any) -> None:
    async def run() -> None:
        try:
            await POOL.run(1, work, settings, token, *args)
        except Exception as error:
            logger.warning("directory job %s failed: %r", token, error)
            update(settings, token, state=FAILED, error=type(error).__name__)

    POOL.follow(run())


async def start_preview(
    settings: Settings, *, owner_id: int, filename: str, data: bytes, scope: plan.Scope
) -> str:
    await asyncio.to_thread(remove_old, settings)
    token = secrets.token_urlsafe(18)
    upload_path(settings, token).write_bytes(data)
    paths = list(scope.paths) if scope.paths is not None else None
    write_status(
        status_path(settings, token), JobStatus(owner_id, filename, paths, scope.top_level)
    )
    _follow(settings, token, preview_in_worker, i18n.current_locale())
    return token


def start_apply(settings: Settings, token: str, *, actor: apply.Actor, deactivate: bool) -> bool:
    """Start writing the job's file, once: False if it was confirmed already (a second
    click, or the form sent twice at once)."""
    if not claim(settings, token, "apply"):
        return False
    update(settings, token, state=APPLYING, progress=0, error="")
    _follow(
        settings,
        token,
        apply_in_worker,
        i18n.current_locale(),
        actor.id,
        actor.name,
        actor.ip,
        deactivate,
    )
    return True


# -- in the worker process ------------------------------------------------------------------


def _read(settings: Settings, token: str, status: JobStatus) -> workbook.Directory:
    return workbook.read_file(upload_path(settings, token), status.filename)


def preview_in_worker(settings: Settings, token: str, locale: str) -> None:
    asyncio.run(_preview(settings, token, locale))


async def _preview(settings: Settings, token: str, locale: str) -> None:
    i18n.set_locale(locale)
    status = update(settings, token, state=READING, progress=10)
    if status is None:
        return
    try:
        directory = _read(settings, token, status)
    except workbook.UnreadableFile as refused:
        update(settings, token, state=FAILED, error=str(refused))
        return
    update(settings, token, progress=50)
    await db.init(settings)
    try:
        found = plan.make_plan(directory, await plan.load_state(), status.scope())
    finally:
        await db.close()
    update(settings, token, state=PREVIEWED, progress=100, preview=preview_of(found))


def preview_of(found: plan.Plan) -> dict[str, Any]:
    """What the page shows: every count, the first entries of each list."""

    def entries(items: list[plan.Entry]) -> list[dict[str, Any]]:
        return [asdict(entry) for entry in items[: plan.SHOWN_ENTRIES]]

    return {
        "summary": found.summary(),
        "sheets": list(found.sheets),
        "problems": [
            {
                "location": p.location(),
                "sheet": p.sheet,
                "row": p.row,
                "column": p.column,
                "message": p.message,
            }
            for p in found.problems[:SHOWN_PROBLEMS]
        ],
        "new_organisations": entries(found.new_organisations),
        "changed_organisations": entries(found.changed_organisations),
        "new_people": entries(found.new_people),
        "changed_people": entries(found.changed_people),
        "absent_people": [
            {"username": p.username, "display_name": p.display_name}
            for p in found.absent_people[: plan.SHOWN_ENTRIES]
        ],
        "has_changes": found.has_changes,
    }


def apply_in_worker(
    settings: Settings,
    token: str,
    locale: str,
    actor_id: int,
    actor_name: str,
    ip: str,
    deactivate: bool,
) -> None:
    asyncio.run(_apply(settings, token, locale, apply.Actor(actor_id, actor_name, ip), deactivate))


async def _apply(
    settings: Settings, token: str, locale: str, actor: apply.Actor, deactivate: bool
) -> None:
    i18n.set_locale(locale)
    status = job_status(settings, token)
    if status is None:
        return
    directory = _read(settings, token, status)

    def progress(percent: int) -> None:
        update(settings, token, progress=min(percent, 99))

    await db.init(settings)
    try:
        outcome = await apply.apply_directory(
            directory,
            status.scope(),
            actor,
            deactivate_absent=deactivate,
            invitation_days=settings.invitation_days,
            now=datetime.now(UTC),
            progress=progress,
        )
    except apply.Refused as refused:
        update(
            settings,
            token,
            state=PREVIEWED,
            progress=100,
            preview=preview_of(refused.plan),
            error=i18n.gettext(
                "The data changed since the preview, and the file now has problems. "
                "Nothing was written."
            ),
        )
        return
    finally:
        await db.close()
    upload_path(settings, token).unlink(missing_ok=True)
    update(
        settings,
        token,
        state=APPLIED,
        progress=100,
        result={
            "summary": outcome.summary,
            "emailed": outcome.emailed,
            "deactivated": outcome.deactivated,
        },
        need_codes=outcome.need_codes,
    )
