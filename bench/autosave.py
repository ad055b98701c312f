"""Autosave of one answer (POST /reports/responses/{id}/answers/{key}) with 200 societies
and 52 weekly rounds of history, against the notice list's bare Jinja2 page of 50 rows.

    .venv/bin/python bench/autosave.py                       # SQLite, one worker
    .venv/bin/python bench/autosave.py --database-url postgres://postgres@127.0.0.1:5432/huibao_bench
                                                             # PostgreSQL, two workers
    .venv/bin/python bench/autosave.py --profile 300         # no wrk: where the time goes

The data comes from bench/survey_data.py. Eight secretaries of different societies sign
in through the real /login form and read the CSRF token from <body hx-headers>; each
wrk connection (-t8 -c8: one connection per thread) is one of them autosaving the
integer question "online_meetings" of its own round-52 draft, a new value on every
request, with `base` = the value its last 200 stored and `version` from the
X-Response-Version header, as the page's script does, so no request should be refused.
The baseline is the notice list's (bench/notice_list.py): a bare Starlette app rendering
a page of 50 notices with Jinja2 from memory, padded to the real list's 46 kB, answering
GET (no form body to read, no database), so both benchmarks' ratios compare. Both run under the same
uvicorn settings (uvloop, httptools, no access log; one worker on SQLite, two on
PostgreSQL) pinned to CPU 0; wrk runs pinned to CPU 1 with the same threads and
connections, and a Lua script that counts every non-2xx answer for both.

Goals: autosave at >= 0.6x the bare page's requests per second, its
p99 <= 3x the bare page's p99, zero errors and zero "database is locked" in the server
log. The script prints each measurement, the figures and PASS/FAIL per goal, and exits
0 (it measures; it gates nothing). It needs two CPUs; PostgreSQL itself runs unpinned.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RPS_GOAL = 0.6
P99_GOAL = 3.0
SAVE_PATH = "/reports/responses/{response_id}/answers/{key}"  # surveys:save_answer
LOCKED = "database is locked"

# -- the bare page ------------------------------------------------------------------------

# The baseline is the notice list's: bench/notice_list.py's bare Jinja2 page of 50 rows
# rendered from memory, padded to the size of the real list on its bench data, so that
# the two benchmarks' ratios compare. Its rows are made up here (the notice data is not
# built for this benchmark): 50 notices like the list's first page.
NOTICE_PAGE_BYTES = 46_473  # GET /notices, page 1, on bench/notice_data.py's data
_ISSUERS = ("省科协", "辽宁省计算机学会", "辽宁省生物医学工程学会", "省科协学会学术部")
_TITLES = (
    "关于部署{year}年团体标准工作的通知",
    "关于开展全国科普日活动的通知",
    "关于做好学会年度工作总结的通知",
    "关于推荐青年人才托举工程候选人的通知",
    "关于网上值班安排的通知",
)


def bare_rows() -> list[dict[str, Any]]:
    """50 rows as bench/notice_data.py writes the first page's: number, title, issuer,
    date, category, pinned, unread."""
    return [
        {
            "id": 5000 - n,
            "number": f"辽科协发〔2025〕{150 - n}号",
            "title": _TITLES[n % len(_TITLES)].format(year=2025),
            "issuer": _ISSUERS[n % len(_ISSUERS)],
            "issued_on": (datetime.date(2025, 10, 15) - datetime.timedelta(days=n)).isoformat(),
            "category": "announcement",
            "pinned": n < 3,
            "unread": n % 3 != 0,
        }
        for n in range(50)
    ]


def bare_page_env(env: dict[str, str], data_dir: Path) -> dict[str, str]:
    """The environment that makes notice_list:app serve that page, padded to size."""
    import notice_list  # bench/notice_list.py: its bare page

    rows = bare_rows()
    rows_file = data_dir / "bare_rows.json"
    rows_file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    unpadded = len(notice_list._template.render(rows=rows, q="", page=1, pad="").encode())
    return {
        **env,
        "NOTICE_LIST_ROWS": str(rows_file),
        "NOTICE_LIST_PAD": str(max(0, NOTICE_PAGE_BYTES - unpadded)),
    }


# -- signing in, as a browser does ---------------------------------------------------------


@dataclass
class Slot:
    """One wrk connection: a signed-in secretary and what their page last knew."""

    username: str
    response_id: int
    cookie: str
    token: str
    base: str  # the stored answer as the form encodes it ("" = no answer)
    version: str
    pending: str = ""  # a value sent when wrk stopped: perhaps saved, perhaps not


def hx_token(html: str) -> str:
    match = re.search(r"<body[^>]*\bhx-headers='([^']*)'", html)
    if match is None:
        raise SystemExit("no <body hx-headers> on the page: cannot read the CSRF token")
    return str(json.loads(unescape(match.group(1)))["X-CSRF-Token"])


def login_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise SystemExit("no csrf_token on the login form")
    return unescape(match.group(1))


async def sign_in(client: Any, username: str, password: str) -> tuple[str, str]:
    """Sign in through GET and POST /login with an httpx.AsyncClient; return the
    Cookie header and the CSRF token the pages then carry."""
    page = await client.get("/login")
    answer = await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": login_token(page.text),
            "next": "/profile",
        },
    )
    if answer.status_code != 303 or "huibao_session" not in client.cookies:
        raise SystemExit(f"sign-in as {username} failed: {answer.status_code}")
    page = await client.get("/profile")
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return cookie, hx_token(page.text)


def form_value(answer: Any) -> str:
    return "" if answer is None else str(answer)


# -- wrk scripts ----------------------------------------------------------------------------

LUA_COMMON = """
local threads = {}

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    on_ok(headers)
  else
    codes[status] = (codes[status] or 0) + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(body, 1, 300)
    end
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local parts = {}
    for code, n in pairs(thread:get("codes")) do
      table.insert(parts, code .. "=" .. n)
    end
    io.write(string.format("bench-slot %d ok=%d refused=%s base=%s version=%s pending=%s\\n",
      thread:get("slot"), thread:get("ok"), table.concat(parts, ","), thread:get("base"),
      thread:get("version"), thread:get("sent")))
    local first = thread:get("first_error")
    if first ~= "" then
      io.write("bench-error " .. thread:get("slot") .. " " .. (first:gsub("%s+", " ")) .. "\\n")
    end
  end
end
"""

LUA_AUTOSAVE = """
-- bench/autosave.py: each thread (one connection) autosaves its own response.
local slots = %(slots)s
local count = 0

function setup(thread)
  count = count + 1
  local slot = slots[count]
  thread:set("slot", count)
  thread:set("path", slot.path)
  thread:set("cookie", slot.cookie)
  thread:set("token", slot.token)
  thread:set("base", slot.base)
  thread:set("version", slot.version)
  thread:set("sent", slot.pending)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  codes = {}
  first_error = ""
  headers = {
    ["Cookie"] = cookie,
    ["X-CSRF-Token"] = token,
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
end

function request()
  -- The last run may have stopped with a save in flight: send that value again first
  -- (saved already: a repeat, answered 200; not saved: saved now).
  if sent == "" then
    sent = tostring((tonumber(base) or 0) + 1)
  end
  local body = "value=" .. sent .. "&base=" .. base .. "&version=" .. version
  return wrk.format("POST", path, headers, body)
end

function on_ok(headers)
  base = sent
  sent = ""
  version = headers["x-response-version"] or headers["X-Response-Version"] or version
end
"""

LUA_BARE = """
-- bench/autosave.py: the bare page, read with GET, answers counted as for autosave.
local count = 0

function setup(thread)
  count = count + 1
  thread:set("slot", count)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  codes = {}
  first_error = ""
  base, version, sent = "", "", ""
end

function on_ok(headers)
end
"""


def lua_string(text: str) -> str:
    """A Lua string literal: JSON's escapes, which LuaJIT reads the same for ASCII."""
    if not text.isascii():
        raise SystemExit(f"not ASCII, cannot be put in the Lua script: {text!r}")
    return json.dumps(text)


def autosave_script(slots: list[Slot], key: str) -> str:
    rows = []
    for slot in slots:
        path = SAVE_PATH.format(response_id=slot.response_id, key=key)
        fields = {
            "path": path,
            "cookie": slot.cookie,
            "token": slot.token,
            "base": slot.base,
            "version": slot.version,
            "pending": slot.pending,
        }
        rows.append("  {" + ", ".join(f"{k}={lua_string(v)}" for k, v in fields.items()) + "}")
    return LUA_COMMON + LUA_AUTOSAVE % {"slots": "{\n" + ",\n".join(rows) + "\n}"}


def read_slots(lines: list[str], slots: list[Slot]) -> tuple[int, dict[str, int], list[str]]:
    """Take the script's report: carry each slot's base, version and pending value to
    the next run; return the 2xx count, the refusals by status and the first errors."""
    ok = 0
    refused: dict[str, int] = {}
    errors = []
    for line in lines:
        if line.startswith("bench-error "):
            errors.append(line.removeprefix("bench-error "))
            continue
        found = re.match(
            r"bench-slot (\d+) ok=(\d+) refused=(\S*) base=(\S*) version=(\S*) pending=(\S*)$",
            line,
        )
        if found is None:
            continue
        ok += int(found[2])
        for part in filter(None, found[3].split(",")):
            code, count = part.split("=")
            refused[code] = refused.get(code, 0) + int(count)
        if slots:
            slot = slots[int(found[1]) - 1]
            slot.base, slot.version, slot.pending = found[4], found[5], found[6]
    return ok, refused, errors


# -- measuring ------------------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    ok: int
    refused: dict[str, int]
    socket_errors: int
    cpu_us: float

    @property
    def errors(self) -> int:
        return sum(self.refused.values()) + self.socket_errors


def measure(
    name: str,
    url: str,
    script: Path,
    server: Any,
    args: argparse.Namespace,
    seconds: int,
    slots: list[Slot],
) -> tuple[Measurement, list[str]]:
    from _serve import run_wrk_script

    result = run_wrk_script(
        url,
        script,
        seconds=seconds,
        threads=args.connections,
        connections=args.connections,
        server_pid=server.process.pid,
    )
    ok, refused, first_errors = read_slots(result.script_lines, slots)
    # wrk's own count of bad answers includes non-2xx (which the script counts by
    # status); what is left are socket errors (connect, read, write, timeout).
    socket_errors = max(0, result.bad - sum(refused.values()))
    return (
        Measurement(
            name,
            result.rps,
            result.p50_ms,
            result.p99_ms,
            result.requests,
            ok,
            refused,
            socket_errors,
            result.cpu_us,
        ),
        first_errors,
    )


def count_changes(database_url: str, response_ids: list[int], key: str) -> int:
    """AnswerChange rows of the benchmark's responses for the autosaved question."""
    ids = ",".join(str(i) for i in response_ids)
    sql = (
        "SELECT count(*) FROM survey_answer_change "
        f"WHERE question_key = '{key}' AND response_id IN ({ids})"
    )
    if database_url.startswith("sqlite://"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite://")) as connection:
            return int(connection.execute(sql).fetchone()[0])
    import asyncio

    import asyncpg

    async def run() -> int:
        connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            return int(await connection.fetchval(sql))
        finally:
            await connection.close()

    return asyncio.run(run())


def check_save(base_url: str, slot: Slot, key: str) -> tuple[int, bytes, str]:
    """One autosave, as wrk will send it; advance the slot on 200."""
    import httpx

    value = str((int(slot.base) if slot.base else 0) + 1)
    answer = httpx.post(
        base_url + SAVE_PATH.format(response_id=slot.response_id, key=key),
        data={"value": value, "base": slot.base, "version": slot.version},
        headers={"Cookie": slot.cookie, "X-CSRF-Token": slot.token, "HX-Request": "true"},
        timeout=30,
    )
    version = answer.headers.get("x-response-version", "")
    if answer.status_code == 200:
        slot.base, slot.version = value, version or slot.version
    return answer.status_code, answer.content, version


def sign_in_all(base_url: str, data: Any, count: int) -> list[Slot]:
    import asyncio

    import httpx

    async def run() -> list[Slot]:
        slots = []
        for secretary in data.secretaries[:count]:
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                cookie, token = await sign_in(client, secretary.username, data.password)
            slots.append(
                Slot(
                    secretary.username,
                    secretary.response_id,
                    cookie,
                    token,
                    form_value(secretary.answer),
                    str(secretary.version),
                )
            )
        return slots

    return asyncio.run(run())


def run_benchmark(args: argparse.Namespace, data_dir: Path) -> int:
    from _serve import start_server
    from healthz_vs_hello import load_average
    from notice_data import environment
    from survey_data import describe, generate

    database = "PostgreSQL" if args.database_url else "SQLite"
    workers = args.workers or (2 if args.database_url else 1)
    data = generate(data_dir, args.database_url)
    print(describe(data))
    if len(data.secretaries) < args.connections:
        raise SystemExit(
            f"only {len(data.secretaries)} secretaries for {args.connections} connections"
        )
    env = environment(data_dir, args.database_url)
    site = start_server(
        "intranet.app:create_app",
        factory=True,
        app_dir=REPO_DIR,
        cwd=REPO_DIR,
        env=env,
        workers=workers,
        log_path=data_dir / "site.log",
        profile_to=data_dir / "site.prof" if args.server_profile else None,
    )
    servers = [site]
    try:
        slots = sign_in_all(site.url, data, args.connections)
        print(
            f"signed in {len(slots)} secretaries through /login "
            f"({', '.join(s.username for s in slots)})"
        )
        status, body, version = check_save(site.url, slots[0], data.question)
        path = SAVE_PATH.format(response_id=slots[0].response_id, key=data.question)
        print(
            f"POST {path} as {slots[0].username}: {status}, {len(body):,} bytes, "
            f"X-Response-Version {version or '(none)'}"
        )
        if status != 200 or not version:
            print(body.decode("utf-8", "replace")[:600])
            print(
                "the autosave endpoint is not ready (no 200 with X-Response-Version); "
                "nothing measured"
            )
            return 2
        if args.show:
            print(body.decode("utf-8", "replace"))
        response_ids = [slot.response_id for slot in slots]
        changes_before = count_changes(data.database_url, response_ids, data.question)

        bare = start_server(
            "notice_list:app",
            factory=False,
            app_dir=BENCH_DIR,
            cwd=REPO_DIR,
            env=bare_page_env(env, data_dir),
            workers=workers,
            log_path=data_dir / "bare.log",
        )
        servers.append(bare)
        bare_size = len(_fetch(bare.url + "/"))
        bare_script = data_dir / "bare.lua"
        bare_script.write_text(LUA_COMMON + LUA_BARE, encoding="utf-8")
        save_script = data_dir / "autosave.lua"
        print(f"bare Jinja2 page of 50 notices (bench/notice_list.py's): {bare_size:,} bytes")
        if args.check:
            return 0

        print(f"load average before: {load_average()}")
        print(
            f"uvicorn (uvloop, httptools, {workers} worker{'s' if workers > 1 else ''}) "
            f"on CPU 0; wrk -t{args.connections} -c{args.connections} on CPU 1; "
            f"{args.rounds} round{'s' if args.rounds > 1 else ''} x {args.duration} s, "
            f"warm-up {args.warmup} s each; {database}"
        )
        results: dict[str, list[Measurement]] = {"bare": [], "autosave": []}
        saves = 0  # 2xx answers to wrk since changes_before
        runs = 0
        all_errors: list[str] = []
        for round_number in range(0, args.rounds + 1):
            for name in ("bare", "autosave"):
                seconds = args.warmup if round_number == 0 else args.duration
                if name == "autosave":
                    save_script.write_text(autosave_script(slots, data.question), "utf-8")
                    result, errors = measure(
                        name, site.url + path, save_script, site, args, seconds, slots
                    )
                    saves += result.ok
                    runs += 1
                else:
                    result, errors = measure(
                        name, bare.url + "/", bare_script, bare, args, seconds, []
                    )
                all_errors += [f"{name}: {e}" for e in errors]
                label = "warm-up" if round_number == 0 else f"round {round_number}"
                refused = ", ".join(f"{c}: {n}" for c, n in sorted(result.refused.items()))
                flagged = (
                    f"  ERRORS {result.errors} ({refused or 'socket'})" if result.errors else ""
                )
                print(
                    f"  {label:<8} {name:<8} {result.rps:>7.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                    f"  p99 {result.p99_ms:6.2f} ms  server CPU {result.cpu_us:6.0f} µs/req"
                    f"{flagged}"
                )
                if round_number:
                    results[name].append(result)
        site_log = site.log_text()
    finally:
        for server in servers:
            server.stop()
    changes_after = count_changes(data.database_url, response_ids, data.question)
    report(args, database, workers, results, site_log, all_errors, len(body), bare_size)
    written = changes_after - changes_before
    # A save in flight when wrk stops may be written without its answer being counted
    # (the next run sends it again: a repeat, 200, nothing written), so the rows are the
    # 2xx answers plus at most one a connection.
    expected = f"{saves:,}-{saves + len(slots):,}"
    print(
        f"check: {saves:,} autosaves answered 2xx to wrk (warm-up included), "
        f"{written:,} AnswerChange rows written (expected {expected})"
    )
    print(f"load average after: {load_average()} (other work on CPU 0/1 skews the figures)")
    if args.server_profile:
        print_server_profile(data_dir / "site.prof")
    return 0


def print_server_profile(path: Path) -> None:
    import pstats

    if not path.exists():
        print(f"no profile written to {path}")
        return
    print(
        f"\nThe site's main thread under cProfile for the whole run ({path}); the figures "
        "above were taken with the profiler on, so they are slower than without:"
    )
    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(r"surveys|intranet|tortoise|starlette", 40)
    stats.sort_stats("tottime").print_stats(20)


def _fetch(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def report(
    args: argparse.Namespace,
    database: str,
    workers: int,
    results: dict[str, list[Measurement]],
    site_log: str,
    errors: list[str],
    save_size: int,
    bare_size: int,
) -> None:
    def median(name: str, attribute: str) -> float:
        return statistics.median(getattr(m, attribute) for m in results[name])

    print()
    labels = {
        "bare": f"bare Jinja2 50-row page, GET, from memory ({bare_size:,} B)",
        "autosave": f"autosave POST ({database}, {workers} worker{'s' if workers > 1 else ''}, "
        f"{save_size:,} B)",
    }
    width = max(len(label) for label in labels.values())
    for name, label in labels.items():
        print(
            f"{label:<{width}}  {median(name, 'rps'):>7.0f} req/s  "
            f"p50 {median(name, 'p50_ms'):6.2f} ms  p99 {median(name, 'p99_ms'):6.2f} ms  "
            f"server CPU {median(name, 'cpu_us'):6.0f} µs/req"
        )
    rps_ratio = median("autosave", "rps") / median("bare", "rps")
    p99_ratio = median("autosave", "p99_ms") / median("bare", "p99_ms")
    error_count = sum(m.errors for m in results["autosave"] + results["bare"])
    locked = site_log.count(LOCKED)
    # wrk closes its connections when time is up: a request cut off while the view
    # waited to read its body ends in ClientDisconnect, which is not a server error.
    tracebacks = site_log.count("Traceback") - site_log.count("starlette.requests.ClientDisconnect")
    verdict = {True: "PASS", False: "FAIL"}
    print(
        f"req/s ratio (autosave / bare): {rps_ratio:5.2f}  goal >= {RPS_GOAL:.1f}  "
        f"{verdict[rps_ratio >= RPS_GOAL]}"
    )
    print(
        f"p99 ratio   (autosave / bare): {p99_ratio:5.2f}  goal <= {P99_GOAL:.1f}  "
        f"{verdict[p99_ratio <= P99_GOAL]}"
    )
    print(f"errors (non-2xx, socket errors): {error_count}  goal 0  {verdict[error_count == 0]}")
    print(
        f'"{LOCKED}" in the server log: {locked}  goal 0  {verdict[locked == 0]}'
        f"  ({tracebacks} other tracebacks in the log)"
    )
    for line in errors[:8]:
        print(f"  first error of {line[:400]}")
    if tracebacks > 0:
        last = site_log[site_log.rfind("Traceback") :].splitlines()
        print("  last traceback in the server log ends: " + " | ".join(last[-3:]))
    print(
        f"  by server CPU per request (bare / autosave): "
        f"{median('bare', 'cpu_us') / median('autosave', 'cpu_us'):.2f}"
    )


# -- where the time goes (--profile) ---------------------------------------------------------


def profile(args: argparse.Namespace, data_dir: Path) -> int:
    """In-process (httpx ASGITransport, no sockets): the SQL one autosave sends, each
    statement's time inside the request, CPU and wall time per request, and cProfile's
    top functions over `args.profile` requests."""
    import asyncio
    import cProfile
    import io
    import pstats

    import httpx
    from notice_data import environment
    from survey_data import describe, generate

    data = generate(data_dir, args.database_url)
    print(describe(data))
    os.environ.update(environment(data_dir, args.database_url))
    from tortoise import connections

    from intranet.app import create_app
    from intranet.settings import load_settings

    async def run() -> None:
        app = create_app(load_settings())
        async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
            transport = httpx.ASGITransport(app=app)
            secretary = data.secretaries[0]
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost"
            ) as client:
                cookie, token = await sign_in(client, secretary.username, data.password)
            slot = Slot(
                secretary.username,
                secretary.response_id,
                cookie,
                token,
                form_value(secretary.answer),
                str(secretary.version),
            )
            path = SAVE_PATH.format(response_id=slot.response_id, key=data.question)
            headers = {"Cookie": cookie, "X-CSRF-Token": token, "HX-Request": "true"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost"
            ) as client:

                async def save() -> httpx.Response:
                    value = str(int(slot.base or 0) + 1)
                    answer = await client.post(
                        path,
                        data={"value": value, "base": slot.base, "version": slot.version},
                        headers=headers,
                    )
                    if answer.status_code != 200:
                        raise SystemExit(
                            f"autosave answered {answer.status_code}: {answer.text[:400]}"
                        )
                    slot.base, slot.version = value, answer.headers["x-response-version"]
                    return answer

                for _ in range(20):
                    answer = await save()
                log = await logged_statements(connections.get("default"), save)
                cpu, wall = [], []
                for _ in range(100):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    await save()
                    wall.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - started_cpu) * 1000)
                print(
                    f"\nPOST {path} in-process: {answer.status_code}, {len(answer.content):,} B; "
                    f"per request (median of 100) wall {statistics.median(wall):.2f} ms, "
                    f"CPU {statistics.median(cpu):.2f} ms"
                )
                await print_statements(connections.get("default"), log)
                await print_sections(save, statistics.median(cpu))
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.profile):
                    await save()
                profiler.disable()
                await print_floor(slot.response_id, data.question)
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream)
            stats.sort_stats("cumulative").print_stats(r"surveys|intranet|tortoise|pypika", 30)
            stats.sort_stats("tottime").print_stats(15)
            print(
                f"\ncProfile over {args.profile} autosaves (per-call times are totals over them):"
            )
            print(stream.getvalue())

    asyncio.run(run())
    return 0


async def logged_statements(connection: Any, action: Any) -> list[tuple[str, list, float]]:
    """The SQL statements `action()` sends, their values and the time each took in it."""
    log: list[tuple[str, list, float]] = []
    client_class = next(cls for cls in type(connection).__mro__ if "execute_query" in cls.__dict__)
    names = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")
    originals = {
        name: client_class.__dict__[name] for name in names if name in client_class.__dict__
    }

    def logged(original: Any) -> Any:
        async def execute(self: Any, query: str, values: Any = None) -> Any:
            started = time.perf_counter()
            try:
                return await original(self, query, values)
            finally:
                log.append((query, list(values or []), (time.perf_counter() - started) * 1000))

        return execute

    for name, original in originals.items():
        setattr(client_class, name, logged(original))
    try:
        await action()
    finally:
        for name, original in originals.items():
            setattr(client_class, name, original)
    return log


async def print_statements(connection: Any, log: list[tuple[str, list, float]]) -> None:
    """Each statement's time inside the request and, for a SELECT, alone (median of 50):
    the difference is the ORM's (building the query, making the models)."""
    print(
        f"{len(log)} SQL statements (BEGIN/COMMIT not listed), "
        f"{sum(t for _, _, t in log):.2f} ms in the driver:"
    )
    for number, (query, values, took) in enumerate(log, start=1):
        alone = ""
        if query.lstrip().upper().startswith("SELECT"):
            runs = []
            for _ in range(50):
                started = time.perf_counter()
                await connection.execute_query(query, values)
                runs.append((time.perf_counter() - started) * 1000)
            alone = f", alone {statistics.median(runs):.2f} ms"
        text = " ".join(query.split())
        print(
            f"  {number}. in request {took:.2f} ms{alone}: "
            f"{text[:200]}{' ...' if len(text) > 200 else ''}"
        )


async def print_floor(response_id: int, key: str) -> None:
    """The pieces of a save measured alone (process CPU, best of 7 runs of 200): what
    each costs at least, outside the request. Saves into the response: run it last."""
    from tortoise import connections, timezone
    from tortoise.transactions import in_transaction

    from surveys.answering import form_of, write
    from surveys.response_loading import load_response
    from surveys.states import ResponseState

    connection = connections.get("default")
    response = await load_response(response_id)
    assert response is not None
    value = [10_000]

    async def best(action: Any) -> float:
        runs = []
        for _ in range(7):
            started = time.process_time()
            for _ in range(200):
                await action()
            runs.append((time.process_time() - started) * 1000 / 200)
        return min(runs)

    async def hop() -> None:
        await connection.execute_query_dict("SELECT 1", [])

    async def load() -> None:
        await load_response(response_id)

    async def parsed() -> None:
        form_of(response)

    async def empty_transaction() -> None:
        async with in_transaction():
            pass

    async def save() -> None:
        value[0] += 1
        state = ResponseState(response.state)
        await write(response, {key: value[0]}, state, user=None, now=timezone.now())

    print("\nthe pieces alone (process CPU, all threads, best of 7 x 200):")
    for label, action in (
        ("a statement's hop to aiosqlite's thread and back (SELECT 1)", hop),
        ("load_response (one joined SELECT, six models)", load),
        ("form_of (the parsed questions, kept per process)", parsed),
        ("an empty transaction (COMMIT, BEGIN, COMMIT: three hops)", empty_transaction),
        ("write (the transaction, UPDATE, INSERT, the commit's fsync)", save),
    ):
        print(f"  {await best(action):6.3f} ms  {label}")


# What the autosave request spends its time in, by the functions it calls (patched in
# place with a timer while the loop runs; nested ones are counted in their parents too).
SECTIONS = (
    (
        "session: load_session (session, person and roles: one statement)",
        "intranet.middleware",
        "SessionMiddleware.load_session",
    ),
    ("view: require_response", "surveys.views.response_saving", "require_response"),
    (
        "  find_response (response+round+campaign+organiser+form_version+organisation)",
        "surveys.policy",
        "find_response",
    ),
    ("view: form_data (parse the body)", "surveys.views.response_saving", "form_data"),
    ("view: answering.form_of (the parsed FormDefinition)", "surveys.answering", "form_of"),
    ("view: answering.check_typed (value and base)", "surveys.answering", "check_typed"),
    ("view: answering.save_answers", "surveys.answering", "save_answers"),
    ("  answering.write (UPDATE + INSERT, one transaction)", "surveys.answering.saving", "write"),
    ("view: render (_save_status.html)", "surveys.views.response_saving", "render"),
)


async def print_sections(action: Any, request_ms: float, count: int = 200) -> None:
    import importlib
    import inspect

    spent: dict[str, float] = {label: 0.0 for label, _, _ in SECTIONS}
    patched = []
    for label, module_name, attribute in SECTIONS:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)

        def timed(original: Any = original, label: str = label) -> Any:
            if inspect.iscoroutinefunction(original):

                async def run_async(*args: Any, **kwargs: Any) -> Any:
                    started = time.process_time()
                    try:
                        return await original(*args, **kwargs)
                    finally:
                        spent[label] += time.process_time() - started

                return run_async

            def run(*args: Any, **kwargs: Any) -> Any:
                started = time.process_time()
                try:
                    return original(*args, **kwargs)
                finally:
                    spent[label] += time.process_time() - started

            return run

        setattr(owner, name, timed())
        patched.append((owner, name, original))
    started = time.process_time()
    try:
        for _ in range(count):
            await action()
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
    total = (time.process_time() - started) * 1000 / count
    print(
        f"\nwhere one autosave's CPU time goes (process CPU, all threads, mean of {count}; "
        f"timers on: {total:.2f} ms a request, {request_ms:.2f} ms without):"
    )
    for label, seconds in spent.items():
        ms = seconds * 1000 / count
        print(f"  {ms:6.2f} ms {ms / total:4.0%}  {label}")
    rest = total - sum(s * 1000 / count for label, s in spent.items() if label[0] != " ")
    print(
        f"  {rest:6.2f} ms {rest / total:4.0%}  the rest: ASGI, the middleware stack (with "
        "the memberships query), BEGIN/COMMIT, httpx's in-process transport"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--rounds", type=int, default=1, help="bare/autosave rounds (1)")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per app (3)")
    parser.add_argument(
        "--connections",
        type=int,
        default=8,
        help="wrk threads and connections, one secretary each (8)",
    )
    parser.add_argument("--workers", type=int, help="uvicorn workers (SQLite 1, PostgreSQL 2)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL (emptied first), e.g. postgres://postgres@127.0.0.1:5432/huibao_bench",
    )
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: temporary)")
    parser.add_argument("--check", action="store_true", help="build, sign in, save once; no wrk")
    parser.add_argument("--show", action="store_true", help="print the autosave answer's body")
    parser.add_argument(
        "--server-profile",
        action="store_true",
        help="run the site under cProfile and print where its main thread spent the run",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="no wrk: SQL, time per request and cProfile over N autosaves",
    )
    args = parser.parse_args()

    if not args.profile:
        for tool in ("wrk", "taskset"):
            if shutil.which(tool) is None:
                raise SystemExit(f"{tool} is not installed (apt-get install wrk util-linux)")
        if not {0, 1} <= os.sched_getaffinity(0):
            raise SystemExit("needs at least 2 CPUs: servers on CPU 0, wrk on CPU 1")
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as temporary:
        data_dir = args.data_dir.resolve() if args.data_dir else Path(temporary)
        data_dir.mkdir(parents=True, exist_ok=True)
        if args.profile:
            return profile(args, data_dir)
        return run_benchmark(args, data_dir)


if __name__ == "__main__":
    sys.exit(main())
