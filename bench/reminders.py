"""One scheduler pass that reminds 200 organisations × 3 secretaries: its time and the
number of SQL statements it sends (goal: no query per recipient).

    .venv/bin/python bench/reminders.py [--organisations 200] [--secretaries 3] [--repeats 5]
    .venv/bin/python bench/reminders.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench

Each repeat opens a round of a new weekly campaign to every society (not measured), then
measures surveys.notify.send_due once the deadline has passed: it finds the round
overdue, claims a reminder per society, resolves each society's secretaries and notifies
them (one in-app notification each, and one queued e-mail each: every secretary has an
address). Then a second pass at the same moment, which must send nothing. The same is
measured with a tenth of the societies: the statement counts must be equal.

Statements are counted by wrapping the connection's execute methods (as the tests'
`queries` fixture does, plus execute_many, which a bulk insert may use).
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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))

from notice_data import empty_postgres, environment  # noqa: E402
from tortoise import connections  # noqa: E402

from intranet import db  # noqa: E402
from intranet.models import Membership, Organisation, OrganisationKind, Role, User  # noqa: E402
from intranet.notifications.models import EmailMessage, Notification  # noqa: E402
from intranet.settings import load_settings  # noqa: E402
from surveys import notify  # noqa: E402
from surveys.models import Campaign, Form, FormVersion, Round  # noqa: E402
from surveys.round_calendar import ScheduleKind  # noqa: E402
from surveys.rounds import open_due_rounds  # noqa: E402
from surveys.schema import FormDefinition  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
OPENS = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)  # a Monday: the first weekly round is due
sent: list[str] = []


def count_statements() -> None:
    """Record every statement sent through any client class of the default connection."""
    base = type(connections.get("default"))
    classes = {base, *_subclasses(base)}
    for cls in classes:
        for name in ("execute_query", "execute_query_dict", "execute_insert", "execute_many"):
            original = cls.__dict__.get(name)
            if original is None:
                continue

            async def counting(
                self: Any, query: str, values: Any = None, _o: Any = original
            ) -> Any:
                sent.append(query)
                return await _o(self, query, values)

            setattr(cls, name, counting)


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    subs: list[type] = cls.__subclasses__()
    for sub in subs:
        found.extend([sub, *_subclasses(sub)])
    return found


async def societies(count: int, secretaries: int, tag: str) -> tuple[Organisation, list[int]]:
    association = await Organisation.create_under(
        None, name=f"辽宁省科学技术协会{tag}", kind=OrganisationKind.ASSOCIATION
    )
    ids = []
    for n in range(1, count + 1):  # real paths: the reminders walk the tree
        society = await Organisation.create_under(association, name=f"辽宁省第{n:03d}学会{tag}")
        ids.append(society.id)
    people = [
        User(username=f"sec{tag}-{o}-{k}", display_name=f"秘书{o}-{k}", email=f"s{o}-{k}@x.cn")
        for o in ids
        for k in range(secretaries)
    ]
    await User.bulk_create(people, batch_size=1000)
    users = await User.filter(username__startswith=f"sec{tag}-").values_list("id", "username")
    await Membership.bulk_create(
        [
            Membership(
                user_id=user_id, organisation_id=int(name.split("-")[1]), role=Role.SECRETARY
            )
            for user_id, name in users  # type: ignore[misc]
        ],
        batch_size=1000,
    )
    return association, ids


async def open_round(organiser: Organisation, ids: list[int], n: int) -> Round:
    form = await Form.create(title="疫情防控工作进展周报", owner=organiser)
    version = await FormVersion.create(
        form=form, number=1, definition=FormDefinition(title=form.title).to_dict(), frozen=True
    )
    campaign = await Campaign.create(
        title=f"疫情防控工作进展周报 {n}",
        form_version=version,
        organiser=organiser,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=date(2026, 3, 2),
        roster_organisations=ids,
        is_active=False,  # only the round being measured is reminded
    )
    [round_] = await open_due_rounds(campaign, OPENS, zone=ZONE)
    return round_


async def one_pass(organiser: Organisation, ids: list[int], n: int) -> tuple[float, int, int, int]:
    """Seconds and statements of the reminding pass, statements of the idle one after it,
    and how many people were notified."""
    round_ = await open_round(organiser, ids, n)
    await Campaign.filter(is_active=True).update(is_active=False)
    await Campaign.filter(id=round_.campaign_id).update(is_active=True)  # type: ignore[attr-defined]
    now = round_.due_at + timedelta(hours=1)
    before = await Notification.filter(key__startswith=f"round:{round_.id}:").count()
    sent.clear()
    started = time.perf_counter()
    told = await notify.send_due(now, ZONE)
    seconds = time.perf_counter() - started
    statements = len(sent)
    assert told == len(ids), told
    sent.clear()
    assert await notify.send_due(now, ZONE) == 0
    idle = len(sent)
    after = await Notification.filter(key__startswith=f"round:{round_.id}:").count()
    return seconds, statements, idle, after - before


async def measure(organisations: int, secretaries: int, repeats: int) -> None:
    count_statements()
    big, big_ids = await societies(organisations, secretaries, "A")
    small, small_ids = await societies(max(1, organisations // 10), secretaries, "B")
    times, counts = [], set()
    for repeat in range(repeats + 1):  # the first is a warm-up
        seconds, statements, idle, notified = await one_pass(big, big_ids, repeat)
        assert notified == organisations * secretaries, notified
        counts.add(statements)
        if repeat:
            times.append(seconds)
            print(
                f"  repeat {repeat}  {seconds * 1000:8.1f} ms  {statements} statements "
                f"({notified} people notified; then an idle pass: {idle} statements)"
            )
    _, small_statements, _, small_notified = await one_pass(small, small_ids, 999)
    emails = await EmailMessage.all().count()
    print()
    print(
        f"median pass: {statistics.median(times) * 1000:.1f} ms for {organisations} organisations"
        f" × {secretaries} secretaries ({emails} e-mails queued over all passes)"
    )
    print(
        f"statements: {sorted(counts)} for {organisations * secretaries} people, "
        f"{small_statements} for {small_notified} people"
    )
    same = counts == {small_statements}
    print(f"no statement per recipient: {'PASS' if same else 'FAIL'}")


def run(data_dir: Path, database_url: str | None, args: argparse.Namespace) -> None:
    settings = load_settings(environment(data_dir, database_url))

    async def session() -> None:
        if not settings.is_sqlite:
            await empty_postgres(settings.database_url)
        await db.migrate(settings)
        await db.close()
        await db.init(settings)
        try:
            kind = "SQLite" if settings.is_sqlite else "PostgreSQL"
            print(
                f"{kind}: one reminder pass, {args.organisations} organisations × "
                f"{args.secretaries} secretaries, {args.repeats} repeats"
            )
            await measure(args.organisations, args.secretaries, args.repeats)
        finally:
            await db.close()

    asyncio.run(session())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--secretaries", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--database-url",
        help="PostgreSQL instead of SQLite, e.g. postgres://postgres@127.0.0.1:5432/huibao_bench"
        " (emptied first; refused unless empty or named *bench*)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
        run(Path(data_dir), args.database_url, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
