"""`huibao export`, run as a separate process on the demo's reports."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from tests.databases import Database, drop_postgres_database, throwaway_database
from tests.intranet.test_cli import huibao, succeeded


@pytest.fixture
async def demo_database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path, "export")
    succeeded(huibao(database, "demo"))
    yield database
    if database.url:
        await drop_postgres_database(database.url)


async def weekly_round(database: Database) -> tuple[int, int]:
    """The demo weekly campaign's id and its latest round's id."""
    rows = await database.column(
        "SELECT r.id FROM survey_round r JOIN survey_campaign c ON c.id = r.campaign_id "
        "WHERE c.title = '疫情防控工作进展周报' ORDER BY r.number DESC"
    )
    campaign = await database.column(
        "SELECT id FROM survey_campaign WHERE title = '疫情防控工作进展周报'"
    )
    return int(campaign[0]), int(rows[0])


async def test_it_writes_a_round_workbook(demo_database: Database, tmp_path: Path) -> None:
    _, round_id = await weekly_round(demo_database)
    target = tmp_path / "round.xlsx"
    result = succeeded(
        huibao(demo_database, "export", "--round", str(round_id), "-o", str(target), "--subtotals")
    )
    assert str(target) in result.stdout
    book = openpyxl.load_workbook(target)
    assert len(book.sheetnames) >= 4
    totals = book.worksheets[1]
    assert totals.max_row > 10
    assert "辽宁省计算机学会" in [cell.value for cell in totals["B"]]
    assert not list(tmp_path.glob(".*partial"))


async def test_it_writes_a_campaign_workbook(demo_database: Database, tmp_path: Path) -> None:
    campaign_id, _ = await weekly_round(demo_database)
    target = tmp_path / "campaign.xlsx"
    succeeded(huibao(demo_database, "export", "--campaign", str(campaign_id), "-o", str(target)))
    book = openpyxl.load_workbook(target)
    trend = book.worksheets[1]
    assert trend.max_row >= 3 + 6  # title, subtitle, header, six rounds


async def test_it_writes_a_csv_named_after_the_report(
    demo_database: Database, tmp_path: Path
) -> None:
    _, round_id = await weekly_round(demo_database)
    result = succeeded(
        huibao(
            demo_database,
            *("export", "--round", str(round_id), "--csv", "--approved-only", "-o", str(tmp_path)),
        )
    )
    (path,) = tmp_path.glob("*.csv")
    assert str(path) in result.stdout
    data = path.read_bytes()
    assert path.suffix == ".csv" and "疫情防控工作进展周报" in path.name
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) > 3


async def test_it_says_when_there_is_no_such_round(demo_database: Database) -> None:
    result = huibao(demo_database, "export", "--round", "999999")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: --round: there is no round 999999"


@pytest.mark.parametrize("other", (("--campaign", "1"), ("--round", "1", "--csv")))
def test_it_refuses_subtotals_where_there_are_none_instead_of_ignoring_them(
    tmp_path: Path, other: tuple[str, ...]
) -> None:
    database = Database(tmp_path, None)
    result = huibao(database, "export", *other, "--subtotals", "-o", str(tmp_path))
    assert result.returncode == 2
    assert "--subtotals" in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob("*.csv"))
