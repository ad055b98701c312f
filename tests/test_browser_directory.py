"""In the browser at desktop size: an admin uploads a directory workbook, reads the preview,
confirms, downloads the one-time codes; an invited person sets a password and signs in."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.browser import (
    DESKTOP,
    PHONE,
    browser,
    log_in,
    new_page,
    require_chromium,
    server,
    shot_path,
)
from tests.directory_helpers import org_row, person_row, xlsx_bytes
from tests.live import LiveServer

playwright_api = require_chromium()
expect = playwright_api.expect
expect.set_options(timeout=30_000)  # the machine is shared and busy: wait, never sleep

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures

NEW_PASSWORD = "Wo-De-Mi-Ma-2026"


async def shot(page: Any, name: str, viewport: dict[str, int]) -> None:
    if path := shot_path(f"directory-{name}", viewport):
        await page.screenshot(path=str(path), full_page=True)


def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "全省学会名录.xlsx"
    path.write_bytes(
        xlsx_bytes(
            [
                org_row(
                    "辽宁省天文学会", "LNAST", code="LNTW", short="天文学会", phone="024-12345678"
                ),
                org_row("辽宁省天文学会青少年专业委员会", "LNTW", kind="分会/专业委员会"),
                org_row(
                    "辽宁省计算机学会",
                    "LNAST",
                    code="LNCS",
                    short="计算机学会",
                    contact="新联系人",
                ),
            ],
            [
                person_row("赵六", "zhaoliu", "LNTW", "秘书", email="zhaoliu@example.org"),
                person_row("孙七", "sunqi", "LNTW", "会员", phone="13912345678"),
                person_row("孙七", "sunqi", "辽宁省天文学会青少年专业委员会", "会员"),
            ],
        )
    )
    return path


async def test_an_admin_imports_and_an_invited_person_sets_a_password(
    browser: Any, server: LiveServer, tmp_path: Path
) -> None:
    page = await new_page(browser, server, DESKTOP, accept_downloads=True)
    await log_in(page, server, "admin", "demo-admin-2026")
    await page.goto(server.url + "/admin/people")
    await page.get_by_role("link", name="从工作簿导入").click()
    await page.set_input_files("#field-file", str(workbook(tmp_path)))
    await page.get_by_role("button", name="上传并预览").click()
    await expect(page.locator(".directory-confirm button[type=submit]")).to_be_visible()
    new_people = page.locator(".directory-new-people tbody tr")
    await expect(new_people).to_have_count(2)
    changed = page.locator(".directory-changed-organisations tbody tr")
    await expect(changed).to_contain_text("新联系人")
    await shot(page, "preview", DESKTOP)
    await page.set_viewport_size(PHONE)
    await shot(page, "preview", PHONE)
    await page.set_viewport_size(DESKTOP)
    await page.get_by_role("button", name="确认并写入").click()
    await expect(page.locator(".directory-job[data-state=applied]")).to_be_visible()
    await expect(page.locator(".directory-summary")).to_contain_text("新增 2")
    await shot(page, "applied", DESKTOP)
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="下载一次性邀请码（仅限一次）").click()
    download = await download_info.value
    data = Path(await download.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]  # type: ignore[union-attr]
    assert [row[1] for row in rows[1:]] == ["sunqi"]
    code = str(rows[1][3])
    assert page.problems == []

    # 孙七 got the code by WeChat: types it on the site's page, sets a password.
    visitor = await new_page(browser, server, DESKTOP)
    await visitor.goto(server.url + "/invitation")
    await visitor.fill("#field-code", code.lower())
    await visitor.keyboard.press("Enter")
    await expect(visitor.locator("#field-new_password")).to_be_visible()
    await shot(visitor, "set-password", DESKTOP)
    await visitor.fill("#field-new_password", NEW_PASSWORD)
    await visitor.fill("#field-confirm_password", NEW_PASSWORD)
    await visitor.keyboard.press("Enter")
    await visitor.wait_for_url(server.url + "/")
    await expect(visitor.locator("nav.menu")).to_contain_text("孙七")
    # The link works once only.
    await visitor.goto(server.url + f"/invitation/{code}")
    await expect(visitor.locator(".alert.error")).to_contain_text("链接已失效")
    again = await new_page(browser, server, DESKTOP)
    await log_in(again, server, "sunqi", NEW_PASSWORD)
    # The used link answers 410 on purpose; the browser notes that, and nothing else.
    assert [p for p in visitor.problems if "status of 410" not in p] == []
    assert again.problems == []
