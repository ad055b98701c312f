"""Nothing a secretary types into the weekly report is lost, in a real Chromium.

Enter in a one-line field never removes or adds a table row (with JavaScript it saves
the field; without, it is the form's plain Save); a half-typed table row is saved as a
draft and held back only at submission; a value typed a moment before the tab is
closed, or before the phone locks and the tab is closed, is there when she comes back.

The module has its own server, so the computer society's sixth (draft) and fifth
(returned) weekly reports are its own to change.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser import DESKTOP, PHONE, browser, require_chromium, server, watch_problems
from tests.live import LiveServer
from tests.test_browser_flows import expect_state, no_problems, open_report, shot, signed_in

playwright_api = require_chromium()
expect = playwright_api.expect
expect.set_options(timeout=30_000)

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures

EXPERT_NAMES = "#field-experts tbody tr[data-row] input[name$='.name']"


async def table_rows(page, key: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The rows of a table question as the page shows them, spare rows left out."""
    rows = await page.locator(f"#field-{key} tbody tr[data-row]").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('input, select, textarea'))"
        ".map(i => i.value))"
    )
    return [row for row in rows if any(cell.strip() for cell in row)]


async def wait_saved(page, key: str) -> None:  # type: ignore[no-untyped-def]
    await expect(page.locator(f"#feedback-{key} .q-saved")).to_contain_text("已保存")
    await expect(page.locator("#save-status")).to_have_class(re.compile(r"\bsaved\b"))


async def enter_saves(page, field, key: str) -> None:  # type: ignore[no-untyped-def]
    """Press Enter in `field`: the page sends that question's answer and it is saved
    (200). A repeat of a save already made answers 200 too, saying nothing new."""

    def the_save(reply) -> bool:  # type: ignore[no-untyped-def]
        return reply.url.endswith(f"/answers/{key}") and reply.request.method == "POST"

    async with page.expect_response(the_save) as saved:
        await field.press("Enter")
    assert (await saved.value).status == 200


async def test_enter_in_every_one_line_field_saves_it_and_changes_no_row(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    page = await signed_in(browser, server, "secretary", PHONE)
    url = await open_report(page, server, 6)
    # An expert to lose: typed into the spare row and saved.
    spare = page.locator("#field-experts tbody tr[data-row]").last
    await spare.locator("input[name$='.name']").fill("钱学敏")
    await spare.locator("input[name$='.employer']").fill("辽宁大学")
    await enter_saves(page, spare.locator("input[name$='.employer']"), "experts")
    await page.reload()
    experts, cases = await table_rows(page, "experts"), await table_rows(page, "exemplary_cases")
    assert any("钱学敏" in row for row in experts), experts

    # A number, the first expert's name (text) and a case's date, each ended with Enter.
    await page.locator("#input-online_meetings").fill("12")
    await enter_saves(page, page.locator("#input-online_meetings"), "online_meetings")
    first_name = page.locator(EXPERT_NAMES).first
    await first_name.press("End")
    await first_name.press_sequentially("甲")
    await enter_saves(page, first_name, "experts")
    date = page.locator("#field-exemplary_cases tbody tr[data-row] input[type=date]").last
    await date.fill("2020-02-14")  # a date saves as soon as it is chosen
    await wait_saved(page, "exemplary_cases")
    await enter_saves(page, date, "exemplary_cases")
    assert page.url.split("#")[0] == url  # no page was submitted
    assert len(await table_rows(page, "experts")) == len(experts)
    assert len(await table_rows(page, "exemplary_cases")) == len(cases) + 1

    await page.reload()
    await expect(page.locator("#input-online_meetings")).to_have_value("12")
    after = await table_rows(page, "experts")
    assert len(after) == len(experts), (experts, after)
    assert after[0][0] == experts[0][0] + "甲"
    assert any("辽宁大学" in row for row in after), after
    assert len(await table_rows(page, "exemplary_cases")) == len(cases) + 1
    no_problems(page)
    await page.context.close()


async def test_without_javascript_enter_saves_and_a_removal_asks_first(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    page = await signed_in(browser, server, "secretary", DESKTOP, java_script_enabled=False)
    await open_report(page, server, 5)  # returned: its experts lack phone numbers
    experts = await table_rows(page, "experts")
    assert experts
    await page.fill("#input-advice_submitted", "7")
    async with page.expect_navigation():
        await page.locator("#input-advice_submitted").press("Enter")
    await expect(page.locator(".alert.success")).to_contain_text("已保存")
    await expect(page.locator("#input-advice_submitted")).to_have_value("7")
    assert await table_rows(page, "experts") == experts

    phone = page.locator("#field-experts tbody tr[data-row] input[name$='.phone']").first
    await phone.fill("13904001234")
    async with page.expect_navigation():
        await phone.press("Enter")
    await expect(page.locator(".alert.success")).to_contain_text("已保存")
    kept = await table_rows(page, "experts")
    assert len(kept) == len(experts) and "13904001234" in kept[0]

    # Remove asks, naming the row; keeping it changes nothing, confirming removes it.
    async with page.expect_navigation():
        await page.locator("#field-experts [data-remove-row]").first.click()
    confirm = page.locator("#confirm-remove-experts")
    await expect(confirm).to_contain_text("第1行")
    await expect(confirm).to_contain_text(kept[0][0])
    await shot(page, "remove-row-confirm", DESKTOP)
    assert await table_rows(page, "experts") == kept
    async with page.expect_navigation():
        await confirm.get_by_role("button", name="移除此行").click()
    assert await table_rows(page, "experts") == kept[1:]
    no_problems(page)
    await page.context.close()


async def test_a_half_typed_row_is_saved_and_held_back_at_submission(
    browser, server: LiveServer
) -> None:  # type: ignore[no-untyped-def]
    page = await signed_in(browser, server, "secretary", DESKTOP)
    url = await open_report(page, server, 6)
    spare = page.locator("#field-experts tbody tr[data-row]").last
    number = await page.locator("#field-experts tbody tr[data-row]").count()
    await spare.locator("input[name$='.name']").fill("孙一鸣")
    await expect(page.locator("#save-status")).to_contain_text("已保存")
    await wait_saved(page, "experts")
    hint = page.locator("#feedback-experts .q-hint")
    await expect(hint).to_contain_text(f"第{number}行「单位」")
    await shot(page, "half-typed-row", DESKTOP)

    await page.goto(url)
    assert any(row[0] == "孙一鸣" for row in await table_rows(page, "experts"))
    await expect(hint).to_contain_text(f"第{number}行「单位」")  # still there on return
    await page.get_by_role("button", name="提交", exact=True).click()
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text(f"储备专家名单 第{number}行「单位」")
    await expect_state(page, "draft")
    no_problems(page, refused_answers=True)
    await page.context.close()


async def type_and_close(page, selector: str, text: str, *, hide_first: bool) -> float:  # type: ignore[no-untyped-def]
    """Type `text` into the field and close the tab at once (after the page is hidden,
    as when a phone locks, with `hide_first`): the seconds from the last key until the
    tab is told to close."""
    field = page.locator(selector)
    await field.click()
    await field.press("Control+A")
    await page.keyboard.type(text)
    typed = time.monotonic()
    if hide_first:
        await page.evaluate(
            "Object.defineProperty(document, 'visibilityState', {value: 'hidden',"
            " configurable: true}); document.dispatchEvent(new Event('visibilitychange'))"
        )
    gap = time.monotonic() - typed
    await page.close()
    return gap


@pytest.mark.parametrize(
    ("viewport", "hide_first", "key", "value"),
    [
        (DESKTOP, False, "members_reached", "4321"),
        (PHONE, True, "science_items", "57"),
    ],
    ids=["desktop-closed", "phone-hidden-then-closed"],
)
async def test_a_value_typed_just_before_the_tab_closes_is_kept(
    browser, server: LiveServer, viewport, hide_first: bool, key: str, value: str
) -> None:  # type: ignore[no-untyped-def]
    page = await signed_in(browser, server, "secretary", viewport)
    url = await open_report(page, server, 6)
    context = page.context
    elapsed = await type_and_close(page, f"#input-{key}", value, hide_first=hide_first)
    assert elapsed < 0.1, f"closed {elapsed * 1000:.0f} ms after the last key"

    page = watch_problems(await context.new_page())
    await page.goto(url)
    await expect(page.locator(f"#input-{key}")).to_have_value(value)
    no_problems(page)
    await context.close()


async def test_leaving_while_a_save_is_unanswered_warns(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = await signed_in(browser, server, "secretary", DESKTOP)
    url = await open_report(page, server, 6)
    held: list = []

    async def hold(route) -> None:  # type: ignore[no-untyped-def]
        held.append(route)  # the site has not answered yet

    await page.route("**/answers/**", hold)
    await page.fill("#input-advice_submitted", "9")
    async with page.expect_request("**/answers/advice_submitted"):
        await page.locator("#input-advice_submitted").blur()
    async with page.expect_event("dialog") as shown:
        await page.close(run_before_unload=True)
    dialog = await shown.value
    assert dialog.type == "beforeunload"
    await dialog.dismiss()  # stay on the page
    assert not page.is_closed()
    for route in held:
        await route.continue_()
    await page.unroute("**/answers/**")
    await expect(page.locator("#save-status")).to_contain_text("已保存")
    await page.goto(url)
    await expect(page.locator("#input-advice_submitted")).to_have_value("9")
    await page.context.close()


async def test_the_instructions_fold_with_a_visible_marker(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = await signed_in(browser, server, "secretary", PHONE)
    await open_report(page, server, 6)
    block = page.locator("details.survey-instructions")
    summary = block.locator("summary")
    await expect(summary).to_have_text("填报说明")
    marker = await summary.evaluate(
        "s => { const m = getComputedStyle(s, '::before');"
        " return [m.content, parseFloat(m.borderLeftWidth), m.transform]; }"
    )
    assert marker[0] != "none" and marker[1] > 0, marker
    was_open = await block.evaluate("d => d.open")
    await summary.click()
    assert await block.evaluate("d => d.open") != was_open
    if not await block.evaluate("d => d.open"):
        await summary.click()
    await expect(page.locator(".survey-instructions-text")).to_be_visible()
    await shot(page, "weekly-report-instructions", PHONE)
    no_problems(page)
    await page.context.close()


async def test_the_builder_shows_keys_only_when_asked(browser, server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    for viewport in (PHONE, DESKTOP):
        page = await signed_in(browser, server, "staff", viewport)
        await page.goto(server.url + "/reports/forms")
        await page.locator("table.form-list tbody a", has_text="疫情防控工作进展周报").first.click()
        await expect(page.locator(".builder-heading h1")).to_contain_text("表单设计")
        keys = page.locator("code.builder-key", has_text="online_meetings")
        await expect(keys.first).to_be_hidden()
        await expect(page.locator("#new-question-online_work-type")).to_contain_text("日期")
        await shot(page, "form-builder", viewport)
        await page.locator("details.builder-show-keys > summary").click()
        await expect(keys.first).to_be_visible()
        no_problems(page)
        await page.context.close()
