"""Fault injection against the real server: kill -9 while secretaries autosave and submit,
then check that every save the server acknowledged survived, and a throwaway PostgreSQL
cluster to stop and start under the site.

Used by tests/test_faults.py (small runs) and bench/faults.py (the figures).

Run as `python -m tests.fault_helpers add-secretaries N` (with the server's HUIBAO_*
environment) it adds N secretaries, each of a society whose report in the running weekly
round is still open, and prints them as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "faults-secretary-2026"
# The weekly report's required questions: five integers and a yes/no.
INTEGER_KEYS = (
    "online_meetings",
    "members_reached",
    "science_items",
    "science_reach",
    "advice_submitted",
)
YES_NO_KEY = "duty_roster"
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the server ------------------------------------------------------------------------------


class ServerProcess:
    """`python -m intranet serve --demo` in a session of its own, so that kill -9 reaches
    the workers uvicorn starts as well as the process that started them."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 1) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "intranet", "serve", "--demo", "--port", str(self.port)]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_healthy()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_healthy(self, timeout: float = START_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        answered = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.output()[-4000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).text == "ok":
                    answered += 1
                    # With several workers the first one up answers: ask until all have
                    # had a chance to (the kernel spreads new connections over them).
                    if answered >= 2 * self.workers:
                        return
                    continue
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not come up in {timeout}s:\n{self.output()[-4000:]}")

    def kill9(self) -> None:
        """SIGKILL to every process of the server at once: no shutdown code runs."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill9()
        with contextlib.suppress(ProcessLookupError):  # a worker left behind
            os.killpg(self.process.pid, signal.SIGKILL)


def server_env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUIBAO_")}
    env.update(
        HUIBAO_DATA_DIR=str(data_dir),
        HUIBAO_ARGON2_TIME_COST="1",
        HUIBAO_ARGON2_MEMORY_KIB="64",
        HUIBAO_ARGON2_PARALLELISM="1",
        HUIBAO_SCHEDULER="0",
    )
    if database_url:
        env["HUIBAO_DATABASE_URL"] = database_url
    return env


@dataclass
class Secretary:
    username: str
    response_id: int


def add_secretaries(env: dict[str, str], count: int) -> list[Secretary]:
    """Run `python -m tests.fault_helpers add-secretaries` against the server's database."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.fault_helpers", "add-secretaries", str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"adding secretaries failed:\n{done.stdout}\n{done.stderr}")
    return [Secretary(**row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


async def _add_secretaries(count: int) -> list[dict[str, Any]]:
    from tortoise import timezone

    from intranet import db
    from intranet.models import Membership, Role, User
    from intranet.security import hash_password
    from intranet.settings import load_settings
    from surveys.demo import SECRETARIES, WEEKLY_TITLE
    from surveys.models import Response, Round
    from surveys.states import ResponseState

    settings = load_settings()
    await db.init(settings)
    try:
        current = await Round.filter(campaign__title=WEEKLY_TITLE).order_by("-id").first()
        assert current is not None, "the demo's weekly report is missing"
        taken = set(
            await Membership.filter(role=Role.SECRETARY).values_list("organisation_id", flat=True)
        )
        open_states = [ResponseState.NOT_STARTED, ResponseState.DRAFT]
        responses = await Response.filter(
            round_id=current.id, state__in=open_states, organisation_id__not_in=list(taken)
        ).order_by("id")
        if len(responses) < count:
            raise SystemExit(f"only {len(responses)} open reports without a secretary")
        hashed = hash_password(settings, PASSWORD)
        made = []
        for index, response in enumerate(responses[:count]):
            username = f"faults-{index}"
            assert username not in SECRETARIES.values()
            user = await User.create(
                username=username,
                display_name=f"秘书{index}",
                password_hash=hashed,
                password_changed_at=timezone.now(),
            )
            await Membership.create(
                user=user,
                organisation_id=response.organisation_id,
                role=Role.SECRETARY,
            )
            made.append({"username": username, "response_id": response.id})
        return made
    finally:
        await db.close()


# -- the secretaries' clients ----------------------------------------------------------------


@dataclass
class Ack:
    response_id: int
    key: str
    value: Any
    version: int


@dataclass
class Ledger:
    """What the server acknowledged, and what was in flight when the connection dropped."""

    saves: list[Ack] = field(default_factory=list)
    submitted: set[int] = field(default_factory=set)
    # response id -> (key, value) of a save sent but never answered
    pending: dict[int, tuple[str, Any]] = field(default_factory=dict)
    pending_submits: set[int] = field(default_factory=set)
    # (response id, key, value) of saves whose outcome the client cannot know: answered
    # 503, or cut off; each may or may not have been stored
    uncertain: set[tuple[int, str, Any]] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)  # answers other than the expected ones

    def last_values(self) -> dict[tuple[int, str], Any]:
        last: dict[tuple[int, str], Any] = {}
        for ack in self.saves:
            last[(ack.response_id, ack.key)] = ack.value
        return last

    def versions(self) -> dict[int, int]:
        top: dict[int, int] = {}
        for ack in self.saves:
            top[ack.response_id] = max(top.get(ack.response_id, 0), ack.version)
        return top


def page_state(text: str) -> tuple[dict[str, str], int, dict[str, str]]:
    """The page's CSRF header, the version it shows, and each answer's base (what is stored)."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(text, "html.parser")
    headers = json.loads(page.body["hx-headers"])  # type: ignore[index,arg-type]
    version = int(page.select_one("#response-version")["value"])  # type: ignore[index,arg-type]
    bases = {}
    for key in (*INTEGER_KEYS, YES_NO_KEY):
        base = page.select_one(f"input[name='base.{key}']")
        bases[key] = str(base["value"]) if base else ""
    return headers, version, bases


def _csrf(text: str) -> str:
    marker = 'name="csrf_token" value="'
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


def form_fields(text: str) -> list[tuple[str, str]]:
    """What a browser sends for the response form: every named field's current value
    (checkboxes and radios only when ticked; file inputs left out)."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(text, "html.parser").select_one("#response-form")
    assert form is not None, "no response form on the page"
    fields: list[tuple[str, str]] = []
    for element in form.select("input[name], textarea[name], select[name]"):
        name = str(element["name"])
        if element.name == "textarea":
            fields.append((name, element.get_text()))
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            if chosen is not None:
                fields.append((name, str(chosen.get("value", chosen.get_text()))))
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                fields.append((name, str(element.get("value", "on"))))
        elif element.get("type") not in ("file", "submit", "button"):
            fields.append((name, str(element.get("value", ""))))
    return fields


def as_dict(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    return grouped


async def log_in(client: httpx.AsyncClient, secretary: Secretary) -> bool:
    """Sign in through the /login form, as a browser does."""
    login = await client.get("/login")
    signed_in = await client.post(
        "/login",
        data={
            "username": secretary.username,
            "password": PASSWORD,
            "csrf_token": _csrf(login.text),
        },
    )
    return signed_in.status_code == 303


async def run_secretary(
    url: str,
    secretary: Secretary,
    ledger: Ledger,
    *,
    serial: int,
    submit_after: int | None,
    stop: asyncio.Event,
    limit: int | None = None,
) -> None:
    """Sign in, then autosave the integer questions in turn, a new value each time, as the
    page's script does (base = the value last stored, version from X-Response-Version);
    with `submit_after`, answer yes/no and submit after that many saves. Ends when told,
    when the report is sent, or when the server stops answering."""
    rid = secretary.response_id
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        try:
            if not await log_in(client, secretary):
                ledger.refused.append(f"{secretary.username}: not signed in")
                return
            page = await client.get(f"/reports/responses/{rid}")
        except httpx.TransportError:
            return
        if page.status_code != 200:
            ledger.refused.append(f"{secretary.username}: page {page.status_code}")
            return
        headers, version, stored = page_state(page.text)
        headers["HX-Request"] = "true"
        count = 0
        while not stop.is_set() and (limit is None or count < limit):
            if submit_after is not None and count == submit_after:
                keys_values: list[tuple[str, Any]] = [(YES_NO_KEY, "yes")]
            else:
                key = INTEGER_KEYS[count % len(INTEGER_KEYS)]
                keys_values = [(key, serial * 1_000_000 + count)]
            for key, value in keys_values:
                base = stored.get(key, "")
                ledger.pending[rid] = (key, value)
                try:
                    saved = await client.post(
                        f"/reports/responses/{rid}/answers/{key}",
                        data={"value": str(value), "base": str(base), "version": str(version)},
                        headers=headers,
                    )
                except httpx.TransportError:
                    return
                del ledger.pending[rid]
                if saved.status_code != 200:
                    ledger.refused.append(f"{secretary.username}: save {saved.status_code}")
                    return
                version = int(saved.headers["x-response-version"])
                ledger.saves.append(Ack(rid, key, value, version))
                stored[key] = value
            if submit_after is not None and count == submit_after:
                ledger.pending_submits.add(rid)
                try:
                    # As the browser sends it: the page's form as it stands, to Submit's
                    # formaction (the page read again, as the saves have moved it on).
                    page = await client.get(f"/reports/responses/{rid}")
                    sent = await client.post(
                        f"/reports/responses/{rid}/submit", data=as_dict(form_fields(page.text))
                    )
                except httpx.TransportError:
                    return
                ledger.pending_submits.discard(rid)
                location = sent.headers.get("location", "")
                if sent.status_code == 303 and "submitted" in location:
                    ledger.submitted.add(rid)
                else:
                    ledger.refused.append(
                        f"{secretary.username}: submit {sent.status_code} {_messages(sent.text)}"
                    )
                return
            count += 1


async def drive_until_killed(
    server: ServerProcess,
    secretaries: list[Secretary],
    ledger: Ledger,
    *,
    kill_after: int,
    submitters: dict[int, int],
    serial_base: int,
    wait_for_submits: bool = True,
) -> int:
    """All secretaries at once; kill -9 the server once `kill_after` more saves have been
    acknowledged (and, with `wait_for_submits`, the reports in `submitters`, response id
    to the number of saves before sending, have been sent). Returns how many saves were
    acknowledged in this run."""
    stop = asyncio.Event()
    before = len(ledger.saves)
    tasks = [
        asyncio.create_task(
            run_secretary(
                server.url,
                secretary,
                ledger,
                serial=serial_base + index,
                submit_after=submitters.get(secretary.response_id),
                stop=stop,
            )
        )
        for index, secretary in enumerate(secretaries)
        if secretary.response_id not in ledger.submitted
    ]
    deadline = time.monotonic() + 120

    def enough() -> bool:
        # Enough saves, and every report to be sent either sent or its sender stopped.
        sent = all(rid in ledger.submitted for rid in submitters)
        return len(ledger.saves) - before >= kill_after and (sent or not wait_for_submits)

    while not enough() and not all(t.done() for t in tasks):
        if time.monotonic() > deadline:
            raise RuntimeError("the secretaries made too little progress")
        await asyncio.sleep(0.005)
    await asyncio.to_thread(server.kill9)
    stop.set()
    await asyncio.gather(*tasks)
    return len(ledger.saves) - before


# -- what the database holds -----------------------------------------------------------------


@dataclass
class Stored:
    responses: dict[int, tuple[str, int, dict[str, Any], bool]]  # state, version, answers, sent
    changes: set[tuple[int, str, str]]  # response id, key, new value as canonical JSON
    submit_events: set[int]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


async def read_stored(database_url: str | None, sqlite_path: Path, ids: list[int]) -> Stored:
    id_list = ",".join(str(i) for i in ids) or "0"
    queries = (
        "SELECT id, state, version, answers, submitted_at IS NOT NULL FROM survey_response "
        f"WHERE id IN ({id_list})",
        "SELECT response_id, question_key, new_value FROM survey_answer_change "
        f"WHERE response_id IN ({id_list})",
        "SELECT response_id FROM survey_response_event "
        f"WHERE action = 'submit' AND response_id IN ({id_list})",
    )
    results = await fetch_all(database_url, sqlite_path, queries)
    responses = {row[0]: (row[1], row[2], _loaded(row[3]), bool(row[4])) for row in results[0]}
    changes = {(row[0], row[1], canonical(_loaded(row[2]))) for row in results[1]}
    return Stored(responses, changes, {row[0] for row in results[2]})


async def fetch_all(
    database_url: str | None, sqlite_path: Path, queries: tuple[str, ...] | list[str]
) -> list[list[tuple[Any, ...]]]:
    if not database_url:
        connection = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
        try:
            return [[tuple(r) for r in connection.execute(q).fetchall()] for q in queries]
        finally:
            connection.close()
    import asyncpg

    pg = await asyncpg.connect(database_url)
    try:
        return [[tuple(r) for r in await pg.fetch(q)] for q in queries]
    finally:
        await pg.close()


def check_ledger(ledger: Ledger, stored: Stored) -> list[str]:
    """Every way the database differs from what the server acknowledged."""
    problems = []
    for ack in ledger.saves:
        if (ack.response_id, ack.key, canonical(ack.value)) not in stored.changes:
            problems.append(f"save {ack} has no history row")
    for rid, version in ledger.versions().items():
        if stored.responses[rid][1] < version:
            problems.append(f"response {rid} at version {stored.responses[rid][1]} < {version}")
    for (rid, key), value in ledger.last_values().items():
        now = stored.responses[rid][2].get(key)
        in_flight = ledger.pending.get(rid)
        if now != value and in_flight != (key, now) and (rid, key, now) not in ledger.uncertain:
            problems.append(f"response {rid} {key} = {now!r}, acknowledged {value!r}")
    for rid in ledger.submitted:
        state, _, _, sent = stored.responses[rid]
        if state != "submitted" or not sent or rid not in stored.submit_events:
            problems.append(f"response {rid} acknowledged as submitted is {state}")
    return problems


def integrity_check(sqlite_path: Path) -> str:
    connection = sqlite3.connect(sqlite_path)
    try:
        return ", ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


async def pages_show(url: str, secretary: Secretary, ledger: Ledger) -> list[str]:
    """The secretary's page shows what the server acknowledged (or what was in flight)."""
    from bs4 import BeautifulSoup

    rid = secretary.response_id
    if rid in ledger.submitted:  # shown as text, not in inputs; the database check covers it
        return []
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        assert await log_in(client, secretary)
        page = BeautifulSoup((await client.get(f"/reports/responses/{rid}")).text, "html.parser")
    problems = []
    for (response_id, key), value in ledger.last_values().items():
        if response_id != rid or key == YES_NO_KEY:
            continue
        shown = page.select_one(f"input[name='base.{key}']")
        text = shown.get("value") if shown else None
        maybe = int(text or -1)
        if text != str(value) and (
            ledger.pending.get(rid) != (key, maybe) and (rid, key, maybe) not in ledger.uncertain
        ):
            problems.append(f"{secretary.username}'s page shows {key} = {text!r}, not {value}")
    return problems


# -- a throwaway PostgreSQL cluster ----------------------------------------------------------


def postgres_bindir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


class TempCluster:
    """initdb into a temporary directory, on a free port, trust authentication; run as user
    postgres when we are root (the server refuses root). Never the system's cluster."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="huibao-faults-pg-"))
        self.data = self.root / "data"
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            shutil.chown(self.root, self.owner)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.owner, "--"] if self.owner else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def temp_cluster() -> Iterator[TempCluster]:
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL's initdb is not installed")
    cluster = TempCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


async def create_database(admin_url: str, name: str) -> None:
    import asyncpg

    pg = await asyncpg.connect(admin_url)
    try:
        await pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await pg.execute(f'CREATE DATABASE "{name}"')
    finally:
        await pg.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["add-secretaries"]:
        print(json.dumps(asyncio.run(_add_secretaries(int(sys.argv[2])))))
    else:
        raise SystemExit("usage: python -m tests.fault_helpers add-secretaries N")


def _messages(text: str) -> str:
    from bs4 import BeautifulSoup

    page = BeautifulSoup(text, "html.parser")
    return " | ".join(
        p.get_text(" ", strip=True) for p in page.select(".flash, .errors, .error, [role=alert]")
    )
