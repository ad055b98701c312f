"""Opening a round for 200 organisations: surveys.rounds.open_due_rounds (the round and its
roster's responses, one bulk insert) against the same rows inserted one by one.

    .venv/bin/python bench/round_opening.py [--organisations 200] [--repeats 7]
    .venv/bin/python bench/round_opening.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench

Both open a round of a weekly campaign in one transaction: resolve the roster, insert
the round, insert one not-started response per organisation. The baseline does the last
step with Response.create in a loop; open_due_rounds with one INSERT ... SELECT that takes
the ids as one parameter (it also reads which rounds exist and the form's respondent,
and freezes the form version, so it does a little more).
Each repeat opens one round with each, alternately (A/B/A/B), each on its own campaign,
after one warm-up of each. Prints every repeat, the median responses per second of
each, and their ratio against the goal: bulk ≥ 5× one by one.

SQLite lives in a temporary HUIBAO_DATA_DIR; --database-url names a PostgreSQL database
that is emptied first (refused if it has tables and no "bench" in its name).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))

from notice_data import empty_postgres, environment  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from intranet import db  # noqa: E402
from intranet.models import Organisation, OrganisationKind  # noqa: E402
from intranet.settings import load_settings  # noqa: E402
from surveys.models import Campaign, Form, FormVersion, Response, Round  # noqa: E402
from surveys.round_calendar import ScheduleKind, due_to_open  # noqa: E402
from surveys.rounds import open_due_rounds, roster_organisation_ids  # noqa: E402
from surveys.schema import FormDefinition  # noqa: E402

GOAL = 5.0
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2020, 2, 12, 9, 0, tzinfo=ZONE)  # the first weekly round opened on the 10th


async def roster(count: int) -> list[int]:
    association = await Organisation.create_under(
        None, name="辽宁省科学技术协会", kind=OrganisationKind.ASSOCIATION
    )
    societies = [
        Organisation(
            name=f"辽宁省第{n:03d}学会",
            kind=OrganisationKind.SOCIETY,
            parent=association,
            path=f"{association.path}{n:08d}/",  # unique placeholder; nothing here walks the tree
            depth=1,
        )
        for n in range(1, count + 1)
    ]
    await Organisation.bulk_create(societies)
    ids = await Organisation.filter(kind=OrganisationKind.SOCIETY).values_list("id", flat=True)
    return sorted(ids)  # type: ignore[type-var]


async def campaign(version: FormVersion, organiser_id: int, ids: list[int], n: int) -> Campaign:
    return await Campaign.create(
        title=f"疫情防控工作进展周报 {n}",
        form_version=version,
        organiser_id=organiser_id,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=date(2020, 2, 10),
        roster_organisations=ids,
    )


async def open_in_bulk(target: Campaign) -> Round:
    [round_] = await open_due_rounds(target, NOW, zone=ZONE)
    return round_


async def open_one_by_one(target: Campaign) -> Round:
    [plan] = due_to_open(target.schedule(ZONE), NOW, set())
    async with in_transaction():
        ids = await roster_organisation_ids(target)
        round_ = await Round.create(
            campaign=target,
            number=plan.number,
            period_start=plan.period_start,
            period_end=plan.period_end,
            opens_at=plan.opens_at,
            due_at=plan.due_at,
        )
        for id_ in ids:
            await Response.create(round=round_, organisation_id=id_)
    return round_


async def measure(organisations: int, repeats: int) -> None:
    ids = await roster(organisations)
    organiser_id = (await Organisation.get(parent_id=None)).id
    form = await Form.create(title="疫情防控工作进展周报", owner_id=organiser_id)
    version = await FormVersion.create(
        form=form, number=1, definition=FormDefinition(title=form.title).to_dict()
    )
    ways = {"one by one": open_one_by_one, "bulk (open_due_rounds)": open_in_bulk}
    rates: dict[str, list[float]] = {name: [] for name in ways}
    made = 0
    for repeat in range(repeats + 1):  # the first is a warm-up
        for name, way in ways.items():
            made += 1
            target = await campaign(version, organiser_id, ids, made)
            started = time.perf_counter()
            round_ = await way(target)
            seconds = time.perf_counter() - started
            rows = await Response.filter(round=round_, state="not_started").count()
            assert rows == organisations, (name, rows)
            if repeat:
                rates[name].append(rows / seconds)
                rate = rows / seconds
                print(
                    f"  repeat {repeat}  {name:<24} {seconds * 1000:8.1f} ms  {rate:10,.0f} rows/s"
                )
    print()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"median {name:<24} {value:10,.0f} responses/s")
    ratio = medians["bulk (open_due_rounds)"] / medians["one by one"]
    verdict = "PASS" if ratio >= GOAL else "FAIL"
    print(f"ratio (bulk ÷ one by one): {ratio:.1f}×  goal ≥ {GOAL:.0f}×  {verdict}")


def run(data_dir: Path, database_url: str | None, organisations: int, repeats: int) -> None:
    settings = load_settings(environment(data_dir, database_url))

    async def session() -> None:
        if not settings.is_sqlite:
            await empty_postgres(settings.database_url)
        await db.migrate(settings)
        await db.close()
        await db.init(settings)
        try:
            kind = "SQLite" if settings.is_sqlite else "PostgreSQL"
            print(f"{kind}: opening a round for {organisations} organisations, {repeats} repeats")
            await measure(organisations, repeats)
        finally:
            await db.close()

    asyncio.run(session())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL instead of SQLite, e.g. postgres://postgres@127.0.0.1:5432/huibao_bench"
        " (emptied first; refused unless empty or named *bench*)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
        run(Path(data_dir), args.database_url, args.organisations, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
