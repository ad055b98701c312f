"""Figures shown once, rounded once: 环比 from exact totals and rounded half away from
zero (四舍五入), averages to two places, yes/no totals as 是 and their share, subtotals
before 合计 with a note when categories overlap, 累计 only for cumulative questions, the
round in progress marked and out of 环比, and 逾期 judged from the first submission:
the report page and the workbook compared with each other, figures exact (Decimal)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
from bs4 import BeautifulSoup
from tortoise import timezone

from intranet.i18n import gettext
from surveys import export
from surveys.export import write_campaign_workbook, write_round_workbook
from surveys.models import Campaign, Response
from surveys.schema import Aggregate, FormDefinition, Question, QuestionType, Section
from surveys.states import ResponseState
from surveys.totals import Include, format_percent, shown_ratio
from tests.conftest import World
from tests.helpers import ok_soup
from tests.survey_helpers import make_campaign, open_round
from tests.surveys.test_export import FIRST_ROW, HEADER_ROW, NOW, ZONE, row_values, totals_row_of
from tests.surveys.test_report_pages import total, trend_path, trend_rows

S = ResponseState
T = QuestionType


def figures_form() -> FormDefinition:
    questions = (
        Question(
            "reach", T.INTEGER, "阅读量", unit="人次", aggregate=Aggregate.SUM, cumulative=True
        ),
        Question("hours", T.INTEGER, "人均时长", unit="小时", aggregate=Aggregate.AVERAGE),
        Question("funds", T.DECIMAL, "经费", unit="万元", aggregate=Aggregate.SUM),
        Question("duty", T.YES_NO, "是否值班", aggregate=Aggregate.COUNT),
    )
    return FormDefinition(title="数字周报", sections=(Section("s", "第一部分", questions),))


async def two_rounds(world: World, *, second_open: bool = False) -> Campaign:
    """Round 1: reach 2000, hours 1 and 2 (average 1.5). Round 2: reach 2109 (+5.45 %,
    exactly: 四舍五入 gives +5.5 %, half to even +5.4 %), hours 1, 2 and 2 (average
    1.666…, +11.1 % from the exact averages, +11.3 % from averages rounded to 1.67)."""
    a, b, branch = world.society_a, world.society_b, world.branch_a
    campaign = await make_campaign(
        world.association, [a, b, branch], figures_form(), title="数字周报"
    )
    now = timezone.now()
    answers_1 = {
        a.id: {"reach": 1500, "hours": 1, "funds": "1.5", "duty": "yes"},
        b.id: {"reach": 500, "hours": 2, "funds": "2", "duty": "no"},
    }
    await open_round(
        campaign,
        1,
        opens_at=now - timedelta(days=14),
        due_at=now - timedelta(days=8),
        closed_at=now - timedelta(days=7),
        answers=answers_1,
        states={a.id: S.APPROVED, b.id: S.APPROVED},
    )
    answers_2 = {
        a.id: {"reach": 1600, "hours": 1, "funds": "1", "duty": "yes"},
        b.id: {"reach": 509, "hours": 2, "funds": "1", "duty": "yes"},
        branch.id: {"reach": 0, "hours": 2, "funds": "0", "duty": "no"},
    }
    states = {a.id: S.SUBMITTED, b.id: S.SUBMITTED, branch.id: S.SUBMITTED}
    if second_open:
        del answers_2[branch.id], states[branch.id]
    await open_round(
        campaign,
        2,
        opens_at=now - timedelta(days=7),
        due_at=now + timedelta(days=2) if second_open else now - timedelta(days=1),
        closed_at=None if second_open else now - timedelta(hours=1),
        answers=answers_2,
        states=states,
    )
    return campaign


def sheet_rows(sheet: Any) -> list[list[Any]]:
    return [row_values(sheet, r) for r in range(FIRST_ROW, sheet.max_row + 1)]


async def campaign_book(campaign: Campaign, tmp_path: Path) -> openpyxl.Workbook:
    path = tmp_path / "campaign.xlsx"
    await write_campaign_workbook(
        campaign.id, str(path), include=Include.SUBMITTED, now=timezone.now(), zone=ZONE
    )
    return openpyxl.load_workbook(path)


def column_of(sheet: Any, label: str) -> int:
    headers = row_values(sheet, HEADER_ROW)
    return next(i for i, h in enumerate(headers) if h and h.startswith(label)) + 1


async def test_change_is_rounded_once_half_away_from_zero_alike_on_page_and_workbook(
    world: World, as_user: Any, tmp_path: Path
) -> None:
    campaign = await two_rounds(world)
    exact = (Decimal(2109) - Decimal(2000)) / Decimal(2000)
    assert exact == Decimal("0.0545")
    assert shown_ratio(exact) == Decimal("0.055")  # 四舍五入, not half to even (0.054)
    assert format_percent(exact, signed=True) == "+5.5%"
    averages = (Decimal(5) / Decimal(3) - Decimal("1.5")) / Decimal("1.5")
    assert format_percent(averages, signed=True) == "+11.1%"  # not +11.3 % (from 1.67)

    async with as_user("staff") as c:
        page = ok_soup(await c.get(trend_path(campaign)))
    assert [r[3] for r in trend_rows(page, "reach")] == ["", "+5.5%"]
    assert [r[3] for r in trend_rows(page, "hours")] == ["", "+11.1%"]
    # Averages keep two places wherever they are shown.
    assert [r[1] for r in trend_rows(page, "hours")] == ["1.50", "1.67"]

    book = await campaign_book(campaign, tmp_path)
    change = book[gettext(export.SHEET_CHANGE)]
    reach, hours = column_of(change, "阅读量"), column_of(change, "人均时长")
    assert change.cell(FIRST_ROW + 1, reach).value == 0.055
    assert change.cell(FIRST_ROW + 1, hours).value == 0.111
    # Signed as on the page: +5.5%.
    assert change.cell(FIRST_ROW + 1, reach).number_format == "+0.0%;-0.0%;0.0%"
    trend = book[gettext(export.SHEET_TREND)]
    cell = trend.cell(FIRST_ROW + 1, column_of(trend, "人均时长"))
    assert cell.value == 1.67 and cell.number_format == "#,##0.00"  # prints 1.67, not 2


async def test_cumulative_sheet_holds_only_questions_marked_cumulative(
    world: World, tmp_path: Path
) -> None:
    campaign = await two_rounds(world)
    book = await campaign_book(campaign, tmp_path)
    cumulative = book[gettext(export.SHEET_CUMULATIVE)]
    headers = [h for h in row_values(cumulative, HEADER_ROW)[2:] if h]
    assert headers == ["阅读量（人次）"]
    assert [row[2] for row in sheet_rows(cumulative)[:2]] == [2000, 4109]
    # Each trend sheet has a title of its own.
    titles = {book[name].cell(1, 1).value for name in book.sheetnames[1:4]}
    assert len(titles) == 3


async def test_the_round_in_progress_is_marked_and_left_out_of_change(
    world: World, as_user: Any, tmp_path: Path
) -> None:
    campaign = await two_rounds(world, second_open=True)
    marker = "进行中（已报 2/3）"

    async with as_user("staff") as c:
        page = ok_soup(await c.get(trend_path(campaign)))
        asked = ok_soup(await c.get(trend_path(campaign) + "?open=1"))
    section = page.select_one('section.survey-trend[data-key="reach"]')
    assert section is not None
    [current] = [tr for tr in section.select("tbody tr") if marker in tr.get_text()]
    assert current.select_one("th").get_text(strip=True).startswith("第2期")  # type: ignore[union-attr]
    # In the period column, and (for a phone, which hides that column) under the round.
    assert [m.get_text() for m in current.select(".survey-in-progress")] == [marker, marker]
    assert [r[3] for r in trend_rows(page, "reach")] == ["", "—"]
    # Asked for, its change is shown: (1600 + 509 − 2000) / 2000 = +5.45 % → +5.5 %.
    assert [r[3] for r in trend_rows(asked, "reach")] == ["", "+5.5%"]

    book = await campaign_book(campaign, tmp_path)
    for name in (export.SHEET_TREND, export.SHEET_CHANGE):
        sheet = book[gettext(name)]
        assert sheet.cell(FIRST_ROW + 1, 1).value == "第2期"
        assert marker in sheet.cell(FIRST_ROW + 1, 2).value
    change = book[gettext(export.SHEET_CHANGE)]
    assert change.cell(FIRST_ROW + 1, column_of(change, "阅读量")).value is None
    notes = [row[0] for row in sheet_rows(change) if row[0] and "未计入环比" in str(row[0])]
    assert notes == ["第2期仍在进行中，未计入环比。"]

    # Asked for on the page, the downloads carry it: the workbook then has its 环比.
    link = asked.select_one('a[href*="/trend.xlsx"]')
    assert link is not None and "open=1" in str(link["href"])
    assert asked.select_one('form.survey-export-start input[name="open"][value="1"]')
    assert page.select_one('form.survey-export-start input[name="open"]') is None
    path = tmp_path / "with-open.xlsx"
    await write_campaign_workbook(
        campaign.id,
        str(path),
        include=Include.SUBMITTED,
        now=timezone.now(),
        zone=ZONE,
        open_in_change=True,
    )
    change = openpyxl.load_workbook(path)[gettext(export.SHEET_CHANGE)]
    assert change.cell(FIRST_ROW + 1, column_of(change, "阅读量")).value == 0.055
    assert marker in change.cell(FIRST_ROW + 1, 2).value
    assert not [row for row in sheet_rows(change) if row[0] and "未计入环比" in str(row[0])]


async def test_yes_no_total_is_the_yes_count_and_share_on_page_and_workbook(
    world: World, as_user: Any, tmp_path: Path
) -> None:
    campaign = await two_rounds(world)
    round_ = await campaign.rounds.all().order_by("-number").first()
    assert round_ is not None
    share = (Decimal(2) / Decimal(3) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    expected = f"是 2（占 {share}%）"

    async with as_user("staff") as c:
        page = ok_soup(await c.get(f"/reports/rounds/{round_.id}/totals?subtotals=1"))
    assert total(page, "duty") == expected
    # Subtotals too: 医药卫生类 is society B alone (是); the rest are A (是) and the branch (否).
    subtotals = {
        tr.select_one("th").get_text(strip=True): tr.select_one('td[data-key="duty"]').get_text(
            strip=True
        )  # type: ignore[union-attr]
        for tr in page.select("table.survey-totals tr.survey-subtotal")
    }
    assert subtotals == {
        "小计：医药卫生类": "是 1（占 100.0%）",
        "小计：未分类": "是 1（占 50.0%）",
    }

    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id, str(path), include=Include.SUBMITTED, subtotals=True, now=NOW, zone=ZONE
    )
    sheet = openpyxl.load_workbook(path).worksheets[1]
    row = totals_row_of(sheet, gettext(export.TOTAL))
    assert sheet.cell(row, column_of(sheet, "是否值班")).value == expected
    for label, text in subtotals.items():
        assert sheet.cell(totals_row_of(sheet, label), column_of(sheet, "是否值班")).value == text
    lines = [line async for line in export.round_csv(round_.id, include=Include.SUBMITTED)]
    assert expected in lines[-1].decode("utf-8")


async def test_subtotals_print_before_the_total_with_a_note_when_categories_overlap(
    world: World, tmp_path: Path
) -> None:
    await world.society_a.categories.add(world.medicine)
    other = await world.medicine.__class__.create(name="理科类")
    await world.society_a.categories.add(other)
    campaign = await two_rounds(world)
    round_ = await campaign.rounds.all().order_by("-number").first()
    assert round_ is not None
    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id, str(path), include=Include.SUBMITTED, subtotals=True, now=NOW, zone=ZONE
    )
    sheet = openpyxl.load_workbook(path).worksheets[1]
    labels = [row[1] for row in sheet_rows(sheet)]
    first_subtotal = next(i for i, label in enumerate(labels) if str(label).startswith("小计"))
    assert first_subtotal < labels.index(gettext(export.TOTAL))
    reach = column_of(sheet, "阅读量")
    subtotals = [row[reach - 1] for row in sheet_rows(sheet) if str(row[1]).startswith("小计")]
    total_reach = sheet.cell(totals_row_of(sheet, gettext(export.TOTAL)), reach).value
    assert total_reach == 2109 and sum(subtotals) > total_reach
    notes = [row[0] for row in sheet_rows(sheet) if row[0] and str(row[0]).startswith("注：")]
    assert len(notes) == 1 and "小计" in notes[0]


async def test_late_is_judged_from_the_first_submission(
    world: World, as_user: Any, tmp_path: Path
) -> None:
    campaign = await two_rounds(world)
    round_ = await campaign.rounds.all().order_by("-number").first()
    assert round_ is not None
    on_time = round_.due_at - timedelta(hours=3)
    resent = round_.due_at + timedelta(days=2)
    # A: sent on time, returned, resent after the deadline. B: first sent late.
    await Response.filter(round_id=round_.id, organisation_id=world.society_a.id).update(
        first_submitted_at=on_time, submitted_at=resent, state=S.RESUBMITTED
    )
    await Response.filter(round_id=round_.id, organisation_id=world.society_b.id).update(
        first_submitted_at=resent, submitted_at=resent
    )

    async with as_user("staff") as c:
        tracker = BeautifulSoup((await c.get(f"/reports/rounds/{round_.id}")).text, "html.parser")
        report = ok_soup(await c.get(f"/reports/rounds/{round_.id}/totals"))

    def marks(page: BeautifulSoup, name: str, selector: str) -> tuple[bool, bool]:
        row = next(tr for tr in page.select(selector) if name in tr.get_text())
        return bool(row.select(".survey-late")), bool(row.select(".survey-resent"))

    for page, selector in (
        (tracker, "table.survey-tracker tbody tr"),
        (report, "table.survey-totals tbody tr"),
    ):
        assert marks(page, world.society_a.name, selector) == (False, True)
        assert marks(page, world.society_b.name, selector) == (True, False)

    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id, str(path), include=Include.SUBMITTED, subtotals=False, now=NOW, zone=ZONE
    )
    sheet = openpyxl.load_workbook(path).worksheets[1]
    states = {row[1]: row[3] for row in sheet_rows(sheet) if row[1]}
    assert states[world.society_a.name] == "重新提交（退回后重报）"
    assert states[world.society_b.name] == "已提交（逾期）"


def test_a_total_too_precise_for_a_spreadsheet_number_is_written_exactly_as_text(
    tmp_path: Path,
) -> None:
    from tests.surveys.test_export import hand_totals, organisation, small_form, written

    totals = hand_totals(small_form(), [organisation("甲学会", meetings=2)])
    precise = Decimal("12345678901234.5678")  # 18 significant digits: a float keeps 15
    totals.total["funds"] = precise
    sheet = openpyxl.load_workbook(written(tmp_path, totals)).worksheets[1]
    row = totals_row_of(sheet, gettext(export.TOTAL))
    cell = sheet.cell(row, column_of(sheet, "经费"))
    assert cell.value == "12345678901234.5678" and cell.data_type == "s"
    assert cell.alignment.horizontal == "right"
    assert sheet.cell(row, column_of(sheet, "召开会议")).value == 2  # others stay numbers
    notes = [r[0] for r in sheet_rows(sheet) if r[0] and str(r[0]).startswith("注：")]
    assert len(notes) == 1 and "15" in notes[0]
    data = b"".join(export.csv_lines(totals)).decode("utf-8-sig")
    assert "12345678901234.5678" in data  # the CSV has the same exact figure
