"""The upward spreadsheet: round and campaign workbooks re-read with openpyxl, cell by
cell against surveys.totals, and the CSV of the totals table."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from xlsxwriter.utility import quote_sheetname

from intranet.i18n import gettext
from surveys import export
from surveys.examples import weekly_progress_form
from surveys.export import (
    CELL_LIMIT,
    answer_text,
    build_round_workbook,
    campaign_workbook,
    cut,
    display_width,
    header_label,
    round_csv,
    sheet_name,
    workbook_filename,
    write_campaign_workbook,
    write_round_workbook,
)
from surveys.models import Campaign, FormVersion
from surveys.schema import Aggregate, Choice, FormDefinition, Question, QuestionType, Section
from surveys.states import ResponseState
from surveys.totals import (
    Column,
    Include,
    OrganisationRow,
    RoundTotals,
    campaign_trend,
    category_subtotals,
    round_totals,
    yes_count,
)
from tests.conftest import World
from tests.survey_helpers import make_campaign, open_round, weekly_answers

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2020, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shenyang
S = ResponseState
T = QuestionType
PAYLOADS = (
    "=1+1",
    '=HYPERLINK("http://evil.example","点我")',
    "{=A1}",
    "http://x",
    "@SUM(1)",
    "+1",
    "-1",
    "=cmd|' /C calc'!A0",
)
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
FIRST_ROW = 4
FIXED = 5  # No., organisation, category, state, submitted at


# -- reading workbooks ---------------------------------------------------------------------


def load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def sheet_xml(path: Path, index: int) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{index}.xml").decode()


def row_values(sheet: Worksheet, row: int) -> list[Any]:
    return [cell.value for cell in sheet[row]]


def totals_row_of(sheet: Worksheet, label: str) -> int:
    return next(r for r in range(FIRST_ROW, sheet.max_row + 1) if sheet.cell(r, 2).value == label)


def expected_cell(question: Question, value: Any) -> Any:
    """What openpyxl reads back for a stored answer: numbers as numbers, dates as
    datetimes, everything else as the text a person reads."""
    if value is None:
        return None
    if question.is_number:
        return float(Decimal(str(value)))
    if question.type == T.DATE:
        return datetime.fromisoformat(str(value))
    return answer_text(question, value)


# -- hand-made totals (no database) -----------------------------------------------------------


def small_form(**extra: Question) -> FormDefinition:
    questions = (
        Question("meetings", T.INTEGER, "召开会议", unit="次", aggregate=Aggregate.SUM),
        Question("funds", T.DECIMAL, "经费", unit="万元", aggregate=Aggregate.AVERAGE),
        Question(
            "channel",
            T.SINGLE_CHOICE,
            "渠道",
            aggregate=Aggregate.COUNT,
            choices=(Choice("wechat", "微信公众号"), Choice("web", "网站")),
        ),
        Question("note", T.SHORT_TEXT, "备注", aggregate=Aggregate.LIST),
        Question("story", T.LONG_TEXT, "事迹", aggregate=Aggregate.NONE),
        Question(
            "people",
            T.TABLE,
            "人员",
            aggregate=Aggregate.LIST,
            columns=(
                Question("name", T.SHORT_TEXT, "姓名"),
                Question("age", T.INTEGER, "年龄", unit="岁"),
            ),
        ),
        *extra.values(),
    )
    return FormDefinition(title="周报", sections=(Section("s", "第一部分", questions),))


def hand_round(form: FormDefinition, title: str = "疫情防控工作进展周报") -> Any:
    version = SimpleNamespace(form_definition=lambda: form)
    campaign = SimpleNamespace(
        title=title,
        organiser=SimpleNamespace(name="辽宁省科学技术协会"),
        form_version=version,
        stamp_block=True,
    )
    return SimpleNamespace(
        number=3, period_start=date(2020, 2, 24), period_end=date(2020, 3, 1), campaign=campaign
    )


def hand_totals(
    form: FormDefinition, rows: list[OrganisationRow], *, title: str = "疫情防控工作进展周报"
) -> RoundTotals:
    columns = [Column(q, q.aggregate) for q in form.questions() if q.type != T.TABLE]
    counted = [row for row in rows if row.counted]
    return RoundTotals(
        round=hand_round(form, title),  # type: ignore[arg-type]
        include=Include.SUBMITTED,
        columns=columns,
        rows=rows,
        total={
            "meetings": sum(r.values.get("meetings", 0) for r in counted) if counted else None,
            "funds": Decimal("1.25"),
            "channel": len(counted),
            "note": [r.values["note"] for r in counted if "note" in r.values],
        },
        choice_counts={"channel": {"wechat": len(counted), "web": 0}},
        texts={
            "note": [(r.name, r.values["note"]) for r in counted if "note" in r.values],
            "story": [(r.name, r.values["story"]) for r in counted if "story" in r.values],
        },
        tables={
            "people": [(r.name, cells) for r in counted for cells in r.values.get("people", [])]
        },
        roster_size=len(rows),
        submitted=len(counted),
        approved=0,
        not_submitted=[r.name for r in rows if not r.counted],
    )


def organisation(name: str, *, counted: bool = True, **values: Any) -> OrganisationRow:
    return OrganisationRow(
        organisation_id=abs(hash(name)) % 10_000,
        name=name,
        category_names=["医药卫生类"],
        state=S.SUBMITTED if counted else S.NOT_STARTED,
        counted=counted,
        submitted_at=NOW if counted else None,
        late=False,
        values=values if counted else {},
    )


def written(tmp_path: Path, totals: RoundTotals, subtotals: Any = None) -> Path:
    path = tmp_path / "round.xlsx"
    build_round_workbook(str(path), totals, subtotals, NOW, ZONE)
    return path


# -- the pieces ------------------------------------------------------------------------------


def test_it_cuts_text_too_long_for_a_cell_with_a_visible_marker() -> None:
    text = "汇" * 40_000
    kept = cut(text)
    assert kept.endswith(gettext(export.CUT_MARKER))
    assert len(kept) <= CELL_LIMIT
    assert kept.startswith("汇" * 30_000)
    assert cut("short") == "short"


def test_it_counts_an_emoji_as_two_units_when_cutting() -> None:
    kept = cut("🎉" * 20_000)
    assert len(kept.encode("utf-16-le")) // 2 <= CELL_LIMIT
    assert kept.endswith(gettext(export.CUT_MARKER))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("储备专家名单", "储备专家名单"),
        ("a[b]c:d*e?f/g\\h", "a_b_c_d_e_f_g_h"),
        ("'引号'", "引号"),
        ("", "Sheet"),
        ("很" * 40, "很" * 31),
    ],
)
def test_it_makes_sheet_names_valid(text: str, expected: str) -> None:
    assert sheet_name(text, []) == expected


def test_it_makes_sheet_names_unique_whatever_their_case() -> None:
    taken = ["Cases", "名" * 31]
    assert sheet_name("cases", taken) == "cases (2)"
    renamed = sheet_name("名" * 40, taken)
    assert renamed == "名" * 27 + " (2)" and len(renamed) <= 31


def test_a_chinese_character_counts_double_in_a_column_width() -> None:
    assert display_width("abc") == 3
    assert display_width("学会") == 4
    assert display_width("ab\n学会学会") == 8


def test_the_file_name_has_no_path_or_header_breaking_characters() -> None:
    name = workbook_filename('周报/"第一"\r\n: 2020', 3)
    assert name.endswith(".xlsx")
    assert not set('/\\:*?"<>|\r\n') & set(name)
    assert "周报" in name and "3" in name
    assert workbook_filename("周报", None, ".csv").endswith(".csv")


# -- the round workbook from hand-made totals ----------------------------------------------------


def test_it_writes_every_payload_as_plain_text(tmp_path: Path) -> None:
    form = small_form()
    rows = [
        organisation(payload, meetings=1, note=payload, story=payload, people=[{"name": payload}])
        for payload in PAYLOADS
    ]
    path = written(tmp_path, hand_totals(form, rows, title=PAYLOADS[0]))
    book = load(path)
    totals = book[book.sheetnames[1]]
    for offset, payload in enumerate(PAYLOADS):
        row = FIRST_ROW + offset
        for column in (2, FIXED + 4, FIXED + 5):  # organisation, note, story
            cell = totals.cell(row, column)
            # A long answer keeps its start in the totals sheet (whole on the texts sheet).
            assert cell.value == payload or payload.startswith(cell.value.split("…（")[0])
            assert cell.data_type == "s" and cell.hyperlink is None
    texts = [r[2] for r in book[gettext(export.SHEET_TEXTS)].iter_rows(values_only=True)]
    assert set(PAYLOADS) <= set(texts)
    assert totals.cell(TITLE_ROW, 1).value.startswith(PAYLOADS[0])
    people = book["人员"]
    assert [people.cell(FIRST_ROW + i, 1).value for i in range(len(PAYLOADS))] == list(PAYLOADS)
    for index in range(1, len(book.sheetnames) + 1):
        xml = sheet_xml(path, index)
        assert "<f>" not in xml and "<f " not in xml and "hyperlink" not in xml


def test_it_cuts_a_40000_character_answer_with_the_marker(tmp_path: Path) -> None:
    long = "这是一段很长的事迹。" * 4_000
    path = written(tmp_path, hand_totals(small_form(), [organisation("学会", story=long)]))
    book = load(path)
    # The totals sheet keeps the answer's start and says where the rest is...
    marker = gettext(export.SEE_TEXTS) % {"sheet": gettext(export.SHEET_TEXTS)}
    start = book[book.sheetnames[1]].cell(FIRST_ROW, FIXED + 5).value
    assert start.endswith(marker) and long.startswith(start.removesuffix("…" + marker))
    # ...and the text answers sheet has all of it that a cell can hold, marked as cut.
    story = book[gettext(export.SHEET_TEXTS)].cell(FIRST_ROW, 3).value
    assert len(story) <= CELL_LIMIT
    assert story.endswith(gettext(export.CUT_MARKER))
    assert long.startswith(story.removesuffix(gettext(export.CUT_MARKER)))


def test_it_keeps_chinese_and_emoji_text(tmp_path: Path) -> None:
    text = "线上义诊🎉服务群众👩‍⚕️，好评如潮"
    path = written(tmp_path, hand_totals(small_form(), [organisation("学会😀", note=text)]))
    totals = load(path).worksheets[1]
    assert totals.cell(FIRST_ROW, 2).value == "学会😀"
    assert totals.cell(FIRST_ROW, FIXED + 4).value == text


def test_it_lays_the_totals_sheet_out_for_printing(tmp_path: Path) -> None:
    form = small_form()
    path = written(tmp_path, hand_totals(form, [organisation("学会", meetings=2)]))
    totals = load(path).worksheets[1]
    last = openpyxl.utils.get_column_letter(FIXED + len(list(form.questions())) - 1)
    assert f"A1:{last}1" in {str(r) for r in totals.merged_cells.ranges}
    assert totals.freeze_panes == f"C{FIRST_ROW}"
    assert totals.page_setup.orientation == "landscape"
    assert totals.page_setup.paperSize == 9
    # A narrow table prints one page wide (a wide one: see surveys/test_print.py).
    assert totals.sheet_properties.pageSetUpPr.fitToPage
    assert totals.page_setup.fitToWidth in (None, 1) and totals.page_setup.fitToHeight == 0
    assert totals.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert "&P" in totals.oddFooter.center.text and "&N" in totals.oddFooter.center.text
    # Fonts a Chinese office PC has: 宋体 for the body, 黑体 for titles and headers.
    assert totals.cell(FIRST_ROW, 2).font.name == "宋体"
    assert totals.cell(FIRST_ROW, 2).font.sz >= 10.5
    assert totals.cell(TITLE_ROW, 1).font.name == "黑体"
    assert totals.cell(HEADER_ROW, 1).font.name == "黑体"
    # Every page's header names the report and the sheet.
    assert "疫情防控工作进展周报" in totals.oddHeader.center.text
    assert totals.oddHeader.center.text.endswith(" · 汇总")
    # The organisation column is wide enough for its Chinese name; headers carry units.
    assert totals.column_dimensions["B"].width >= display_width("学会")
    assert totals.cell(HEADER_ROW, FIXED + 1).value == header_label(form.questions().__next__())
    assert "次" in totals.cell(HEADER_ROW, FIXED + 1).value


def test_it_greys_out_and_empties_organisations_whose_answers_do_not_count(
    tmp_path: Path,
) -> None:
    rows = [organisation("甲学会", meetings=4), organisation("乙学会", counted=False)]
    rows[0].late = True
    path = written(tmp_path, hand_totals(small_form(), rows))
    book = load(path)
    totals = book.worksheets[1]
    late = gettext(export.STATE_LATE) % {"state": gettext(S.SUBMITTED.label)}
    assert totals.cell(FIRST_ROW, 4).value == late
    assert totals.cell(FIRST_ROW + 1, 2).value == "乙学会"
    assert totals.cell(FIRST_ROW + 1, 4).value == gettext(S.NOT_STARTED.label)
    assert totals.cell(FIRST_ROW + 1, FIXED + 1).value is None
    assert totals.cell(FIRST_ROW + 1, 2).font.color.rgb.endswith("808080")
    missing = book[gettext(export.SHEET_NOT_SUBMITTED)]
    assert missing.cell(FIRST_ROW, 2).value == "乙学会"
    assert missing.max_row == FIRST_ROW


# -- the round workbook from the database ----------------------------------------------------


def extended_form() -> FormDefinition:
    """The weekly form with a date, a single choice and an average, and room for a very
    long answer."""
    weekly = weekly_progress_form()
    extra = Section(
        "extra",
        "其他",
        (
            Question("started_on", T.DATE, "启动日期", aggregate=Aggregate.MIN),
            Question(
                "level",
                T.SINGLE_CHOICE,
                "响应级别",
                aggregate=Aggregate.COUNT,
                choices=(Choice("one", "一级"), Choice("two", "二级")),
            ),
            Question("volunteers", T.INTEGER, "志愿者", unit="人", aggregate=Aggregate.AVERAGE),
            Question("report", T.LONG_TEXT, "工作报告", max=Decimal(50_000)),
        ),
    )
    return FormDefinition(
        title=weekly.title, instructions=weekly.instructions, sections=(*weekly.sections, extra)
    )


async def answered_round(world: World, *, number: int = 1, campaign: Campaign | None = None) -> Any:
    """Society A approved, society B submitted, the branch not started."""
    campaign = campaign or await make_campaign(
        world.association, [world.society_a, world.society_b, world.branch_a], extended_form()
    )
    answers = {
        world.society_a.id: weekly_answers(
            online_meetings=3 + number,
            funds="1.5",
            channels=["wechat", "video"],
            experts=[{"name": "王伟", "employer": "东北大学", "phone": "=1+1"}],
            difficulties="经费不足🎉",
            started_on="2020-02-03",
            level="one",
            volunteers=7,
        ),
        world.society_b.id: weekly_answers(
            online_meetings=10,
            funds="0.25",
            channels=["wechat"],
            duty_roster="no",
            exemplary_cases=[{"title": "@SUM(1)", "kind": "deed", "reported_on": "2020-02-12"}],
            started_on="2020-01-28",
            volunteers=4,
            report="报" * 40_000,
        ),
    }
    states = {world.society_a.id: S.APPROVED, world.society_b.id: S.SUBMITTED}
    return campaign, await open_round(campaign, number, answers=answers, states=states)


def check_totals_sheet(sheet: Worksheet, totals: RoundTotals) -> None:
    """Every organisation row and the 合计 row, cell by cell against the totals."""
    headers = row_values(sheet, HEADER_ROW)
    assert headers[FIXED:] == [header_label(c.question) for c in totals.columns]
    for offset, row in enumerate(totals.rows):
        cells = row_values(sheet, FIRST_ROW + offset)
        assert cells[0] == offset + 1
        assert cells[1] == row.name
        assert cells[3].startswith(gettext(row.state.label))
        for index, (column, cell) in enumerate(zip(totals.columns, cells[FIXED:], strict=True)):
            value = row.values.get(column.question.key) if row.counted else None
            expected = expected_cell(column.question, value)
            if isinstance(expected, str):
                width = sheet.column_dimensions[
                    openpyxl.utils.get_column_letter(FIXED + index + 1)
                ].width
                texts = gettext(export.SHEET_TEXTS)
                expected = cut(export.short_answer(column.question, value, int(width), texts))
            assert cell == expected, (row.name, column.question.key)
    # Subtotals come first, then 合计.
    offset = len(totals.rows)
    while row_values(sheet, FIRST_ROW + offset)[1] != gettext(export.TOTAL):
        assert row_values(sheet, FIRST_ROW + offset)[1].startswith("小计")
        offset += 1
    total = row_values(sheet, FIRST_ROW + offset)
    for column, cell in zip(totals.columns, total[FIXED:], strict=True):
        value = totals.total.get(column.question.key)
        if column.aggregate == Aggregate.NONE or value is None:
            assert cell is None, column.question.key
        elif column.question.type == T.YES_NO and column.aggregate == Aggregate.COUNT:
            counts = totals.choice_counts[column.question.key]
            assert cell == export.yes_text(yes_count(counts)), column.question.key
            assert cell.startswith(f"是 {counts.get('yes', 0)}（占 ")
        elif column.aggregate in (Aggregate.COUNT, Aggregate.AVERAGE):
            assert cell == float(value), column.question.key
        elif column.aggregate == Aggregate.LIST:
            assert cell == cut(export.list_total_text(column.question, value)), column.question.key
        else:
            assert cell == expected_cell(column.question, value), column.question.key


async def test_the_round_workbook_holds_the_totals_cell_by_cell(
    world: World, tmp_path: Path
) -> None:
    _, round_ = await answered_round(world)
    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id, str(path), include=Include.SUBMITTED, subtotals=True, now=NOW, zone=ZONE
    )
    totals = await round_totals(round_.id, include=Include.SUBMITTED)
    book = load(path)
    sheet = book[gettext(export.SHEET_TOTALS)]
    check_totals_sheet(sheet, totals)

    by_name = {row[1]: row for row in sheet.iter_rows(min_row=FIRST_ROW, values_only=True)}
    funds = FIXED + [c.question.key for c in totals.columns].index("funds")
    meetings = FIXED + [c.question.key for c in totals.columns].index("online_meetings")
    volunteers = FIXED + [c.question.key for c in totals.columns].index("volunteers")
    assert by_name["辽宁省医学会"][funds] == 0.25
    total_row = totals_row_of(sheet, gettext(export.TOTAL))
    assert sheet.cell(total_row, meetings + 1).value == 14
    assert sheet.cell(total_row, funds + 1).value == 1.75
    assert sheet.cell(total_row, volunteers + 1).value == 5.5
    assert sheet.cell(FIRST_ROW, meetings + 1).number_format == "#,##0"
    assert sheet.cell(FIRST_ROW, funds + 1).number_format == "#,##0.00####"
    assert sheet.cell(total_row, volunteers + 1).number_format == "#,##0.00"

    subtotals = await category_subtotals(round_.id, include=Include.SUBMITTED)
    # The subtotals print before 合计, as on the page.
    first_subtotal = total_row - len(subtotals)
    for offset, (category, values) in enumerate(subtotals):
        label = gettext(export.SUBTOTAL) % {"category": category}
        assert sheet.cell(first_subtotal + offset, 2).value == label
        assert sheet.cell(first_subtotal + offset, meetings + 1).value == values.get(
            "online_meetings"
        )


async def test_the_round_workbook_has_its_cover_tables_texts_and_missing_organisations(
    world: World, tmp_path: Path
) -> None:
    _, round_ = await answered_round(world)
    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id, str(path), include=Include.SUBMITTED, subtotals=False, now=NOW, zone=ZONE
    )
    totals = await round_totals(round_.id, include=Include.SUBMITTED)
    book = load(path)

    cover = book[gettext(export.SHEET_COVER)]
    assert "A1:B1" in {str(r) for r in cover.merged_cells.ranges}
    lines = {row[0]: row[1] for row in cover.iter_rows(min_row=3, values_only=True)}
    assert lines[gettext(export.COVER_ORGANISER)] == "辽宁省科学技术协会"
    assert lines[gettext(export.COVER_ROSTER)] == totals.roster_size == 3
    assert lines[gettext(export.COVER_SUBMITTED)] == totals.submitted == 2
    assert lines[gettext(export.COVER_APPROVED)] == totals.approved == 1
    assert lines[gettext(export.COVER_EXPORTED)] == "2020-03-02 09:30"
    assert "2020-02-10" in lines[gettext(export.COVER_PERIOD)]

    experts = book["储备专家名单"]
    expert_rows = list(experts.iter_rows(min_row=FIRST_ROW, values_only=True))
    assert [(name, cells["name"], cells["phone"]) for name, cells in totals.tables["experts"]] == [
        (row[0], row[1], row[4]) for row in expert_rows
    ]
    assert expert_rows[0][4] == "=1+1"
    cases = book["典型案例"]
    assert cases.cell(FIRST_ROW, 2).value == "@SUM(1)"
    assert cases.cell(FIRST_ROW, 3).value == "先进事迹"
    assert cases.cell(FIRST_ROW, 4).value == datetime(2020, 2, 12)

    texts = book[gettext(export.SHEET_TEXTS)]
    listed = [row[1:] for row in texts.iter_rows(min_row=FIRST_ROW, values_only=True)]
    expected = [
        (name, cut(text))
        for question in extended_form().questions()
        for name, text in totals.texts.get(question.key, ())
    ]
    assert listed == expected
    report = next(text for name, text in listed if text.startswith("报报"))
    assert report.endswith(gettext(export.CUT_MARKER))

    choices = book[gettext(export.SHEET_CHOICES)]
    counted = {
        (row[0], row[1]): row[2] for row in choices.iter_rows(min_row=FIRST_ROW, values_only=True)
    }
    assert (
        counted[("主要工作渠道", "微信公众号")] == totals.choice_counts["channels"]["wechat"] == 2
    )
    assert counted[("响应级别", "二级")] == 0

    missing = book[gettext(export.SHEET_NOT_SUBMITTED)]
    names = [row[1] for row in missing.iter_rows(min_row=FIRST_ROW, values_only=True)]
    assert names == totals.not_submitted == [world.branch_a.name]


async def test_approved_only_leaves_submitted_answers_out(world: World, tmp_path: Path) -> None:
    _, round_ = await answered_round(world)
    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id, str(path), include=Include.APPROVED, subtotals=False, now=NOW, zone=ZONE
    )
    totals = await round_totals(round_.id, include=Include.APPROVED)
    check_totals_sheet(load(path)[gettext(export.SHEET_TOTALS)], totals)


async def test_a_round_nobody_answered(world: World, tmp_path: Path) -> None:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(campaign)
    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id, str(path), include=Include.SUBMITTED, subtotals=True, now=NOW, zone=ZONE
    )
    totals = await round_totals(round_.id)
    book = load(path)
    sheet = book[gettext(export.SHEET_TOTALS)]
    check_totals_sheet(sheet, totals)
    missing = book[gettext(export.SHEET_NOT_SUBMITTED)]
    assert missing.max_row == FIRST_ROW + 1
    assert "储备专家名单" not in book.sheetnames  # no rows: no empty sheet printed


async def test_a_question_added_in_a_new_form_version(world: World, tmp_path: Path) -> None:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    older = await FormVersion.get(id=campaign.form_version_id)
    weekly = weekly_progress_form()
    added = Question("hotline_calls", T.INTEGER, "热线来电", unit="个", aggregate=Aggregate.SUM)
    newer_form = FormDefinition(
        title=weekly.title,
        sections=(*weekly.sections, Section("hotline", "热线", (added,))),
    )
    newer = await FormVersion.create(
        form_id=older.form_id,
        number=2,
        definition=newer_form.to_dict(),
        frozen=True,
    )
    await open_round(
        campaign,
        1,
        answers={world.society_a.id: weekly_answers()},
        states={world.society_a.id: S.SUBMITTED},
    )
    campaign.form_version = newer
    await campaign.save()
    round_2 = await open_round(
        campaign,
        2,
        answers={
            world.society_a.id: weekly_answers(hotline_calls=12),
            world.society_b.id: weekly_answers(),
        },
        states={world.society_a.id: S.SUBMITTED, world.society_b.id: S.SUBMITTED},
    )
    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_2.id, str(path), include=Include.SUBMITTED, subtotals=False, now=NOW, zone=ZONE
    )
    totals = await round_totals(round_2.id)
    sheet = load(path)[gettext(export.SHEET_TOTALS)]
    check_totals_sheet(sheet, totals)
    assert sheet.cell(HEADER_ROW, sheet.max_column).value == header_label(added)
    assert [sheet.cell(FIRST_ROW + i, sheet.max_column).value for i in range(3)] == [12, None, 12]

    campaign_path = tmp_path / "campaign.xlsx"
    await write_campaign_workbook(
        campaign.id, str(campaign_path), include=Include.SUBMITTED, now=NOW, zone=ZONE
    )
    trend = load(campaign_path)[gettext(export.SHEET_TREND)]
    headers = row_values(trend, HEADER_ROW)
    hotline = headers.index(header_label(added)) + 1
    assert [trend.cell(HEADER_ROW + n, hotline).value for n in (1, 2)] == [None, 12]


# -- the campaign workbook ------------------------------------------------------------------


async def test_the_campaign_workbook_has_the_trend_with_a_line_chart(
    world: World, tmp_path: Path
) -> None:
    campaign, _ = await answered_round(world, number=1)
    for number in (2, 3):
        await answered_round(world, number=number, campaign=campaign)
    path = tmp_path / "campaign.xlsx"
    await write_campaign_workbook(
        campaign.id, str(path), include=Include.SUBMITTED, now=NOW, zone=ZONE
    )
    trend = await campaign_trend(campaign.id, include=Include.SUBMITTED)
    book = load(path)
    form = extended_form()
    questions = [q for q in form.questions() if q.key in trend]

    for name, figure in (
        (export.SHEET_TREND, "total"),
        (export.SHEET_CUMULATIVE, "cumulative"),
        (export.SHEET_CHANGE, "change"),
    ):
        sheet = book[gettext(name)]
        headers = row_values(sheet, HEADER_ROW)
        for question in questions:
            if header_label(question) not in headers:
                continue
            column = headers.index(header_label(question)) + 1
            for offset, point in enumerate(trend[question.key], start=1):
                value = getattr(point, figure)
                cell = sheet.cell(HEADER_ROW + offset, column).value
                assert cell == (None if value is None else float(value)), (name, question.key)
        assert sheet.cell(HEADER_ROW + 1, 1).value == gettext(export.ROUND_NUMBER) % {"number": 1}
    cover = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert cover[gettext(export.COVER_ROUNDS)] == 3
    assert cover[gettext(export.COVER_PERIOD)] == gettext(export.PERIOD) % {
        "start": "2020-02-10",
        "end": "2020-03-01",
    }
    meetings = trend["online_meetings"]
    assert [float(p.total) for p in meetings] == [14, 15, 16]
    assert book[gettext(export.SHEET_CUMULATIVE)].freeze_panes == f"C{FIRST_ROW}"

    # One small chart per question, titled with it: no two units on one axis.
    with zipfile.ZipFile(path) as archive:
        names = sorted(
            (n for n in archive.namelist() if n.startswith("xl/charts/chart")),
            key=lambda n: int(re.sub(r"\D", "", n)),
        )
        charts = [archive.read(name).decode() for name in names]
    shown = [
        q
        for q in questions
        if header_label(q) in row_values(book[gettext(export.SHEET_TREND)], HEADER_ROW)
    ]
    assert len(charts) == len(shown)
    trend_name = gettext(export.SHEET_TREND)
    quoted = quote_sheetname(trend_name)  # Excel's rule: CJK names need no quotes
    for index, (question, chart) in enumerate(zip(shown, charts, strict=True)):
        assert "<c:lineChart>" in chart
        values = re.findall(r"<c:val><c:numRef><c:f>([^<]+)</c:f>", chart)
        letter = openpyxl.utils.get_column_letter(index + 3)
        assert values == [f"{quoted}!${letter}${FIRST_ROW}:${letter}${FIRST_ROW + 2}"]
        categories = re.findall(r"<c:cat><c:(?:str|num)Ref><c:f>([^<]+)</c:f>", chart)
        assert set(categories) == {f"{quoted}!$A${FIRST_ROW}:$A${FIRST_ROW + 2}"}
        assert header_label(question) in chart  # the chart's title
        assert 'formatCode="' + campaign_workbook.axis_format(question) + '"' in chart

    latest = await round_totals(
        (await campaign.rounds.all().order_by("-number").first()).id  # type: ignore[union-attr]
    )
    round_sheet = book[gettext(export.SHEET_ROUND_TOTALS) % {"number": 3}]
    check_totals_sheet(round_sheet, latest)


# -- CSV ------------------------------------------------------------------------------------


async def test_the_csv_has_a_bom_and_the_same_numbers(world: World) -> None:
    _, round_ = await answered_round(world)
    data = b"".join([line async for line in round_csv(round_.id, include=Include.SUBMITTED)])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    totals = await round_totals(round_.id)
    keys = [c.question.key for c in totals.columns]
    assert rows[0][FIXED:] == [header_label(c.question) for c in totals.columns]
    by_name = {row[1]: row for row in rows[1:]}
    for organisation_row in totals.rows:
        for key in ("online_meetings", "funds", "volunteers"):
            value = organisation_row.values.get(key) if organisation_row.counted else None
            cell = by_name[organisation_row.name][FIXED + keys.index(key)]
            assert cell == ("" if value is None else str(value))
    total = rows[-1]
    assert total[1] == gettext(export.TOTAL)
    assert Decimal(total[FIXED + keys.index("online_meetings")]) == totals.total["online_meetings"]
    assert Decimal(total[FIXED + keys.index("funds")]) == totals.total["funds"] == Decimal("1.75")
    phone_row = by_name["辽宁省计算机学会"]
    assert phone_row[FIXED + keys.index("difficulties")] == "经费不足🎉"


def test_the_csv_defuses_formula_payloads() -> None:
    rows = [organisation(payload, note=payload) for payload in PAYLOADS]
    totals = hand_totals(small_form(), rows)
    text = b"".join(export.csv_lines(totals)).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    for row, payload in zip(parsed[1:], PAYLOADS, strict=False):
        expected = "'" + payload if payload[0] in "=+-@" else payload
        assert row[1] == expected
        assert row[FIXED + 3] == expected


async def test_a_secretarys_workbook_holds_their_own_society_only(
    world: World, tmp_path: Path
) -> None:
    _, round_ = await answered_round(world)
    path = tmp_path / "round.xlsx"
    await write_round_workbook(
        round_.id,
        str(path),
        include=Include.SUBMITTED,
        subtotals=True,
        now=NOW,
        zone=ZONE,
        organisation_ids=[world.society_a.id],
    )
    totals = await round_totals(round_.id, organisation_ids=[world.society_a.id])
    book = load(path)
    sheet = book[gettext(export.SHEET_TOTALS)]
    check_totals_sheet(sheet, totals)
    names = [row[1] for row in sheet.iter_rows(min_row=FIRST_ROW, values_only=True)]
    assert names[:2] == [world.society_a.name, gettext(export.TOTAL)]
    # Then only the stamp and signature block.
    assert all(name is None or "：" in name for name in names[2:])
    experts = [
        row[0] for row in book["储备专家名单"].iter_rows(min_row=FIRST_ROW, values_only=True)
    ]
    assert experts == [world.society_a.name]


def test_every_sheet_prints_on_a4_landscape_one_page_wide(tmp_path: Path) -> None:
    rows = [organisation("甲学会", note="备注", story="事迹", people=[{"name": "王伟", "age": 40}])]
    book = load(written(tmp_path, hand_totals(small_form(), rows)))
    # Everyone submitted: no empty 未报送 sheet; no 催报 log without a database.
    assert len(book.worksheets) == 5
    assert gettext(export.SHEET_NOT_SUBMITTED) not in book.sheetnames
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.paperSize == 9, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToHeight == 0, sheet.title
        assert "&P" in sheet.oddFooter.center.text, sheet.title
        assert sheet.oddHeader.center.text.endswith(" · " + sheet.title), sheet.title
        if sheet.title != gettext(export.SHEET_COVER):
            assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}", sheet.title
            assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith(str(FIRST_ROW)), (
                sheet.title
            )
            assert sheet.cell(SUBTITLE_ROW, 1).value, sheet.title


async def test_a_campaign_with_no_rounds_yet(world: World, tmp_path: Path) -> None:
    campaign = await make_campaign(world.association, [world.society_a])
    path = tmp_path / "campaign.xlsx"
    await write_campaign_workbook(
        campaign.id, str(path), include=Include.SUBMITTED, now=NOW, zone=ZONE
    )
    book = load(path)
    assert book.sheetnames[:4] == [
        gettext(name)
        for name in (
            export.SHEET_COVER,
            export.SHEET_TREND,
            export.SHEET_CUMULATIVE,
            export.SHEET_CHANGE,
        )
    ]
    assert book[gettext(export.SHEET_TREND)].max_row == HEADER_ROW
    with zipfile.ZipFile(path) as archive:
        assert not [n for n in archive.namelist() if n.startswith("xl/charts/")]


def test_it_writes_to_an_open_temporary_file(tmp_path: Path) -> None:
    totals = hand_totals(small_form(), [organisation("学会", meetings=5)])
    with tempfile.NamedTemporaryFile(dir=tmp_path, suffix=".xlsx") as handle:
        build_round_workbook(handle, totals, None, NOW, ZONE)
        handle.flush()
        sheet = load(Path(handle.name)).worksheets[1]
    assert sheet.cell(FIRST_ROW, FIXED + 1).value == 5


def test_a_table_too_wide_for_a_readable_scale_is_split_by_column_groups(tmp_path: Path) -> None:
    many = {
        f"q{n}": Question(
            f"q{n}", T.INTEGER, f"本周开展活动累计参与人次第{n}项", aggregate=Aggregate.SUM
        )
        for n in range(20)
    }
    form = small_form(**many)
    rows = [organisation("学会", **{f"q{n}": n for n in range(20)})]
    totals = hand_totals(form, rows)
    sheet = load(written(tmp_path, totals)).worksheets[1]
    # Not shrunk to one page wide: printed at the readable minimum, split between
    # column groups, the number and organisation columns repeated on every page.
    assert not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.scale == export.MIN_SCALE
    assert sheet.print_title_cols == "$A:$B"
    breaks = [b.id for b in sheet.col_breaks.brk]
    assert len(breaks) >= 2 and breaks == sorted(breaks)
    # The title is centred over the first page's columns, not the whole table.
    [title] = [r for r in sheet.merged_cells.ranges if r.min_row == TITLE_ROW]
    assert title.max_col <= breaks[0]
