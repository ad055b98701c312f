"""A staff member's day on a 390×844 phone, in a real Chromium against the demo data:
from the home page's 待审核 to the review queue, approving three reports one after the
other with 通过并下一份; in the round tracker, selecting every unit that has not
submitted and sending 催报 by tapping the action bar, which the pinned organisation
column must not cover; the message then counts only the units actually reached.

Its own server (the module's), so nothing here disturbs tests/test_browser_flows.py.
HUIBAO_SCREENSHOT_DIR keeps screenshots of the pages at phone and desktop width.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import DESKTOP, PHONE, browser, require_chromium, server
from tests.live import LiveServer
from tests.test_browser_flows import WEEKLY, expect_state, no_problems, shot, signed_in

playwright_api = require_chromium()
expect = playwright_api.expect
expect.set_options(timeout=30_000)  # the machine is shared and busy: wait, never sleep

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures

QUEUE_TITLES = ".survey-review-queue .survey-report-title"


async def test_staff_reach_the_queue_from_home_and_approve_three_in_a_row(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    staff = await signed_in(browser, server, "staff", PHONE, has_touch=True)
    await staff.goto(server.url + "/")
    waiting = staff.locator("ul.attention li.review", has_text=f"{WEEKLY} 第5期")
    await expect(waiting).to_contain_text("份")
    before = int(re.findall(r"(\d+) 份", await waiting.inner_text())[0])
    assert before >= 3
    await shot(staff, "staff-home", PHONE)
    await waiting.get_by_role("link").tap()
    await expect(staff).to_have_url(re.compile(r"/reports/review\?round=\d+$"))
    queue_url = staff.url
    names = await staff.locator(QUEUE_TITLES).all_inner_texts()
    assert len(names) == before
    await shot(staff, "review-queue", PHONE)

    await staff.locator(QUEUE_TITLES).first.tap()
    for number, name in enumerate(names[:3]):
        # Each report opens on its own page, the oldest first, saying what became of
        # the one before it.
        await expect(staff.locator(".survey-facts")).to_contain_text(name)
        await expect_state(staff, "submitted")
        if number:
            await expect(staff.locator(".alert.success").first).to_contain_text("上一份已通过")
        await staff.get_by_role("button", name="通过并下一份").tap()
        await expect(staff.locator(".survey-facts")).not_to_contain_text(name)
    await expect(staff.locator(".survey-facts")).to_contain_text(names[3])
    await shot(staff, "review-next", PHONE)

    await staff.goto(queue_url)
    await expect(staff.locator(QUEUE_TITLES)).to_have_count(before - 3)
    assert await staff.locator(QUEUE_TITLES).all_inner_texts() == names[3:]
    await staff.goto(server.url + "/")
    await expect(waiting).to_contain_text(f"{before - 3} 份")
    no_problems(staff)
    await staff.context.close()


async def sixth_round_tracker(page, server: LiveServer) -> str:  # type: ignore[no-untyped-def]
    await page.goto(server.url + "/reports/campaigns")
    await page.get_by_role("link", name=WEEKLY).first.click()
    await expect(page).to_have_url(re.compile(r"/reports/campaigns/\d+$"))
    await page.get_by_role("link", name="第6期", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/reports/rounds/\d+$"))
    return page.url


async def test_staff_select_every_unit_not_submitted_and_remind_by_tapping_the_bar(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    staff = await signed_in(browser, server, "staff", PHONE, has_touch=True)
    tracker = await sixth_round_tracker(staff, server)
    owing = staff.locator("table.survey-tracker tbody tr[data-owing]")
    owing_names = await owing.locator(".survey-org-name").all_inner_texts()
    assert len(owing_names) >= 3
    await staff.get_by_role("button", name="全选未报送").tap()
    checked = staff.locator("#tracker-table input[name=response]:checked")
    await expect(checked).to_have_count(len(owing_names))
    await expect(owing.locator("input[name=response]:checked")).to_have_count(len(owing_names))
    bar = staff.locator(".survey-bulk")
    await expect(bar).to_contain_text(f"已选 {len(owing_names)} 个")
    # Half way down the table the sticky bar sits over the pinned organisation column:
    # the tap must land on the button, not on a name.
    await staff.locator("table.survey-tracker tbody tr").nth(12).scroll_into_view_if_needed()
    await shot(staff, "tracker-selected", PHONE)
    # Where the finger goes: the middle of the button as drawn (Playwright's own tap
    # would scroll until nothing covers it, as a person cannot).
    box = await bar.get_by_role("button", name="催报所选").bounding_box()
    assert box is not None
    await staff.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    await expect(staff).to_have_url(re.compile(r"/reports/rounds/\d+\?done=reminded&sent="))
    outcome = staff.locator(".survey-reminded")
    count = await outcome.locator(".survey-reminded-count").inner_text()
    reached = int(re.findall(r"已催报到 (\d+) 个单位", count)[0])
    unreached = await outcome.locator(".survey-unreached-name").all_inner_texts()
    # Every unit chosen is either reached or listed as having nobody to tell, with the
    # telephone from the directory when there is one.
    assert reached + len(unreached) == len(owing_names)
    assert set(unreached) <= set(owing_names)
    await shot(staff, "tracker-reminded", PHONE)

    # The 催报 log says the same.
    await outcome.get_by_role("link", name="催报记录").tap()
    rows = staff.locator("table.survey-reminder-log tbody tr", has_text="工作人员的报表催报")
    await expect(rows).to_have_count(len(owing_names))
    not_reached = rows.filter(has=staff.locator(".survey-not-reached"))
    await expect(not_reached).to_have_count(len(unreached))
    assert sorted(await not_reached.locator("td:nth-child(2)").all_inner_texts()) == sorted(
        unreached
    )
    no_problems(staff)
    await staff.context.close()

    desk = await signed_in(browser, server, "staff", DESKTOP)
    await desk.goto(tracker + "?state=awaiting_review")
    await expect(desk.locator(".survey-state-filters [aria-current]")).to_contain_text("待审核")
    await shot(desk, "tracker-awaiting-review", DESKTOP)
    await desk.goto(server.url + "/reports/review")
    await shot(desk, "review-queue", DESKTOP)
    no_problems(desk)
    await desk.context.close()


async def test_the_filters_and_the_queue_work_without_javascript(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    staff = await signed_in(browser, server, "staff", PHONE, java_script_enabled=False)
    tracker = await sixth_round_tracker(staff, server)
    # Without JavaScript the selection buttons (which need it) are not offered.
    await expect(staff.locator("[data-select-tools]")).to_be_hidden()
    waiting = staff.locator(".survey-state-filters a", has_text="待审核")
    count = int(await waiting.locator(".survey-count").inner_text())
    await waiting.click()
    await expect(staff).to_have_url(tracker + "?state=awaiting_review")
    await expect(staff.locator("table.survey-tracker tbody tr")).to_have_count(count)
    await expect(staff.locator("tr[data-owing]")).to_have_count(0)
    await staff.goto(server.url + "/")
    await staff.locator("ul.attention li.review a").first.click()
    await expect(staff).to_have_url(re.compile(r"/reports/review\?round=\d+$"))
    await staff.get_by_role("link", name=re.compile("^全部")).click()
    await expect(staff).to_have_url(re.compile(r"/reports/review$"))
    await expect(staff.locator(QUEUE_TITLES).first).to_be_visible()
    no_problems(staff)
    await staff.context.close()
