"""Importing a nation's directory: 3,500 organisations and 20,000 people with roles.

    .venv/bin/python bench/directory_import.py
    .venv/bin/python bench/directory_import.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench

Builds a workbook in the import format (500 societies with 6 branches each under the
association = 3,501 organisations; 20,000 people, each with a role and every fifth with
a second one = 24,000 rows; two thirds with an e-mail address), then times, on an empty
directory:

  read     openpyxl (read-only) turning the file into rows
  preview  reading the database (load_state) and comparing (make_plan)
  apply    the whole import in one transaction (reads and compares again, then writes
           organisations, categories, people, roles, audit events, invitations and their
           e-mails in bulk)

and then the same file again on the now full directory (preview and apply with nothing
to change). The baseline is openpyxl iterating the same file alone, in the same run.
It prints each phase's seconds against the goal (≤ 20 s for preview and for apply), the
SQL statements each sent, and the peak memory growth (ru_maxrss) over the process's size
before reading. SQLite lives in a temporary HUIBAO_DATA_DIR; --database-url names a
PostgreSQL database that is emptied first (refused if it has tables and no "bench" in
its name).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))

from notice_data import empty_postgres, environment  # noqa: E402

GOAL_SECONDS = 20.0
KINDS = ("学会", "分会/专业委员会")


def build_rows(
    societies: int, branches: int, people: int
) -> tuple[list[list[str]], list[list[str]]]:
    organisations = [["中国科学技术协会", "中国科协", "", "科协", "CAST", "", "", "", ""]]
    codes = []
    for s in range(societies):
        code = f"S{s:04d}"
        codes.append(code)
        organisations.append(
            [
                f"第{s:04d}学会",
                f"{s:04d}学会",
                "CAST",
                KINDS[0],
                code,
                "理科类" if s % 2 else "工科类",
                f"联系人{s}",
                f"010-6{s:07d}",
                f"office{s}@example.org",
            ]
        )
        for b in range(branches):
            bcode = f"{code}-B{b}"
            codes.append(bcode)
            organisations.append(
                [f"第{s:04d}学会第{b}专业委员会", "", code, KINDS[1], bcode, "", "", "", ""]
            )
    rows = []
    roles = ("秘书", "工作人员", "会员", "会员", "会员")
    for p in range(people):
        email = f"p{p}@example.org" if p % 3 else ""
        details = [f"人员{p:05d}", f"user{p:05d}", email, f"139{p:08d}"]
        rows.append([*details, codes[p % len(codes)], roles[p % len(roles)]])
        if p % 5 == 0:
            rows.append([*details, codes[(p * 7 + 1) % len(codes)], "会员"])
    return organisations, rows


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def timed(
    label: str, work: Callable[[], Awaitable[Any]], base_mb: float
) -> tuple[Any, float]:
    logger = logging.getLogger("tortoise.db_client")
    counter = Counter()
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    started = time.perf_counter()
    try:
        result = await work()
    finally:
        logger.removeHandler(counter)
    seconds = time.perf_counter() - started
    verdict = (
        ("  goal ≤ 20 s: " + ("met" if seconds <= GOAL_SECONDS else "NOT MET"))
        if label in ("preview", "apply")
        else ""
    )
    print(
        f"  {label:<28} {seconds:7.2f} s  {counter.count:4d} statements  "
        f"peak +{peak_mb() - base_mb:6.1f} MB{verdict}",
        flush=True,
    )
    return result, seconds


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    os.environ.update(environment(data_dir, args.database_url))
    from intranet import db
    from intranet.directory.apply import Actor, apply_directory
    from intranet.directory.plan import WHOLE_SITE, load_state, make_plan
    from intranet.directory.workbook import read_file, write_workbook
    from intranet.models import Category
    from intranet.settings import load_settings

    if args.database_url:
        await empty_postgres(args.database_url)
    settings = load_settings()
    await db.migrate(settings)
    await db.init(settings)
    try:
        await Category.create(name="理科类", sort_order=1)
        await Category.create(name="工科类", sort_order=2)
        organisations, people = build_rows(args.societies, args.branches, args.people)
        path = data_dir / "directory.xlsx"
        write_workbook(path, organisations, people)
        print(
            f"{'PostgreSQL' if args.database_url else 'SQLite'}: {len(organisations)} "
            f"organisations, {args.people} people in {len(people)} rows; "
            f"file {path.stat().st_size / 1e6:.1f} MB",
            flush=True,
        )

        def raw_read() -> int:
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            cells = sum(
                len(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
            )
            book.close()
            return cells

        base = peak_mb()

        async def baseline() -> int:
            return raw_read()

        _, raw = await timed("baseline: openpyxl alone", baseline, base)

        async def read() -> Any:
            return read_file(path, path.name)

        directory, reading = await timed("read", read, base)
        print(f"  read ÷ baseline: {reading / raw:.2f}×")
        for label in ("empty directory", "same file again"):
            print(f" {label}:")

            async def preview() -> Any:
                return make_plan(directory, await load_state(), WHOLE_SITE)

            found, comparing = await timed("preview", preview, base)
            total = reading + comparing
            verdict = "met" if total <= GOAL_SECONDS else "NOT MET"
            print(f"  read + preview (the page's)  {total:7.2f} s  goal ≤ 20 s: {verdict}")
            counts = found.summary()
            assert not found.problems, found.problems[:3]

            async def apply() -> Any:
                return await apply_directory(
                    directory,
                    WHOLE_SITE,
                    Actor(None, "bench"),
                    deactivate_absent=False,
                    invitation_days=7,
                    now=datetime.now(UTC),
                )

            await timed("apply", apply, base)
            orgs = f"+{counts['new_organisations']} ={counts['unchanged_organisations']}"
            people = f"+{counts['new_people']} ={counts['unchanged_people']}"
            print(f"  organisations {orgs}, people {people}")
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an emptied PostgreSQL database (else SQLite)")
    parser.add_argument("--societies", type=int, default=500)
    parser.add_argument("--branches", type=int, default=6)
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="huibao-directory-") as folder:
        asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    main()
