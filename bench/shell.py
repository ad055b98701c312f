"""What the signed-in shell costs: the server CPU time of a signed-in 404, the cheapest
page a signed-in person can get (session, roles, base.html and its menu, no content).

    .venv/bin/python bench/shell.py [--requests 3200] [--repeats 5] [--data-dir DIR]
    .venv/bin/python bench/shell.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench
    .venv/bin/python bench/shell.py --profile     # cProfile's top lines for the signed-in 404

Builds bench/notice_data.py's data (20,000 people in 200 societies, 5,000 notices; kept
and reused with --data-dir) and adds 100,000 sessions of other people, live and expired,
so that finding one session is an index lookup in a big table. The benchmark member
(`bench-member`) is signed in by a session made in the database. Requests go through
uvicorn's HTTP protocol in-process, as in bench/layers.py (32 connections, no sockets):
best of --repeats runs of --requests requests, after a warm-up, for

- `GET /no/such/page` signed in (the goal: at most 0.4 ms of server CPU a request),
- the same signed out (with the visitor cookie a browser sends back),
- a bare Starlette "hello", the floor of uvicorn and Starlette themselves.

With a PostgreSQL database the server's own CPU is not counted (another process).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

import uvloop  # noqa: E402
from layers import cpu_per_request  # noqa: E402
from notice_data import INFO_FILE, BenchData, environment, generate  # noqa: E402

GOAL_MS = 0.4
OTHER_SESSIONS = 100_000
NOT_FOUND = "/no/such/page"


def bench_data(data_dir: Path, database_url: str | None) -> BenchData:
    """The notice benchmarks' data in `data_dir`, built unless it is there already."""
    info = data_dir / INFO_FILE
    if info.exists():
        data = BenchData(**json.loads(info.read_text(encoding="utf-8")))
        if (database_url or "sqlite") in data.database_url or database_url == data.database_url:
            return data
    print("building the data (20,000 people, 5,000 notices) ...", flush=True)
    return generate(data_dir, database_url)


async def add_sessions(member_id: int) -> None:
    """Other people's sessions, a third of them expired, until there are OTHER_SESSIONS."""
    from tortoise import timezone

    from intranet.models import User, UserSession
    from intranet.security import token_hash

    have = await UserSession.all().count()
    if have >= OTHER_SESSIONS:
        return
    people = await User.exclude(id=member_id).values_list("id", flat=True)
    now = timezone.now()
    rows = []
    for number in range(OTHER_SESSIONS - have):
        age = timedelta(days=number % 45, minutes=number % 600)
        rows.append(
            UserSession(
                key_hash=token_hash(secrets.token_urlsafe(32)),
                user_id=people[number % len(people)],
                created_at=now - age,
                last_seen_at=now - age,
                expires_at=now - age + timedelta(days=30),
                ip="10.0.0.1",
                user_agent="Mozilla/5.0",
                remembered=number % 2 == 0,
            )
        )
    await UserSession.bulk_create(rows, batch_size=2000)


async def measure(args: argparse.Namespace, data: BenchData) -> dict[str, float]:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from tortoise import connections

    from intranet import db
    from intranet.app import create_app
    from intranet.settings import load_settings

    settings = load_settings()
    await db.init(settings)
    try:
        await add_sessions(data.member_id)
        await connections.get("default").execute_script("ANALYZE")

        async def hello(request: Any) -> PlainTextResponse:
            return PlainTextResponse("ok")

        bare = Starlette(routes=[Route("/", hello)])
        site = create_app(settings, manage_database=False)
        signed_in = f"Cookie: huibao_session={data.session_token}; huibao_visitor=bench\r\n"
        signed_out = "Cookie: huibao_visitor=bench-visitor\r\n"
        async with site.router.lifespan_context(site):
            if args.profile:
                await profile(site, signed_in, args.requests)
                return {}
            cases = {
                "signed-in 404": (site, NOT_FOUND, signed_in),
                "signed-out 404": (site, NOT_FOUND, signed_out),
                "bare hello": (bare, "/", ""),
            }
            results: dict[str, float] = {name: float("inf") for name in cases}
            for _ in range(2):  # alternately, twice
                for name, (app, path, headers) in cases.items():
                    micros = await cpu_per_request(app, path, args.requests, args.repeats, headers)
                    results[name] = min(results[name], micros / 1000)
            return results
    finally:
        await db.close()


async def profile(site: Any, headers: str, requests: int) -> None:
    await cpu_per_request(site, NOT_FOUND, requests, 1, headers)  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    await cpu_per_request(site, NOT_FOUND, requests, 1, headers)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, help="keep the data here, and reuse it")
    parser.add_argument("--database-url", help="PostgreSQL instead of SQLite (see notice_data)")
    parser.add_argument("--profile", action="store_true", help="cProfile a signed-in 404 run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as temporary:
        data_dir = (args.data_dir or Path(temporary)).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        data = bench_data(data_dir, args.database_url)
        os.environ.update(environment(data_dir, args.database_url))
        os.environ["HUIBAO_SCHEDULER"] = "0"
        results = uvloop.run(measure(args, data))
    if not results:
        return 0
    hello = results["bare hello"]
    for name, ms in results.items():
        print(f"{name:<16} {ms:6.3f} ms/request   {ms / hello:5.1f}× bare hello")
    verdict = "PASS" if results["signed-in 404"] <= GOAL_MS else "FAIL"
    print(f"signed-in 404: {results['signed-in 404']:.3f} ms, goal ≤ {GOAL_MS} ms  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
