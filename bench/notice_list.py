"""A member's notice list (GET /notices, 50 rows a page) with 5,000 notices and 20,000
people in the database, against a bare Jinja2 page rendering the same 50 rows from memory.

Both servers run under uvicorn (uvloop, httptools, no access log, one worker) pinned to
CPU 0; wrk (-t1, 8 connections) runs pinned to CPU 1. After a warm-up the two are
measured alternately, A/B/A/B, and the medians are compared. Goals: the list
at ≥ 0.30× the bare page's requests per second, and its p99 ≤ 3× the bare page's.

    .venv/bin/python bench/notice_list.py [--duration 20] [--rounds 3]
    .venv/bin/python bench/notice_list.py --page 20          # a later page
    .venv/bin/python bench/notice_list.py --q 学会           # a search
    .venv/bin/python bench/notice_list.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench

The data comes from bench/notice_data.py (SQLite in a temporary HUIBAO_DATA_DIR unless
--database-url). The member is signed in by a session made directly in the database
(intranet.accounts.start_session), sent as a cookie by wrk.

Run as a script it measures; imported (by uvicorn) it is the bare Jinja2 page, which
reads its 50 rows from the JSON file named by NOTICE_LIST_ROWS and pads its HTML with
NOTICE_LIST_PAD bytes of static markup so both pages are about the same size.
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
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from healthz_vs_hello import (
    Result,
    free_port,
    parse_wrk,
    server_cpu_seconds,
    stop,
    uvicorn_command,
    wait_until_up,
)
from jinja2 import DictLoader, Environment
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SERVER_CPU = "0"
CLIENT_CPU = "1"
RPS_GOAL = 0.30
P99_GOAL = 3.0
PAGE_SIZE = 50

# -- the bare page ------------------------------------------------------------------------

BARE_TEMPLATE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>通知公告</title><link rel="stylesheet" href="/static/css/huibao.css"></head>
<body>
<header><nav><a href="/">汇报</a> <a href="/notices">通知公告</a></nav></header>
{{ pad|safe }}
<main>
<h1>通知公告</h1>
<form method="get" action="/notices"><input type="search" name="q" value="{{ q }}">
<button type="submit">搜索</button></form>
<table class="notices">
<thead><tr><th>文号</th><th>标题</th><th>发文单位</th><th>日期</th></tr></thead>
<tbody>
{% for row in rows %}
<tr class="{{ 'unread' if row.unread else 'read' }}{{ ' pinned' if row.pinned else '' }}">
<td>{{ row.number }}</td>
<td>{% if row.pinned %}<span class="pin">置顶</span> {% endif %}
<a href="/notices/{{ row.id }}">{{ row.title }}</a>
{% if row.unread %} <span class="badge">未读</span>{% endif %}</td>
<td>{{ row.issuer }}</td>
<td><time datetime="{{ row.issued_on }}">{{ row.issued_on }}</time></td>
</tr>
{% endfor %}
</tbody>
</table>
<nav class="pager"><a href="/notices?page={{ page + 1 }}">下一页</a></nav>
</main>
</body>
</html>
"""

_environment = Environment(loader=DictLoader({"list.html": BARE_TEMPLATE}), autoescape=True)
_template = _environment.get_template("list.html")
_rows_file = os.environ.get("NOTICE_LIST_ROWS", "")
_ROWS = json.loads(Path(_rows_file).read_text(encoding="utf-8")) if _rows_file else []
_PAD = "<!-- " + "x" * max(0, int(os.environ.get("NOTICE_LIST_PAD", "0")) - 9) + " -->"


async def bare_list(request: Request) -> HTMLResponse:
    page = int(request.query_params.get("page", "1"))
    html = _template.render(rows=_ROWS, q=request.query_params.get("q", ""), page=page, pad=_PAD)
    return HTMLResponse(html)


app = Starlette(routes=[Route("/", bare_list), Route("/healthz", bare_list)])

# -- measuring ----------------------------------------------------------------------------


def start_padded_bare(
    app: str, env: dict[str, str], pad_variable: str, size: int
) -> tuple[subprocess.Popen[bytes], str, int]:
    """Start the bare Jinja2 page `app` padded to `size` bytes, like the page it stands
    beside: measured once unpadded by a probe server, then started with `pad_variable`
    set. Returns the server, its URL and the unpadded size."""
    probe_port = free_port()
    command = uvicorn_command(app, probe_port, factory=False, app_dir=BENCH_DIR)
    probe = subprocess.Popen(command, cwd=REPO_DIR, env=env)
    try:
        wait_until_up(f"http://127.0.0.1:{probe_port}/healthz", probe)
        bare_size = len(fetch(f"http://127.0.0.1:{probe_port}/", "")[1])
    finally:
        stop(probe)
    env[pad_variable] = str(max(0, size - bare_size))
    port = free_port()
    command = uvicorn_command(app, port, factory=False, app_dir=BENCH_DIR)
    server = subprocess.Popen(command, cwd=REPO_DIR, env=env)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
    return server, f"http://127.0.0.1:{port}/", bare_size


def fetch(url: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def notice_links(html: str) -> list[int]:
    """The distinct notices a page links to (/notices/123), in order: its rows."""
    seen: dict[int, None] = {}
    for match in re.finditer(r'href="/notices/(\d+)"', html):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


def run_wrk(
    url: str, seconds: int, connections: int, pid: int, cookie: str, timeout: int = 2
) -> Result:
    command = [
        "taskset", "-c", CLIENT_CPU,
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", f"{timeout}s", "-H", f"Cookie: {cookie}", url,
    ]  # fmt: skip
    cpu_before = server_cpu_seconds(pid)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result = parse_wrk(done.stdout)
    if result.requests:
        result.cpu_us = (server_cpu_seconds(pid) - cpu_before) / result.requests * 1e6
    return result


def measure_alternately(
    targets: dict[str, str],
    pids: dict[str, int],
    args: argparse.Namespace,
    cookie: str,
    timeout: int = 2,
) -> dict[str, list[Result]]:
    """Warm every target up, then measure them in turn, A/B/A/B, printing each run."""
    for name, url in targets.items():
        run_wrk(url, args.warmup, args.connections, pids[name], cookie, timeout)
        print(f"  warmed up {name:<6} {url}")
    results: dict[str, list[Result]] = {name: [] for name in targets}
    for round_number in range(1, args.rounds + 1):
        for name, url in targets.items():
            result = run_wrk(url, args.duration, args.connections, pids[name], cookie, timeout)
            results[name].append(result)
            errors = f"  ERRORS {result.bad}" if result.bad else ""
            print(
                f"  round {round_number}  {name:<6} {result.rps:>8.1f} req/s"
                f"  p99 {result.p99_ms:7.2f} ms"
                f"  server CPU {result.cpu_us:9.1f} µs/req{errors}"
            )
    return results


# -- where a request's time goes (--queries) ----------------------------------------------


def diagnose(
    data_dir: Path, database_url: str | None, path: str, cookie_token: str, profile: bool = False
) -> None:
    """In-process: the SQL one GET runs (each timed alone, with its plan), and the server
    CPU time per request without sockets (median and best of 40 after a warm-up); with
    `profile`, the functions 200 more requests spent their own time in (cProfile)."""
    import asyncio

    import httpx
    from notice_data import environment

    os.environ.update(environment(data_dir, database_url))
    sys.path.insert(0, str(REPO_DIR))
    from tortoise import connections

    from intranet.app import create_app
    from intranet.settings import load_settings

    log: list[tuple[str, list]] = []

    async def run() -> None:
        app = create_app(load_settings())
        async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
            client_class = type(connections.get("default"))
            originals = {
                name: getattr(client_class, name)
                for name in ("execute_query", "execute_query_dict")
            }

            def logged(original):  # type: ignore[no-untyped-def]
                async def execute(self, query, values=None):  # type: ignore[no-untyped-def]
                    log.append((query, list(values or [])))
                    return await original(self, query, values)

                return execute

            transport = httpx.ASGITransport(app=app)
            cookies = {"huibao_session": cookie_token, "huibao_visitor": "bench-visitor"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1", cookies=cookies
            ) as client:
                for _ in range(5):
                    response = await client.get(path)
                for name, original in originals.items():
                    setattr(client_class, name, logged(original))
                await client.get(path)
                for name, original in originals.items():
                    setattr(client_class, name, original)
                cpu = []
                for _ in range(40):
                    started = time.process_time()
                    await client.get(path)
                    cpu.append((time.process_time() - started) * 1000)
                if profile:
                    await profiled(client, path)
            print(f"GET {path} in-process: {response.status_code}, {len(response.content):,} "
                  f"bytes, {len(log)} SQL statements, server CPU per request "
                  f"{statistics.median(cpu):.2f} ms (median of 40), "
                  f"{min(cpu):.2f} ms (best)")  # fmt: skip
            connection = connections.get("default")
            sqlite = database_url is None
            for number, (query, values) in enumerate(log, start=1):
                runs = []
                for _ in range(20):
                    started = time.perf_counter()
                    await connection.execute_query(query, values)
                    runs.append((time.perf_counter() - started) * 1000)
                explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
                _, plan = await connection.execute_query(explain + query, values)
                lines = [row["detail"] if sqlite else row["QUERY PLAN"] for row in plan]
                print(f"\n{number}. {statistics.median(runs):.2f} ms (median of 20, alone)")
                print("   " + (query if len(query) < 600 else query[:600] + " ..."))
                print("   plan: " + "\n         ".join(lines))

    asyncio.run(run())


async def profiled(client, path: str) -> None:  # type: ignore[no-untyped-def]
    """Where 200 requests spend their own time, the 25 dearest functions first."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        await client.get(path)
    profiler.disable()
    print("\nprofile of 200 requests (own time, the 25 dearest functions):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> int:
    from healthz_vs_hello import load_average
    from notice_data import ROWS_FILE, describe, environment, generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run (20)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (3)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per app (5)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--page", "--pages", type=int, default=1, help="list page (1)")
    parser.add_argument("--q", default="", help="a search, e.g. 学会")
    parser.add_argument("--database-url", help="PostgreSQL (emptied first), e.g. "
                        "postgres://postgres@127.0.0.1:5432/huibao_bench")  # fmt: skip
    parser.add_argument("--check", action="store_true", help="build, check the page, no wrk")
    parser.add_argument(
        "--queries",
        action="store_true",
        help="no wrk: the SQL the page runs, each timed with its plan, and CPU per request",
    )
    parser.add_argument(
        "--profile", action="store_true", help="with --queries: cProfile's dearest functions"
    )
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: temporary)")
    args = parser.parse_args()

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install wrk util-linux)")
    if not {0, 1} <= os.sched_getaffinity(0):
        raise SystemExit("needs at least 2 CPUs: servers on CPU 0, wrk on CPU 1")

    query = {"page": str(args.page)} if args.page != 1 else {}
    if args.q:
        query["q"] = args.q
    path = "/notices" + ("?" + urllib.parse.urlencode(query) if query else "")

    servers: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as temporary:
        data_dir = args.data_dir.resolve() if args.data_dir else Path(temporary)
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            data = generate(data_dir, args.database_url)
            print(describe(data))
            database = "PostgreSQL" if args.database_url else "SQLite"

            site_port = free_port()
            servers.append(
                subprocess.Popen(
                    uvicorn_command(
                        "intranet.app:create_app", site_port, factory=True, app_dir=REPO_DIR
                    ),
                    cwd=REPO_DIR,
                    env=environment(data_dir, args.database_url),
                )
            )
            wait_until_up(f"http://127.0.0.1:{site_port}/healthz", servers[0])
            site_url = f"http://127.0.0.1:{site_port}{path}"
            status, body = fetch(site_url, data.cookie)
            html = body.decode("utf-8", "replace")
            rows = notice_links(html)
            print(f"GET {path} as {data.member_username}: {status}, {len(body):,} bytes, "
                  f"{len(rows)} notices linked")  # fmt: skip
            if status != 200 or not (rows or args.q):
                print("the list page is not ready (no 200 with notice rows); nothing measured")
                return 2
            if args.page == 1 and not args.q and len(rows) != PAGE_SIZE:
                print(f"warning: expected {PAGE_SIZE} rows on page 1, found {len(rows)}")

            bare_env = dict(os.environ)
            bare_env["NOTICE_LIST_ROWS"] = str(data_dir / ROWS_FILE)
            bare_env["NOTICE_LIST_PAD"] = "0"
            bare, bare_url, bare_size = start_padded_bare(
                "notice_list:app", bare_env, "NOTICE_LIST_PAD", len(body)
            )
            servers.append(bare)
            bare_body = fetch(bare_url, "")[1]
            print(f"bare Jinja2 page: {len(bare_body):,} bytes, "
                  f"{len(notice_links(bare_body.decode()))} rows "
                  f"({bare_size:,} bytes before padding)")  # fmt: skip
            if args.check:
                return 0
            if args.queries:
                stop(servers.pop(1))
                stop(servers.pop(0))
                diagnose(data_dir, args.database_url, path, data.session_token, args.profile)
                return 0

            targets = {"bare": bare_url, "list": site_url}
            pids = {"list": servers[0].pid, "bare": servers[1].pid}
            print(f"load average before: {load_average()}")
            print(
                f"uvicorn (uvloop, httptools, 1 worker) on CPU {SERVER_CPU}; "
                f"wrk -t1 -c{args.connections} on CPU {CLIENT_CPU}; "
                f"{args.rounds} rounds x {args.duration} s, warm-up {args.warmup} s each; "
                f"{database}"
            )
            results = measure_alternately(targets, pids, args, data.cookie)
        finally:
            for server in servers:
                stop(server)

    rps = {name: statistics.median(r.rps for r in runs) for name, runs in results.items()}
    p99 = {name: statistics.median(r.p99_ms for r in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(r.cpu_us for r in runs) for name, runs in results.items()}
    print()
    labels = {
        "bare": f"bare Jinja2 page, 50 rows from memory ({len(bare_body):,} B)",
        "list": f"GET {path} ({database}, {len(body):,} B)",
    }
    width = max(len(label) for label in labels.values())
    for name, label in labels.items():
        print(
            f"{label:<{width}}  median {rps[name]:>7.0f} req/s  p99 {p99[name]:7.2f} ms"
            f"  server CPU {cpu[name]:7.1f} µs/req"
        )
    rps_ratio = rps["list"] / rps["bare"]
    p99_ratio = p99["list"] / p99["bare"]
    print(
        f"req/s ratio (list ÷ bare): {rps_ratio:.2f}  goal ≥ {RPS_GOAL:.2f}  "
        f"{'PASS' if rps_ratio >= RPS_GOAL else 'FAIL'}"
    )
    print(
        f"p99 ratio   (list ÷ bare): {p99_ratio:.2f}  goal ≤ {P99_GOAL:.2f}  "
        f"{'PASS' if p99_ratio <= P99_GOAL else 'FAIL'}"
    )
    print(f"  by server CPU per request (bare ÷ list): {cpu['bare'] / cpu['list']:.2f}")
    print(f"load average after: {load_average()} (other work on CPU 0/1 skews the figures)")
    if any(r.bad for runs in results.values() for r in runs):
        print("warning: some requests failed (see ERRORS above); the figures are suspect")
    return 0


if __name__ == "__main__":
    sys.exit(main())
