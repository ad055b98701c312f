"""The site in a real Chromium, against the real server: phones, keyboards, no JavaScript.

These tests need Debian's chromium (/usr/bin/chromium or HUIBAO_CHROMIUM). Without it they
are skipped with a message, except when HUIBAO_REQUIRE_BROWSER=1 (as in CI), where a
missing browser is a failure. Set HUIBAO_SCREENSHOT_DIR to keep a screenshot of every
page visited at every width.
"""

from __future__ import annotations

import pytest

from tests.browser import (
    DESKTOP,
    PHONE,
    SMALL_PHONE,
    browser,
    horizontal_overflow,
    log_in,
    log_in_by_keyboard,
    new_page,
    require_chromium,
    server,
    shot_path,
)
from tests.live import LiveServer

playwright_api = require_chromium()

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures


PAGES_BY_ROLE = {
    "admin": [
        "/",
        "/directory",
        "/profile",
        "/admin/organisations",
        "/admin/people",
        "/admin/audit",
        "/notices",
        "/notices/issued",
        "/notices/new",
        "/notices/paste",
    ],
    "secretary": ["/", "/directory", "/profile", "/notices", "/notices/issued"],
    "member": ["/", "/notices"],
}


async def visit_first_notices(page, server: LiveServer, role: str, viewport) -> None:  # type: ignore[no-untyped-def]
    """The first notices in this person's list, and, for the issuer, their read receipts."""
    await page.goto(server.url + "/notices")
    links = await page.eval_on_selector_all(
        ".notice-row-title a", "links => links.slice(0, 3).map(a => a.getAttribute('href'))"
    )
    assert links, f"no notices listed for {role}"
    for number, href in enumerate(links):
        targets = [href]
        while targets:
            target = targets.pop(0)
            response = await page.goto(server.url + target)
            assert response.status == 200, target
            assert await horizontal_overflow(page) <= 0, f"{target} scrolls sideways as {role}"
            if path := shot_path(f"{role}-notice{number}-{target.rsplit('/', 1)[-1]}", viewport):
                await page.screenshot(path=str(path), full_page=True)
            if target == href:  # then the issuer's pages the notice links to, if any
                targets += await page.eval_on_selector_all(
                    f"a[href='{href}/receipts'], a[href='{href}/edit']",
                    "links => [...new Set(links.map(a => a.getAttribute('href')))]",
                )


@pytest.mark.parametrize("viewport", [SMALL_PHONE, PHONE, DESKTOP], ids=["360", "390", "desktop"])
async def test_pages_fit_the_screen_without_errors(browser, server: LiveServer, viewport) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, viewport)
    await page.goto(server.url + "/login")
    assert await horizontal_overflow(page) <= 0, "login page scrolls sideways"
    if path := shot_path("login", viewport):
        await page.screenshot(path=str(path), full_page=True)
    for role, paths in PAGES_BY_ROLE.items():
        username, password = server.login_for(role)
        await page.context.clear_cookies()
        await log_in(page, server, username, password)
        for target in paths:
            response = await page.goto(server.url + target)
            assert response.status == 200, target
            assert await horizontal_overflow(page) <= 0, f"{target} scrolls sideways as {role}"
            if path := shot_path(f"{role}{target}", viewport):
                await page.screenshot(path=str(path), full_page=True)
        await visit_first_notices(page, server, role, viewport)
    assert page.problems == [], page.problems
    await page.context.close()


async def test_login_and_profile_work_without_javascript(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, PHONE, java_script_enabled=False)
    username, password = server.login_for("secretary")
    await log_in(page, server, username, password)
    assert await page.locator("h1").count() >= 1
    await page.goto(server.url + "/profile")
    await page.fill("#field-title", "秘书长")
    await page.click("form[action='/profile'] button[type=submit]")
    await page.wait_for_load_state("load")
    assert await page.input_value("#field-title") == "秘书长"
    await page.goto(server.url + "/directory?q=计算机")
    rows = page.locator("#directory-rows")
    assert "辽宁省计算机学会" in await rows.inner_text()
    assert "辽宁省医学会" not in await rows.inner_text()
    await page.context.close()


async def test_login_by_keyboard_alone(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, DESKTOP)
    username, password = server.login_for("secretary")
    await log_in_by_keyboard(page, server, username, password)
    # Every control on the home page is reachable by Tab and shows where focus is.
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.problems == [], page.problems
    await page.context.close()


async def test_directory_filters_as_you_type(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, PHONE)
    username, password = server.login_for("secretary")
    await log_in(page, server, username, password)
    await page.goto(server.url + "/directory")
    partial_requests: list[str] = []
    page.on(
        "request",
        lambda r: r.headers.get("hx-request") == "true" and partial_requests.append(r.url),
    )
    await page.fill("#field-q", "医学")
    await playwright_api.expect(page.locator("#directory-rows")).not_to_contain_text(
        "辽宁省计算机学会"
    )
    assert partial_requests, "the filter did not update the list in place"
    assert "辽宁省医学会" in await page.locator("#directory-rows").inner_text()
    assert page.problems == [], page.problems
    await page.context.close()
