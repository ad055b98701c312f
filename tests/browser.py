"""Shared pieces of the browser tests: Debian's Chromium, the live server, pages and shots.

A test module that drives the browser does `from tests.browser import *` names it needs and
calls `require_chromium()` at import time: without a browser the module is skipped with a
message, except when HUIBAO_REQUIRE_BROWSER=1 (as in CI), where it is an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer, live_server_running

CHROMIUM = os.environ.get("HUIBAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def require_chromium() -> Any:
    """The playwright.async_api module, or skip the calling test module (see above)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("HUIBAO_REQUIRE_BROWSER") == "1":
            raise RuntimeError(f"HUIBAO_REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: browser tests not run", allow_module_level=True)
    return pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real server with the demo data, one per test module."""
    with live_server_running(tmp_path_factory.mktemp("browser-site")) as live:
        yield live


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


def shot_path(name: str, viewport: dict[str, int]) -> Path | None:
    folder = os.environ.get("HUIBAO_SCREENSHOT_DIR")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "home"
    return Path(folder) / f"{safe}-{viewport['width']}.png"


async def new_page(browser, server: LiveServer, viewport: dict[str, int], **options):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport=viewport, locale="zh-CN", **options)
    return watch_problems(await context.new_page())


def watch_problems(page):  # type: ignore[no-untyped-def]
    """The page, keeping in `page.problems` the console errors and CSP violations seen on it."""
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


async def log_in(page, server: LiveServer, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(server.url + "/login")
    await page.fill("#field-username", username)
    await page.fill("#field-password", password)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"login as {username} failed"


async def log_in_by_keyboard(page, server: LiveServer, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in with the keys alone: the username field has focus when the page opens."""
    await page.goto(server.url + "/login")
    await page.wait_for_function("document.activeElement?.id === 'field-username'")
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    # Wait for the sign-in's own navigation: the login page is idle before it starts.
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"login as {username} failed"


async def horizontal_overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How many pixels the page is wider than the screen (0 when it fits)."""
    return await page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )
