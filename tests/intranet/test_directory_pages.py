"""The admin's import pages (upload → preview → confirm, codes once) and the invited
person's set-password page."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from tortoise import timezone

from intranet.directory import invitations, jobs
from intranet.directory.models import Invitation
from intranet.models import AuditEvent, Organisation, User
from intranet.notifications.models import EmailMessage
from tests.conftest import World, csrf_token, login, new_client, post
from tests.directory_helpers import org_row, person_row, xlsx_bytes
from tests.helpers import soup

NEW_PASSWORD = "Brand-New-Secret-9"


@pytest.fixture(autouse=True)
async def stop_the_import_worker() -> AsyncIterator[None]:
    yield
    await jobs.wait_all()
    await jobs.shutdown()


async def upload(client: httpx.AsyncClient, data: bytes, name: str = "名录.xlsx") -> str:
    token = await csrf_token(client, "/admin/directory")
    response = await client.post(
        "/admin/directory/import",
        data={"csrf_token": token},
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def finished(client: httpx.AsyncClient, url: str) -> httpx.Response:
    await jobs.wait_all()
    response = await client.get(url)
    assert response.status_code == 200
    return response


SOCIETY_FILE = xlsx_bytes(
    [org_row("辽宁省物理学会", "LNAST", code="LNPS")],
    [
        person_row("李四", "lisi", "LNPS", "秘书", email="lisi@example.org"),
        person_row("王五", "wangwu", "LNPS", "会员"),
    ],
)


async def test_upload_preview_confirm_and_the_codes_only_once(
    world: World, as_english_user: Any
) -> None:
    async with as_english_user("admin") as c:
        job_url = await upload(c, SOCIETY_FILE)
        page = await finished(c, job_url)
        preview = soup(page)
        assert [
            td.get_text() for td in preview.select(".directory-new-people tbody td:nth-of-type(2)")
        ] == ["李四", "王五"]
        assert not await Organisation.exists(code="LNPS")  # nothing yet
        # htmx asks for the job alone.
        partial = await c.get(job_url, headers={"HX-Request": "true"})
        assert partial.text.lstrip().startswith('<div id="directory-job"')
        assert "HX-Request" in partial.headers["vary"]
        token = await csrf_token(c, job_url)
        # Confirmed twice at once (a double click): written once.
        first, second = await asyncio.gather(
            c.post(f"{job_url}/confirm", data={"csrf_token": token}),
            c.post(f"{job_url}/confirm", data={"csrf_token": token}),
        )
        assert (first.status_code, second.status_code) == (303, 303)
        page = await finished(c, job_url)
        assert await AuditEvent.filter(action="directory.import").count() == 1
        assert await Organisation.exists(code="LNPS")
        assert await EmailMessage.filter(user__username="lisi").count() == 1
        assert soup(page).select_one(".directory-codes form") is not None
        sheet = await post(c, f"{job_url}/codes", token_from=job_url)
        assert sheet.status_code == 200
        assert sheet.headers["cache-control"] == "no-store"
        book = load_workbook(io.BytesIO(sheet.content))
        rows = [[cell for cell in row] for row in book.active.iter_rows()]  # type: ignore[union-attr]
        assert [c.value for c in rows[1][:2]] == ["王五", "wangwu"]
        # Every cell is text, never a formula.
        assert all(cell.data_type == "s" for row in rows for cell in row if cell.value is not None)
        code = rows[1][3].value
        again = await post(c, f"{job_url}/codes", token_from=job_url)
        assert again.status_code == 410
    assert await AuditEvent.exists(action="directory.import")
    assert await invitations.find_usable(str(code)) is not None


async def test_problems_are_listed_and_there_is_nothing_to_confirm(
    world: World, as_english_user: Any
) -> None:
    data = xlsx_bytes([org_row("辽宁省物理学会", "没有这个组织")], [])
    async with as_english_user("admin") as c:
        job_url = await upload(c, data)
        page = soup(await finished(c, job_url))
        cells = [td.get_text() for td in page.select(".directory-problem-table tbody td")]
        assert cells[:3] == ["组织机构", "2", "上级组织"]
        assert page.select_one(".directory-confirm") is None
        response = await post(c, f"{job_url}/confirm", token_from=job_url)
        assert response.status_code == 303
        await jobs.wait_all()
    assert not await Organisation.exists(name="辽宁省物理学会")


async def test_a_wrong_kind_of_file_is_refused_on_the_page(
    world: World, as_english_user: Any
) -> None:
    async with as_english_user("admin") as c:
        token = await csrf_token(c, "/admin/directory")
        response = await c.post(
            "/admin/directory/import",
            data={"csrf_token": token},
            files={"file": ("people.docx", b"not a workbook", "application/octet-stream")},
        )
    assert response.status_code == 400
    assert "xlsx" in soup(response).select_one("#error-file").get_text()


async def test_another_admins_job_is_not_found(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin") as c:
        job_url = await upload(c, SOCIETY_FILE)
        await jobs.wait_all()
    async with as_english_user("admin_a") as c:
        assert (await c.get(job_url)).status_code == 404
        response = await post(c, f"{job_url}/confirm")
        assert response.status_code == 404
    assert not await Organisation.exists(code="LNPS")


async def test_a_society_admins_upload_cannot_touch_another_society(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    data = xlsx_bytes([org_row("辽宁省医学会", "LNAST", code="LNMA", short="改了")], [])
    async with as_english_user("admin_a") as c:
        page = soup(await finished(c, await upload(c, data)))
    assert (
        "outside the organisations you administer"
        in page.select_one(".directory-problem-table").get_text()
    )


# -- invitations ----------------------------------------------------------------------------


async def invited(world: World, **person: Any) -> tuple[User, str]:
    user = await User.create(username="newbie", display_name="新人", **person)
    codes = await invitations.issue(
        [invitations.Invitee(user.id, user.display_name, "")], channel="code", days=7
    )
    return user, codes[user.id]


async def set_password(app: Any, code: str, password: str = NEW_PASSWORD) -> httpx.Response:
    async with new_client(app, cookies={"huibao_lang": "en"}) as c:
        page = await c.get(f"/invitation/{code}")
        if page.status_code != 200:
            return page
        token = await csrf_token(c, f"/invitation/{code}")
        response = await c.post(
            f"/invitation/{code}",
            data={"csrf_token": token, "new_password": password, "confirm_password": password},
        )
        if response.status_code == 303:
            home = await c.get("/")
            assert home.status_code == 200  # signed in
        return response


async def test_an_invited_person_sets_a_password_once_and_logs_in(app: Any, world: World) -> None:
    _user, code = await invited(world)
    assert (await set_password(app, code.lower().replace("-", " "))).status_code == 303
    async with new_client(app) as c:
        assert (await login(c, "newbie", NEW_PASSWORD)).status_code == 303
    assert (await set_password(app, code, "Another-Secret-77")).status_code == 410
    async with new_client(app) as c:
        assert (await login(c, "newbie", "Another-Secret-77")).status_code == 400


async def test_a_weak_password_is_refused_and_the_link_still_works(app: Any, world: World) -> None:
    user, code = await invited(world)
    response = await set_password(app, code, "short")
    assert response.status_code == 400
    assert (await User.get(id=user.id)).password_hash == ""
    assert (await set_password(app, code)).status_code == 303


async def test_an_expired_link_is_refused(app: Any, world: World) -> None:
    user, code = await invited(world)
    await Invitation.filter(user=user).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert (await set_password(app, code)).status_code == 410


async def test_a_link_is_refused_once_the_password_was_set_otherwise(
    app: Any, world: World, settings: Any
) -> None:
    from intranet import accounts

    user, code = await invited(world)
    await accounts.set_password(settings, user, "Set-By-Admin-123")
    assert (await set_password(app, code)).status_code == 410


async def test_a_link_is_refused_after_deactivation(
    app: Any, world: World, as_english_user: Any
) -> None:
    user, code = await invited(world)
    async with as_english_user("admin") as c:
        response = await post(c, f"/admin/people/{user.id}/deactivate")
        assert response.status_code == 303
    assert (await set_password(app, code)).status_code == 410


async def test_the_outbox_keeps_no_working_link_once_the_password_is_set(
    app: Any, world: World
) -> None:
    user = await User.create(username="newbie", display_name="新人", email="n@example.org")
    codes = await invitations.issue(
        [invitations.Invitee(user.id, user.display_name, user.email)], channel="email", days=7
    )
    await EmailMessage.filter(user=user).update(state="sent")
    assert (await set_password(app, codes[user.id])).status_code == 303
    mail = await EmailMessage.get(user=user)
    assert codes[user.id] not in mail.text_body + mail.html_body
    assert mail.subject  # the outbox still shows that it was sent


async def test_resend_replaces_the_old_link_and_revoke_withdraws_it(
    app: Any, world: World, as_english_user: Any
) -> None:
    user, code = await invited(world, email="newbie@example.org")
    async with as_english_user("admin") as c:
        page = await c.get(f"/admin/people/{user.id}")
        assert soup(page).select_one(".person-invitation form") is not None
        response = await post(c, f"/admin/people/{user.id}/invitation")
        assert response.headers["location"].endswith("?done=invited")
        assert await invitations.find_usable(code) is None
        mail = await EmailMessage.filter(user=user).order_by("-id").first()
        assert mail is not None
        new_code = mail.text_body.split("/invitation/")[1].split()[0]
        assert await invitations.find_usable(new_code) is not None
        response = await post(c, f"/admin/people/{user.id}/invitation/revoke")
        assert response.headers["location"].endswith("?done=invitation_revoked")
    # The withdrawn link is not sent on later by the outbox.
    assert not await EmailMessage.exists(user=user, text_body__contains=new_code)
    assert (await set_password(app, new_code)).status_code == 410


async def test_the_code_page_leads_to_the_set_password_page(app: Any, world: World) -> None:
    _user, code = await invited(world)
    async with new_client(app, cookies={"huibao_lang": "en"}) as c:
        token = await csrf_token(c, "/invitation")
        wrong = await c.post("/invitation", data={"csrf_token": token, "code": "AAAA-BBBB"})
        assert wrong.status_code == 400
        right = await c.post("/invitation", data={"csrf_token": token, "code": f" {code.lower()} "})
        assert right.status_code == 303
        assert right.headers["location"] == f"/invitation/{code}"


async def test_the_export_holds_text_cells_only_and_goes_back_in_unchanged(
    world: World, as_english_user: Any
) -> None:
    world.society_a.contact_name = '=HYPERLINK("http://evil.example","点我")'
    await world.society_a.save(update_fields=["contact_name"])
    async with as_english_user("admin") as c:
        response = await c.get("/admin/directory/export.xlsx")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type == "s" for cell in cells if cell.value is not None)
        assert '=HYPERLINK("http://evil.example","点我")' in [cell.value for cell in cells]
        page = soup(await finished(c, await upload(c, response.content, "export.xlsx")))
        assert "there is nothing to write" in page.select_one(".directory-confirm").get_text()
        template = await c.get("/admin/directory/template.xlsx")
        assert load_workbook(io.BytesIO(template.content)).sheetnames[:2] == ["组织机构", "人员"]


async def test_a_running_import_shows_its_progress_and_asks_again(
    world: World, as_english_user: Any, settings: Any
) -> None:
    token = "running-import"
    jobs.write_status(
        jobs.status_path(settings, token),
        jobs.JobStatus(world.admin.id, "名录.xlsx", None, True, state=jobs.READING, progress=40),
    )
    async with as_english_user("admin") as c:
        response = await c.get(f"/admin/directory/jobs/{token}", headers={"HX-Request": "true"})
    job = soup(response).select_one("#directory-job")
    assert job is not None and job["hx-trigger"] == "every 1s"
    assert job.select_one("progress")["value"] == "40"  # type: ignore[index]
    assert job.select_one(".directory-confirm") is None


async def test_a_gb18030_csv_saved_by_chinese_excel_is_previewed(
    world: World, as_english_user: Any
) -> None:
    text = "名称,简称,上级组织,类型,代码\r\n辽宁省物理学会,物理学会,LNAST,学会,LNPS\r\n"
    async with as_english_user("admin") as c:
        page = soup(await finished(c, await upload(c, text.encode("gb18030"), "组织.csv")))
    cells = page.select(".directory-new-organisations tbody td:nth-of-type(2)")
    assert [td.get_text() for td in cells] == ["辽宁省物理学会"]
