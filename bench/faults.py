"""Fault tolerance: kill -9 during writes, PostgreSQL stopped under load, backups taken
under load. Prints the figures and exits 1 if anything acknowledged was lost.

    .venv/bin/python bench/faults.py                      # all three parts, a minute or more
    .venv/bin/python bench/faults.py --kills 6 --secretaries 10
    .venv/bin/python bench/faults.py --postgres postgres://postgres@127.0.0.1:5432/huibao_faults
                                        # also kill -9 three workers on that database
    .venv/bin/python bench/faults.py --only kill      # or restart, backup

Each part starts the real server (`python -m intranet serve --demo`, a temporary
HUIBAO_DATA_DIR) and adds secretaries, each of a society whose weekly report is open
(tests/fault_helpers.py). Every secretary signs in through /login and autosaves the
report's integer questions in turn, a new value on every request, with the base and the
version the page's script would send; some answer the yes/no question and send the report.

1. kill -9 (SQLite, one worker; with --postgres also PostgreSQL, three workers): while
   the secretaries save, the whole server (its process group) gets SIGKILL after a random
   number of acknowledged saves; it is started again on the same database and every save
   answered 200 must have its history row, every response at least the version last
   acknowledged and the value last acknowledged (or the one in flight at the kill), every
   report whose sending was answered must be sent, the pages must show the same, and
   `PRAGMA integrity_check` must say ok. Repeated --kills times on the same database.
2. PostgreSQL stopped under load: a throwaway cluster (initdb in a temporary directory,
   a free port, run as user postgres when root; never the system's), the server with
   three workers, secretaries saving and a reader polling /healthz and a report page;
   PostgreSQL is stopped (`pg_ctl stop -m fast`, later `-m immediate`) for a few seconds
   and started again, the site is not restarted. While it is down every answer must be
   the 503 page ("The site is briefly unavailable") with Retry-After, within a few
   seconds, /healthz must say 503; after the start the site must serve again by itself.
   Then every save acknowledged before, between and after the outages is checked.
3. Backups under load: `huibao backup` on SQLite, `pg_dump --format=custom` on the
   throwaway cluster, taken while the secretaries save. A backup is a snapshot of one
   instant, so it is compared with the live database rolled back to that instant: once
   the saves stop, every save the snapshot lacks (answer-change rows after its last one)
   is undone on the live rows, using the history's old values, one version per save and
   the previous save's time. Every table's row count and SHA-256 must then match. The
   copy is restored (SQLite: put in place as huibao.sqlite3 and the server started on
   it; PostgreSQL: pg_restore into a new database and the server started on it) and the
   restored database's rows must hash the same as the snapshot's.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

import httpx  # noqa: E402

from intranet import i18n  # noqa: E402
from intranet.app import ERROR_MESSAGES  # noqa: E402
from tests.fault_helpers import (  # noqa: E402
    INTEGER_KEYS,
    Ack,
    Ledger,
    Secretary,
    ServerProcess,
    TempCluster,
    add_secretaries,
    check_ledger,
    create_database,
    drive_until_killed,
    integrity_check,
    log_in,
    page_state,
    pages_show,
    postgres_bindir,
    read_stored,
    run_secretary,
    server_env,
    temp_cluster,
)

UNAVAILABLE = i18n.translations("zh_CN").gettext(ERROR_MESSAGES[503][1])
FAILED: list[str] = []
KEEP: list[bool] = []  # --keep: leave the data directories and server logs behind


def fail(message: str) -> None:
    FAILED.append(message)
    print(f"  FAIL {message}")


def tidy(directory: Path) -> None:
    """Remove a part's data directory, unless something failed: then keep it, and say where."""
    if FAILED or KEEP:
        print(f"  (kept {directory} and its server log)")
    else:
        shutil.rmtree(directory, ignore_errors=True)


def exception_lines(log: str) -> list[str]:
    """The distinct last lines of the tracebacks after each "Unhandled error"."""
    found: list[str] = []
    for chunk in log.split("Unhandled error")[1:]:
        lines = [line for line in chunk.splitlines()[1:] if line and not line.startswith(" ")]
        last = next((line for line in lines if not line.startswith("Traceback")), "")
        if last not in found:
            found.append(last)
    return found


# -- 1. kill -9 ------------------------------------------------------------------------------


async def kill_nine(
    label: str, database_url: str | None, workers: int, kills: int, count: int, seed: int
) -> None:
    print(f"\n== kill -9 during writes: {label}, {workers} worker(s), {count} secretaries ==")
    rng = random.Random(seed)
    data_dir = Path(tempfile.mkdtemp(prefix="huibao-faults-kill-"))
    env = server_env(data_dir, database_url)
    server = ServerProcess(env, data_dir / "server.log", workers=workers)
    try:
        server.start()
        secretaries = add_secretaries(env, count)
        ledger = Ledger()
        ids = [s.response_id for s in secretaries]
        for kill in range(1, kills + 1):
            open_ = [s.response_id for s in secretaries if s.response_id not in ledger.submitted]
            # One report sent per run, so that most secretaries are still saving at each kill.
            senders = {rid: rng.randint(5, 15) for rid in rng.sample(open_, min(1, len(open_)))}
            target = rng.randint(60, 200)
            acked = await drive_until_killed(
                server,
                secretaries,
                ledger,
                kill_after=target,
                submitters=senders,
                serial_base=kill * 100,
                wait_for_submits=False,
            )
            in_flight = len(ledger.pending) + len(ledger.pending_submits)
            killed_at = time.monotonic()
            server.start()
            restart = time.monotonic() - killed_at
            stored = await read_stored(database_url, data_dir / "huibao.sqlite3", ids)
            # What was in flight at the kill may or may not have been stored; either is
            # right. A report whose sending was cut off and did get sent is not saved again.
            ledger.uncertain |= {(rid, k, v) for rid, (k, v) in ledger.pending.items()}
            ledger.pending.clear()
            for rid in ledger.pending_submits:
                if stored.responses[rid][0] == "submitted":
                    ledger.submitted.add(rid)
            ledger.pending_submits.clear()
            problems = check_ledger(ledger, stored)
            for secretary in secretaries:
                problems += await pages_show(server.url, secretary, ledger)
            integrity = "n/a" if database_url else integrity_check(data_dir / "huibao.sqlite3")
            found = len(ledger.saves) - sum(1 for p in problems if p.startswith("save "))
            print(
                f"  kill {kill}: {acked} saves acknowledged in this run ({len(ledger.saves)} "
                f"in all, {found} found after restart), {len(ledger.submitted)} reports sent "
                f"and found, {in_flight} requests in flight at the kill, integrity {integrity}, "
                f"back up in {restart:.1f} s"
            )
            for problem in problems[:10]:
                fail(f"{label}: {problem}")
            if integrity not in ("ok", "n/a"):
                fail(f"{label}: integrity_check says {integrity}")
            if ledger.refused:
                fail(f"{label}: unexpected answers {ledger.refused[:5]}")
        log = server.output()
        if "Unhandled error" in log:
            fail(f"{label}: the server log has unhandled errors: {exception_lines(log)}")
    finally:
        server.stop()
        tidy(data_dir)


# -- 2. PostgreSQL stopped under load --------------------------------------------------------


@dataclass
class Phase:
    name: str = "up"
    stopped_at: float = 0.0


@dataclass
class Observed:
    """Answers by phase: (status, seconds taken, retry-after, shows the 503 page)."""

    answers: dict[str, list[tuple[int | str, float, str, bool, str]]] = field(default_factory=dict)
    first_ok_after_start: dict[str, float] = field(default_factory=dict)
    started_at: float = 0.0  # when pg_ctl start returned
    ready: int = 0  # clients signed in and looking at their page

    def add(self, phase: str, who: str, status: int | str, took: float, reply: Any) -> None:
        """One answer, under the phase its request was sent in."""
        retry = reply.headers.get("retry-after", "") if reply is not None else ""
        page = reply is not None and UNAVAILABLE in reply.text
        self.answers.setdefault(phase, []).append((status, took, retry, page, who))
        if phase == "restarted" and status == 200 and who not in self.first_ok_after_start:
            self.first_ok_after_start[who] = time.monotonic() - self.started_at


async def steady_secretary(
    url: str,
    secretary: Secretary,
    ledger: Ledger,
    serial: int,
    phase: Phase,
    observed: Observed,
    stop: asyncio.Event,
) -> None:
    """Autosaves through outages, as a person would keep typing: a 503 changes nothing
    (try the next field a little later), a 409 means a save that was answered 503 or cut
    off did get stored: reload the page and go on."""
    rid = secretary.response_id
    who = f"save {rid}"
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        assert await log_in(client, secretary)
        first = await client.get(f"/reports/responses/{rid}")
        assert first.status_code == 200, (first.status_code, first.text[-2000:])
        headers, version, stored = page_state(first.text)
        headers["HX-Request"] = "true"
        observed.ready += 1
        count = 0
        while not stop.is_set():
            key = INTEGER_KEYS[count % len(INTEGER_KEYS)]
            value = serial * 1_000_000 + count
            count += 1
            started, sent_in = time.monotonic(), phase.name
            try:
                reply = await client.post(
                    f"/reports/responses/{rid}/answers/{key}",
                    data={"value": str(value), "base": stored[key], "version": str(version)},
                    headers=headers,
                )
            except httpx.TransportError as exc:
                ledger.uncertain.add((rid, key, value))
                observed.add(sent_in, who, type(exc).__name__, time.monotonic() - started, None)
                await asyncio.sleep(0.2)
                continue
            observed.add(sent_in, who, reply.status_code, time.monotonic() - started, reply)
            if reply.status_code == 200:
                version = int(reply.headers["x-response-version"])
                ledger.saves.append(Ack(rid, key, value, version))
                stored[key] = str(value)
            elif reply.status_code == 503:
                ledger.uncertain.add((rid, key, value))
                await asyncio.sleep(0.2)
            elif reply.status_code == 409:
                page = await client.get(f"/reports/responses/{rid}")
                if page.status_code == 200:
                    headers, version, stored = page_state(page.text)
                    headers["HX-Request"] = "true"
                    # The value in the way must be one this secretary sent without an answer.
                    if (rid, key, int(stored[key] or -1)) not in ledger.uncertain:
                        ledger.refused.append(f"{secretary.username}: 409 over {stored[key]}")
            else:
                ledger.refused.append(f"{secretary.username}: save {reply.status_code}")
            await asyncio.sleep(0.02)


async def reader(
    url: str, secretary: Secretary, phase: Phase, observed: Observed, stop: asyncio.Event
) -> None:
    """A signed-in page and /healthz, every 50 ms."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        assert await log_in(client, secretary)
        observed.ready += 1
        while not stop.is_set():
            for path, who in (
                (f"/reports/responses/{secretary.response_id}", "page"),
                ("/healthz", "healthz"),
            ):
                started, sent_in = time.monotonic(), phase.name
                try:
                    reply = await client.get(path)
                    status: int | str = reply.status_code
                except httpx.TransportError as exc:
                    reply, status = None, type(exc).__name__
                took = time.monotonic() - started
                if who == "healthz":
                    observed.answers.setdefault(f"healthz {sent_in}", []).append(
                        (status, took, "", False, who)
                    )
                else:
                    observed.add(sent_in, who, status, took, reply)
            await asyncio.sleep(0.05)


def summarise(observed: Observed, name: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, *_ in observed.answers.get(name, []):
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


async def postgres_restart(cluster: TempCluster, workers: int, count: int, seconds: float) -> None:
    print(f"\n== PostgreSQL stopped under load: {workers} workers, {count} secretaries ==")
    await create_database(cluster.url(), "huibao_restart")
    url = cluster.url("huibao_restart")
    data_dir = Path(tempfile.mkdtemp(prefix="huibao-faults-restart-"))
    env = server_env(data_dir, url)
    server = ServerProcess(env, data_dir / "server.log", workers=workers)
    try:
        server.start()
        secretaries = add_secretaries(env, count + 1)
        ledger, phase, observed, stop = Ledger(), Phase(), Observed(), asyncio.Event()
        tasks = [
            asyncio.create_task(
                steady_secretary(server.url, s, ledger, i + 1, phase, observed, stop)
            )
            for i, s in enumerate(secretaries[:count])
        ]
        tasks.append(
            asyncio.create_task(reader(server.url, secretaries[count], phase, observed, stop))
        )
        # Everyone signed in and saving before PostgreSQL goes.
        while observed.ready < count + 1 or len(ledger.saves) < 20:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)
        for mode in ("fast", "immediate"):
            # Requests under way while pg_ctl stops the server may still be served.
            phase.name = f"stopping ({mode})"
            before = len(ledger.saves)
            await asyncio.to_thread(cluster.stop, mode)
            phase.name, phase.stopped_at = f"down ({mode})", time.monotonic()
            await asyncio.sleep(seconds)
            phase.name = f"starting ({mode})"  # answers while pg_ctl starts it: 503 or 200
            await asyncio.to_thread(cluster.start)
            phase.name, observed.started_at = "restarted", time.monotonic()
            observed.first_ok_after_start.clear()
            deadline = time.monotonic() + 30
            while len(observed.first_ok_after_start) < count + 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            recovered = dict(observed.first_ok_after_start)
            phase.name = f"after ({mode})"
            await asyncio.sleep(3)
            down = observed.answers.get(f"down ({mode})", [])
            statuses = summarise(observed, f"down ({mode})")
            unclean = [a for a in down if a[0] != 503 or a[2] != "5" or not a[3]]
            slowest = max((a[1] for a in down), default=0.0)
            print(
                f"  pg_ctl stop -m {mode}: answers while it stopped "
                f"{summarise(observed, f'stopping ({mode})')}"
            )
            print(
                f"  {seconds:.0f} s down: {len(down)} requests answered "
                f"{statuses}, slowest {slowest * 1000:.0f} ms; /healthz "
                f"{summarise(observed, f'healthz down ({mode})')} (a success is trusted for 1 s)"
            )
            print(
                f"    after pg_ctl start: first 200 in "
                f"{min(recovered.values(), default=float('nan')) * 1000:.0f} ms, every "
                f"client served again in "
                f"{max(recovered.values(), default=float('nan')) * 1000:.0f} ms "
                f"({len(recovered)}/{count + 1} clients); saves acknowledged meanwhile: "
                f"{len(ledger.saves) - before}; after: {summarise(observed, f'after ({mode})')}"
            )
            # The request that was running on a connection PostgreSQL cut may end in 503
            # as well; anything else (500, a hang, a dropped connection) is a failure.
            if unclean:
                fail(f"{len(unclean)} answers while down were not the 503 page: {unclean[:3]}")
            if slowest > 5:
                fail(f"an answer while down took {slowest:.1f} s")
            if "503" not in summarise(observed, f"healthz down ({mode})"):
                fail("/healthz never said 503 while PostgreSQL was down")
            if len(recovered) < count + 1:
                fail(f"only {len(recovered)} of {count + 1} clients were served again")
            # A 409 after recovery: a save answered 503 had been stored after all (the
            # connection broke after its commit), so the next save of that question,
            # made over the older value, is refused as a conflict, as it should be.
            after = summarise(observed, f"after ({mode})")
            if set(after) - {"200", "409"} or after.get("409", 0) > len(ledger.uncertain):
                fail(f"answers other than 200 after recovery: {after}")
        stop.set()
        await asyncio.gather(*tasks)
        restarted = summarise(observed, "restarted")
        for mode in ("fast", "immediate"):
            starting = summarise(observed, f"starting ({mode})")
            print(f"  answers while pg_ctl start ran (after -m {mode}): {starting}")
            if set(starting) - {"200", "503"}:
                fail(f"answers other than 200 and 503 while starting: {starting}")
        print(f"  answers between pg_ctl start and recovery: {restarted}")
        conflicts = restarted.get("409", 0) + sum(
            summarise(observed, f"after ({mode})").get("409", 0) for mode in ("fast", "immediate")
        )
        print(
            f"  {conflicts} saves refused as conflicts after recovery: each over a value "
            "whose save was answered 503 or cut off and was stored all the same"
        )
        if set(restarted) - {"200", "503", "409"} or conflicts > len(ledger.uncertain):
            fail(f"answers other than 200 and 503 while recovering: {restarted}")
        stored = await read_stored(url, Path(), [s.response_id for s in secretaries[:count]])
        problems = check_ledger(ledger, stored)
        print(
            f"  {len(ledger.saves)} saves acknowledged across both outages, "
            f"{len(ledger.saves) - len([p for p in problems if p.startswith('save ')])} found; "
            f"{len(ledger.uncertain)} answered 503 or cut off (not promised)"
        )
        for problem in problems[:10]:
            fail(f"restart: {problem}")
        if ledger.refused:
            fail(f"restart: unexpected answers {ledger.refused[:5]}")
        log = server.output()
        unavailable = log.count("Database unavailable on")
        print(
            f"  server log: {unavailable} one-line 'Database unavailable' entries, "
            f"{log.count('Unhandled error')} unhandled errors"
        )
        if "Unhandled error" in log:
            fail(f"restart: the server log has unhandled errors: {exception_lines(log)}")
    finally:
        server.stop()
        tidy(data_dir)


# -- 3. backups under load -------------------------------------------------------------------

Tables = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def sqlite_tables(path: Path) -> Tables:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        tables: Tables = {}
        for name in names:
            cursor = connection.execute(f'SELECT * FROM "{name}"')
            tables[name] = ([c[0] for c in cursor.description], [tuple(r) for r in cursor])
        return tables
    finally:
        connection.close()


async def postgres_tables(url: str) -> Tables:
    import asyncpg

    pg = await asyncpg.connect(url)
    try:
        names = await pg.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables: Tables = {}
        for (name,) in names:
            statement = await pg.prepare(f'SELECT * FROM "{name}"')
            columns = [a.name for a in statement.get_attributes()]
            tables[name] = (columns, [tuple(r) for r in await statement.fetch()])
        return tables
    finally:
        await pg.close()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def normalised(tables: Tables) -> Tables:
    """Answers as parsed JSON, so that text and jsonb spellings compare equal."""
    columns, rows = tables["survey_response"]
    at = columns.index("answers")
    fixed = [
        (*row[:at], json.dumps(_json(row[at]), sort_keys=True), *row[at + 1 :]) for row in rows
    ]
    return {**tables, "survey_response": (columns, fixed)}


def as_of(live: Tables, last_change_id: int) -> Tables:
    """The live rows rolled back to just after answer change `last_change_id`: each later
    autosave undone (its answer set back to the old value, the version down by one, the
    time of the response's previous save put back) and its history row dropped."""
    change_columns, change_rows = live["survey_answer_change"]
    changes = [dict(zip(change_columns, row, strict=True)) for row in change_rows]
    later = sorted((c for c in changes if c["id"] > last_change_id), key=lambda c: -c["id"])
    kept_rows = [
        row for row, c in zip(change_rows, changes, strict=True) if c["id"] <= last_change_id
    ]
    columns, rows = live["survey_response"]
    responses = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
    touched = set()
    for change in later:
        response = responses[change["response_id"]]
        answers = _json(response["answers"])
        old = _json(change["old_value"])
        if old is None:
            answers.pop(change["question_key"], None)
        else:
            answers[change["question_key"]] = old
        response["answers"] = json.dumps(answers)
        response["version"] -= 1
        touched.add(change["response_id"])
    for rid in touched:
        before = [c for c in changes if c["response_id"] == rid and c["id"] <= last_change_id]
        responses[rid]["updated_at"] = max(before, key=lambda c: c["id"])["created_at"]
    rolled_back = [tuple(r[c] for c in columns) for r in responses.values()]
    return {
        **live,
        "survey_answer_change": (change_columns, kept_rows),
        "survey_response": (columns, rolled_back),
    }


def hashes(tables: Tables) -> dict[str, tuple[int, str]]:
    """Each table's row count and the SHA-256 of its rows, sorted."""
    result = {}
    for name, (columns, rows) in normalised(tables).items():
        digest = hashlib.sha256(repr(columns).encode())
        for line in sorted(repr(row) for row in rows):
            digest.update(line.encode())
        result[name] = (len(rows), digest.hexdigest())
    return result


def compare(
    label: str, ours: dict[str, tuple[int, str]], theirs: dict[str, tuple[int, str]]
) -> int:
    differ = sorted(
        name for name in ours.keys() | theirs.keys() if ours.get(name) != theirs.get(name)
    )
    rows = sum(count for count, _ in ours.values())
    print(
        f"    {label}: {len(ours)} tables, {rows} rows, "
        + ("every row hash equal" if not differ else f"DIFFER in {differ}")
    )
    if differ:
        fail(f"{label}: tables differ: {[(n, ours.get(n), theirs.get(n)) for n in differ][:3]}")
    return len(differ)


async def load_during(
    server: ServerProcess, secretaries: list[Secretary], ledger: Ledger, action: Any
) -> tuple[Any, int, int]:
    """Autosaves going on before, during and after `action` (run in a thread). Returns what
    it returned, and how many saves were acknowledged before it began and while it ran."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            run_secretary(server.url, s, ledger, serial=500 + i, submit_after=None, stop=stop)
        )
        for i, s in enumerate(secretaries)
    ]
    everyone = {s.response_id for s in secretaries}
    # Every report saved at least once before the backup (its draft begun), then more.
    while len(ledger.saves) < 40 or {a.response_id for a in ledger.saves} != everyone:
        await asyncio.sleep(0.01)
    before = len(ledger.saves)
    result = await asyncio.to_thread(action)
    during = len(ledger.saves) - before
    target = len(ledger.saves) + 20
    while len(ledger.saves) < target:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.gather(*tasks)
    if ledger.refused:
        fail(f"backup load: unexpected answers {ledger.refused[:5]}")
    return result, before, during


def check_snapshot(label: str, ledger: Ledger, before: int, snapshot: Tables, live: Tables) -> None:
    columns, rows = snapshot["survey_answer_change"]
    last = max(row[columns.index("id")] for row in rows)
    at = {c: columns.index(c) for c in ("response_id", "question_key", "new_value")}
    held = {
        (r[at["response_id"]], r[at["question_key"]], json.dumps(_json(r[at["new_value"]])))
        for r in rows
    }
    missing = [
        a for a in ledger.saves[:before] if (a.response_id, a.key, json.dumps(a.value)) not in held
    ]
    print(
        f"    the snapshot holds all {before - len(missing)}/{before} saves acknowledged before "
        f"the backup began; {len(ledger.saves)} acknowledged in all"
    )
    if missing:
        fail(f"{label}: the backup lacks saves acknowledged before it began: {missing[:3]}")
    compare(
        f"{label} snapshot vs the live database rolled back to it",
        hashes(snapshot),
        hashes(as_of(live, last)),
    )


async def restored_serves(server: ServerProcess, secretary: Secretary, snapshot: Tables) -> None:
    columns, rows = snapshot["survey_response"]
    row = next(r for r in rows if r[columns.index("id")] == secretary.response_id)
    answers = _json(row[columns.index("answers")])
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        assert await log_in(client, secretary)
        page = await client.get(f"/reports/responses/{secretary.response_id}")
    _, version, bases = page_state(page.text)
    shown_ok = version == row[columns.index("version")] and all(
        bases[k] == str(answers.get(k, "")) for k in INTEGER_KEYS
    )
    print(f"    the restored site serves the report as the snapshot holds it: {shown_ok}")
    if not shown_ok:
        fail(f"the restored site shows version {version} {bases}, the snapshot {answers}")


async def backup_sqlite(count: int) -> None:
    print(f"\n== backup under load: SQLite, huibao backup, {count} secretaries ==")
    data_dir = Path(tempfile.mkdtemp(prefix="huibao-faults-backup-"))
    env = server_env(data_dir)
    server = ServerProcess(env, data_dir / "server.log")
    copy = data_dir / "backup.sqlite3"
    restored_dir = Path(tempfile.mkdtemp(prefix="huibao-faults-restored-"))
    restored = ServerProcess(server_env(restored_dir), restored_dir / "server.log")
    try:
        server.start()
        secretaries = add_secretaries(env, count)
        ledger = Ledger()

        def backup() -> float:
            started = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "intranet", "backup", str(copy)],
                cwd=REPO_DIR, env=env, check=True, capture_output=True,
            )  # fmt: skip
            return time.monotonic() - started

        took, before, during = await load_during(server, secretaries, ledger, backup)
        print(f"    huibao backup took {took * 1000:.0f} ms; {during} saves acknowledged meanwhile")
        check = integrity_check(copy)
        print(f"    integrity_check of the copy: {check}")
        if check != "ok":
            fail(f"sqlite backup integrity_check: {check}")
        snapshot = sqlite_tables(copy)
        check_snapshot(
            "sqlite", ledger, before, snapshot, sqlite_tables(data_dir / "huibao.sqlite3")
        )
        server.stop()
        # Restore as the README says: the copy put in place as huibao.sqlite3, site started.
        shutil.copyfile(copy, restored_dir / "huibao.sqlite3")
        restored.start()
        compare(
            "restored vs snapshot",
            hashes(sqlite_tables(restored_dir / "huibao.sqlite3")),
            hashes(snapshot),
        )
        await restored_serves(restored, secretaries[0], snapshot)
    finally:
        server.stop()
        restored.stop()
        tidy(data_dir)
        shutil.rmtree(restored_dir, ignore_errors=True)


async def backup_postgres(cluster: TempCluster, count: int) -> None:
    print(f"\n== backup under load: PostgreSQL, pg_dump, {count} secretaries, 2 workers ==")
    pg_dump = cluster.bindir / "pg_dump"
    pg_restore = cluster.bindir / "pg_restore"
    await create_database(cluster.url(), "huibao_backup")
    await create_database(cluster.url(), "huibao_restored")
    url, restored_url = cluster.url("huibao_backup"), cluster.url("huibao_restored")
    data_dir = Path(tempfile.mkdtemp(prefix="huibao-faults-pgbackup-"))
    env = server_env(data_dir, url)
    server = ServerProcess(env, data_dir / "server.log", workers=2)
    dump = data_dir / "huibao.dump"
    restored = ServerProcess(server_env(data_dir / "r", restored_url), data_dir / "restored.log")
    (data_dir / "r").mkdir()
    try:
        server.start()
        secretaries = add_secretaries(env, count)
        ledger = Ledger()

        def backup() -> float:
            started = time.monotonic()
            subprocess.run(
                [str(pg_dump), "--format=custom", f"--file={dump}", url],
                check=True, capture_output=True,
            )  # fmt: skip
            return time.monotonic() - started

        took, before, during = await load_during(server, secretaries, ledger, backup)
        print(f"    pg_dump took {took * 1000:.0f} ms; {during} saves acknowledged meanwhile")
        server.stop()
        live = await postgres_tables(url)
        subprocess.run(
            [str(pg_restore), "--no-owner", f"--dbname={restored_url}", str(dump)],
            check=True, capture_output=True,
        )  # fmt: skip
        snapshot = await postgres_tables(restored_url)
        check_snapshot("pg_dump", ledger, before, snapshot, live)
        restored.start()
        compare(
            "restored after the site started on it vs as restored",
            hashes(await postgres_tables(restored_url)),
            hashes(snapshot),
        )
        await restored_serves(restored, secretaries[0], snapshot)
    finally:
        server.stop()
        restored.stop()
        tidy(data_dir)


# -- main --------------------------------------------------------------------------------------


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--secretaries", type=int, default=8)
    parser.add_argument("--down-seconds", type=float, default=4.0)
    parser.add_argument(
        "--postgres",
        help="also kill -9 three workers on this database "
        "(it is emptied; its name must contain 'faults')",
    )
    parser.add_argument("--only", choices=("kill", "restart", "backup"))
    parser.add_argument("--seed", type=int, default=20200130)
    parser.add_argument("--keep", action="store_true", help="keep data directories and logs")
    args = parser.parse_args()
    if args.keep:
        KEEP.append(True)
    if args.postgres and "faults" not in args.postgres.rsplit("/", 1)[-1]:
        parser.error("--postgres: the database's name must contain 'faults'")
    started = time.monotonic()
    if args.only in (None, "kill"):
        await kill_nine("SQLite", None, 1, args.kills, args.secretaries, args.seed)
        if args.postgres:
            name = args.postgres.rsplit("/", 1)[-1]
            await create_database(args.postgres.rsplit("/", 1)[0] + "/postgres", name)
            await kill_nine("PostgreSQL", args.postgres, 3, args.kills, args.secretaries, args.seed)
    if args.only in (None, "backup"):
        await backup_sqlite(args.secretaries)
    if args.only in (None, "restart", "backup"):
        if postgres_bindir() is None:
            fail("PostgreSQL's initdb is not installed: no cluster of our own to stop")
        else:
            with temp_cluster() as cluster:
                print(f"\n(throwaway PostgreSQL cluster in {cluster.root}, port {cluster.port})")
                if args.only in (None, "restart"):
                    await postgres_restart(cluster, 3, args.secretaries, args.down_seconds)
                if args.only in (None, "backup"):
                    await backup_postgres(cluster, args.secretaries)
    print(f"\n{len(FAILED)} failures in {time.monotonic() - started:.0f} s")
    for failure in FAILED:
        print(f"  {failure}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
