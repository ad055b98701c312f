"""Whole tasks in a real Chromium against the real server with the demo data, as people do them.

A secretary fills the weekly report on her phone over two visits and submits it; staff
return it, she fixes it, they approve it and download the round's workbook; a member
reads a notice and its issuer sees the receipt; a secretary forwards a notice to her
members; a report is sent by keyboard alone, and another with JavaScript off.

The tests share one server (the module's), so each works on demo data no other test
here touches: the computer society's sixth weekly round (scenarios 1 and 2, in that
order, the second sending the report itself if it runs alone), its fifth round (the
keyboard), the medical society's sixth round (no JavaScript), the society's forwarding
notice (receipts) and the association's weekly-report notice (forwarding).

HUIBAO_SCREENSHOT_DIR keeps screenshots of the key pages; HUIBAO_README_SHOTS=<dir>
writes the README's screenshots there (docs/screenshots/ in the repository).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from intranet import demo
from tests.browser import (
    DESKTOP,
    PHONE,
    browser,
    log_in,
    log_in_by_keyboard,
    new_page,
    require_chromium,
    server,
    shot_path,
    watch_problems,
)
from tests.live import LiveServer

playwright_api = require_chromium()
expect = playwright_api.expect
expect.set_options(timeout=30_000)  # the machine is shared and busy: wait, never sleep

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures

WEEKLY = "疫情防控工作进展周报"
README_HEIGHT = 1600  # the README's screenshots stop here, however long the page


# -- helpers -------------------------------------------------------------------------------


def password_of(username: str) -> str:
    return next(login.password for login in demo.LOGINS if login.username == username)


async def signed_in(browser, server: LiveServer, username: str, viewport, **options):  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, viewport, **options)
    await log_in(page, server, username, password_of(username))
    return page


async def shot(page, name: str, viewport, *, readme: str = "", start: str = "") -> None:  # type: ignore[no-untyped-def]
    """A screenshot for HUIBAO_SCREENSHOT_DIR, and with `readme` one for the README,
    from the top of the page or from the element `start` selects.
    The caret is left alone: hiding it leaves empty style attributes on the inputs, which
    htmx copies on its next swap, and the page's CSP then rightly reports them."""
    if path := shot_path(f"flows-{name}", viewport):
        await page.screenshot(path=str(path), full_page=True, caret="initial")
    folder = os.environ.get("HUIBAO_README_SHOTS")
    if readme and folder:
        # The window made as tall as the page (up to README_HEIGHT), so that sticky bars
        # sit at its foot as on a screen, not across the middle of a full-page shot.
        Path(folder).mkdir(parents=True, exist_ok=True)
        height = await page.evaluate("document.documentElement.scrollHeight")
        await page.set_viewport_size({**viewport, "height": min(height, README_HEIGHT)})
        if start:
            await page.locator(start).first.evaluate("e => e.scrollIntoView()")
        else:
            await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(Path(folder) / f"{readme}.png"), caret="initial")
        await page.set_viewport_size(viewport)


async def open_report(page, server: LiveServer, round_number: int) -> str:  # type: ignore[no-untyped-def]
    """From My reports, the weekly report of this round: its URL."""
    await page.goto(server.url + "/reports")
    await page.get_by_role("link", name=f"{WEEKLY} · 第{round_number}期").click()
    await expect(page.locator("h1.survey-title")).to_have_text(WEEKLY)
    await expect(page.locator(".survey-round")).to_have_text(f"第{round_number}期")
    return page.url.split("?")[0].split("#")[0]


async def autosave(page, key: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Type an answer, leave the field, and wait until the page says it is saved (htmx).
    Leaving it sends it at once and cancels the save still due from typing, so no save
    of it is left to cross a later submit."""
    field = page.locator(f"#input-{key}")
    if await field.evaluate("e => e.tagName") == "SELECT":
        await field.select_option(value)
    else:
        await field.fill(value)
        await field.blur()
    await expect(page.locator(f"#feedback-{key}")).to_contain_text("已保存")


async def expect_state(page, state: str) -> None:  # type: ignore[no-untyped-def]
    await expect(page.locator(".survey-facts .survey-state")).to_have_class(
        re.compile(rf"\bsurvey-state-{state}\b")
    )


def no_problems(page, *, refused_answers: bool = False) -> None:  # type: ignore[no-untyped-def]
    """No console error or CSP violation; with `refused_answers`, the browser's own note of
    an answer refused on purpose (422, shown beside its field) is not one."""
    problems = page.problems
    if refused_answers:
        problems = [p for p in problems if "status of 422" not in p]
    assert problems == [], problems


# The first visit fills these; the second checks them and fills the rest.
FIRST_VISIT = {"online_meetings": "17", "members_reached": "4321", "science_items": "23"}
SECOND_VISIT = {"science_reach": "98765", "advice_submitted": "4", "funds": "12.5"}


async def fill_rest_and_submit(page) -> None:  # type: ignore[no-untyped-def]
    for key, value in SECOND_VISIT.items():
        await autosave(page, key, value)
    await autosave(page, "duty_roster", "yes")
    await page.get_by_role("button", name="提交", exact=True).click()
    await expect(page.locator(".alert.success")).to_contain_text("报表已提交")
    await expect_state(page, "submitted")


# -- 1. two visits on a phone, then submit ------------------------------------------------


async def test_secretary_fills_the_weekly_report_over_two_visits_on_a_phone(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, PHONE)
    await page.goto(server.url + "/login")
    await shot(page, "login", PHONE, readme="login-phone")
    await log_in(page, server, *demo.login_for("secretary"))
    await expect(page.locator("ul.attention")).to_contain_text(f"{WEEKLY} · 第6期")
    await shot(page, "secretary-home", PHONE, readme="secretary-home-phone")

    await page.get_by_role("navigation").get_by_role("link", name="我的填报").click()
    await expect(page).to_have_url(re.compile(r"/reports$"))
    url = await open_report(page, server, 6)
    await expect_state(page, "draft")
    for key, value in FIRST_VISIT.items():
        await autosave(page, key, value)
        # The running total "with this round" follows the answer just saved.
        total = page.locator(f"#total-{key}")
        earlier = re.search(r"往期累计：(\d+)", await total.inner_text())
        assert earlier, await total.inner_text()
        await expect(total).to_contain_text(f"含本期：{int(earlier[1]) + int(value)}")
    video = page.get_by_label("短视频平台")
    ticked = not await video.is_checked()
    await video.set_checked(ticked)
    await expect(page.locator("#feedback-channels")).to_contain_text("已保存")
    # A new expert in the spare row: half typed, it is saved as a draft with a hint of
    # what submitting needs (row and column); complete, the hint goes.
    rows = page.locator("#field-experts tbody tr[data-row]")
    spare = rows.last
    number = await rows.count()
    await spare.locator("input[name$='.name']").fill("赵思源")
    await page.keyboard.press("Tab")
    await expect(page.locator("#feedback-experts .q-hint")).to_contain_text(f"第{number}行「单位」")
    await spare.locator("input[name$='.employer']").fill("东北大学")
    await expect(page.locator("#feedback-experts .q-hint")).to_have_count(0)
    await expect(page.locator("#feedback-experts")).to_contain_text("已保存")
    await expect(page.locator("#save-status")).to_contain_text("已保存")
    await shot(page, "weekly-report-filling", PHONE, readme="weekly-report-phone")
    context = page.context
    no_problems(page, refused_answers=True)
    await page.close()  # the tab is closed mid-way

    page = watch_problems(await context.new_page())
    await page.goto(url)
    await expect_state(page, "draft")
    for key, value in FIRST_VISIT.items():
        await expect(page.locator(f"#input-{key}")).to_have_value(value)
    await expect(page.get_by_label("短视频平台")).to_be_checked(checked=ticked)
    experts = page.locator("#field-experts input[name$='.name']")
    assert "赵思源" in await experts.evaluate_all("inputs => inputs.map(i => i.value)")
    await fill_rest_and_submit(page)
    for key, value in {**FIRST_VISIT, **SECOND_VISIT}.items():
        await expect(page.locator(f"#field-{key} .q-value")).to_contain_text(value)
    await shot(page, "weekly-report-submitted", PHONE)
    no_problems(page)
    await context.close()


# -- 2. returned, fixed, approved, downloaded ---------------------------------------------


async def computer_society_response(browser, server: LiveServer, staff) -> None:  # type: ignore[no-untyped-def]
    """Staff's page on the computer society's sixth report, sent first if it is not yet
    (when this test runs without the one before it)."""
    await staff.goto(server.url + "/reports/campaigns")
    await staff.get_by_role("link", name=WEEKLY).first.click()
    await expect(staff).to_have_url(re.compile(r"/reports/campaigns/\d+$"))
    await staff.get_by_role("link", name="第6期", exact=True).click()
    await expect(staff).to_have_url(re.compile(r"/reports/rounds/\d+$"))
    row = staff.locator("table.survey-tracker tbody tr", has_text="辽宁省计算机学会")
    if await row.locator(".survey-state-draft, .survey-state-not_started").count():
        secretary = await signed_in(browser, server, "secretary", PHONE)
        await open_report(secretary, server, 6)
        for key, value in FIRST_VISIT.items():
            await autosave(secretary, key, value)
        await fill_rest_and_submit(secretary)
        await secretary.context.close()
        await staff.reload()
    await shot(staff, "round-tracker", DESKTOP, readme="round-tracker-desktop")
    await row.get_by_role("link", name="打开").click()
    await expect(staff.locator(".survey-review")).to_be_visible()


async def test_staff_return_the_report_the_secretary_fixes_it_and_the_workbook_has_it(
    browser, server: LiveServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    staff = await signed_in(browser, server, "staff", DESKTOP)
    await computer_society_response(browser, server, staff)
    await expect_state(staff, "submitted")
    reason = "联系服务会员人数与学会网站报道不一致，请核实后重新提交。"
    await staff.fill("#field-review-reason", reason)
    await staff.get_by_role("button", name="退回修改").click()
    await expect_state(staff, "returned")
    response_url = staff.url.split("?")[0]

    secretary = await signed_in(browser, server, "secretary", PHONE)
    attention = secretary.locator("ul.attention li", has_text=f"{WEEKLY} · 第6期")
    await expect(attention).to_contain_text("已退回修改")
    await secretary.goto(server.url + "/reports")
    await expect(secretary.locator("main")).to_contain_text(reason)
    await open_report(secretary, server, 6)
    await expect(secretary.locator(".survey-returned")).to_contain_text(reason)
    await shot(secretary, "weekly-report-returned", PHONE)
    await autosave(secretary, "members_reached", "4567")
    await secretary.get_by_role("button", name="提交", exact=True).click()
    await expect_state(secretary, "resubmitted")
    no_problems(secretary)
    await secretary.context.close()

    await staff.goto(response_url)
    await expect_state(staff, "resubmitted")
    await expect(staff.locator("#field-members_reached .q-value")).to_contain_text("4567")
    await staff.get_by_role("button", name="通过", exact=True).click()
    await expect_state(staff, "approved")

    await staff.get_by_role("link", name="第6期").first.click()
    await staff.get_by_role("link", name="汇总与图表").click()
    await expect(staff).to_have_url(re.compile(r"/reports/rounds/\d+/totals$"))
    await expect(staff.locator("main svg").first).to_be_visible()
    await shot(
        staff,
        "round-report",
        DESKTOP,
        readme="round-report-desktop",
        start="h2.survey-report-section",
    )
    async with staff.expect_download() as download_info:
        await staff.get_by_role("link", name="下载 .xlsx").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook_path = tmp_path / "round.xlsx"
    await download.save_as(workbook_path)
    rows = workbook_rows(workbook_path)
    ours = [row for row in rows if "辽宁省计算机学会" in row]
    assert ours, "the computer society is not in the workbook"
    assert any("4567" in row for row in ours), ours
    no_problems(staff)
    await staff.context.close()


def workbook_rows(path: Path) -> list[list[str]]:
    """Every row of every sheet, each cell as text (numbers without a trailing .0)."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = []
    for sheet in book.worksheets:
        for values in sheet.iter_rows(values_only=True):
            rows.append([cell_text(v) for v in values])
    book.close()
    return rows


def cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


# -- 3. a member reads a notice; its issuer sees the receipt -------------------------------

FORWARDING_TITLE = "关于转发省科协《做好新型冠状病毒感染的肺炎疫情防控工作》的通知"


async def receipts_of(page, server: LiveServer, title: str):  # type: ignore[no-untyped-def]
    """The issuer's read receipts of the notice with this title, reached from the list."""
    await page.goto(server.url + "/notices/issued")
    await page.get_by_role("link", name=title).first.click()
    await page.get_by_role("link", name="阅读情况").click()
    await expect(page.locator(".receipt-notice")).to_contain_text(title)
    return page.locator(".receipt-list")


async def test_a_member_reads_a_notice_and_its_issuer_sees_the_receipt(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    # The society's forwarding notice, issued by its secretary to all its members.
    secretary = await signed_in(browser, server, "secretary", DESKTOP)
    receipts = await receipts_of(secretary, server, FORWARDING_TITLE)
    await expect(receipts.locator(".receipt-people.unread")).to_contain_text("张伟")

    member = await signed_in(browser, server, "member", DESKTOP)
    await member.get_by_role("navigation").get_by_role("link", name="通知公告", exact=True).click()
    row = member.locator(".notice-row", has_text=FORWARDING_TITLE)
    await expect(row).to_contain_text("未阅")
    await row.get_by_role("link", name=FORWARDING_TITLE).click()
    await expect(member.locator("h1.notice-title")).to_have_text(FORWARDING_TITLE)
    await expect(member.locator(".notice-number").first).to_have_text("辽计会字〔2020〕第001号")
    await shot(member, "member-notice", DESKTOP, readme="notice-desktop")
    await member.get_by_role("navigation").get_by_role("link", name="通知公告", exact=True).click()
    row = member.locator(".notice-row", has_text=FORWARDING_TITLE)
    await expect(row).to_be_visible()
    await expect(row).not_to_contain_text("未阅")
    no_problems(member)
    await member.context.close()

    await secretary.reload()
    await expect(receipts.locator(".receipt-people.read")).to_contain_text("张伟")
    await expect(receipts.locator(".receipt-people.read time")).not_to_have_count(0)
    await expect(receipts.locator(".receipt-people.unread")).to_have_count(0)  # all have read
    await shot(secretary, "notice-receipts", DESKTOP)
    no_problems(secretary)
    await secretary.context.close()


# -- 4. a secretary forwards a notice to her members ---------------------------------------

WEEKLY_NOTICE = "关于按周报送学会工作进展情况的通知"


async def test_a_secretary_forwards_a_notice_and_her_members_see_it(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    member = await signed_in(browser, server, "member", PHONE)
    await member.goto(server.url + "/notices")
    await expect(member.locator("main")).not_to_contain_text(WEEKLY_NOTICE)

    secretary = await signed_in(browser, server, "secretary", DESKTOP)
    secretary.on("dialog", lambda dialog: dialog.accept())  # "Publish this notice?"
    await secretary.goto(server.url + "/notices")
    await secretary.get_by_role("link", name=WEEKLY_NOTICE).click()
    await secretary.get_by_role("link", name="转发", exact=True).click()
    await expect(secretary.locator(".original-title")).to_have_text(WEEKLY_NOTICE)
    await secretary.get_by_role("button", name="生成转发草稿").click()
    await expect(secretary.locator(".notice-forwarding")).to_contain_text(WEEKLY_NOTICE)
    title = await secretary.input_value("#field-title")
    assert WEEKLY_NOTICE in title
    await secretary.locator("#field-members_of summary").click()
    await (
        secretary.locator("#field-members_of").get_by_label("辽宁省计算机学会", exact=True).check()
    )
    await secretary.get_by_role("button", name="保存草稿").click()
    await expect(secretary.locator(".notice-no-addressees")).to_have_count(0)
    await secretary.get_by_role("button", name="发布", exact=True).click()
    await expect(secretary.locator("h1.notice-title")).to_have_text(title)
    number = secretary.locator(".notice-number").first
    await expect(number).to_contain_text("辽计会字")
    await shot(secretary, "forwarded-notice", DESKTOP)
    no_problems(secretary)
    await secretary.context.close()

    await member.reload()
    row = member.locator(".notice-row", has_text=title)
    await expect(row).to_contain_text("未阅")
    await row.get_by_role("link", name=title).click()
    await expect(member.locator(".notice-forwarded .notice-title")).to_have_text(WEEKLY_NOTICE)
    await shot(member, "forwarded-notice-member", PHONE)
    no_problems(member)
    await member.context.close()


# -- 5. keyboard alone ---------------------------------------------------------------------


async def tab_to(page, script: str, limit: int = 250) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until `script` (about `el`, the focused element) holds."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"(el => Boolean({script}))(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {script}")


async def test_a_report_is_fixed_and_sent_by_keyboard_alone(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser, server, DESKTOP)
    username, password = demo.login_for("secretary")
    await log_in_by_keyboard(page, server, username, password)
    await expect(page.locator("ul.attention")).to_be_visible()

    # Last week's report, returned: an expert was sent without a phone number.
    await tab_to(page, "el.textContent.includes('第5期')")
    await page.keyboard.press("Enter")
    await expect(page.locator(".survey-returned")).to_contain_text("联系电话")
    await tab_to(page, "/^q[.]experts[.][0-9]+[.]phone$/.test(el.name) && el.value === ''")
    await page.keyboard.type("13904005678")
    await page.keyboard.press("Tab")  # leaving the field saves it
    await expect(page.locator("#feedback-experts")).to_contain_text("已保存")
    await tab_to(page, "el.type === 'submit' && el.textContent.trim() === '提交'")
    await page.keyboard.press("Enter")
    await expect(page.locator(".alert.success")).to_contain_text("报表已提交")
    await expect_state(page, "resubmitted")
    await expect(page.locator("#field-experts")).to_contain_text("13904005678")
    no_problems(page)
    await page.context.close()


# -- a save the site could not make ------------------------------------------------------


async def test_a_save_the_site_could_not_make_says_so_and_is_sent_again(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    staff = await signed_in(browser, server, "staff", DESKTOP)
    page = await signed_in(browser, server, "secretary-med", PHONE)
    url = await open_report(page, server, 6)
    if await page.locator("#response-form.survey-editable").count() == 0:
        await staff.goto(url)  # already sent in the demo: sent back, so it can be edited
        await staff.fill("#field-review-reason", "请补充本周数据。")
        await staff.get_by_role("button", name="退回修改", exact=True).click()
        await expect_state(staff, "returned")
        await page.reload()
    await autosave(page, "science_items", "31")

    # The database is restarting: every save answers the site's 503 for a while.
    async def unavailable(route) -> None:  # type: ignore[no-untyped-def]
        await route.fulfill(status=503, headers={"retry-after": "5"}, body="unavailable")

    await page.route("**/answers/**", unavailable)
    await page.fill("#input-online_meetings", "29")
    await page.locator("#input-online_meetings").blur()
    status = page.locator("#save-status")
    await expect(status).to_have_class(re.compile(r"\bnot-saved\b"))
    await expect(status).to_contain_text("未保存")
    # Another field saved meanwhile must not make the page say all is saved.
    await page.unroute("**/answers/**")
    await autosave(page, "advice_submitted", "6")
    # That save went through, so the lost one is sent again and saved too.
    await expect(page.locator("#feedback-online_meetings")).to_contain_text("已保存")
    await expect(status).not_to_have_class(re.compile(r"\bnot-saved\b"))
    await page.reload()
    await expect(page.locator("#input-online_meetings")).to_have_value("29")
    await expect(page.locator("#input-advice_submitted")).to_have_value("6")
    problems = [p for p in page.problems if "status of 503" not in p]
    assert problems == [], problems
    await page.context.close()
    await staff.context.close()


# -- 6. no JavaScript ----------------------------------------------------------------------


async def submit_without_javascript(page, button: str) -> None:  # type: ignore[no-untyped-def]
    async with page.expect_navigation():
        await page.get_by_role("button", name=button, exact=True).click()


async def test_the_report_cycle_works_without_javascript(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    staff = await signed_in(browser, server, "staff", DESKTOP, java_script_enabled=False)
    secretary = await signed_in(browser, server, "secretary-med", PHONE, java_script_enabled=False)
    url = await open_report(secretary, server, 6)
    if await secretary.locator("#response-form.survey-editable").count() == 0:
        # Already sent in the demo: staff send it back first, so there is something to do.
        await staff.goto(url)
        await staff.fill("#field-review-reason", "请补充本周数据。")
        await submit_without_javascript(staff, "退回修改")
        await secretary.reload()

    for key, value in {**FIRST_VISIT, **SECOND_VISIT}.items():
        await secretary.fill(f"#input-{key}", value)
    await secretary.get_by_label("学会网站").check()
    await submit_without_javascript(secretary, "保存")
    await expect(secretary.locator(".alert.success")).to_contain_text("已保存")
    for key, value in {**FIRST_VISIT, **SECOND_VISIT}.items():
        await expect(secretary.locator(f"#input-{key}")).to_have_value(value)
    await expect(secretary.get_by_label("学会网站")).to_be_checked()
    await secretary.select_option("#input-duty_roster", "yes")
    await submit_without_javascript(secretary, "提交")
    await expect(secretary.locator(".alert.success")).to_contain_text("报表已提交")
    submitted = await secretary.locator(".survey-facts .survey-state").get_attribute("class")
    assert re.search(r"survey-state-(re)?submitted", submitted or ""), submitted

    reason = "科普作品阅读量请只填本周新增。"
    await staff.goto(url)
    await staff.fill("#field-review-reason", reason)
    await submit_without_javascript(staff, "退回修改")
    await expect_state(staff, "returned")

    await secretary.reload()
    await expect(secretary.locator(".survey-returned")).to_contain_text(reason)
    await secretary.fill("#input-science_reach", "9876")
    await submit_without_javascript(secretary, "提交")
    await expect_state(secretary, "resubmitted")

    await staff.reload()
    await submit_without_javascript(staff, "通过")
    await expect_state(staff, "approved")
    await expect(staff.locator("#field-science_reach .q-value")).to_contain_text("9876")
    await shot(staff, "approved-without-javascript", DESKTOP)
    for page in (staff, secretary):
        no_problems(page)
        await page.context.close()
