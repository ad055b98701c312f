"""A week with nothing new, and a report pulled back, in a real Chromium on the demo data.

The computer society's secretary, signed in on a 390×844 phone, sends round 6 as "no
change" from her home page: the taps from the home page to a submitted report are
counted (the goal is at most 2). She then withdraws it (撤回), finds it a draft again,
and staff see it as a draft in the tracker. The medical society's secretary does the
same two taps with JavaScript off. Each test works on its own society's sixth round.

HUIBAO_SCREENSHOT_DIR keeps screenshots of the pages at 390 and 1280 pixels wide.
"""

from __future__ import annotations

import re
from typing import Any

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

WEEKLY = "疫情防控工作进展周报"


async def shot(page: Any, name: str, viewport: dict[str, int]) -> None:
    """The whole page, and the screen as the person first sees it."""
    if path := shot_path(f"no-change-{name}", viewport):
        await page.screenshot(path=str(path), full_page=True, caret="initial")
        await page.evaluate("window.scrollTo(0, 0)")
        screen = path.with_name(path.stem + "-screen.png")
        await page.screenshot(path=str(screen), caret="initial")


class Taps:
    """The person's taps, counted."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    async def tap(self, locator: Any) -> None:
        self.count += 1
        async with self.page.expect_navigation():
            await locator.click()


async def signed_in(
    browser: Any, server: LiveServer, username: str, viewport: Any, **options: Any
) -> Any:
    page = await new_page(browser, server, viewport, **options)
    password = next(login.password for login in demo.LOGINS if login.username == username)
    await log_in(page, server, username, password)
    return page


async def send_no_change_from_home(page: Any) -> int:
    """From the signed-in home page to a submitted "no change" report; the taps it took."""
    taps = Taps(page)
    item = page.locator("ul.attention li", has_text=f"{WEEKLY} · 第6期")
    await taps.tap(item.get_by_role("link", name="本期无变化，直接提交"))
    await expect(page.locator("h1")).to_have_text("本期无变化")
    # The confirmation says what will be sent: last week's increments are not.
    await expect(page.locator("[data-question=online_meetings] dd")).to_contain_text("0")
    await expect(page.locator(".survey-no-change-intro")).to_contain_text("沿用第")
    await taps.tap(page.get_by_role("button", name="确认提交（无变化）"))
    await expect(page.locator(".alert.success")).to_contain_text("报表已提交")
    await expect(page.locator(".survey-facts .survey-state")).to_have_class(
        re.compile(r"\bsurvey-state-submitted\b")
    )
    await expect(page.locator(".survey-facts .survey-unchanged")).to_have_text("无变化")
    return taps.count


async def test_two_taps_from_home_send_an_unchanged_report_which_can_be_withdrawn(
    browser: Any, server: LiveServer
) -> None:
    page = await signed_in(browser, server, "secretary", PHONE)
    await expect(page.locator("ul.attention")).to_contain_text(f"{WEEKLY} · 第6期")
    await shot(page, "home", PHONE)
    confirm = page.locator("ul.attention a.attention-no-change")
    await expect(confirm).to_have_count(1)
    assert await horizontal_overflow(page) == 0
    # The confirmation page, for the screenshots, then back home to start counting.
    await confirm.click()
    await expect(page.locator("form.survey-no-change-confirm")).to_be_visible()
    assert await horizontal_overflow(page) == 0
    await shot(page, "confirm", PHONE)
    await page.set_viewport_size(DESKTOP)
    await shot(page, "confirm", DESKTOP)
    await page.set_viewport_size(PHONE)
    await page.goto(server.url + "/reports")
    await expect(page.locator(".survey-reports a.survey-no-change")).to_have_count(1)
    assert await horizontal_overflow(page) == 0
    await shot(page, "my-reports", PHONE)
    await page.goto(server.url + "/")

    assert await send_no_change_from_home(page) <= 2
    await shot(page, "submitted", PHONE)
    report_url = page.url.split("?")[0]

    staff = await signed_in(browser, server, "staff", DESKTOP)
    await staff.goto(report_url)
    round_link = staff.locator(".survey-breadcrumbs a").nth(1)
    tracker_url = await round_link.get_attribute("href")
    await staff.goto(server.url + tracker_url)
    row = staff.locator("table.survey-tracker tbody tr", has_text="辽宁省计算机学会")
    await expect(row.locator(".survey-unchanged")).to_have_text("无变化")
    await shot(staff, "tracker", DESKTOP)
    if path := shot_path("no-change-tracker-row", DESKTOP):
        await row.evaluate("e => e.scrollIntoView({block: 'center'})")
        await staff.screenshot(path=str(path), caret="initial")

    # 撤回: back to a draft she can change, and staff see a draft.
    await expect(page.locator("form.survey-withdraw")).to_be_visible()
    await page.get_by_role("button", name="撤回填报").click()
    await expect(page.locator(".alert.success")).to_contain_text("已撤回")
    await expect(page.locator(".survey-facts .survey-state")).to_have_class(
        re.compile(r"\bsurvey-state-draft\b")
    )
    await expect(page.locator("#response-form.survey-editable")).to_have_count(1)
    await expect(page.locator(".survey-prefill button")).to_have_text(
        ["本期无新增（按上期存量填写）", "复制上期内容后修改"]
    )
    await shot(page, "withdrawn", PHONE)
    await page.set_viewport_size(DESKTOP)
    await shot(page, "withdrawn", DESKTOP)
    await staff.reload()
    await expect(row.locator(".survey-state")).to_have_class(re.compile(r"\bsurvey-state-draft\b"))
    await expect(row.locator(".survey-unchanged")).to_have_count(0)
    await page.goto(page.url.split("?")[0] + "/history")
    await expect(page.locator(".survey-events")).to_contain_text("撤回")
    for p in (page, staff):
        assert p.problems == [], p.problems
        await p.context.close()


async def test_two_taps_work_without_javascript(browser: Any, server: LiveServer) -> None:
    page = await signed_in(browser, server, "secretary-med", PHONE, java_script_enabled=False)
    assert await send_no_change_from_home(page) <= 2
    await page.context.close()


async def test_the_builder_offers_what_a_new_round_starts_from(
    browser: Any, server: LiveServer
) -> None:
    for viewport in (PHONE, DESKTOP):
        page = await signed_in(browser, server, "staff", viewport)
        await page.goto(server.url + "/reports/forms")
        await page.get_by_role("link", name=WEEKLY).first.click()
        question = page.locator("#question-experts")
        await expect(question.locator(".builder-carry-tag")).to_have_text("本期新增")
        await question.locator("> details.builder-edit > summary").click()
        carry = question.locator("#question-experts-carry")
        await expect(carry).to_have_value("increment")
        await carry.scroll_into_view_if_needed()
        assert await horizontal_overflow(page) == 0
        if path := shot_path("no-change-builder", viewport):
            await page.screenshot(path=str(path), caret="initial")
        assert page.problems == [], page.problems
        await page.context.close()
