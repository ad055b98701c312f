"""Forms to and from .xlsx through the site: download, import as a new form or version."""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx
import openpyxl
import pytest
from bs4 import BeautifulSoup

from surveys import building, xlsform
from surveys.examples import weekly_progress_form
from surveys.models import Form, FormVersion
from surveys.views.form_common import MAX_IMPORT_BYTES
from surveys.xlsform import form_to_xlsx
from tests.conftest import World, post
from tests.surveys.test_builder import latest, make_form, small_form
from tests.surveys.test_form_versions import answered_campaign

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def sec_a(world: World, as_user: Any) -> Any:
    async with as_user("sec_a") as client:
        yield client


async def upload(
    client: httpx.AsyncClient,
    path: str,
    content: bytes,
    filename: str = "表单.xlsx",
    **fields: str,
) -> httpx.Response:
    return await post(
        client,
        path,
        fields,
        token_from="/reports/forms",
        files={"file": (filename, content, XLSX)},
    )


def workbook_with_mistakes() -> bytes:
    """The example form with three mistakes in three places."""
    book = openpyxl.load_workbook(BytesIO(form_to_xlsx(weekly_progress_form())))
    survey = book["题目"]
    survey["B3"] = "Bad Key"  # key of the first question
    survey["F4"] = "lots"  # min of the second question
    survey["A5"] = "colour"  # type of the third question
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def counts() -> tuple[int, int]:
    return await Form.all().count(), await FormVersion.all().count()


async def test_it_downloads_a_version_as_xlsx(world: World, sec_a: httpx.AsyncClient) -> None:
    form = await make_form(world, weekly_progress_form())
    response = await sec_a.get(f"/reports/forms/{form.id}/versions/1/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('疫情防控工作进展周报-v1.xlsx')}" in disposition
    assert xlsform.form_from_xlsx(response.content) == weekly_progress_form()


async def test_export_then_import_makes_the_same_form(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world, weekly_progress_form())
    exported = (await sec_a.get(f"/reports/forms/{form.id}/versions/1/export.xlsx")).content
    response = await upload(sec_a, "/reports/forms/import", exported, owner=str(world.society_a.id))
    assert response.status_code == 303
    imported = await Form.exclude(id=form.id).get()
    assert imported.owner_id == world.society_a.id
    assert response.headers["location"].startswith(f"/reports/forms/{imported.id}")
    assert await latest(imported) == weekly_progress_form()


async def test_an_import_with_mistakes_lists_every_one_and_makes_nothing(
    world: World, as_english_user: Any
) -> None:
    data = workbook_with_mistakes()
    with pytest.raises(xlsform.ImportProblems) as expected:
        xlsform.form_from_xlsx(data)
    problems = expected.value.problems
    assert len(problems) >= 3
    before = await counts()
    async with as_english_user("sec_a") as client:
        response = await upload(
            client, "/reports/forms/import", data, owner=str(world.society_a.id)
        )
    assert response.status_code == 422
    rows = BeautifulSoup(response.text, "html.parser").select(".import-problems tbody tr")
    cells = [row.select("td")[0].text for row in rows]
    assert cells == [problem.cell for problem in problems]
    assert {"题目!B3", "题目!F4", "题目!A5"} <= set(cells)
    assert "Bad Key" in rows[cells.index("题目!B3")].text
    assert await counts() == before


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("表单.xlsx", b"%PDF-1.4 not a workbook"),
        ("表单.txt", b"type,key,label\n"),
        ("表单.xlsx", b"PK\x03\x04broken"),
        ("表单.docx", b""),
    ],
)
async def test_a_file_that_is_not_a_workbook_is_refused(
    world: World, sec_a: httpx.AsyncClient, filename: str, content: bytes
) -> None:
    response = await upload(
        sec_a, "/reports/forms/import", content, filename, owner=str(world.society_a.id)
    )
    assert response.status_code == 422
    assert BeautifulSoup(response.text, "html.parser").select_one("#import-problems")
    assert await counts() == (0, 0)


async def test_a_docx_called_xlsx_is_refused(world: World, sec_a: httpx.AsyncClient) -> None:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    response = await upload(
        sec_a, "/reports/forms/import", buffer.getvalue(), owner=str(world.society_a.id)
    )
    assert response.status_code == 422
    assert await counts() == (0, 0)


async def test_a_workbook_over_the_limit_is_refused(world: World, as_english_user: Any) -> None:
    padding = b"\0" * (MAX_IMPORT_BYTES + 1)
    async with as_english_user("sec_a") as client:
        response = await upload(
            client, "/reports/forms/import", padding, owner=str(world.society_a.id)
        )
    assert response.status_code == 422  # the site takes 20 MB uploads; a form, 2 MB
    assert "larger than the limit of 2 MB" in response.text
    assert await counts() == (0, 0)


async def test_an_import_needs_an_owner_of_one_s_own(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    data = form_to_xlsx(small_form())
    response = await upload(sec_a, "/reports/forms/import", data, owner=str(world.society_b.id))
    assert response.status_code == 422
    assert await counts() == (0, 0)


async def test_importing_into_a_form_replaces_its_unfrozen_version(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    response = await upload(
        sec_a, f"/reports/forms/{form.id}/import", form_to_xlsx(weekly_progress_form())
    )
    assert response.status_code == 303
    assert await FormVersion.filter(form_id=form.id).count() == 1
    assert await latest(form) == weekly_progress_form()


async def test_importing_can_keep_the_version_and_make_a_new_one(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = form_to_xlsx(weekly_progress_form())
    await upload(sec_a, f"/reports/forms/{form.id}/import", data, new_version="on")
    versions = await FormVersion.filter(form_id=form.id).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].form_definition() == small_form()
    assert versions[1].form_definition() == weekly_progress_form()


async def test_importing_into_a_frozen_version_makes_a_new_one(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await answered_campaign(world, await building.latest_version(form.id))
    data = form_to_xlsx(weekly_progress_form())
    response = await upload(sec_a, f"/reports/forms/{form.id}/import", data)
    assert response.headers["location"].endswith("?done=new_version")
    versions = await FormVersion.filter(form_id=form.id).order_by("number")
    assert versions[0].form_definition() == small_form()
    assert versions[1].form_definition() == weekly_progress_form()


async def test_a_wrong_import_into_a_form_changes_nothing(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    response = await upload(sec_a, f"/reports/forms/{form.id}/import", workbook_with_mistakes())
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select(".import-problems tbody tr")
    assert page.select_one("#form-settings")  # the builder, with the problems above it
    assert await FormVersion.filter(form_id=form.id).count() == 1
    assert await latest(form) == small_form()


def with_entity_bomb(workbook: bytes, part: str) -> bytes:
    """The workbook with a "billion laughs" entity expansion in one of its XML parts."""
    bomb = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x ['
        '<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {name} "{("&" + previous + ";") * 16}">'
            for previous, name in zip("abcdefg", "bcdefgh", strict=True)
        )
        + "]>"
    )
    source, target = BytesIO(workbook), BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as changed:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == part:
                text = data.decode().split("?>", 1)[-1]
                data = (bomb + text.replace("</sheetData>", "</sheetData>&h;", 1)).encode()
            changed.writestr(info, data)
    return target.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
async def test_a_workbook_with_an_entity_bomb_is_refused(
    world: World, sec_a: httpx.AsyncClient, part: str
) -> None:
    # Expanded, the entity would be 64 × 16⁷ bytes (17 GB): the site must not try.
    bombed = with_entity_bomb(form_to_xlsx(weekly_progress_form()), part)
    response = await upload(sec_a, "/reports/forms/import", bombed, owner=str(world.society_a.id))
    assert response.status_code == 422
    assert BeautifulSoup(response.text, "html.parser").select_one("#import-problems")
    assert await counts() == (0, 0)
