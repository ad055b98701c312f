"""How the notice list should search number, title and body (Chinese, so substrings):
LIKE, SQLite FTS5 trigram, PostgreSQL ILIKE with and without a pg_trgm GIN index.

    .venv/bin/python bench/notice_search.py [--repeats 30] [--no-postgres]
        [--database-url postgres://postgres@127.0.0.1:5432/huibao_bench]

On the data of bench/notice_data.py (5,000 notices, 20,000 people), each query runs with
the benchmark member's visibility filter, as the list applies it (intranet.notices.
audience.readable_notices: addressed to the member's society with scope "everyone", or
public; published), and costs what one list page costs: a COUNT(*) for the pager and the
first 50 ids in list order. Timed in-process with the driver directly (sqlite3, asyncpg),
after two warm-up runs; the table shows the median and 95th percentile in milliseconds.

Methods:
  SQLite  icontains   what Tortoise emits for search_text__icontains:
                      UPPER(CAST(search_text AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'
          LIKE        search_text LIKE ? ESCAPE '\\' (SQLite's LIKE already ignores ASCII case)
          instr       instr(search_text, ?) > 0 (case-sensitive)
          fts5        an external-content FTS5 table (tokenize='trigram'): MATCH for 3+
                      characters; fewer than 3 cannot use the index, so they fall back to LIKE
          fts5 LIKE   LIKE on the FTS5 table's column (the trigram index serves LIKE too,
                      for 3+ characters)
  PG      icontains   Tortoise's form, no index
          ILIKE       search_text ILIKE $n, no index
          ILIKE+trgm  the same with a GIN (search_text gin_trgm_ops) index
          icont.+trgm Tortoise's form with a GIN index on the expression it filters on,
                      (UPPER(search_text::varchar) gin_trgm_ops)

Every method must return the same notices as a plain Python substring test over the
member's readable notices; mismatches are printed. The PostgreSQL database is emptied
and refilled (its name must contain "bench").
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from notice_data import generate  # noqa: E402

PG_URL = "postgres://postgres@127.0.0.1:5432/huibao_bench"
QUERIES = ("学会", "科普", "值班", "网上值班", "专家储备", "科学技术协会", "辽科协发〔2020〕3号")
NO_SEARCH = "(none)"
ORDER = 'ORDER BY "pinned" DESC, "published_at" DESC, "id" DESC'

# The visibility filter readable_notices() gives a member of one society (no acting
# role): the same shape Tortoise emits, written out with placeholders {p} for the driver.
VISIBLE = (
    '("id" IN (SELECT "notice_id" FROM "notice_audience" '
    'WHERE "organisation_id" IN ({p}) AND "scope"={p}) OR "is_public"={p}) AND "state"={p}'
)


def like_pattern(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(q: str) -> str:
    return '"' + q.replace('"', '""') + '"'


class Timings:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, tuple[float, float, int]]] = {}
        self.mismatches: list[str] = []
        self.notes: dict[str, str] = {}

    def add(self, method: str, query: str, runs: list[float], found: int) -> None:
        runs = sorted(runs)
        p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
        self.rows.setdefault(method, {})[query] = (statistics.median(runs), p95, found)

    def check(self, method: str, query: str, got: set[int], expected: set[int]) -> None:
        if got != expected:
            self.mismatches.append(
                f"{method:<12} {query}: {len(got)} ids, expected {len(expected)} "
                f"(missing {sorted(expected - got)[:5]}, extra {sorted(got - expected)[:5]})"
            )


def time_runs(run: Callable[[], Any], repeats: int) -> list[float]:
    for _ in range(2):
        run()
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        runs.append((time.perf_counter() - started) * 1000)
    return runs


# -- SQLite -------------------------------------------------------------------------------


def sqlite_bench(path: Path, society_id: int, repeats: int, timings: Timings) -> None:
    db = sqlite3.connect(path)
    visible = VISIBLE.format(p="?")
    visible_params = [society_id, "everyone", 1, "published"]
    readable = dict(db.execute(f'SELECT "id", "search_text" FROM "notice" WHERE {visible}',
                               visible_params).fetchall())  # fmt: skip

    def expected(q: str) -> set[int]:
        if q == NO_SEARCH:
            return set(readable)
        return {i for i, text in readable.items() if q.casefold() in text.casefold()}

    # FTS5 with the trigram tokenizer, kept outside the notice table (content=notice).
    pages_before = db.execute("PRAGMA page_count").fetchone()[0]
    started = time.perf_counter()
    db.executescript(
        "CREATE VIRTUAL TABLE notice_fts USING fts5(search_text, content='notice', "
        "content_rowid='id', tokenize='trigram');"
        "INSERT INTO notice_fts(notice_fts) VALUES ('rebuild');"
    )
    built = time.perf_counter() - started
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    grown = (db.execute("PRAGMA page_count").fetchone()[0] - pages_before) * page_size
    text_bytes = db.execute(
        'SELECT sum(length(CAST("search_text" AS BLOB))) FROM notice'
    ).fetchone()[0]
    timings.notes["fts5"] = (
        f"FTS5 trigram index over {text_bytes / 1e6:.1f} MB of search_text: built in "
        f"{built:.2f} s, {grown / 1e6:.1f} MB on disk"
    )

    def fts_where(q: str) -> tuple[str, list[Any]]:
        if len(q) >= 3:
            return '"id" IN (SELECT rowid FROM notice_fts WHERE notice_fts MATCH ?)', [
                fts_phrase(q)
            ]
        return like, [like_pattern(q)]

    like = "\"search_text\" LIKE ? ESCAPE '\\'"
    methods: dict[str, Callable[[str], tuple[str, list[Any]]]] = {
        "icontains": lambda q: (
            "UPPER(CAST(\"search_text\" AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'",
            [like_pattern(q)],
        ),
        "contains": lambda q: (
            "CAST(\"search_text\" AS VARCHAR) LIKE ? ESCAPE '\\'",
            [like_pattern(q)],
        ),
        "LIKE": lambda q: (like, [like_pattern(q)]),
        "instr": lambda q: ('instr("search_text", ?) > 0', [q]),
        "fts5": fts_where,
        # With an ESCAPE clause FTS5 does not use the trigram index for LIKE: the query's
        # own % and _ are dropped instead of escaped.
        "fts5 LIKE": lambda q: (
            '"id" IN (SELECT rowid FROM notice_fts WHERE search_text LIKE ?)',
            ["%" + q.replace("%", "").replace("_", "") + "%"],
        ),
    }
    plans: dict[str, str] = {}
    for method, where_of in {"list": lambda q: ("1=1", []), **methods}.items():
        for q in (NO_SEARCH,) if method == "list" else QUERIES:
            where, params = where_of(q)
            sql_where = f"{visible} AND {where}"
            all_params = visible_params + params
            count_sql = f'SELECT COUNT(*) FROM "notice" WHERE {sql_where}'
            page_sql = f'SELECT "id" FROM "notice" WHERE {sql_where} {ORDER} LIMIT 50'

            def run(count_sql: str = count_sql, page_sql: str = page_sql,
                    all_params: list[Any] = all_params) -> None:  # fmt: skip
                db.execute(count_sql, all_params).fetchone()
                db.execute(page_sql, all_params).fetchall()

            got = {row[0] for row in db.execute(
                f'SELECT "id" FROM "notice" WHERE {sql_where}', all_params)}  # fmt: skip
            timings.check(f"sqlite {method}", q, got, expected(q))
            timings.add(f"sqlite {method}", q, time_runs(run, repeats), len(got))
            if q in ("值班", "科学技术协会", NO_SEARCH) and method in ("list", "LIKE", "fts5"):
                plan = db.execute(f"EXPLAIN QUERY PLAN {count_sql}", all_params).fetchall()
                plans[f"{method} {q}"] = " / ".join(row[-1] for row in plan)
    timings.notes["sqlite plans"] = "\n".join(f"    {k}: {v}" for k, v in plans.items())
    db.close()


# -- PostgreSQL ---------------------------------------------------------------------------


async def postgres_bench(url: str, society_id: int, repeats: int, timings: Timings) -> None:
    import asyncpg

    db = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        visible = VISIBLE.format(p="{}").format("$1", "$2", "$3", "$4")
        visible_params: list[Any] = [society_id, "everyone", True, "published"]
        rows = await db.fetch(f'SELECT "id", "search_text" FROM "notice" WHERE {visible}',
                              *visible_params)  # fmt: skip
        readable = {row[0]: row[1] for row in rows}

        def expected(q: str) -> set[int]:
            if q == NO_SEARCH:
                return set(readable)
            return {i for i, text in readable.items() if q.casefold() in text.casefold()}

        icontains = "UPPER(CAST(\"search_text\" AS VARCHAR)) LIKE UPPER($5) ESCAPE '\\'"
        contains = "CAST(\"search_text\" AS VARCHAR) LIKE $5 ESCAPE '\\'"
        ilike = '"search_text" ILIKE $5'
        plans: dict[str, list[str]] = {}

        async def measure(method: str, where: str, explain: bool = False) -> None:
            for q in (NO_SEARCH,) if method == "list" else QUERIES:
                sql_where = visible
                params = list(visible_params)
                if q != NO_SEARCH:
                    sql_where = f"{visible} AND {where}"
                    params.append(like_pattern(q))
                count_sql = f'SELECT COUNT(*) FROM "notice" WHERE {sql_where}'
                page_sql = f'SELECT "id" FROM "notice" WHERE {sql_where} {ORDER} LIMIT 50'
                got = {r[0] for r in await db.fetch(
                    f'SELECT "id" FROM "notice" WHERE {sql_where}', *params)}  # fmt: skip
                timings.check(f"pg {method}", q, got, expected(q))
                for _ in range(2):
                    await db.fetchval(count_sql, *params)
                    await db.fetch(page_sql, *params)
                runs = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    await db.fetchval(count_sql, *params)
                    await db.fetch(page_sql, *params)
                    runs.append((time.perf_counter() - started) * 1000)
                timings.add(f"pg {method}", q, runs, len(got))
                if explain:
                    plan = await db.fetch(f"EXPLAIN {count_sql}", *params)
                    used = any("notice_trgm" in r[0] for r in plan)
                    plans.setdefault(method, []).append(f"{q} {'yes' if used else 'no'}")

        await measure("list", "")
        await measure("icontains", icontains)
        await measure("contains", contains)
        await measure("ILIKE", ilike)
        started = time.perf_counter()
        await db.execute(
            'CREATE INDEX notice_trgm ON "notice" USING gin ("search_text" gin_trgm_ops)'
        )
        built = time.perf_counter() - started
        size = await db.fetchval("SELECT pg_relation_size('notice_trgm')")
        await db.execute("ANALYZE notice")
        timings.notes["pg trgm"] = (
            f"pg_trgm GIN index on search_text: built in {built:.2f} s, {size / 1e6:.1f} MB"
        )
        await measure("ILIKE+trgm", ilike, explain=True)
        await measure("contains+trgm", contains, explain=True)
        await db.execute("DROP INDEX notice_trgm")
        await db.execute(
            'CREATE INDEX notice_trgm_upper ON "notice" USING gin '
            '((UPPER(CAST("search_text" AS VARCHAR))) gin_trgm_ops)'
        )
        await db.execute("ANALYZE notice")
        await measure("icont.+trgm", icontains, explain=True)
        await db.execute("DROP INDEX notice_trgm_upper")
        timings.notes["pg plans"] = "pg_trgm index used by the planner (EXPLAIN):\n" + "\n".join(
            f"    {method}: {', '.join(uses)}" for method, uses in plans.items()
        )
    finally:
        await db.close()


# -- report -------------------------------------------------------------------------------


def print_table(timings: Timings) -> None:
    queries = (NO_SEARCH, *QUERIES)
    width = 17
    print()
    print("count + first 50 ids, member's visibility filter; median / p95 ms (rows found)")
    print(f"{'method':<18}" + "".join(f"{q:>{width}}" for q in queries))
    for method, by_query in timings.rows.items():
        cells = []
        for q in queries:
            if q in by_query:
                median, p95, _ = by_query[q]
                cells.append(f"{median:7.2f} /{p95:7.2f}")
            else:
                cells.append("")
        print(f"{method:<18}" + "".join(f"{cell:>{width}}" for cell in cells))
    found = next(iter(timings.rows.values()))
    any_method = next(m for m in timings.rows if len(timings.rows[m]) > 1)
    print(f"{'rows found':<18}" + "".join(
        f"{(timings.rows[any_method].get(q) or found.get(q) or (0, 0, ''))[2]:>{width}}"
        for q in queries))  # fmt: skip


def total(timings: Timings, method: str, queries: tuple[str, ...] = QUERIES) -> float:
    """The sum of a method's medians over the queries: what a mix of searches costs."""
    by_query = timings.rows.get(method, {})
    return sum(by_query[q][0] for q in queries if q in by_query)


def recommendation(timings: Timings) -> str:
    short = tuple(q for q in QUERIES if len(q) < 3)
    long = tuple(q for q in QUERIES if len(q) >= 3)
    number = QUERIES[-1]
    contains = timings.rows.get("sqlite contains", {})
    fts5 = timings.rows.get("sqlite fts5", {})
    worst = max(contains.values(), default=(0.0, 0.0, 0))[0]
    lines = [
        "recommendation: substring LIKE (Tortoise `contains`) on search_text stored casefolded,"
        " the words casefolded too: right for every length, one way for both databases, at"
        f" most {worst:.1f} ms a page here; no FTS5 table or pg_trgm index while this is enough.",
        f"  SQLite, sum over the {len(QUERIES)} queries: icontains "
        f"{total(timings, 'sqlite icontains'):.1f} ms, contains "
        f"{total(timings, 'sqlite contains'):.1f} ms, fts5 {total(timings, 'sqlite fts5'):.1f} ms"
        f" (2-character words: LIKE {total(timings, 'sqlite LIKE', short):.1f} ms, fts5 "
        f"{total(timings, 'sqlite fts5', short):.1f} ms; longer: LIKE "
        f"{total(timings, 'sqlite LIKE', long):.1f} ms, fts5 "
        f"{total(timings, 'sqlite fts5', long):.1f} ms, of which the document number "
        f"{contains.get(number, (0.0,))[0]:.1f} ms and {fts5.get(number, (0.0,))[0]:.1f} ms)",
    ]
    if "pg contains" in timings.rows:
        lines.append(
            f"  PostgreSQL: icontains {total(timings, 'pg icontains'):.1f} ms, contains "
            f"{total(timings, 'pg contains'):.1f} ms, ILIKE {total(timings, 'pg ILIKE'):.1f} ms, "
            f"contains+trgm {total(timings, 'pg contains+trgm'):.1f} ms (the index is never used "
            "for 2-character words)"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per query (30)")
    parser.add_argument("--database-url", default=PG_URL, help=f"PostgreSQL ({PG_URL})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    started = time.monotonic()
    timings = Timings()
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
        data = generate(Path(data_dir))
        print(f"SQLite {sqlite3.sqlite_version}: {data.readable:,} notices readable by the member "
              f"(data built in {data.seconds:.1f} s)")  # fmt: skip
        sqlite_bench(Path(data_dir) / "huibao.sqlite3", data.society_id, args.repeats, timings)
    if not args.no_postgres:
        with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
            data = generate(Path(data_dir), args.database_url)
            print(f"PostgreSQL: data built in {data.seconds:.1f} s")
            asyncio.run(postgres_bench(args.database_url, data.society_id, args.repeats, timings))

    print_table(timings)
    print()
    for name, note in timings.notes.items():
        print(f"{name}:\n{note}" if "\n" in note or note.startswith("    ") else note)
    print()
    if timings.mismatches:
        print("MISMATCHES (a method returned other notices than a substring test):")
        for line in timings.mismatches:
            print("  " + line)
    else:
        print("correctness: every method returned the same notices as a substring test")
    print(recommendation(timings))
    print(f"whole run: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
