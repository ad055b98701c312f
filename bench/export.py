"""The upward spreadsheet: surveys.export against raw xlsxwriter writing the same shape.

    .venv/bin/python bench/export.py [--repeats 3]
    .venv/bin/python bench/export.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench

Builds (bulk inserts, a few seconds) 200 societies and a form of 40 questions (30
integers, 5 decimals, 2 single choices, a yes/no, a short and a long text) plus a table
question of 4 columns, answered with 10 table rows by every society (2,000 rows a
round); two campaigns of it, of 13 and of 52 weekly rounds, every response approved.

Cases, each run in a child process of its own (imports, settings and the ORM ready
before measuring, so every case starts from the same baseline):

- round: surveys.export.write_round_workbook for round 52 (a cover, the 200 × 40 totals
  sheet with its 合计 row, the 2,000-row table sheet, text answers, choice counts);
- campaign 13 / campaign 52: surveys.export.write_campaign_workbook (cover, trend with a
  small line chart per question, cumulative, change, and the latest round's sheets);
- raw round / raw campaign 13 / raw campaign 52: xlsxwriter in constant_memory mode
  writing workbooks of the same sheets, rows, columns, formats and charts (one a
  question) from synthetic values, without a database.

Each child reports its wall time for the export alone (and how much of it went to the
queries of surveys.totals, the rest being the writing), its CPU time, its resident
memory just before (the baseline) and its peak (VmHWM) after. Prints every run, the
medians and, against its goals: export time ≤ 2× raw, peak ≤ baseline +
50 MB, and the same peak at 13 and 52 rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))

from notice_data import empty_postgres, environment, fix_sequences  # noqa: E402
from survey_data import insert_rows, json_text  # noqa: E402

SOCIETIES = 200
INTEGERS, DECIMALS = 30, 5
TABLE_ROWS = 10
CAMPAIGN_ROUNDS = (13, 52)
INFO_FILE = "bench_export.json"
TIME_GOAL = 2.0
MEMORY_GOAL_MB = 50
CASES = ("raw round", "round", "raw campaign 13", "campaign 13", "raw campaign 52", "campaign 52")
ZONE_NAME = "Asia/Shanghai"
FIRST_MONDAY = datetime.date(2025, 1, 6)
WORDS = "学会科普会员线上会议专家服务群众疫情防控工作进展经费宣传活动志愿者基层组织"
NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


# -- the form and its answers ----------------------------------------------------------------


def bench_form() -> Any:
    from surveys.schema import (
        Aggregate,
        Choice,
        FormDefinition,
        Question,
        QuestionType,
        Section,
    )

    T = QuestionType
    numbers = [
        Question(
            key=f"count_{i:02d}",
            type=T.INTEGER,
            label=f"统计项目{i + 1:02d}",
            unit="个",
            aggregate=Aggregate.SUM,
            cumulative=i < 10,
        )
        for i in range(INTEGERS)
    ]
    amounts = [
        Question(
            key=f"amount_{i}",
            type=T.DECIMAL,
            label=f"投入经费{i + 1}",
            unit="万元",
            aggregate=Aggregate.SUM if i % 2 else Aggregate.AVERAGE,
        )
        for i in range(DECIMALS)
    ]
    others = [
        Question(
            key=f"level_{i}",
            type=T.SINGLE_CHOICE,
            label=f"响应级别{i + 1}",
            aggregate=Aggregate.COUNT,
            choices=(Choice("one", "一级"), Choice("two", "二级"), Choice("three", "三级")),
        )
        for i in range(2)
    ]
    others += [
        Question(key="duty", type=T.YES_NO, label="是否建立值班制度", aggregate=Aggregate.COUNT),
        Question(key="note", type=T.SHORT_TEXT, label="备注", aggregate=Aggregate.LIST),
        Question(key="summary", type=T.LONG_TEXT, label="工作总结", aggregate=Aggregate.NONE),
    ]
    table = Question(
        key="experts",
        type=T.TABLE,
        label="储备专家名单",
        aggregate=Aggregate.LIST,
        columns=tuple(
            Question(key=key, type=T.SHORT_TEXT, label=label)
            for key, label in (
                ("name", "姓名"),
                ("employer", "单位"),
                ("speciality", "专业"),
                ("phone", "电话"),
            )
        ),
    )
    form = FormDefinition(
        title="基层组织工作统计周报",
        sections=(
            Section("figures", "数据", tuple(numbers + amounts)),
            Section("other", "其他", (*others, table)),
        ),
    )
    assert not form.validate(), form.validate()
    return form


def words(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(WORDS) for _ in range(count))


def answers(rng: random.Random) -> dict[str, Any]:
    """One society's stored answers (as surveys.answer_checks.check_answer stores them)."""
    stored: dict[str, Any] = {f"count_{i:02d}": rng.randint(0, 500) for i in range(INTEGERS)}
    for i in range(DECIMALS):
        amount = Decimal(rng.randint(0, 99_999)).scaleb(-2).normalize()
        stored[f"amount_{i}"] = format(amount, "f")
    stored |= {
        "level_0": rng.choice(("one", "two", "three")),
        "level_1": rng.choice(("one", "two", "three")),
        "duty": rng.choice(("yes", "no")),
        "note": words(rng, 12),
        "summary": words(rng, 300),
        "experts": [
            {
                "name": rng.choice(NAMES) + words(rng, 2),
                "employer": words(rng, 8) + "大学",
                "speciality": words(rng, 4),
                "phone": f"13{rng.randrange(10**9):09d}",
            }
            for _ in range(TABLE_ROWS)
        ],
    }
    return stored


# -- building ---------------------------------------------------------------------------------


async def build(settings: Any) -> dict[str, Any]:
    from tortoise import connections
    from tortoise.transactions import in_transaction

    from intranet.models import Organisation, OrganisationKind
    from intranet.models.organisations import path_segment
    from surveys.models import Campaign, Form, FormVersion, Round
    from surveys.round_calendar import ScheduleKind

    rng = random.Random(2020)
    association = Organisation(
        id=1, path="/" + path_segment(1), depth=0, name="辽宁省科学技术协会",
        kind=OrganisationKind.ASSOCIATION,
    )  # fmt: skip
    societies = [
        Organisation(
            id=n + 2,
            parent_id=1,
            path=association.path + path_segment(n + 2),
            depth=1,
            name=f"辽宁省{words(rng, 4)}学会（{n + 1:03d}）",
            kind=OrganisationKind.SOCIETY,
        )
        for n in range(SOCIETIES)
    ]
    form = bench_form()
    async with in_transaction():
        await Organisation.bulk_create([association, *societies])
        owner = await Form.create(id=1, title=form.title, owner_id=1)
        await FormVersion.create(id=1, form=owner, number=1, definition=form.to_dict(), frozen=True)
    info: dict[str, Any] = {"campaigns": {}}
    response_id, round_id = 0, 0
    for campaign_id, count in enumerate(CAMPAIGN_ROUNDS, start=1):
        await Campaign.create(
            id=campaign_id,
            title=f"{form.title}（{count}期）",
            form_version_id=1,
            organiser_id=1,
            schedule_kind=ScheduleKind.WEEKLY,
            starts_on=FIRST_MONDAY,
            roster_organisations=[s.id for s in societies],
        )
        rounds, responses = [], []
        for number in range(1, count + 1):
            round_id += 1
            start = FIRST_MONDAY + datetime.timedelta(weeks=number - 1)
            opens = datetime.datetime.combine(start, datetime.time(1), datetime.UTC)
            rounds.append(
                Round(
                    id=round_id,
                    campaign_id=campaign_id,
                    number=number,
                    period_start=start,
                    period_end=start + datetime.timedelta(days=6),
                    opens_at=opens,
                    due_at=opens + datetime.timedelta(days=4),
                    closed_at=opens + datetime.timedelta(days=7),
                )
            )
            submitted = opens + datetime.timedelta(days=2)
            for society in societies:
                response_id += 1
                responses.append(
                    (response_id, round_id, society.id, "approved", 3,
                     json_text(answers(rng)), submitted, submitted)
                )  # fmt: skip
        async with in_transaction():
            await Round.bulk_create(rounds)
            await insert_rows(
                settings,
                "survey_response",
                ("id", "round_id", "organisation_id", "state", "version", "answers",
                 "submitted_at", "updated_at"),
                responses,
            )  # fmt: skip
        info["campaigns"][str(count)] = {"campaign": campaign_id, "latest_round": round_id}
    if not settings.is_sqlite:
        await fix_sequences(
            ["organisation", "survey_form", "survey_form_version", "survey_campaign",
             "survey_round", "survey_response"]
        )  # fmt: skip
    await connections.get("default").execute_script("ANALYZE")
    info["responses"] = response_id
    return info


def generate(data_dir: Path, database_url: str | None) -> dict[str, Any]:
    from intranet import db
    from intranet.settings import load_settings

    settings = load_settings(environment(data_dir, database_url))

    async def run() -> dict[str, Any]:
        if not settings.is_sqlite:
            await empty_postgres(settings.database_url)
        await db.migrate(settings)
        await db.close()
        await db.init(settings)
        try:
            return await build(settings)
        finally:
            await db.close()

    started = time.monotonic()
    info = asyncio.run(run())
    info["seconds"] = time.monotonic() - started
    (data_dir / INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    return info


# -- raw xlsxwriter: the same shape from synthetic values --------------------------------------


def raw_sheet(workbook: Any, name: str, headers: list[str], formats: dict[str, Any]) -> Any:
    sheet = workbook.add_worksheet(name)
    sheet.merge_range(0, 0, 0, max(1, len(headers) - 1), "", formats["title"])
    sheet.write_string(0, 0, name, formats["title"])
    sheet.merge_range(1, 0, 1, max(1, len(headers) - 1), "", formats["text"])
    sheet.write_string(1, 0, name, formats["text"])
    for column, header in enumerate(headers):
        sheet.write_string(2, column, header, formats["header"])
    sheet.freeze_panes(3, 1)
    sheet.repeat_rows(2)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_footer("&C&P / &N")
    sheet.set_column(0, len(headers), 12)
    return sheet


def raw_formats(workbook: Any) -> dict[str, Any]:
    cell = {"border": 1, "valign": "top"}
    return {
        "title": workbook.add_format({"bold": True, "font_size": 16, "align": "center"}),
        "header": workbook.add_format({**cell, "bold": True, "text_wrap": True}),
        "text": workbook.add_format(cell),
        "wrap": workbook.add_format({**cell, "text_wrap": True}),
        "integer": workbook.add_format({**cell, "num_format": "#,##0"}),
        "decimal": workbook.add_format({**cell, "num_format": "#,##0.00####"}),
        "percent": workbook.add_format({**cell, "num_format": "0.0%"}),
    }


class Pool:
    """Synthetic Chinese strings made before the clock starts, so the raw baseline
    times xlsxwriter, not the random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.texts = {n: [words(rng, n) for _ in range(64)] for n in (2, 3, 4, 8, 10, 11, 12, 300)}

    def __call__(self, length: int, index: int) -> str:
        return self.texts[length][index % 64]


def raw_round_sheets(
    workbook: Any, formats: dict[str, Any], rng: random.Random, text: Pool
) -> None:
    questions = INTEGERS + DECIMALS + 5
    totals = raw_sheet(
        workbook, "汇总表", ["序号", "单位", "类别", "状态", "报送时间"] +
        [f"统计项目{q}（个）" for q in range(questions)], formats,
    )  # fmt: skip
    for row in range(3, 3 + SOCIETIES + 1):
        totals.write_number(row, 0, row - 2, formats["integer"])
        totals.write_string(row, 1, f"辽宁省{text(4, row)}学会", formats["text"])
        totals.write_string(row, 2, "", formats["text"])
        totals.write_string(row, 3, "审核通过", formats["text"])
        totals.write_datetime(row, 4, datetime.datetime(2025, 1, 8, 9), formats["text"])
        for column in range(5, 5 + INTEGERS):
            totals.write_number(row, column, rng.randint(0, 500), formats["integer"])
        for column in range(5 + INTEGERS, 5 + INTEGERS + DECIMALS):
            totals.write_number(row, column, rng.randint(0, 99_999) / 100, formats["decimal"])
        for column in range(5 + INTEGERS + DECIMALS, 5 + questions - 1):
            totals.write_string(row, column, text(2, column), formats["text"])
        totals.write_string(row, 5 + questions - 1, text(300, row), formats["wrap"])
    table = raw_sheet(workbook, "储备专家名单", ["单位", "姓名", "单位", "专业", "电话"], formats)
    for row in range(3, 3 + SOCIETIES * TABLE_ROWS):
        for column, length in enumerate((12, 3, 10, 4, 11)):
            table.write_string(row, column, text(length, row), formats["text"])
    texts = raw_sheet(workbook, "文字填报内容", ["问题", "单位", "回答"], formats)
    for row in range(3, 3 + SOCIETIES * 2):
        texts.write_string(row, 0, "工作总结", formats["wrap"])
        texts.write_string(row, 1, text(12, row), formats["text"])
        texts.write_string(row, 2, text(300 if row % 2 else 12, row), formats["wrap"])
    choices = raw_sheet(workbook, "选项统计", ["问题", "选项", "数量"], formats)
    for row in range(3, 3 + 8):
        choices.write_string(row, 0, "响应级别", formats["wrap"])
        choices.write_string(row, 1, "一级", formats["text"])
        choices.write_number(row, 2, row, formats["integer"])
    raw_sheet(workbook, "未报单位", ["序号", "单位", "类别", "状态"], formats)


def raw_round(target: str, rng: random.Random, text: Pool) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True})
    formats = raw_formats(workbook)
    raw_cover(workbook, formats)
    raw_round_sheets(workbook, formats, rng, text)
    workbook.close()


def raw_cover(workbook: Any, formats: dict[str, Any]) -> None:
    cover = raw_sheet(workbook, "封面", ["项目", "内容"], formats)
    for row in range(3, 14):
        cover.write_string(row, 0, "填报单位", formats["text"])
        cover.write_number(row, 1, row, formats["integer"])


def raw_campaign(target: str, rounds: int, rng: random.Random, text: Pool) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True})
    formats = raw_formats(workbook)
    raw_cover(workbook, formats)
    numbers = INTEGERS + DECIMALS
    headers = ["期次", "统计周期"] + [f"统计项目{q}（个）" for q in range(numbers)]
    for index, name in enumerate(("趋势", "累计", "环比")):
        sheet = raw_sheet(workbook, name, headers, formats)
        for row in range(3, 3 + rounds):
            sheet.write_string(row, 0, f"第{row - 2}期", formats["text"])
            sheet.write_string(row, 1, "2025-01-06 至 2025-01-12", formats["text"])
            for column in range(2, 2 + numbers):
                value = rng.randint(0, 100_000) if index < 2 else rng.random()
                sheet.write_number(
                    row, column, value, formats["percent" if index == 2 else "integer"]
                )
        if index == 0:
            # One small chart per question, as the campaign workbook has.
            for column in range(2, 2 + numbers):
                chart = workbook.add_chart({"type": "line"})
                chart.add_series(
                    {
                        "name": [name, 2, column],
                        "categories": [name, 3, 0, 2 + rounds, 0],
                        "values": [name, 3, column, 2 + rounds, column],
                        "marker": {"type": "circle", "size": 5},
                    }
                )
                chart.set_title({"name": headers[column]})
                chart.set_legend({"none": True})
                chart.set_y_axis({"num_format": "#,##0"})
                chart.set_size({"width": 380, "height": 270})
                band = (column - 2) // 2
                sheet.insert_chart(
                    5 + rounds + band * 14, 0, chart, {"x_offset": (column - 2) % 2 * 390}
                )
    raw_round_sheets(workbook, formats, rng, text)
    workbook.close()


# -- a child process: one case ------------------------------------------------------------------


def memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def child(case: str, data_dir: Path, database_url: str | None) -> None:
    from zoneinfo import ZoneInfo

    from tortoise import timezone

    from intranet import db
    from intranet.i18n import gettext
    from intranet.settings import load_settings
    from surveys import export
    from surveys.models import Round
    from surveys.totals import Include

    info = json.loads((data_dir / INFO_FILE).read_text())
    settings = load_settings(environment(data_dir, database_url))
    target = str(data_dir / f"{case.replace(' ', '-')}.xlsx")
    zone = ZoneInfo(ZONE_NAME)

    rng = random.Random(1)
    text = Pool(rng)
    # Time spent in surveys.totals (the queries), to tell it from the writing.
    in_totals = [0.0]

    def timed(function: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                in_totals[0] += time.perf_counter() - started

        return wrapper

    # Each workbook module imported the totals' functions by name: wrap them there.
    from surveys.export import campaign_workbook, round_workbook

    for module in (round_workbook, campaign_workbook):
        for name in ("round_totals", "category_subtotals", "campaign_trend"):
            if hasattr(module, name):
                setattr(module, name, timed(getattr(module, name)))

    async def run() -> float:
        await db.init(settings)
        try:
            # What a running site has done long before an export: opened its database
            # connection and loaded the translations.
            await Round.first()
            started = time.perf_counter()
            if case == "raw round":
                raw_round(target, rng, text)
            elif case.startswith("raw campaign"):
                raw_campaign(target, int(case.rsplit(" ", 1)[1]), rng, text)
            elif case == "round":
                await export.write_round_workbook(
                    info["campaigns"]["52"]["latest_round"], target,
                    include=Include.SUBMITTED, subtotals=False, now=timezone.now(), zone=zone,
                )  # fmt: skip
            else:
                campaign = info["campaigns"][case.rsplit(" ", 1)[1]]["campaign"]
                await export.write_campaign_workbook(
                    campaign, target, include=Include.SUBMITTED, now=timezone.now(), zone=zone
                )
            return time.perf_counter() - started
        finally:
            await db.close()

    gettext("Total")
    # Everything imported and the ORM's models loaded: what any case starts from.
    baseline = memory_kib("VmRSS")
    cpu_before = time.process_time()
    seconds = asyncio.run(run())
    result = {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu_before,
        "totals_seconds": in_totals[0],
        "baseline_kib": baseline,
        "peak_kib": memory_kib("VmHWM"),
        "bytes": os.path.getsize(target),
    }
    print(json.dumps(result))


def run_child(case: str, data_dir: Path, database_url: str | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", case, "--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_DIR)
    if done.returncode:
        raise SystemExit(f"{case} failed:\n{done.stdout}{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the parent: build, run the cases, report ----------------------------------------------------


def measure(data_dir: Path, database_url: str | None, repeats: int) -> None:
    kind = "PostgreSQL" if database_url else "SQLite"
    info = generate(data_dir, database_url)
    print(
        f"{kind}: built in {info['seconds']:.1f} s: {SOCIETIES} societies, "
        f"{INTEGERS + DECIMALS + 5} questions + a table of {SOCIETIES * TABLE_ROWS} rows a round, "
        f"{info['responses']:,} responses in campaigns of {CAMPAIGN_ROUNDS} rounds"
    )
    runs: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
    for repeat in range(1, repeats + 1):
        for case in CASES:  # alternately, raw then export
            result = run_child(case, data_dir, database_url)
            runs[case].append(result)
            extra = (result["peak_kib"] - result["baseline_kib"]) / 1024
            print(
                f"  repeat {repeat}  {case:<16} {result['seconds'] * 1000:8.0f} ms  "
                f"(totals {result['totals_seconds'] * 1000:6.0f} ms, "
                f"writing {(result['seconds'] - result['totals_seconds']) * 1000:6.0f} ms)  "
                f"CPU {result['cpu_seconds'] * 1000:6.0f} ms  "
                f"baseline {result['baseline_kib'] / 1024:6.1f} MB  peak +{extra:5.1f} MB  "
                f"{result['bytes'] / 1024:7.0f} KiB"
            )
    print()
    median = {
        case: {
            "seconds": statistics.median(r["seconds"] for r in results),
            "writing": statistics.median(r["seconds"] - r["totals_seconds"] for r in results),
            "cpu": statistics.median(r["cpu_seconds"] for r in results),
            "extra_mb": statistics.median(
                (r["peak_kib"] - r["baseline_kib"]) / 1024 for r in results
            ),
        }
        for case, results in runs.items()
    }
    for case, figures in median.items():
        print(
            f"median {case:<16} {figures['seconds'] * 1000:8.0f} ms  "
            f"peak +{figures['extra_mb']:5.1f} MB"
        )
    print()
    for case in ("round", "campaign 13", "campaign 52"):
        ratio = median[case]["seconds"] / median["raw " + case]["seconds"]
        verdict = "PASS" if ratio <= TIME_GOAL else "FAIL"
        writing = median[case]["writing"] / median["raw " + case]["seconds"]
        cpu = median[case]["cpu"] / median["raw " + case]["cpu"]
        print(
            f"time {case:<12} ÷ raw: {ratio:5.2f}×  goal ≤ {TIME_GOAL:.0f}×  {verdict}   "
            f"(writing alone {writing:4.2f}×, CPU {cpu:4.2f}×)"
        )
    for case in ("round", "campaign 13", "campaign 52"):
        extra = median[case]["extra_mb"]
        verdict = "PASS" if extra <= MEMORY_GOAL_MB else "FAIL"
        print(
            f"peak {case:<12} over baseline: {extra:5.1f} MB  goal ≤ {MEMORY_GOAL_MB} MB  {verdict}"
        )
    growth = median["campaign 52"]["extra_mb"] - median["campaign 13"]["extra_mb"]
    verdict = "PASS" if abs(growth) <= 5 else "FAIL"
    print(f"peak at 52 rounds − at 13 rounds: {growth:+.1f} MB  goal: the same (±5 MB)  {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL instead of SQLite, e.g. postgres://postgres@127.0.0.1:5432/huibao_bench"
        " (emptied first; refused unless empty or named *bench*)",
    )
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data_dir, args.database_url)
        return 0
    with tempfile.TemporaryDirectory(prefix="huibao-bench-export-") as data_dir:
        measure(Path(data_dir), args.database_url, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
