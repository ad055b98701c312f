"""`huibao import-directory` and `huibao export-directory`, run as an operator runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.databases import Database, drop_postgres_database, throwaway_database
from tests.directory_helpers import org_row, person_row, xlsx_bytes
from tests.intranet.test_cli import huibao, succeeded


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path, "directory_cli")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


def workbook_file(tmp_path: Path, organisations: list, people: list) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "directory.xlsx"
    path.write_bytes(xlsx_bytes(organisations, people))
    return path


async def test_a_dry_run_prints_the_preview_and_writes_nothing_then_the_import_writes(
    database: Database, tmp_path: Path
) -> None:
    path = workbook_file(
        tmp_path,
        [
            org_row("辽宁省科学技术协会", kind="科协", code="LNAST"),
            org_row("辽宁省物理学会", "LNAST"),
        ],
        [
            person_row("李四", "lisi", "LNAST", "管理员"),
            person_row("王五", "wangwu", "辽宁省物理学会", "秘书"),
        ],
    )
    succeeded(huibao(database, "migrate"))
    dry = succeeded(huibao(database, "import-directory", str(path), "--dry-run"))
    assert "辽宁省物理学会" in dry.stdout and "lisi" in dry.stdout
    assert await database.column("SELECT name FROM organisation") == []
    codes = tmp_path / "codes.xlsx"
    succeeded(huibao(database, "import-directory", str(path), "--codes", str(codes)))
    names = await database.column("SELECT name FROM organisation ORDER BY path")
    assert names == ["辽宁省科学技术协会", "辽宁省物理学会"]
    sheet = load_workbook(codes).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["姓名", "用户名", "所属组织", "邀请码"]
    assert {row[1] for row in rows[1:]} == {"lisi", "wangwu"}
    again = succeeded(huibao(database, "import-directory", str(path)))
    assert "人员：新增 0，修改 0，不变 2" in again.stdout


async def test_problems_are_printed_by_row_and_the_exit_status_is_1(
    database: Database, tmp_path: Path
) -> None:
    path = workbook_file(tmp_path, [org_row("辽宁省物理学会", "不存在的上级")], [])
    succeeded(huibao(database, "migrate"))
    result = huibao(database, "import-directory", str(path))
    assert result.returncode == 1
    assert "组织机构 · 第 2 行 · 上级组织" in result.stdout
    assert await database.column("SELECT name FROM organisation") == []


async def test_the_export_goes_back_in_unchanged_and_the_template_is_empty(
    database: Database, tmp_path: Path
) -> None:
    succeeded(huibao(database, "migrate"))
    succeeded(huibao(database, "demo"))
    exported = tmp_path / "export.xlsx"
    succeeded(huibao(database, "export-directory", "-o", str(exported)))
    result = succeeded(huibao(database, "import-directory", str(exported), "--dry-run"))
    assert "新增 0，修改 0，" in result.stdout.splitlines()[0]
    assert "新增 0，修改 0，" in result.stdout.splitlines()[1]
    template = tmp_path / "template.xlsx"
    succeeded(huibao(database, "export-directory", "--template", "-o", str(template)))
    book = load_workbook(template)
    assert book.sheetnames[:2] == ["组织机构", "人员"]
    assert [c.value for c in next(book["人员"].iter_rows())] == [
        "姓名",
        "用户名",
        "电子邮箱",
        "手机",
        "所属组织",
        "角色",
    ]
    assert book["组织机构"].max_row == 1
