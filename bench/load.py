"""Load and soak: simulated people using the site at once, against uvicorn on loopback.

    .venv/bin/python bench/load.py                               # SQLite, 1 worker, 60 users, 60 s
    .venv/bin/python bench/load.py --duration 20
    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/huibao_load \
        --workers 3                                              # PostgreSQL, 3 workers
    .venv/bin/python bench/load.py --soak                        # 600 s, RSS every 30 s, verdict

The data is bench/survey_data.py's year of weekly reports (200 societies each with its
secretary, 52 rounds, round 52 open) with, on top, made through the site's own code:
a few more open weekly rounds (other campaigns of the same form), so a secretary who
submits has another report to fill in; association staff (`bench-staff`,
`bench-staff-02` ...); members of the societies (`bench-member-001` ...); and notices
to all members published with intranet.notices.workflow.publish. SQLite in a temporary
HUIBAO_DATA_DIR, or with --database-url a PostgreSQL database that is created if missing
and emptied first (refused if it has tables and neither "load" nor "bench" in its name).

Every simulated person is an asyncio task with an httpx client of its own (its cookies,
its keep-alive connection), signed in once through the real /login form; the CSRF token
comes from <body hx-headers> as for the page's scripts. Half the users are secretaries
of different societies (no two save the same report): they open their report, then
autosave one field at a time as the page's script does (value, base, version; think
time 1-3 s), the required fields first; once the form is complete they may submit it
(the page's whole form, as the Submit button sends it) and go on to their next open
report. Four tenths are members: the notice list, then a notice (which records a read
receipt). A tenth are staff: round 52's tracker, its report page and, every other time,
its spreadsheet (.xlsx, built in each worker's export process).

uvicorn (uvloop, httptools, no access log; bench/_serve.py) runs pinned with taskset to
CPU 0 with its workers and export processes; this load generator pins itself to CPU 1;
PostgreSQL runs unpinned (--no-pin leaves everything unpinned). Before the users start,
the site is primed: an export through each worker, so every export process exists when
memory is first measured. The users start over --ramp seconds; after --warmup seconds
the counters start and the server's resident memory (RSS, summed over every process of
the server) is sampled, then every --sample seconds, and at the end.

It prints, per kind of request, count, requests/s, p50/p95/p99/max latency and errors
(login over the ramp-up; the rest over the measured time), the totals, the server's CPU
time, the RSS at the start and the end and its growth. Any error (an answer other than
the expected one, e.g. 4xx/5xx or a redirect to /login, or no answer at all) makes it
exit 1. With --soak (600 s unless --duration is given) RSS growth over 10% from the
first sample to the end also fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import math
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
for _path in (str(BENCH_DIR), str(REPO_DIR)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from _serve import CLIENT_CPU, SERVER_CPU, Server, start_server, tree_cpu_seconds  # noqa: E402
from autosave import hx_token, login_token  # noqa: E402
from healthz_vs_hello import load_average  # noqa: E402
from notice_data import (  # noqa: E402
    ACTIONS,
    ENDINGS,
    PASSWORD,
    TOPICS,
    body_markdown,
    build_fresh,
    environment,
    fixture_sentences,
)

INFO_FILE = "bench_load.json"
SOAK_SECONDS = 600
SOAK_GROWTH_LIMIT = 10.0  # per cent, first sample to the end
SECRETARY_SHARE = 0.5
STAFF_SHARE = 0.1
SUBMIT_CHANCE = 1 / 25  # per autosave, once every required field is answered
EXPORT_EVERY = 2  # a staff member downloads the spreadsheet every other visit
PRIME_ATTEMPTS = 40
TIMEOUT = 120.0
KEEPALIVE = 3.0  # seconds an idle connection is kept by the client; uvicorn's is 5

# What each kind of request must answer; anything else is an error.
KINDS: dict[str, tuple[int, ...]] = {
    "login": (303,),  # POST /login
    "login form": (200,),  # GET /login
    "my reports": (200,),  # GET /reports
    "report form": (200,),  # GET /reports/responses/{id}
    "autosave": (200,),  # POST /reports/responses/{id}/answers/{key}
    "submit": (303,),  # POST /reports/responses/{id}/submit
    "notice list": (200,),  # GET /notices
    "notice page": (200,),  # GET /notices/{id} (records a read receipt)
    "tracker": (200,),  # GET /reports/rounds/{id}
    "report": (200,),  # GET /reports/rounds/{id}/totals
    "export": (200,),  # GET /reports/rounds/{id}/totals.xlsx
}


# -- the data -----------------------------------------------------------------------------


@dataclass
class LoadSecretary:
    username: str
    organisation_id: int
    responses: list[int]  # their open responses, in the order they fill them in


@dataclass
class LoadData:
    data_dir: str
    database_url: str
    password: str
    round_id: int  # round 52 of the weekly campaign: the staff's tracker, report, export
    secretaries: list[LoadSecretary]
    members: list[str]
    staff: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    survey_seconds: float = 0.0  # survey_data's part
    seconds: float = 0.0  # the rest


async def build(
    settings: Any,
    *,
    secretaries: int,
    members: int,
    staff: int,
    extra_rounds: int,
    notices: int,
    seed: int = 2020,
) -> LoadData:
    """survey_data's year of weekly reports, then the people, rounds and notices the
    load needs, made with the site's own functions."""
    from survey_data import STAFF_USERNAME
    from survey_data import build as build_surveys
    from tortoise import connections, timezone

    from intranet.models import Membership, Role, User
    from intranet.notices import workflow
    from intranet.notices.models import (
        AddresseeRole,
        AddresseeTarget,
        BodyFormat,
        DocumentPrefix,
        Notice,
        NoticeAddressee,
    )
    from intranet.notifications.models import EmailMessage, EmailState
    from intranet.security import hash_password
    from surveys.models import Campaign, Response, Round
    from surveys.round_calendar import ScheduleKind
    from surveys.rounds import open_due_rounds
    from surveys.states import ResponseState

    surveys = await build_surveys(settings, seed=seed)
    started = time.monotonic()
    rng = random.Random(seed)
    now = timezone.now()
    counts = dict(surveys.counts)
    password_hash = hash_password(settings, PASSWORD)
    main_round = await Round.get(id=surveys.round_id).select_related("campaign")
    campaign = main_round.campaign
    society_ids = sorted(campaign.roster_organisations)

    # -- more staff and members --
    staff_names = [STAFF_USERNAME] + [f"bench-staff-{n:02d}" for n in range(2, staff + 1)]
    for username in staff_names[1:]:
        user = await User.create(
            username=username, display_name="科协工作人员", password_hash=password_hash
        )
        await Membership.create(user=user, organisation_id=1, role=Role.STAFF)
    member_names = []
    for n in range(1, members + 1):
        username = f"bench-member-{n:03d}"
        user = await User.create(
            username=username, display_name=f"会员{n:03d}", password_hash=password_hash
        )
        society_id = society_ids[(n * 7) % len(society_ids)]
        await Membership.create(user=user, organisation_id=society_id, role=Role.MEMBER)
        member_names.append(username)
    counts["staff"] = len(staff_names)
    counts["members"] = len(member_names)

    # -- more open rounds: other weekly campaigns of the same form, opened as the
    #    scheduler opens them --
    local_today = now.astimezone(settings.zone).date()
    this_monday = local_today - datetime.timedelta(days=local_today.weekday())
    extra_campaigns = []
    for n in range(1, extra_rounds + 1):
        other = await Campaign.create(
            title=f"学会工作周报（第{n}批）",
            form_version_id=campaign.form_version_id,  # type: ignore[attr-defined]
            organiser_id=1,
            schedule_kind=ScheduleKind.WEEKLY,
            starts_on=this_monday,
            due_offset_days=0,
            roster_organisations=society_ids,
            created_by_id=1,
        )
        if not await open_due_rounds(other, now, zone=settings.zone):
            raise SystemExit("bench data: the extra campaign opened no round")
        extra_campaigns.append(other)
    counts["extra open rounds"] = len(extra_campaigns)

    # -- the secretaries: societies whose round-52 report is still open first --
    open_states = [ResponseState.NOT_STARTED, ResponseState.DRAFT]
    main_open = {
        r["organisation_id"]: r["id"]
        for r in await Response.filter(round_id=main_round.id, state__in=open_states).values(
            "id", "organisation_id"
        )
    }
    extra_rounds_ids = await Round.filter(
        campaign_id__in=[c.id for c in extra_campaigns]
    ).values_list("id", flat=True)
    extra_responses: dict[int, list[int]] = {}
    for r in (
        await Response.filter(round_id__in=extra_rounds_ids)
        .order_by("round_id")
        .values("id", "organisation_id")
    ):
        extra_responses.setdefault(r["organisation_id"], []).append(r["id"])
    usernames = {
        m["organisation_id"]: m["user__username"]
        for m in await Membership.filter(role=Role.SECRETARY).values(
            "organisation_id", "user__username"
        )
    }
    ordered = [o for o in society_ids if o in main_open] + [
        o for o in society_ids if o not in main_open
    ]
    step = max(1, len(ordered) // max(1, secretaries))
    chosen = (ordered[::step] + [o for o in ordered if o not in ordered[::step]])[:secretaries]
    load_secretaries = [
        LoadSecretary(
            username=usernames[o],
            organisation_id=o,
            responses=([main_open[o]] if o in main_open else []) + extra_responses.get(o, []),
        )
        for o in chosen
    ]

    # -- notices to every member of the association, published by the site's workflow --
    prefix = await DocumentPrefix.create(organisation_id=1, text="辽科协发", is_default=True)
    author = await User.get(username=STAFF_USERNAME)
    sentences = fixture_sentences()
    days = sorted(rng.randrange(365) for _ in range(notices))
    for day in days:
        topic = rng.choice(TOPICS)
        issued_on = local_today - datetime.timedelta(days=365 - day)
        notice = Notice(
            issuer_id=1,
            author=author,
            prefix=prefix,
            title=f"关于{rng.choice(ACTIONS)}{topic}{rng.choice(ENDINGS)}"[:200],
            addressee_line="各会员单位及个人会员",
            signature="辽宁省科学技术协会",
            issued_on=issued_on,
        )
        salutation = "各会员单位及个人会员："
        workflow.set_body(
            notice, body_markdown(rng, sentences, salutation, topic), BodyFormat.MARKDOWN
        )
        await notice.save()
        await NoticeAddressee.create(
            notice=notice,
            role=AddresseeRole.TO,
            target=AddresseeTarget.MEMBERS_OF,
            organisation_id=1,
        )
        await workflow.publish(notice, author, today=issued_on)
        published_at = min(
            datetime.datetime.combine(issued_on, datetime.time(9), tzinfo=settings.zone),
            now - datetime.timedelta(hours=1),
        )
        await Notice.filter(id=notice.id).update(published_at=published_at)
    counts["notices"] = notices
    # The e-mails publication queued went out before the run (the console backend
    # would print thousands of them into the server's log during it).
    await EmailMessage.filter(state=EmailState.PENDING).update(state=EmailState.SENT)
    await connections.get("default").execute_script("ANALYZE")
    return LoadData(
        data_dir=str(settings.data_dir),
        database_url=settings.database_url,
        password=PASSWORD,
        round_id=main_round.id,
        secretaries=load_secretaries,
        members=member_names,
        staff=staff_names,
        counts=counts,
        survey_seconds=surveys.seconds,
        seconds=time.monotonic() - started,
    )


async def prepare_postgres(url: str) -> None:
    """Create the database if it is missing, and empty it: refused if it has tables
    and neither "load" nor "bench" in its name (so a real database is never emptied)."""
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    dsn = url.replace("postgres://", "postgresql://", 1)
    try:
        connection = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        maintenance = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
        try:
            await maintenance.execute(f'CREATE DATABASE "{name}"')
        finally:
            await maintenance.close()
        print(f"created database {name!r}")
        return
    try:
        tables = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        if tables and "load" not in name and "bench" not in name:
            raise SystemExit(
                f"refusing to empty database {name!r}: it has tables and neither 'load' "
                "nor 'bench' in its name"
            )
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


def generate(data_dir: Path, database_url: str | None, **options: Any) -> LoadData:
    if database_url:
        asyncio.run(prepare_postgres(database_url))
    data: LoadData = build_fresh(data_dir, database_url, build, INFO_FILE, **options)
    return data


# -- the server's processes and memory ------------------------------------------------------


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                found += [int(p) for p in (task / "children").read_text().split()]
    return found


def process_tree(root: int) -> list[int]:
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        if Path(f"/proc/{pid}").exists():
            tree.append(pid)
            pending += children(pid)
    return tree


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) if found else 0


def workers_of(root: int, workers: int) -> list[int]:
    """uvicorn's worker processes: the server itself when it runs one, else the
    children its supervisor spawned (not multiprocessing's resource tracker)."""
    if workers == 1:
        return [root]
    return [pid for pid in children(root) if "spawn_main" in command_line(pid)]


def has_export_process(worker: int) -> bool:
    return any("spawn_main" in command_line(pid) for pid in children(worker))


@dataclass
class MemorySample:
    at: float  # seconds since the measured time started
    rss_kib: int
    processes: int
    roles: str


def sample_memory(root: int, workers: int, at: float) -> MemorySample:
    tree = process_tree(root)
    worker_pids = set(workers_of(root, workers))
    exporters = {
        pid for w in worker_pids for pid in children(w) if "spawn_main" in command_line(pid)
    }
    parts: dict[str, list[int]] = {"workers": [], "export": [], "other": []}
    for pid in tree:
        role = "workers" if pid in worker_pids else "export" if pid in exporters else "other"
        parts[role].append(rss_kib(pid))
    roles = ", ".join(
        f"{role} {len(sizes)}× {sum(sizes) / 1024:.0f} MB" for role, sizes in parts.items() if sizes
    )
    total = sum(sum(sizes) for sizes in parts.values())
    return MemorySample(at, total, len(tree), roles)


def unpin(root: int) -> None:
    everything = os.sched_getaffinity(0) | {int(SERVER_CPU), int(CLIENT_CPU)}
    for pid in process_tree(root):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
                    os.sched_setaffinity(int(task.name), everything)


def stop_everything(server: Server, known: set[int]) -> None:
    """Stop uvicorn (it stops its workers, they their export processes), then end any
    process of its tree that outlived it."""
    known |= set(process_tree(server.process.pid))
    server.stop()
    deadline = time.monotonic() + 10
    left = [pid for pid in known if pid != server.process.pid and Path(f"/proc/{pid}").exists()]
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [pid for pid in left if Path(f"/proc/{pid}").exists()]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# -- the load: counters --------------------------------------------------------------------


@dataclass
class Record:
    kind: str
    started: float  # monotonic
    seconds: float
    ok: bool


@dataclass
class Counters:
    records: list[Record] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def add(self, kind: str, started: float, ok: bool, detail: str = "") -> None:
        self.records.append(Record(kind, started, time.monotonic() - started, ok))
        if not ok:
            self.error_count += 1
            if len(self.first_errors) < 12:
                self.first_errors.append(f"{kind}: {detail}")


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (values sorted)."""
    if not values:
        return math.nan
    position = (len(values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


# -- the load: one person ------------------------------------------------------------------


class Stop(Exception):
    """The run is over: the person leaves."""


class Person:
    def __init__(
        self,
        username: str,
        base_url: str,
        counters: Counters,
        rng: random.Random,
        end: float,
    ) -> None:
        import httpx

        self.username = username
        self.counters = counters
        self.rng = rng
        self.end = end
        self.token = ""
        # uvicorn closes a connection idle for 5 s: the client must not send on one it
        # is closing (a browser would retry; httpx reports RemoteProtocolError).
        self.client = httpx.AsyncClient(
            base_url=base_url, timeout=TIMEOUT, limits=httpx.Limits(keepalive_expiry=KEEPALIVE)
        )

    async def think(self, low: float, high: float) -> None:
        left = self.end - time.monotonic()
        if left <= 0:
            raise Stop
        await asyncio.sleep(min(left, self.rng.uniform(low, high)))
        if time.monotonic() >= self.end:
            raise Stop

    async def call(
        self, kind: str, method: str, url: str, check: Callable[[Any], str] | None = None, **kw: Any
    ) -> Any:
        """One request, timed to the last byte of the answer; the answer if it is what
        `kind` expects (and `check` finds nothing wrong), else None, counted as an error."""
        import httpx

        headers = kw.pop("headers", {})
        if method == "POST" and self.token:
            headers["X-CSRF-Token"] = self.token
        started = time.monotonic()
        try:
            answer = await self.client.request(method, url, headers=headers, **kw)
        except httpx.HTTPError as error:
            self.counters.add(kind, started, False, f"{method} {url}: {type(error).__name__}")
            return None
        problem = ""
        if answer.status_code not in KINDS[kind]:
            location = answer.headers.get("location", "")
            problem = f"{answer.status_code} {location} {answer.text[:200]!r}"
        elif check is not None:
            problem = check(answer)
        self.counters.add(kind, started, not problem, f"{method} {url}: {problem}")
        return None if problem else answer

    async def sign_in(self, password: str, first_page: str, kind: str) -> None:
        """GET and POST /login; then the first page, whose <body hx-headers> holds the
        CSRF token the person's requests send."""
        page = await self.call("login form", "GET", "/login")
        if page is None:
            raise Stop
        answer = await self.call(
            "login",
            "POST",
            "/login",
            data={
                "username": self.username,
                "password": password,
                "csrf_token": login_token(page.text),
                "next": first_page,
            },
        )
        if answer is None:
            raise Stop
        landing = await self.call(kind, "GET", first_page)
        if landing is None:
            raise Stop
        self.token = hx_token(landing.text)
        self.landing = landing

    async def close(self) -> None:
        await self.client.aclose()


class FormFields(HTMLParser):
    """The name/value pairs a browser sends for one <form id=...>: text inputs and
    hidden ones, ticked boxes, each select's chosen option, textareas; not what is
    inside a <template>, not buttons or file inputs."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.template_depth = 0
        self.pairs: list[tuple[str, str]] = []
        self.select: list[Any] | None = None  # name, chosen value, first value
        self.textarea: list[Any] | None = None  # name, text parts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form":
            self.inside = named.get("id") == self.form_id
            return
        if not self.inside:
            return
        if tag == "template":
            self.template_depth += 1
            return
        name = named.get("name")
        if self.template_depth or "disabled" in named:
            return
        if tag == "input" and name:
            kind = (named.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in named:
                return
            self.pairs.append((name, named.get("value") or ""))
        elif tag == "select" and name:
            self.select = [name, None, None]
        elif tag == "option" and self.select is not None:
            value = named.get("value") or ""
            if self.select[2] is None:
                self.select[2] = value
            if "selected" in named:
                self.select[1] = value
        elif tag == "textarea" and name:
            self.textarea = [name, []]

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "template":
            self.template_depth -= 1
        elif tag == "select" and self.select is not None:
            name, chosen, first = self.select
            self.pairs.append((name, chosen if chosen is not None else first or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.pairs.append((self.textarea[0], "".join(self.textarea[1])))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)


def form_pairs(html: str, form_id: str = "response-form") -> list[tuple[str, str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    parser.close()
    return parser.pairs


def replace_pairs(pairs: list[tuple[str, str]], name: str, values: list[str]) -> None:
    at = next((i for i, (n, _) in enumerate(pairs) if n == name), len(pairs))
    pairs[:] = [p for p in pairs if p[0] != name]
    for offset, value in enumerate(values):
        pairs.insert(min(at, len(pairs)) + offset, (name, value))


def as_form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return form


class Secretary(Person):
    """Fills in their society's open reports: autosaves field after field, submits
    some, goes on to the next."""

    def __init__(self, secretary: LoadSecretary, questions: list[Any], *args: Any) -> None:
        super().__init__(secretary.username, *args)
        self.responses = list(secretary.responses)
        self.questions = questions  # the simple ones, autosaved one by one
        self.required = [q.key for q in questions if q.required]

    async def run(self, password: str) -> None:
        await self.sign_in(password, "/reports", "my reports")
        while self.responses:
            response_id = self.responses[0]
            page = await self.call(
                "report form",
                "GET",
                f"/reports/responses/{response_id}",
                check=lambda a: "" if 'id="response-version"' in a.text else "not editable",
            )
            if page is None:
                await self.think(1, 3)
                continue
            pairs = form_pairs(page.text)
            submitted = await self.fill_in(response_id, pairs)
            if submitted:
                self.responses.pop(0)
                await self.think(1, 3)
                await self.call("my reports", "GET", "/reports")
            await self.think(1, 3)
        await Member.read_notices(self)  # every report done: reads notices instead

    async def fill_in(self, response_id: int, pairs: list[tuple[str, str]]) -> bool:
        """Autosave until the form is complete and the secretary decides to submit
        (True), or until a save fails (False: the page is opened again)."""
        values = as_form(pairs)
        while True:
            await self.think(1, 3)
            missing = [k for k in self.required if not any(values.get(f"q.{k}", [""]))]
            if not missing and self.rng.random() < SUBMIT_CHANCE:
                return await self.submit(response_id, pairs)
            key = missing[0] if missing else self.rng.choice(self.questions).key
            question = next(q for q in self.questions if q.key == key)
            typed = self.typed(question, values.get(f"q.{key}", []))
            answer = await self.call(
                "autosave",
                "POST",
                f"/reports/responses/{response_id}/answers/{key}",
                check=lambda a: "" if a.headers.get("x-response-version") else "no version",
                data={
                    "value": typed,
                    "base": values.get(f"base.{key}", []),
                    "version": values.get("version", [""])[0],
                },
                headers={"HX-Request": "true"},
            )
            if answer is None:
                return False
            bases = re.findall(rf'name="base\.{key}" value="([^"]*)"', answer.text)
            replace_pairs(pairs, f"q.{key}", typed)
            replace_pairs(pairs, f"base.{key}", [unescape(b) for b in bases])
            replace_pairs(pairs, "version", [answer.headers["x-response-version"]])
            values = as_form(pairs)

    def typed(self, question: Any, current: list[str]) -> list[str]:
        """A new answer as the page sends it (one value, or one per ticked box)."""
        from surveys.schema import QuestionType as T

        rng = self.rng
        for _ in range(5):
            if question.type == T.INTEGER:
                value = [str(rng.randint(0, 60))]
            elif question.type == T.DECIMAL:
                value = [f"{rng.randint(0, 400) / 10:g}"]
            elif question.type == T.YES_NO:
                value = [rng.choice(("yes", "no"))]
            elif question.type == T.MULTIPLE_CHOICE:
                choices = [c.value for c in question.choices]
                value = sorted(rng.sample(choices, rng.randint(1, 3)))
            else:  # long text
                value = [f"{rng.choice(DIFFICULTIES)}（第{rng.randint(1, 99)}次修改）"]
            if value != current:
                return value
        return value

    async def submit(self, response_id: int, pairs: list[tuple[str, str]]) -> bool:
        """The Submit button: the whole form, as the page holds it now."""
        answer = await self.call(
            "submit",
            "POST",
            f"/reports/responses/{response_id}/submit",
            check=lambda a: "" if "submitted" in a.headers.get("location", "") else "no done",
            data=as_form(pairs),
        )
        return answer is not None


DIFFICULTIES = (
    "部分会员单位复工较晚，线下活动暂缓开展。",
    "科普作品制作经费不足，希望给予支持。",
    "基层会员联系渠道有限，建议统一搭建线上平台。",
)
NOTICE_LINK = re.compile(r'href="/notices/(\d+)"')


class Member(Person):
    """Reads notices: the list (now and then its second page), then one of them."""

    async def run(self, password: str) -> None:
        await self.sign_in(password, "/notices", "notice list")
        await self.read_notices(first=self.landing)

    async def read_notices(self: Person, first: Any = None) -> None:
        listing = first
        while True:
            if listing is None:
                page = 2 if self.rng.random() < 0.2 else 1
                listing = await self.call("notice list", "GET", f"/notices?page={page}")
            ids = NOTICE_LINK.findall(listing.text) if listing is not None else []
            await self.think(2, 6)
            if ids:
                await self.call("notice page", "GET", f"/notices/{self.rng.choice(ids)}")
                await self.think(4, 10)
            listing = None


class Staff(Person):
    """Follows round 52: its tracker, its report, every other time its spreadsheet."""

    def __init__(self, username: str, round_id: int, *args: Any) -> None:
        super().__init__(username, *args)
        self.round_id = round_id
        self.exports_done = 0

    async def run(self, password: str) -> None:
        tracker = f"/reports/rounds/{self.round_id}"
        await self.sign_in(password, tracker, "tracker")
        visit = 0
        while True:
            if visit:
                await self.call("tracker", "GET", tracker)
            await self.think(3, 8)
            await self.call("report", "GET", f"{tracker}/totals")
            if visit % EXPORT_EVERY == 0:
                await self.think(3, 8)
                answer = await self.call(
                    "export",
                    "GET",
                    f"{tracker}/totals.xlsx",
                    check=lambda a: "" if a.content[:2] == b"PK" else "not an xlsx file",
                )
                self.exports_done += answer is not None
            await self.think(5, 10)
            visit += 1


# -- the load: the run ---------------------------------------------------------------------


@dataclass
class Run:
    counters: Counters
    measured_from: float
    measured_to: float
    ramp_from: float
    ramp_to: float
    samples: list[MemorySample]
    server_cpu: float  # seconds over the measured time, every process of the server
    client_cpu: float  # this process, over the measured time
    loop_lag_ms: float  # the worst delay of a 0.25 s sleep in the load generator
    people: dict[str, int]


async def prime(base_url: str, data: LoadData, root: int, workers: int) -> int:
    """Exports until every worker has its export process (each new connection may land
    on another worker): memory is then measured from a complete set of processes."""
    import httpx

    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT) as client:
        page = await client.get("/login")
        await client.post(
            "/login",
            data={
                "username": data.staff[0],
                "password": data.password,
                "csrf_token": login_token(page.text),
                "next": "/reports",
            },
        )
        if "huibao_session" not in client.cookies:
            raise SystemExit(f"priming: sign-in as {data.staff[0]} failed")
        cookies = dict(client.cookies)
    exports = 0
    for _ in range(PRIME_ATTEMPTS):
        pending = [w for w in workers_of(root, workers) if not has_export_process(w)]
        if not pending and exports:
            break
        async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, cookies=cookies) as c:
            answer = await c.get(f"/reports/rounds/{data.round_id}/totals.xlsx")
            if answer.status_code != 200:
                raise SystemExit(f"priming: the export answered {answer.status_code}")
            exports += 1
    return exports


async def run_load(args: argparse.Namespace, data: LoadData, server: Server) -> Run:
    from surveys.examples import weekly_progress_form
    from surveys.schema import QuestionType as T

    simple = (T.INTEGER, T.DECIMAL, T.YES_NO, T.MULTIPLE_CHOICE, T.LONG_TEXT)
    questions = [q for q in weekly_progress_form().questions() if q.type in simple]
    counters = Counters()
    rng = random.Random(args.seed)
    started = time.monotonic()
    measured_from = started + args.warmup
    end = measured_from + args.duration
    secretaries = round(args.users * SECRETARY_SHARE)
    staff = max(1, round(args.users * STAFF_SHARE))
    members = args.users - secretaries - staff
    base_url = server.url
    people: list[Person] = []
    for n in range(secretaries):
        s = data.secretaries[n]
        people.append(Secretary(s, questions, base_url, counters, random.Random(rng.random()), end))
    for n in range(members):
        name = data.members[n]
        people.append(Member(name, base_url, counters, random.Random(rng.random()), end))
    for n in range(staff):
        name = data.staff[n]
        people.append(
            Staff(name, data.round_id, base_url, counters, random.Random(rng.random()), end)
        )
    rng.shuffle(people)

    async def live(person: Person, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await person.run(data.password)  # type: ignore[attr-defined]
        except Stop:
            pass
        finally:
            await person.close()

    lag = [0.0]

    async def watch_loop() -> None:
        while time.monotonic() < end:
            before = time.monotonic()
            await asyncio.sleep(0.25)
            lag[0] = max(lag[0], time.monotonic() - before - 0.25)

    samples: list[MemorySample] = []
    root = server.process.pid

    async def watch_memory() -> None:
        await asyncio.sleep(max(0.0, measured_from - time.monotonic()))
        if args.verbose_samples:
            print(f"warm-up over; measuring for {args.duration} s (RSS every {args.sample} s):")
        while True:
            at = time.monotonic() - measured_from
            samples.append(sample_memory(root, args.workers, at))
            if args.verbose_samples:
                s = samples[-1]
                print(
                    f"  {s.at:5.0f} s  RSS {s.rss_kib / 1024:7.1f} MB  ({s.roles})  "
                    f"requests so far {len(counters.records):,}  errors {counters.error_count}",
                    flush=True,
                )
            left = end - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(args.sample, left))

    ramp = [args.ramp * n / max(1, len(people)) for n in range(len(people))]
    tasks = [asyncio.create_task(live(p, delay)) for p, delay in zip(people, ramp, strict=True)]
    watchers = [asyncio.create_task(watch_loop()), asyncio.create_task(watch_memory())]
    await asyncio.sleep(max(0.0, measured_from - time.monotonic()))
    cpu_server = tree_cpu_seconds(root)
    cpu_client = time.process_time()
    try:
        await asyncio.gather(*tasks)
        await asyncio.gather(*watchers)
    finally:
        for task in [*tasks, *watchers]:
            task.cancel()
        await asyncio.gather(*tasks, *watchers, return_exceptions=True)
    # The last sample, once every request in flight has been answered.
    samples.append(sample_memory(root, args.workers, time.monotonic() - measured_from))
    return Run(
        counters=counters,
        measured_from=measured_from,
        measured_to=end,  # requests started from then on are not counted
        ramp_from=started,
        ramp_to=started + args.ramp,
        samples=samples,
        server_cpu=tree_cpu_seconds(root) - cpu_server,
        client_cpu=time.process_time() - cpu_client,
        loop_lag_ms=lag[0] * 1000,
        people={"secretaries": secretaries, "members": members, "staff": staff},
    )


# -- the report ----------------------------------------------------------------------------


def report(args: argparse.Namespace, run: Run, site_log: str) -> int:
    """Print the table and the verdicts; the exit status."""
    measured = run.measured_to - run.measured_from
    rows = []
    for kind in KINDS:
        if kind.startswith("login"):
            chosen = [r for r in run.counters.records if r.kind == kind]
            seconds = max(1e-9, max((r.started for r in chosen), default=0) - run.ramp_from)
        else:
            chosen = [
                r
                for r in run.counters.records
                if r.kind == kind and run.measured_from <= r.started < run.measured_to
            ]
            seconds = measured
        if not chosen:
            continue
        latencies = sorted(r.seconds * 1000 for r in chosen)
        rows.append(
            (
                kind + (" *" if kind.startswith("login") else ""),
                len(chosen),
                len(chosen) / seconds,
                percentile(latencies, 0.50),
                percentile(latencies, 0.95),
                percentile(latencies, 0.99),
                latencies[-1],
                sum(not r.ok for r in chosen),
            )
        )
    print()
    print(
        f"{'request':<14} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>6}"
    )
    for kind, count, rate, p50, p95, p99, worst, errors in rows:
        print(
            f"{kind:<14} {count:>7,} {rate:>7.2f} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} "
            f"{worst:>8.1f} {errors:>6}"
        )
    in_window = [
        r
        for r in run.counters.records
        if not r.kind.startswith("login") and run.measured_from <= r.started < run.measured_to
    ]
    print(
        f"{'all (measured)':<14} {len(in_window):>7,} {len(in_window) / measured:>7.2f}  "
        f"over {measured:.0f} s"
    )
    print("* login: each person once, during the ramp-up (the rate is over the ramp-up)")
    total_errors = run.counters.error_count
    print(f"\nerrors, warm-up included: {total_errors}")
    for line in run.counters.first_errors:
        print(f"  {line[:400]}")

    requests = max(1, len(in_window))
    print(
        f"server CPU over the measured time: {run.server_cpu:.1f} s "
        f"({run.server_cpu / measured:.0%} of one CPU), "
        f"{run.server_cpu / requests * 1000:.1f} ms a request"
    )
    print(
        f"load generator: CPU {run.client_cpu / measured:.0%} of one CPU, "
        f"worst event-loop delay {run.loop_lag_ms:.0f} ms"
    )
    tracebacks = site_log.count("Traceback")
    locked = site_log.count("database is locked")
    print(f'server log: {tracebacks} tracebacks, {locked} "database is locked"')
    if tracebacks:
        last = site_log[site_log.rfind("Traceback") :].splitlines()
        print("  the last traceback ends: " + " | ".join(last[-3:]))

    first, last = run.samples[0], run.samples[-1]
    growth = (last.rss_kib - first.rss_kib) / first.rss_kib * 100
    print(
        f"\nserver RSS (every process of it) after the warm-up: {first.rss_kib / 1024:.1f} MB "
        f"({first.processes} processes: {first.roles})"
    )
    print(
        f"server RSS at the end:                              {last.rss_kib / 1024:.1f} MB "
        f"({last.processes} processes: {last.roles})"
    )
    status = 0
    verdict = ""
    if args.soak:
        passed = growth <= SOAK_GROWTH_LIMIT
        verdict = f"  limit {SOAK_GROWTH_LIMIT:.0f}%  {'PASS' if passed else 'FAIL'}"
        status = 0 if passed else 1
    print(f"RSS growth: {growth:+.1f}%{verdict}")
    if total_errors:
        print(f"FAIL: {total_errors} requests failed")
        status = 1
    print(f"load average after: {load_average()} (other work on CPU 0/1 skews the figures)")
    return status


# -- main ----------------------------------------------------------------------------------


def run_benchmark(args: argparse.Namespace, data_dir: Path) -> int:
    database = "PostgreSQL" if args.database_url else "SQLite"
    secretaries = round(args.users * SECRETARY_SHARE)
    staff = max(1, round(args.users * STAFF_SHARE))
    members = args.users - secretaries - staff
    if members < 0:
        raise SystemExit("--users is too small")
    # A secretary spends about a minute on a report before submitting it: enough open
    # reports that none runs out during the run.
    extra_rounds = math.ceil((args.duration + args.warmup) / 45) + 1
    started = time.monotonic()
    data = generate(
        data_dir,
        args.database_url,
        secretaries=secretaries,
        members=members,
        staff=staff,
        extra_rounds=extra_rounds,
        notices=args.notices,
    )
    counts = ", ".join(f"{value:,} {name}" for name, value in data.counts.items())
    print(
        f"data built in {time.monotonic() - started:.0f} s ({data.survey_seconds:.0f} s "
        f"survey_data, {data.seconds:.0f} s the rest): {counts}"
    )
    if len(data.secretaries) < secretaries:
        raise SystemExit(f"only {len(data.secretaries)} secretaries for {secretaries}")

    env = environment(data_dir, args.database_url)
    known: set[int] = set()
    server: Server | None = None
    try:
        server = start_server(
            "intranet.app:create_app",
            factory=True,
            app_dir=REPO_DIR,
            cwd=REPO_DIR,
            env=env,
            workers=args.workers,
            log_path=data_dir / "site.log",
        )
        root = server.process.pid
        if args.pin:
            os.sched_setaffinity(0, {int(CLIENT_CPU)})
            pinning = (
                f"uvicorn, its workers and export processes pinned to CPU {SERVER_CPU} "
                f"(taskset); this load generator to CPU {CLIENT_CPU}"
                + ("; PostgreSQL unpinned" if args.database_url else "")
            )
        else:
            unpin(root)
            pinning = "nothing pinned (--no-pin)"
        exports = asyncio.run(prime(server.url, data, root, args.workers))
        known |= set(process_tree(root))
        worker_count = len(workers_of(root, args.workers))
        print(
            f"primed: {exports} export{'s' if exports > 1 else ''} so each of the "
            f"{worker_count} worker{'s' if worker_count > 1 else ''} has its export process"
        )
        print(f"load average before: {load_average()}")
        print(
            f"{database}, uvicorn (uvloop, httptools) with {args.workers} "
            f"worker{'s' if args.workers > 1 else ''}; {pinning}"
        )
        shares = (
            f"{secretaries} secretaries autosaving and submitting, {members} members "
            f"reading notices, {staff} staff on round {data.round_id}'s tracker, report "
            f"and export"
        )
        print(
            f"{args.users} users ({shares}); ramp-up {args.ramp} s, warm-up {args.warmup} s, "
            f"measured {args.duration} s"
        )
        run = asyncio.run(run_load(args, data, server))
        known |= set(process_tree(root))
        site_log = server.log_text()
    finally:
        if server is not None:
            stop_everything(server, known)
    return report(args, run, site_log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL, created if missing and emptied first, e.g. "
        "postgres://postgres@127.0.0.1:5432/huibao_load (default: SQLite in a temporary dir)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (1)")
    parser.add_argument("--users", type=int, default=60, help="simulated people (60)")
    parser.add_argument("--duration", type=int, help="measured seconds (60; 600 with --soak)")
    parser.add_argument("--warmup", type=int, default=20, help="seconds before measuring (20)")
    parser.add_argument("--ramp", type=int, default=10, help="seconds to start every user (10)")
    parser.add_argument(
        "--soak",
        action="store_true",
        help=f"{SOAK_SECONDS} s unless --duration; fail on RSS growth over "
        f"{SOAK_GROWTH_LIMIT:.0f}%%",
    )
    parser.add_argument("--sample", type=int, default=30, help="seconds between RSS samples (30)")
    parser.add_argument("--notices", type=int, default=120, help="published notices (120)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--no-pin", dest="pin", action="store_false", help="do not pin server and load to CPUs"
    )
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: temporary)")
    args = parser.parse_args()
    if args.duration is None:
        args.duration = SOAK_SECONDS if args.soak else 60
    args.ramp = min(args.ramp, args.warmup)
    args.verbose_samples = args.soak or args.duration >= 2 * args.sample
    if args.pin and not {int(SERVER_CPU), int(CLIENT_CPU)} <= os.sched_getaffinity(0):
        raise SystemExit("needs CPUs 0 and 1 (or --no-pin)")

    # Ctrl-C (even when started in the background, where SIGINT comes ignored) and
    # SIGTERM end the run through the finally blocks that stop the server; inside
    # asyncio.run, SIGINT cancels the running task first.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: signal.raise_signal(signal.SIGINT))
    with tempfile.TemporaryDirectory(prefix="huibao-load-") as temporary:
        data_dir = args.data_dir.resolve() if args.data_dir else Path(temporary)
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            return run_benchmark(args, data_dir)
        except KeyboardInterrupt:
            print("\ninterrupted: the server was stopped", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
