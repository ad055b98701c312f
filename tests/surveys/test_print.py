"""The upward spreadsheet on paper: the demo's round and campaign workbooks, and a form of
many questions with long Chinese headers, printed to PDF by LibreOffice as an office
without Excel would, then read back from the PDF's text.

Needs soffice (Debian: libreoffice-calc-nogui, fonts-noto-cjk): skipped with a message
without it, except when HUIBAO_REQUIRE_PRINT=1 (as in CI), where that is an error. Each
workbook is converted once per module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from intranet.i18n import gettext
from surveys import export
from surveys.schema import Aggregate, FormDefinition, Question, Section
from surveys.schema import QuestionType as T
from tests.intranet.test_cli import huibao, succeeded
from tests.surveys.test_export import NOW, ZONE, hand_totals, organisation

SOFFICE = shutil.which("soffice")
REQUIRED = os.environ.get("HUIBAO_REQUIRE_PRINT") == "1"
if SOFFICE is None:
    if REQUIRED:
        raise RuntimeError("HUIBAO_REQUIRE_PRINT=1 but there is no soffice to print with")
    pytest.skip("no soffice (LibreOffice): print tests not run", allow_module_level=True)
if REQUIRED:
    import pdfplumber  # an error, not a skip, where printing is required
else:
    pdfplumber = pytest.importorskip("pdfplumber")

SMALLEST_POINTS = 9.0


@dataclass
class Printed:
    name: str
    title: str
    workbook: Path
    pages: list[tuple[str, list[float]]]  # text, character sizes
    rows: list[list[str]]  # every printed table row, its cells' text without line breaks

    @property
    def text(self) -> str:
        return "\n".join(text for text, _ in self.pages)


def printed_as(name: str, title: str, workbook: Path) -> Printed:
    pages, rows = to_pdf(workbook)
    return Printed(name, title, workbook, pages, rows)


def squeeze(text: str | None) -> str:
    return "".join((text or "").split())


def to_pdf(workbook: Path) -> tuple[list[tuple[str, list[float]]], list[list[str]]]:
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{workbook.parent}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workbook.parent),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pages, rows = [], []
    with pdfplumber.open(workbook.with_suffix(".pdf")) as document:
        for page in document.pages:
            sizes = [float(c["size"]) for c in page.chars if c["text"].strip()]
            pages.append((page.extract_text() or "", sizes))
            # The cells as drawn (their borders): a wrapped cell's lines stay together.
            for table in page.find_tables():
                rows += [[squeeze(cell) for cell in row] for row in table.extract()]
    return pages, rows


def many_questions_form() -> FormDefinition:
    long_label = "本周组织开展的线上线下科普宣传活动、专题讲座与志愿服务等累计参与人次"
    questions = [
        Question(
            f"q{n}", T.INTEGER, f"{long_label}（第{n}项）", unit="人次", aggregate=Aggregate.SUM
        )
        for n in range(12)
    ]
    questions.append(Question("note", T.SHORT_TEXT, "工作亮点与存在问题", aggregate=Aggregate.LIST))
    questions.append(Question("story", T.LONG_TEXT, "典型事迹详细描述", aggregate=Aggregate.NONE))
    return FormDefinition(title="大表", sections=(Section("s", "第一部分", tuple(questions)),))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Printed]]:
    """The demo's round (with subtotals) and campaign workbooks, and the wide form's,
    each printed once."""
    import asyncio

    from tests.databases import drop_postgres_database, throwaway_database

    directory = tmp_path_factory.mktemp("print")
    database = asyncio.run(throwaway_database(directory, "print"))
    succeeded(huibao(database, "demo"))
    round_id = asyncio.run(
        database.column(
            "SELECT r.id FROM survey_round r JOIN survey_campaign c ON c.id = r.campaign_id "
            "WHERE c.title = '疫情防控工作进展周报' ORDER BY r.number DESC"
        )
    )[0]
    campaign_id = asyncio.run(
        database.column("SELECT id FROM survey_campaign WHERE title = '疫情防控工作进展周报'")
    )[0]
    round_path, campaign_path = directory / "round.xlsx", directory / "campaign.xlsx"
    succeeded(
        huibao(database, "export", "--round", str(round_id), "--subtotals", "-o", str(round_path))
    )
    succeeded(huibao(database, "export", "--campaign", str(campaign_id), "-o", str(campaign_path)))
    form = many_questions_form()
    rows = [
        organisation(
            f"辽宁省第{n}学会",
            **{f"q{i}": n * 100 + i for i in range(12)},
            note=f"开展“科普进社区”活动{n}场，覆盖群众约{n}千人",
            story="本单位" + "组织专家深入基层开展防控知识宣讲，" * 12,
        )
        for n in range(1, 21)
    ]
    totals = hand_totals(form, rows, title="专业技术人才作用发挥情况统计")
    totals.total = {f"q{i}": sum(r.values[f"q{i}"] for r in rows) for i in range(12)}
    totals.total["note"] = [r.values["note"] for r in rows]
    totals.choice_counts = {}
    wide_path = directory / "wide.xlsx"
    export.build_round_workbook(str(wide_path), totals, None, NOW, ZONE)
    if database.url:
        asyncio.run(drop_postgres_database(database.url))
    yield {
        "round": printed_as("round", "疫情防控工作进展周报第", round_path),
        "campaign": printed_as("campaign", "疫情防控工作进展周报", campaign_path),
        "wide": printed_as("wide", "专业技术人才作用发挥情况统计", wide_path),
    }


WORKBOOKS = ("round", "campaign", "wide")


@pytest.mark.parametrize("name", WORKBOOKS)
def test_every_page_prints_text_of_at_least_9_points(
    printed: dict[str, Printed], name: str
) -> None:
    for number, (_, sizes) in enumerate(printed[name].pages, start=1):
        assert sizes, f"{name}: page {number} has no text"
        assert min(sizes) >= SMALLEST_POINTS - 0.05, f"{name}: page {number}: {min(sizes):.1f} pt"


@pytest.mark.parametrize("name", WORKBOOKS)
def test_every_page_names_the_report_and_its_sheet(printed: dict[str, Printed], name: str) -> None:
    for number, (text, _) in enumerate(printed[name].pages, start=1):
        lines = text.splitlines()
        headers = [line for line in lines if printed[name].title in line and " · " in line]
        assert headers, f"{name}: page {number} does not say what it is: {lines[:3]}"
        assert "页，共" in text


def test_the_trend_sheets_have_titles_of_their_own(printed: dict[str, Printed]) -> None:
    headers = {line for text, _ in printed["campaign"].pages for line in text.splitlines()}
    assert any(h.endswith("· 各期趋势") for h in headers)
    assert any(h.endswith("· 环比") for h in headers)
    text = printed["campaign"].text
    assert "各期合计" in text and "环比（较上期增减）" in text


@pytest.mark.parametrize("name", ("round", "wide"))
def test_every_list_total_prints_in_full(printed: dict[str, Printed], name: str) -> None:
    """Each text in a 合计 or 小计 row of the workbook is printed whole in that row's cell;
    a list total too long for its cell points to the text answers sheet, and every answer
    there is printed whole."""
    book = openpyxl.load_workbook(printed[name].workbook)
    expected = [
        (row[1], value)
        for row in book.worksheets[1].iter_rows(min_row=4, values_only=True)
        if isinstance(row[1], str) and (row[1] == "合计" or row[1].startswith("小计"))
        for value in row[5:]
        if isinstance(value, str)
    ]
    assert expected
    rows = printed[name].rows
    for label, text in expected:
        cells = [cell for row in rows if len(row) > 1 and row[1] == label for cell in row]
        assert squeeze(text) in cells, (label, text)
    answers = [
        row[2]
        for row in book[gettext(export.SHEET_TEXTS)].iter_rows(min_row=4, values_only=True)
        if row[2]
    ]
    printed_cells = {cell for row in rows for cell in row}
    for answer in answers:
        assert squeeze(answer) in printed_cells, answer
    if name == "wide":
        # Its list total is too long for a cell: it says how many and where they are.
        assert any("逐条见“文字填报内容”表" in text for _, text in expected)
        assert len(answers) == 40  # 20 notes and 20 stories, each printed whole above


@pytest.mark.parametrize("name", ("round", "wide"))
def test_the_stamp_and_signature_block_is_printed(printed: dict[str, Printed], name: str) -> None:
    text = printed[name].text
    for label in ("填报单位（盖章）", "负责人", "填表人", "联系电话", "填报日期"):
        assert label in text
    assert "填报单位（盖章）：辽宁省科学技术协会" in text.replace(" ", "")


def test_a_wide_table_is_split_by_column_groups_not_shrunk(printed: dict[str, Printed]) -> None:
    pages = [text for text, _ in printed["wide"].pages if "· 汇总" in text]
    assert len(pages) >= 2
    # The organisation column is printed again on each column group's pages.
    assert sum("辽宁省第1学会" in page for page in pages) >= 2
    assert gettext(export.TOTAL) in "".join(pages)
