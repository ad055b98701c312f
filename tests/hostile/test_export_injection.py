"""Formulas and links typed anywhere stay plain text in every download.

One formula or link payload at a time is planted in every text that reaches a
spreadsheet: organisation and category names, people reminded, the campaign and form
titles, sections, question labels, help, units, choices, table columns and the answers
(short and long text, table cells). Each download is fetched through its page the way
a person gets it (the round's workbook, its CSV, the campaign's trend workbook and the
form's .xlsx) and read back: no cell is a formula, no cell is a link, every planted text
is a cell exactly as typed, and in the CSV every cell a spreadsheet would run starts
with the defusing apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from intranet.models import User
from surveys import tracking
from surveys.states import ResponseState
from tests.conftest import World
from tests.hostile.payloads import FORMULA_STARTS, FORMULAS, Plant, hostile_form
from tests.survey_helpers import make_campaign, open_round, response_of

# One attachment header: a quoted ASCII name without quotes or backslashes, and the
# UTF-8 name percent-encoded.
SAFE_DISPOSITION = (
    r'attachment; filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"; '
    r"filename\*=UTF-8''[\w%.\-~]+"
)


async def plant(world: World, p: Plant) -> tuple[int, int, int]:
    """A round of a hostile form answered by society A; returns the form, campaign and
    round ids."""
    world.society_a.name = p("organisation name", 100)
    await world.society_a.save()
    world.medicine.name = p("category name", 64)
    await world.medicine.save()
    await world.society_a.categories.add(world.medicine)
    world.society_b.name = p("organisation reminded", 100)
    await world.society_b.save()
    world.secretary_b.display_name = p("secretary's name", 64)
    await world.secretary_b.save()
    world.staff.display_name = p("staff's name", 64)
    await world.staff.save()
    campaign = await make_campaign(
        world.association,
        [world.society_a, world.society_b],
        hostile_form(p),
        title=p("campaign title", 200),
    )
    answers = {
        "story": p("short text answer"),
        "note": p("long text answer"),
        "count": 3,
        "pick": "a",
        "people": [{"name": p("table cell")}, {"name": p("second table cell")}],
    }
    round_ = await open_round(
        campaign,
        answers={world.society_a.id: answers},
        states={world.society_a.id: ResponseState.SUBMITTED},
    )
    # Answers are stored as a save stores them (text is trimmed): that is what must come out.
    stored = (await response_of(round_, world.society_a)).answers
    p.planted["short text answer"] = stored["story"]
    p.planted["long text answer"] = stored["note"]
    p.planted["table cell"] = stored["people"][0]["name"]
    p.planted["second table cell"] = stored["people"][1]["name"]
    # 催报 to society B, which has not reported: the reminders sheet names it and its
    # secretary, and the staff who sent it.
    late = await response_of(round_, world.society_b)
    staff = await User.get(id=world.staff.id)
    assert await tracking.remind(round_, [late.id], staff, ZoneInfo("Asia/Shanghai"))
    version = await campaign.form_version
    return version.form_id, campaign.id, round_.id


@pytest.fixture(params=FORMULAS, ids=[f"formula{n}" for n in range(len(FORMULAS))])
async def downloads(request, world: World, as_user) -> Any:  # type: ignore[no-untyped-def]
    p = Plant(request.param, narrow=request.param[:1] + "1+1")
    form_id, campaign_id, round_id = await plant(world, p)
    got: dict[str, bytes] = {}
    async with as_user("staff") as staff:
        for name, url in {
            "round workbook": f"/reports/rounds/{round_id}/totals.xlsx?include=submitted"
            "&subtotals=1",
            "round csv": f"/reports/rounds/{round_id}/totals.csv?include=submitted",
            "trend workbook": f"/reports/campaigns/{campaign_id}/trend.xlsx?include=submitted",
            "form workbook": f"/reports/forms/{form_id}/versions/1/export.xlsx",
        }.items():
            response: httpx.Response = await staff.get(url)
            assert response.status_code == 200, (name, response.text[:300])
            # The file is named after the (hostile) title: still one well-formed header.
            disposition = response.headers["content-disposition"]
            assert re.fullmatch(SAFE_DISPOSITION, disposition), (name, disposition)
            assert response.headers["x-content-type-options"] == "nosniff"
            got[name] = response.content
    return p, got


def cells_of(data: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        assert not sheet._hyperlinks, f"{sheet.title}: a link"
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    cells.append(cell)
    return cells


def excel_text(text: str) -> str:
    """Text as a spreadsheet reads it: _x000D_ is a carriage return (openpyxl leaves the
    escape as written), and a lone CR is a line end."""
    return unescape(text).replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize(
    ("workbook", "expected"),
    [
        (
            "round workbook",
            [
                "organisation name",
                "organisation reminded",
                "category name",
                "secretary's name",
                "staff's name",
                "campaign title",
                "FormVersion.definition number",
                "FormVersion.definition unit",
                "FormVersion.definition choice label",
                "FormVersion.definition column",
                "short text answer",
                "table cell",
                "second table cell",
            ],
        ),
        ("trend workbook", ["campaign title", "FormVersion.definition number"]),
        (
            "form workbook",
            [
                "FormVersion.definition title",
                "FormVersion.definition instructions",
                "FormVersion.definition section",
                "FormVersion.definition question",
                "FormVersion.definition question help",
                "FormVersion.definition unit",
                "FormVersion.definition choice label",
                "FormVersion.definition choice value",
                "FormVersion.definition column",
            ],
        ),
    ],
)
async def test_no_workbook_cell_is_a_formula_or_a_link(
    downloads: tuple[Plant, dict[str, bytes]], workbook: str, expected: list[str]
) -> None:
    p, got = downloads
    cells = cells_of(got[workbook])
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == []
    links = [(c.parent.title, c.coordinate) for c in cells if c.hyperlink is not None]
    assert links == []
    texts = {excel_text(c.value) for c in cells if isinstance(c.value, str)}
    whole = "\n".join(texts)
    for where in expected:
        planted = excel_text(p.planted[where])
        # A planted text is a cell of its own, or part of one (a header with its unit,
        # a list of names), never changed.
        assert planted in texts or planted in whole, f"{workbook}: {where} {planted!r}"


async def test_no_csv_cell_can_start_a_formula(downloads: tuple[Plant, dict[str, bytes]]) -> None:
    p, got = downloads
    text = got["round csv"].decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [cell for row in rows for cell in row]
    running = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert running == []
    # Each planted text is there, whole, with at most the apostrophe in front.
    undone = {cell[1:] if cell.startswith("'") else cell for cell in cells}
    whole = "\n".join(undone)
    for where in (
        "organisation name",
        "category name",
        "FormVersion.definition question",
        "FormVersion.definition number",
        "short text answer",
    ):
        planted = p.planted[where]
        assert planted in undone or planted in whole, f"{where}: {planted!r}"
