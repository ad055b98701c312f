"""The route table as the hostile-input tests walk it, and the things they aim it at.

Every module of tests/hostile walks `app.routes` rather than a list of pages, so a new
route is attacked as soon as it exists. A route whose path parameter `targets()` cannot
fill fails the walk (it names the parameter) instead of being left out.

    routes = named_routes(app)                     # {"intranet:notice": Route, ...}
    found = await targets(app, world)              # real ids of things the test made
    path = fill(routes["intranet:notice"], found)  # "/notices/1"
    before = await snapshot(); ...; assert changed_tables(before, await snapshot()) == []

The things are the association's (its staff and root admin run them) and society A's
(its secretary answers A's report), so the people `who_may_use` names reach every route's
own code rather than its 404.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from bs4 import BeautifulSoup
from starlette.convertors import StringConvertor
from starlette.routing import Match, Route
from tortoise import connections

from intranet.app import create_app
from intranet.directory import invitations
from intranet.directory import jobs as directory_jobs
from intranet.models import Membership
from intranet.notices import workflow
from intranet.notifications.models import Notification
from intranet.settings import load_settings
from surveys.examples import weekly_progress_form
from surveys.export import jobs as export_jobs
from surveys.schema import FormDefinition, Question, QuestionType, Respondent
from tests.conftest import World, csrf_token, login, new_client, table_names
from tests.intranet.test_notice_download import attach
from tests.notice_helpers import ALL_SOCIETIES, make_notice
from tests.survey_helpers import make_campaign, open_round, response_of
from tests.test_access_matrix import named_routes

__all__ = ["named_routes"]

# In targets(): values that only some routes take in place of the common ones.
SUMMARY_KEYS = (
    "new_organisations",
    "changed_organisations",
    "unchanged_organisations",
    "new_people",
    "changed_people",
    "unchanged_people",
    "absent_people",
    "problems",
)
BY_ROUTE = "by route"

PEOPLE = ("anonymous", "member_a", "sec_a", "staff", "admin")

# Who may use a route, for the tests that must get past its permission check. The
# association's staff run its notices, forms, campaigns and rounds; the root admin runs
# the admin pages; society A's secretary answers A's report (a reviewer may not).
RESPONDENT_ROUTES = frozenset(
    {
        "surveys:response",
        "surveys:start_response",
        "surveys:save_response",
        "surveys:submit_response",
        "surveys:prefill_response",
        "surveys:withdraw_response",
        "surveys:confirm_no_change",
        "surveys:submit_no_change",
        "surveys:save_answer",
        "surveys:upload_file",
        "surveys:my_round",
    }
)
# An account with no role anywhere: may use only what every account may (its profile,
# its notifications, the language), and none of the things targets() makes.
NOBODY = "outsider"


def who_may_use(name: str) -> str:
    if name == "intranet:login":
        return "anonymous"  # a signed-in person is sent on from it
    if name in RESPONDENT_ROUTES:
        return "sec_a"
    if name.startswith("intranet:admin_"):
        return "admin"
    return "staff"


@functools.cache
def route_table() -> dict[str, Route]:
    """The named routes of a site built for the purpose: for pytest's parametrize, before
    any fixture exists (each test still walks its own app's table)."""
    with tempfile.TemporaryDirectory(prefix="huibao-routes-") as data_dir:
        settings = load_settings(
            {"HUIBAO_DATA_DIR": data_dir, "HUIBAO_SECRET_KEY": "route-table-" + "0" * 40}
        )
        return named_routes(create_app(settings, manage_database=False))


def route_names(method: str, *, with_text_params: bool = False) -> tuple[str, ...]:
    """The names of the routes that take `method` (and, if asked, a text path parameter)."""
    return tuple(
        sorted(
            name
            for name, route in route_table().items()
            if method in route.methods and (text_params(route) or not with_text_params)
        )
    )


def text_params(route: Route) -> list[str]:
    """The route's path parameters that take any text (not an id)."""
    return [n for n, c in route.param_convertors.items() if isinstance(c, StringConvertor)]


async def targets(app: Any, world: World) -> dict[str, Any]:
    """A value for every path parameter of the site: real ids of things made here.

    A published notice of the association to all societies, with an attachment and an
    earlier version; a weekly campaign of the association to societies A and B with
    round 1 open and A's response; the campaign's form (the table question `experts`
    for the builder's column routes); a queued export of staff's; a notification of
    staff's; member A and their role; society A; the medical category.
    """
    notice = await make_notice(world.association, to=[ALL_SOCIETIES], author=world.staff)
    attachment = await attach(app, notice)
    await workflow.keep_version(notice, world.staff)  # as an edit after publication does
    await notice.save(update_fields=["version"])
    campaign = await make_campaign(
        world.association, [world.society_a, world.society_b], with_a_file_question()
    )
    # A form each person answers for themselves: starting one's response needs its round.
    per_person = replace(weekly_progress_form(), respondent=Respondent.PERSON)
    person_round = await open_round(
        await make_campaign(world.association, [world.society_a], per_person)
    )
    round_ = await open_round(campaign)
    response = await response_of(round_, world.society_a)
    membership = await Membership.get(user=world.member_a)
    notification = await Notification.create(
        user=world.staff,
        kind="notice_published",
        title=notice.title,
        url=f"/notices/{notice.id}",
        key=f"hostile-{notice.id}",
        created_at=datetime.now(UTC),
    )
    token = export_jobs.new_token()
    export_jobs.write_status(
        export_jobs.status_path(app.state.settings, token),
        export_jobs.JobStatus(world.staff.id, "round", round_.id, "totals.xlsx"),
    )
    # The root admin's import, written, with one person's one-time codes still to take;
    # and an invitation waiting for the person with no role.
    directory_token = "hostile-directory-job"
    directory_jobs.write_status(
        directory_jobs.status_path(app.state.settings, directory_token),
        directory_jobs.JobStatus(
            world.admin.id,
            "名录.xlsx",
            None,
            True,
            state=directory_jobs.APPLIED,
            result={"summary": dict.fromkeys(SUMMARY_KEYS, 0), "emailed": 0, "deactivated": 0},
            need_codes=[world.outsider.id],
        ),
    )
    invited = invitations.Invitee(world.outsider.id, world.outsider.display_name, "")
    code = (await invitations.issue([invited], channel=invitations.CODE, days=7))[invited.id]
    directory_routes = {
        name: {"token": directory_token}
        for name in (
            "intranet:admin_directory_job",
            "intranet:admin_directory_confirm",
            "intranet:admin_directory_codes",
        )
    }
    return {
        "organisation_id": world.society_a.id,
        "category_id": world.medicine.id,
        "person_id": world.member_a.id,
        "membership_id": membership.id,
        "notice_id": notice.id,
        "attachment_id": attachment.id,
        "version": 1,
        "notification_id": notification.id,
        "form_id": campaign.form_version.form_id,
        "number": 1,
        "section": "online_work",
        "question": "experts",
        "column": "name",
        "op": "edit",
        "campaign_id": campaign.id,
        "round_id": round_.id,
        "response_id": response.id,
        "key": "online_meetings",
        # No file answer exists: the download route is reached and answers 404.
        "storage_key": "0" * 32,
        "token": token,
        "code": code,
        BY_ROUTE: {
            **directory_routes,
            "surveys:start_response": {"round_id": person_round.id},
            "surveys:upload_file": {"key": "summary_file"},
        },
    }


def with_a_file_question() -> FormDefinition:
    """The weekly form with a file question (`summary_file`) at the end."""
    weekly = weekly_progress_form()
    upload = Question(key="summary_file", type=QuestionType.FILE, label="工作总结")
    last = weekly.sections[-1]
    return replace(
        weekly, sections=(*weekly.sections[:-1], replace(last, questions=(*last.questions, upload)))
    )


def params_for(route: Route, params: dict[str, Any]) -> dict[str, Any]:
    """The values of `targets()` that `route` takes."""
    params = {**params, **params.get(BY_ROUTE, {}).get(route.name, {})}
    missing = sorted(set(route.param_convertors) - set(params))
    assert not missing, f"{route.name}: hostile.routes.targets() has no value for {missing}"
    return {n: params[n] for n in route.param_convertors}


def fill(route: Route, params: dict[str, Any]) -> str:
    """The route's path with its parameters filled in; fails naming what is missing."""
    return route.url_path_for(route.name, **params_for(route, params))


def route_of(app: Any, path: str, method: str = "POST") -> str | None:
    """The name of the route that answers `method` on `path`."""
    scope = {"type": "http", "path": path, "method": method}
    for route in app.routes:
        if isinstance(route, Route) and route.matches(scope)[0] == Match.FULL:
            return route.name
    return None


# -- people -------------------------------------------------------------------------------


async def signed_in(app: Any, username: str) -> httpx.AsyncClient:
    """A client of `username` ("anonymous": nobody) reading the site in English."""
    client = new_client(app, cookies={"huibao_lang": "en"})
    if username != "anonymous":
        response = await login(client, username)
        assert response.status_code == 303, f"{username} could not sign in"
    return client


async def token_of(client: httpx.AsyncClient) -> str:
    """The CSRF token the site gives this browser (signed in or not)."""
    return await csrf_token(client, "/login" if "huibao_session" not in client.cookies else "/")


# -- what the pages offer -----------------------------------------------------------------


@dataclass
class Offered:
    """The fields a page offers for posting to one route: all their names, and those of
    them that are file inputs."""

    fields: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)

    def update(self, other: Offered) -> None:
        self.fields |= other.fields
        self.files |= other.files


def posted_fields(app: Any, html: str, page_path: str) -> dict[str, Offered]:
    """Route name → what the page offers, for every form (and htmx element) that posts."""
    soup = BeautifulSoup(html, "html.parser")
    offered: dict[str, Offered] = {}

    def names_in(element: Any) -> Offered:
        found = element.select("input[name], select[name], textarea[name], button[name]")
        own = {element["name"]} if element.get("name") else set()
        files = {f["name"] for f in found if f.name == "input" and f.get("type") == "file"}
        if element.name == "input" and element.get("type") == "file":
            files |= own
        return Offered({f["name"] for f in found} | own, files)

    for element in [*soup.select("form"), *soup.select("[hx-post]")]:
        if element.name == "form" and (element.get("method") or "get").lower() != "post":
            continue
        action = element.get("hx-post") or element.get("action") or page_path
        name = route_of(app, urlsplit(action).path or page_path)
        if name is None:
            continue
        names = names_in(element)
        form = element.find_parent("form")
        if form is not None:
            names.update(names_in(form))
        offered.setdefault(name, Offered()).update(names)
    return offered


# Files, not pages: no form to read on them, and some take a while to make.
DOWNLOADS = (".xlsx", ".csv", ".atom", "/download", "{attachment_id:id}", "{storage_key}")


async def offered_fields(app: Any, params: dict[str, Any]) -> dict[str, Offered]:
    """Route name → every field the site's pages offer for posting to it, each page read
    by the person who may use it (`who_may_use`); the pages of a response also by its
    reviewer, who is offered the review form there."""
    offered: dict[str, Offered] = {}
    readers: dict[str, httpx.AsyncClient] = {}
    try:
        for name, route in sorted(named_routes(app).items()):
            if "GET" not in route.methods or route.path.endswith(DOWNLOADS):
                continue
            path = fill(route, params)
            for who in {who_may_use(name)} | ({"staff"} if name in RESPONDENT_ROUTES else set()):
                if who not in readers:
                    readers[who] = await signed_in(app, who)
                page = await readers[who].get(path)
                if "html" not in page.headers.get("content-type", ""):
                    continue
                for posted_to, found in posted_fields(app, page.text, path).items():
                    offered.setdefault(posted_to, Offered()).update(found)
    finally:
        for client in readers.values():
            await client.aclose()
    return offered


# -- what the database holds ----------------------------------------------------------------

# Columns that may move without anything having been done: the session's last-seen time
# (the session middleware refreshes it at most every five minutes of use).
IGNORED_COLUMNS = {"user_session": {"last_seen_at"}}

Snapshot = dict[str, tuple[str, list[tuple[str, ...]]]]


async def snapshot() -> Snapshot:
    """Every table's rows (less IGNORED_COLUMNS), sorted, and a hash of them."""
    connection = connections.get("default")
    taken: Snapshot = {}
    for table in sorted(await table_names()):
        rows = await connection.execute_query_dict(f'SELECT * FROM "{table}"')
        ignored = IGNORED_COLUMNS.get(table, set())
        as_text = sorted(
            tuple(f"{k}={row[k]!r}" for k in sorted(row) if k not in ignored) for row in rows
        )
        digest = hashlib.sha256(repr(as_text).encode()).hexdigest()
        taken[table] = (digest, as_text)
    return taken


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def rows_of(taken: Snapshot, table: str) -> list[tuple[str, ...]]:
    return taken[table][1]


async def stop_exports() -> None:
    """Let exports a route started finish (or stop), before the test's loop moves on."""
    await export_jobs.shutdown()
