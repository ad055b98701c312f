"""Paste-in in a real Chromium, on a phone: a secretary pastes a notice that has no number
and is signed by the association; the form leaves numbering off and signs with her
society, and the published notice has no number nobody asked for.

HUIBAO_SCREENSHOT_DIR keeps screenshots of the paste page and the filled form.
"""

from __future__ import annotations

import pytest

from intranet import demo
from tests.browser import (
    DESKTOP,
    PHONE,
    browser,
    horizontal_overflow,
    log_in,
    new_page,
    require_chromium,
    server,
    shot_path,
)
from tests.live import LiveServer

playwright_api = require_chromium()
expect = playwright_api.expect
expect.set_options(timeout=30_000)  # the machine is shared and busy: wait, never sleep

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures

# Made up: a notice copied from a web page, title first, with no 文号, signed by the
# association although the secretary issues it for her society.
TITLE = "关于开展2021年度会员信息核对工作的通知"
PASTED = "\n".join(
    [
        TITLE,
        "各会员单位、各位会员：",
        "　　为做好会员服务工作，请于10月31日前登录系统核对会员信息，如有变更请及时更新。",
        "　　特此通知。",
        "辽宁省科学技术协会",
        "2021年10月8日",
    ]
)


def password_of(username: str) -> str:
    return next(login.password for login in demo.LOGINS if login.username == username)


async def shot(page, name: str, viewport) -> None:  # type: ignore[no-untyped-def]
    if path := shot_path(f"paste-{name}", viewport):
        await page.screenshot(path=str(path), full_page=True, caret="initial")


async def test_a_pasted_notice_without_a_number_is_published_without_one(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, PHONE)
    await log_in(page, server, "secretary", password_of("secretary"))
    page.on("dialog", lambda dialog: dialog.accept())  # "Publish this notice?"
    await page.goto(server.url + "/notices/paste")
    await shot(page, "empty", PHONE)
    await page.fill("#field-text", PASTED)
    await page.get_by_role("button", name="识别文本").click()

    await expect(page.locator(".notice-paste-number-off")).to_be_visible()
    await expect(page.locator("#numbering-none")).to_be_checked()
    await expect(page.locator("#numbering-prefix")).not_to_be_checked()
    await expect(page.locator("#field-title")).to_have_value(TITLE)
    await expect(page.locator("#field-signature")).to_have_value("辽宁省计算机学会")
    await expect(page.locator(".notice-paste-signature")).to_contain_text("辽宁省科学技术协会")
    assert await horizontal_overflow(page) == 0
    await shot(page, "read", PHONE)

    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator(".notice-unnumbered")).to_be_visible()
    await page.get_by_role("button", name="发布", exact=True).click()
    await expect(page.locator("h1.notice-title")).to_have_text(TITLE)
    await expect(page.locator(".notice-number")).to_have_count(0)
    await shot(page, "published", PHONE)
    await page.context.close()


async def test_the_filled_form_fits_a_desktop(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, DESKTOP)
    await log_in(page, server, "secretary", password_of("secretary"))
    await page.goto(server.url + "/notices/paste")
    await page.fill("#field-text", PASTED)
    await page.get_by_role("button", name="识别文本").click()
    await expect(page.locator(".notice-paste-number-off")).to_be_visible()
    assert await horizontal_overflow(page) == 0
    await shot(page, "read", DESKTOP)
    await page.context.close()
