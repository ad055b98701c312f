"""A small process pool for CPU-bound work done for a page (workbooks read or written),
and the background tasks on the event loop that await it.

Reading or writing a workbook is seconds of CPU work: on the event loop (or in one of its
threads, which hold the GIL) it would stall every page of the site. A `WorkerPool` hands
it to processes started with "spawn" (forking a process that runs an event loop copies
its loop and connections) at a lower priority, so that where a worker shares a CPU with
the site the pages come first. The processes are made on first use; `shutdown` (in the
app's lifespan) cancels the queued work and waits for the running job. Each job opens its
own ORM connection from the site's Settings in its own event loop.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
from collections.abc import Callable, Coroutine
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

NICENESS = 19  # the lowest

T = TypeVar("T")


def _lower_priority() -> None:
    """In each worker: background work yields the CPU to the pages. The lowest priority:
    at niceness 10 a worker sharing a CPU with the site still took enough of it to treble
    the pages' p99 while a workbook was built (bench/export_load.py: 3.9x idle, 2.1x at
    19); a workbook still gets whatever CPU the pages leave."""
    os.nice(NICENESS)


class WorkerPool:
    """Worker processes made on first use, and the tasks awaiting them."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def started(self) -> bool:
        return self._executor is not None

    def executor(self, workers: int = 1) -> ProcessPoolExecutor:
        """The processes, made on first use with `workers` of them."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
            )
        return self._executor

    async def run(self, workers: int, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in a worker process (a picklable function and values)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor(workers), work, *args)

    def follow(self, job: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `job` in the background, kept until it is done or cancelled at shutdown."""
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_all(self) -> None:
        """Let every background job finish (tests, shutdown)."""
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        """Cancel the background jobs, then stop the processes: queued work is dropped,
        the running job is waited for. The next use starts a new pool."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)


# -- a job's status, in a small JSON file beside its output ---------------------------------
# The page that started a job and the worker process that runs it share nothing but files:
# each job has a token (its file names) and a status file written whole or not at all.

S = TypeVar("S")


def valid_token(token: str) -> bool:
    """A job token as the pages make them (URL-safe, at most 64 characters)."""
    return 0 < len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def read_status(path: Path, kind: type[S]) -> S | None:
    """The status stored at `path` as a `kind` (a dataclass); None if missing or damaged."""
    try:
        return kind(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def write_status(path: Path, status: Any) -> None:
    """Store `status` (a dataclass) at `path`, atomically: a reader sees the old file or
    the new one, never half of it."""
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(asdict(status), ensure_ascii=False), "utf-8")
    os.replace(partial, path)
