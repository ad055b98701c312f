"""A round's report page (GET /reports/rounds/{id}/totals as staff) for 200 societies ×
the weekly form, with 52 rounds of history in the database, against a bare Jinja2 page
rendering the same table from memory, padded to the same size.

Both servers run under uvicorn (uvloop, httptools, no access log, one worker) pinned to
CPU 0; wrk (-t1, 8 connections) runs pinned to CPU 1. After a warm-up the two are
measured alternately, A/B/A/B, and the medians are compared. Goal: the report
page at ≥ 0.25× the bare page's requests per second.

    .venv/bin/python bench/report_page.py [--duration 10] [--rounds 3] [--number 51]
    .venv/bin/python bench/report_page.py --where     # no wrk: where a request's time goes
    .venv/bin/python bench/report_page.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench

The data comes from bench/survey_data.py (SQLite in a temporary HUIBAO_DATA_DIR unless
--database-url); round 51 is closed with all 200 societies submitted. The staff member
signs in through /login; wrk sends the session cookie.

Run as a script it measures; imported (by uvicorn) it is the bare Jinja2 page, which
reads the table (the report page's own cells, taken from its HTML) from the JSON file
named by REPORT_PAGE_ROWS and pads its HTML with REPORT_PAGE_PAD bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path
from typing import Any

from healthz_vs_hello import (
    CLIENT_CPU,
    SERVER_CPU,
    free_port,
    load_average,
    stop,
    uvicorn_command,
    wait_until_up,
)
from jinja2 import DictLoader, Environment
from notice_list import measure_alternately, start_padded_bare
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RPS_GOAL = 0.25

# -- the bare page ------------------------------------------------------------------------

BARE_TEMPLATE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>汇总</title><link rel="stylesheet" href="/static/css/huibao.css"></head>
<body>
<header><nav><a href="/">汇报</a> <a href="/surveys/campaigns">填报任务</a></nav></header>
{{ pad|safe }}
<main>
<h1>{{ title }}</h1>
<div class="table-scroll"><table class="report-totals">
<thead><tr>{% for label in head %}<th scope="col">{{ label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}
<tr class="{{ 'counted' if row[1] else 'missing' }}">
{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
<tfoot><tr>{% for cell in total %}<th>{{ cell }}</th>{% endfor %}</tr></tfoot>
</table></div>
</main>
</body>
</html>
"""

_environment = Environment(loader=DictLoader({"page.html": BARE_TEMPLATE}), autoescape=True)
_template = _environment.get_template("page.html")
_rows_file = os.environ.get("REPORT_PAGE_ROWS", "")
_TABLE: dict[str, Any] = (
    json.loads(Path(_rows_file).read_text(encoding="utf-8"))
    if _rows_file
    else {"head": [], "rows": [], "total": []}
)
_PAD = "<!-- " + "x" * max(0, int(os.environ.get("REPORT_PAGE_PAD", "0")) - 9) + " -->"


async def bare_page(request: Request) -> HTMLResponse:
    html = _template.render(title="第51期 汇总", pad=_PAD, **_TABLE)
    return HTMLResponse(html)


app = Starlette(routes=[Route("/", bare_page), Route("/healthz", bare_page)])

# -- the report page's table, for the bare page -------------------------------------------


def cells(html: str, tag: str) -> list[str]:
    found = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def totals_table(html: str) -> dict[str, Any]:
    """The first table of the page (the totals): header cells, body rows, footer."""
    table = re.search(r"<table\b.*?</table>", html, re.S)
    if table is None:
        raise SystemExit("no table on the report page")
    text = table.group(0)
    head = re.search(r"<thead\b.*?</thead>", text, re.S)
    body = re.search(r"<tbody\b.*?</tbody>", text, re.S)
    foot = re.search(r"<tfoot\b.*?</tfoot>", text, re.S)
    rows = re.findall(r"<tr\b.*?</tr>", body.group(0) if body else "", re.S)
    return {
        "head": cells(head.group(0), "th") if head else [],
        "rows": [cells(row, "t[dh]") for row in rows],
        "total": cells(foot.group(0), "t[dh]") if foot else [],
    }


# -- signing in and measuring -------------------------------------------------------------


def sign_in(base: str, username: str, password: str) -> str:
    """Sign in through GET and POST /login; the Cookie header wrk then sends."""
    import httpx

    with httpx.Client(base_url=base) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if token is None:
            raise SystemExit("no csrf_token on the login form")
        answer = client.post(
            "/login",
            data={
                "username": username,
                "password": password,
                "csrf_token": unescape(token.group(1)),
                "next": "/profile",
            },
        )
        if answer.status_code != 303 or "huibao_session" not in client.cookies:
            raise SystemExit(f"sign-in as {username} failed: {answer.status_code}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def fetch(url: str, cookie: str) -> tuple[int, str]:
    import httpx

    answer = httpx.get(url, headers={"Cookie": cookie}, timeout=60)
    return answer.status_code, answer.text


# -- where a request's time goes (--where) ------------------------------------------------


def where(env: dict[str, str], round_id: int) -> None:
    """In-process, no sockets: the report's parts timed alone (median of 20 after a
    warm-up): the totals with stored figures, the same with the figures made afresh,
    the charts, and the whole page through the ASGI app."""
    import asyncio

    os.environ.update(env)
    sys.path.insert(0, str(REPO_DIR))

    async def run() -> Any:
        from surveys import totals
        from surveys.models import RoundFigures
        from surveys.views import reports

        async def timed(label: str, make: Any, before: Any = None) -> None:
            runs = []
            for number in range(25):
                if before is not None:
                    await before()
                started = time.perf_counter()
                await make()
                if number >= 5:
                    runs.append((time.perf_counter() - started) * 1000)
            print(f"  {label:<58} {statistics.median(runs):8.2f} ms")

        async def forget() -> None:
            await RoundFigures.all().delete()

        result = await totals.round_totals(round_id)

        async def charts() -> None:
            reports.round_charts(result)

        print(f"round {round_id}: {len(result.rows)} rows, {len(result.columns)} columns")
        await timed("round_totals (stored figures)", lambda: totals.round_totals(round_id))
        await timed(
            "round_totals (figures made afresh: GROUP BY over the round)",
            lambda: totals.round_totals(round_id),
            forget,
        )
        await timed(
            "campaign_trend, 52 rounds (stored figures)",
            lambda: totals.campaign_trend(result.round.campaign_id),  # type: ignore[attr-defined]
        )
        await timed(
            "campaign_trend, 52 rounds (every round's figures made afresh)",
            lambda: totals.campaign_trend(result.round.campaign_id),  # type: ignore[attr-defined]
            forget,
        )
        await timed("charts (SVG) of the round", charts)
        return result

    async def page(client: Any) -> None:
        answer = await client.get(f"/reports/rounds/{round_id}/totals")
        assert answer.status_code == 200, answer.status_code

    async def main() -> None:
        import httpx
        from notice_data import PASSWORD
        from survey_data import STAFF_USERNAME

        from intranet.app import create_app
        from intranet.settings import load_settings

        app = create_app(load_settings())
        async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
            await run()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                login = await client.get("/login")
                token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
                assert token is not None
                await client.post(
                    "/login",
                    data={
                        "username": STAFF_USERNAME,
                        "password": PASSWORD,
                        "csrf_token": unescape(token.group(1)),
                        "next": "/profile",
                    },
                )
                runs = []
                for number in range(25):
                    started = time.perf_counter()
                    await page(client)
                    if number >= 5:
                        runs.append((time.perf_counter() - started) * 1000)
                label = "the whole page through the app (ASGI, no socket)"
                print(f"  {label:<58} {statistics.median(runs):8.2f} ms")
                await profile_page(client, page)

    asyncio.run(main())


async def profile_page(client: Any, page: Any) -> None:
    """The page's own functions (and Jinja2's) with the most cumulative time, 10 views."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        await page(client)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(r"(surveys|intranet|jinja2|starlette/templating)", 25)


def main() -> int:
    from notice_data import PASSWORD, environment
    from survey_data import STAFF_USERNAME, describe, generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (3)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per app (3)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--number", type=int, default=51, help="the round shown (51)")
    parser.add_argument("--database-url", help="PostgreSQL (emptied first), e.g. "
                        "postgres://postgres@127.0.0.1:5432/huibao_bench")  # fmt: skip
    parser.add_argument("--where", action="store_true", help="no wrk: time the parts")
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: temporary)")
    args = parser.parse_args()

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install wrk util-linux)")
    if not {0, 1} <= os.sched_getaffinity(0):
        raise SystemExit("needs at least 2 CPUs: servers on CPU 0, wrk on CPU 1")

    servers: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as temporary:
        data_dir = args.data_dir.resolve() if args.data_dir else Path(temporary)
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            data = generate(data_dir, args.database_url)
            print(describe(data))
            env = environment(data_dir, args.database_url)
            database = "PostgreSQL" if args.database_url else "SQLite"
            # survey_data numbers the rounds' ids 1..52 in order.
            round_id = data.round_id - (52 - args.number)
            if args.where:
                where(env, round_id)
                return 0

            site_port = free_port()
            servers.append(
                subprocess.Popen(
                    uvicorn_command(
                        "intranet.app:create_app", site_port, factory=True, app_dir=REPO_DIR
                    ),
                    cwd=REPO_DIR,
                    env=env,
                )
            )
            wait_until_up(f"http://127.0.0.1:{site_port}/healthz", servers[0])
            base = f"http://127.0.0.1:{site_port}"
            cookie = sign_in(base, STAFF_USERNAME, PASSWORD)
            site_url = f"{base}/reports/rounds/{round_id}/totals"
            started = time.perf_counter()
            status, html = fetch(site_url, cookie)
            first_ms = (time.perf_counter() - started) * 1000
            table = totals_table(html)
            size = len(html.encode())
            print(
                f"GET /reports/rounds/{round_id}/totals as {STAFF_USERNAME}: {status}, "
                f"{size:,} bytes, {len(table['rows'])} rows x {len(table['head'])} columns; "
                f"first view (figures made and stored) {first_ms:.0f} ms"
            )
            if status != 200 or len(table["rows"]) < 200:
                print("the report page is not ready (no 200 with 200 rows); nothing measured")
                return 2

            rows_file = data_dir / "report_page_rows.json"
            rows_file.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
            bare_env = dict(os.environ, REPORT_PAGE_ROWS=str(rows_file), REPORT_PAGE_PAD="0")
            bare, bare_url, bare_size = start_padded_bare(
                "report_page:app", bare_env, "REPORT_PAGE_PAD", size
            )
            servers.append(bare)
            bare_bytes = len(fetch(bare_url, "")[1].encode())
            print(f"bare Jinja2 page: {bare_bytes:,} bytes ({bare_size:,} before padding)")

            targets = {"bare": bare_url, "report": site_url}
            pids = {"report": servers[0].pid, "bare": servers[1].pid}
            print(f"load average before: {load_average()}")
            print(
                f"uvicorn (uvloop, httptools, 1 worker) on CPU {SERVER_CPU}; "
                f"wrk -t1 -c{args.connections} on CPU {CLIENT_CPU}; "
                f"{args.rounds} rounds x {args.duration} s, warm-up {args.warmup} s each; "
                f"{database}"
            )
            # A 278 KB page under load may take seconds: wrk's default 2 s would drop it.
            results = measure_alternately(targets, pids, args, cookie, timeout=30)
        finally:
            for server in servers:
                stop(server)

    rps = {name: statistics.median(r.rps for r in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(r.cpu_us for r in runs) for name, runs in results.items()}
    print()
    for name in targets:
        print(
            f"{name:<6} median {rps[name]:>8.1f} req/s  server CPU {cpu[name] / 1000:7.2f} ms/req"
        )
    ratio = rps["report"] / rps["bare"]
    verdict = "PASS" if ratio >= RPS_GOAL else "FAIL"
    print(f"req/s ratio (report ÷ bare): {ratio:.2f}×  goal ≥ {RPS_GOAL:.2f}×  {verdict}")
    print(f"load average after: {load_average()} (other work on CPU 0/1 skews the figures)")
    if any(r.bad for runs in results.values() for r in runs):
        print("warning: some requests failed (see ERRORS above); the figures are suspect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
