"""Staying signed in on a phone, in a real Chromium against the real server.

A secretary ticks "在此设备上保持登录" on her phone; the browser is closed and opened
again (only lasting cookies survive, as in a real restart), and a reminder's link opens
her report directly. Without the tick the same link asks her to sign in, and then
leads to the report. At her desk she sees both devices on her profile and signs the
phone out.

HUIBAO_SCREENSHOT_DIR keeps the login and profile pages at phone and desktop width.
"""

from __future__ import annotations

from typing import Any

import pytest

from intranet import demo
from tests.browser import (
    DESKTOP,
    PHONE,
    browser,
    new_page,
    require_chromium,
    server,
    shot_path,
    watch_problems,
)
from tests.live import LiveServer

playwright_api = require_chromium()
expect = playwright_api.expect
expect.set_options(timeout=30_000)

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SECRETARY = next(login for login in demo.LOGINS if login.username == "secretary")


async def shot(page: Any, name: str, viewport: dict[str, int]) -> None:
    if path := shot_path(f"sessions-{name}", viewport):
        await page.screenshot(path=str(path), full_page=True, caret="initial")


async def sign_in(page: Any, server: LiveServer, *, keep: bool, viewport: dict[str, int]) -> None:
    """As a person does it: type, tap the box (its label), tap the button."""
    if "/login" not in page.url:
        await page.goto(server.url + "/login")
    await page.fill("#field-username", SECRETARY.username)
    await page.fill("#field-password", SECRETARY.password)
    if keep:
        await page.get_by_text("在此设备上保持登录").click()
        await expect(page.locator("#field-remember")).to_be_checked()
    await shot(page, "login-kept" if keep else "login", viewport)
    async with page.expect_navigation():
        await page.get_by_role("button", name="登录").click()
    assert "/login" not in page.url


async def a_report_link(page: Any, server: LiveServer) -> str:
    """The link a reminder would carry: one of her reports."""
    await page.goto(server.url + "/reports")
    link = page.locator("a[href^='/reports/responses/']").first
    return server.url + str(await link.get_attribute("href"))


async def restarted(browser: Any, page: Any, viewport: dict[str, int]) -> Any:
    """The phone's browser closed and opened again: cookies that end with the browser
    are gone, lasting ones are kept."""
    state = await page.context.storage_state()
    await page.context.close()
    state["cookies"] = [c for c in state["cookies"] if c["expires"] != -1]
    context = await browser.new_context(
        viewport=viewport, locale="zh-CN", user_agent=IPHONE, storage_state=state
    )
    return watch_problems(await context.new_page())


async def test_a_kept_sign_in_opens_a_reminder_link_after_a_restart(
    browser: Any, server: LiveServer
) -> None:
    phone = await new_page(browser, server, PHONE, user_agent=IPHONE)
    await phone.goto(server.url + "/login")
    await expect(phone.locator("#field-remember")).not_to_be_checked()
    await sign_in(phone, server, keep=True, viewport=PHONE)
    link = await a_report_link(phone, server)

    phone = await restarted(browser, phone, PHONE)
    await phone.goto(link)

    assert phone.url == link
    await expect(phone.locator("h1.survey-title")).to_be_visible()
    assert phone.problems == []
    await phone.context.close()


async def test_without_the_tick_a_restart_asks_again_then_leads_to_the_report(
    browser: Any, server: LiveServer
) -> None:
    phone = await new_page(browser, server, PHONE, user_agent=IPHONE)
    await sign_in(phone, server, keep=False, viewport=PHONE)
    link = await a_report_link(phone, server)

    phone = await restarted(browser, phone, PHONE)
    await phone.goto(link)
    assert "/login?next=" in phone.url
    await sign_in(phone, server, keep=True, viewport=PHONE)

    assert phone.url == link
    await expect(phone.locator("h1.survey-title")).to_be_visible()
    await phone.context.close()


async def test_she_sees_her_devices_and_signs_the_phone_out(
    browser: Any, server: LiveServer
) -> None:
    phone = await new_page(browser, server, PHONE, user_agent=IPHONE)
    await sign_in(phone, server, keep=True, viewport=PHONE)
    # The earlier tests' sign-ins on this server are ended first, from the phone.
    await phone.goto(server.url + "/profile")
    if await phone.get_by_role("button", name="退出其他设备").count():
        await phone.get_by_role("button", name="退出其他设备").click()
        await expect(phone.locator("#sessions li.session")).to_have_count(1)
    desk = await new_page(browser, server, DESKTOP)
    await desk.goto(server.url + "/login")
    await shot(desk, "login", DESKTOP)
    await sign_in(desk, server, keep=False, viewport=DESKTOP)

    await phone.goto(server.url + "/profile")
    await expect(phone.locator("#sessions li.session.current")).to_contain_text("Safari · iPhone")
    await shot(phone, "profile", PHONE)
    overflow = await phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    await desk.goto(server.url + "/profile")
    sessions = desk.locator("#sessions li.session")
    await expect(sessions).to_have_count(2)
    await expect(sessions.filter(has_text="Safari · iPhone")).to_contain_text("保持登录至")
    await expect(desk.locator("#sessions li.session.current")).to_contain_text("关闭浏览器后退出")
    await shot(desk, "profile", DESKTOP)
    await desk.get_by_role("button", name="退出其他设备").click()
    await expect(desk.locator(".alert.success")).to_have_text("已在其他所有设备上退出登录。")
    await expect(desk.locator("#sessions li.session")).to_have_count(1)
    await shot(desk, "profile-after", DESKTOP)

    await phone.reload()
    assert "/login" in phone.url
    assert desk.problems == [] and phone.problems == []
    await phone.context.close()
    await desk.context.close()
