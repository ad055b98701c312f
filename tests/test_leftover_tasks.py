"""The suite's guard against background work outliving its test.

One event loop serves the whole run, so a scheduler or mail sender a test forgot to stop
would go on sending against the next tests' data and make them fail for no reason of
their own. The `app` fixture ends every test with stop_leftover_tasks.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import stop_leftover_tasks


async def test_a_task_left_running_fails_the_test_and_is_stopped() -> None:
    before = asyncio.all_tasks()
    forgotten = asyncio.create_task(asyncio.sleep(3600), name="forgotten sender")
    with pytest.raises(pytest.fail.Exception, match="left 1 task"):
        await stop_leftover_tasks(before)
    assert forgotten.cancelled()


async def test_finished_tasks_and_tasks_from_before_are_left_alone() -> None:
    earlier = asyncio.create_task(asyncio.sleep(3600))
    before = asyncio.all_tasks()
    finished = asyncio.create_task(asyncio.sleep(0))
    await finished
    await stop_leftover_tasks(before)
    assert not earlier.done()
    earlier.cancel()
