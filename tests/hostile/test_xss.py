"""Markup typed anywhere is shown as text on every page, never run.

One payload at a time is planted in every piece of text the site stores and shows
(names, titles, notices, forms, answers, reasons, reminders, notifications, e-mail),
each copy tagged with a short marker so the test knows which field it came from. Then
every page of the route table is fetched as the administrator, the association's staff
and society A's secretary (and again as htmx's partial where the page has one), and
each is parsed: no payload may have made an element or an attribute, and every planted
text must be found on some page exactly as typed (escaped once, not eaten, not
double-escaped).

The text columns of every model are walked: a new column fails
`test_every_text_column_is_planted_or_explained` until it is planted here or said to
be never shown.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from openpyxl import load_workbook
from starlette.routing import Route
from tortoise import Tortoise, fields, timezone

from intranet.directory import invitations
from intranet.directory import jobs as directory_jobs
from intranet.models import AuditEvent, Membership, User
from intranet.notices import workflow
from intranet.notices.models import DocumentPrefix, Notice, NoticeAttachment
from intranet.notifications.models import EmailMessage, Notification
from intranet.notifications.send import mail_bodies
from intranet.settings import Settings
from surveys import xlsform
from surveys.export import jobs as export_jobs
from surveys.models import AnswerChange, Response, ResponseEvent
from surveys.schema import (
    FormDefinition,
    QuestionType,
)
from surveys.states import ResponseState
from surveys.xlsform import form_to_xlsx
from tests.conftest import PASSWORD, World, csrf_token, make_user, new_client
from tests.hostile.payloads import XSS, Plant, hostile_form
from tests.notice_helpers import make_notice, to_category, to_organisation
from tests.survey_helpers import make_campaign, open_round, response_of

T = QuestionType

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# -- every text column, planted or explained ------------------------------------------------

PLANTED = "planted"
INTERNAL = "set by the site itself from fixed values, or a key"
NOT_SHOWN = "stored but never shown on a page"
DERIVED = "copied from planted text (the copy is checked where it is shown)"
E_MAIL = "an e-mail's HTML part: test_e_mail_html_parts_show_planted_text_as_text"
SANITISED = "sanitised HTML: checked for markup, not for the literal text"

TEXT_COLUMNS: dict[str, str] = {
    "AuditEvent.actor_name": PLANTED,
    "AuditEvent.action": INTERNAL,
    "AuditEvent.object_type": INTERNAL,
    "AuditEvent.object_id": INTERNAL,
    "AuditEvent.summary": PLANTED,
    "AuditEvent.ip": PLANTED,
    "Category.name": PLANTED,
    "LoginFailure.username": NOT_SHOWN,
    "LoginFailure.ip": NOT_SHOWN,
    "Organisation.path": INTERNAL,
    "Organisation.name": PLANTED,
    "Organisation.short_name": PLANTED,
    "Organisation.code": PLANTED,
    "Organisation.contact_name": PLANTED,
    "Organisation.contact_phone": PLANTED,
    "Organisation.contact_email": PLANTED,
    "Organisation.address": PLANTED,
    "User.username": PLANTED,
    "User.display_name": PLANTED,
    "User.email": PLANTED,
    "User.phone": PLANTED,
    "User.title": PLANTED,
    "User.password_hash": NOT_SHOWN,
    "User.locale": INTERNAL,
    "UserSession.key_hash": NOT_SHOWN,
    "Invitation.token_hash": NOT_SHOWN,
    "Invitation.channel": INTERNAL,
    "UserSession.ip": NOT_SHOWN,
    "UserSession.user_agent": NOT_SHOWN,
    "DocumentPrefix.text": PLANTED,
    "Notice.document_number": PLANTED,
    "Notice.number_key": INTERNAL,
    "Notice.title": PLANTED,
    "Notice.addressee_line": DERIVED,
    "Notice.cc_line": DERIVED,
    "Notice.body_source": PLANTED,
    "Notice.body_html": SANITISED,
    "Notice.search_text": NOT_SHOWN,
    "Notice.signature": PLANTED,
    "Notice.withdrawn_reason": PLANTED,
    "Notice.forwarded_snapshot": DERIVED,
    "NoticeAttachment.storage_key": INTERNAL,
    "NoticeAttachment.filename": PLANTED,
    "NoticeAttachment.kind": INTERNAL,
    "NoticeAttachment.sha256": INTERNAL,
    "NoticeVersion.document_number": DERIVED,
    "NoticeVersion.title": DERIVED,
    "NoticeVersion.addressee_line": DERIVED,
    "NoticeVersion.cc_line": DERIVED,
    "NoticeVersion.body_html": SANITISED,
    "NoticeVersion.signature": DERIVED,
    "NoticeVersion.attachment_names": DERIVED,
    "EmailMessage.to_address": PLANTED,
    "EmailMessage.subject": PLANTED,
    "EmailMessage.text_body": NOT_SHOWN,
    "EmailMessage.html_body": E_MAIL,
    "EmailMessage.state": INTERNAL,
    "EmailMessage.last_error": PLANTED,
    "EmailPreference.kind": INTERNAL,
    "Notification.kind": INTERNAL,
    "Notification.title": DERIVED,
    "Notification.body": DERIVED,
    "Notification.url": INTERNAL,
    "Notification.key": INTERNAL,
    "AnswerChange.question_key": INTERNAL,
    "AnswerChange.old_value": PLANTED,
    "AnswerChange.new_value": PLANTED,
    "Campaign.title": PLANTED,
    "Campaign.roster_organisations": INTERNAL,
    "Campaign.roster_categories": INTERNAL,
    "Form.title": PLANTED,
    "FormVersion.definition": PLANTED,
    "Response.answers": PLANTED,
    "ResponseEvent.reason": PLANTED,
    "RoundFigures.include": INTERNAL,
    "RoundFigures.stamp": INTERNAL,
    "RoundFigures.numbers": INTERNAL,
    "RoundFigures.figures": DERIVED,
    "RoundReminder.channel": INTERNAL,
    "RoundReminder.kind": INTERNAL,
    "RoundReminder.key": INTERNAL,
    "RoundReminder.recipients": INTERNAL,
}


def text_columns() -> set[str]:
    found = set()
    for models in Tortoise.apps.values():
        for name, model in models.items():
            for column, kind in model._meta.fields_map.items():
                if isinstance(kind, fields.CharField | fields.TextField | fields.JSONField) and (
                    not isinstance(getattr(kind, "enum_type", None), type)
                ):
                    found.add(f"{name}.{column}")
    return found


async def test_every_text_column_is_planted_or_explained(app) -> None:  # type: ignore[no-untyped-def]
    columns = text_columns()
    assert sorted(columns - set(TEXT_COLUMNS)) == [], "plant or explain these text columns"
    assert sorted(set(TEXT_COLUMNS) - columns) == [], "these columns no longer exist"


# -- planting -------------------------------------------------------------------------------


@dataclass
class Site:
    plant: Plant
    params: list[dict[str, Any]]  # path parameters to try on every route
    clients: dict[str, httpx.AsyncClient]


async def plant_directory(world: World, p: Plant, settings: Settings) -> dict[str, str]:
    """An import of the root admin's whose file name, rows and problems are the payload,
    and an invitation of the planted secretary's: the pages that show them."""
    entry = {"sheet": "人员", "row": 2, "label": p.payload, "changes": [
        {"field": "姓名", "old": p.payload, "new": p.payload}
    ]}  # fmt: skip
    problem = {"location": p.payload, "sheet": "人员", "row": 3, "column": "用户名",
               "message": p.payload}  # fmt: skip
    summary = dict.fromkeys(
        ("new_organisations", "changed_organisations", "unchanged_organisations",
         "new_people", "changed_people", "unchanged_people", "absent_people", "problems"), 1
    )  # fmt: skip
    token = "xss-directory-job"
    directory_jobs.write_status(
        directory_jobs.status_path(settings, token),
        directory_jobs.JobStatus(
            world.admin.id,
            p.payload,
            None,
            True,
            state=directory_jobs.PREVIEWED,
            preview={
                "summary": summary,
                "problems": [problem],
                "new_people": [entry],
                "changed_people": [entry],
                "new_organisations": [entry],
                "changed_organisations": [entry],
                "absent_people": [{"username": p.payload, "display_name": p.payload}],
                "has_changes": True,
            },
        ),
    )
    invited = invitations.Invitee(world.secretary_a.id, world.secretary_a.display_name, "")
    code = (await invitations.issue([invited], channel=invitations.CODE, days=7))[invited.id]
    return {"token": token, "code": code}


async def plant_people(world: World, p: Plant, settings: Settings) -> User:
    for organisation, who in ((world.society_a, "A"), (world.branch_a, "branch")):
        organisation.name = p(f"Organisation.name {who}", 100)
        organisation.short_name = p(f"Organisation.short_name {who}", 40)
        organisation.contact_name = p(f"Organisation.contact_name {who}", 64)
        organisation.contact_phone = p(f"Organisation.contact_phone {who}", 32)
        organisation.contact_email = p(f"Organisation.contact_email {who}", 254)
        organisation.address = p(f"Organisation.address {who}", 200)
        organisation.code = p(f"Organisation.code {who}", 32)
        await organisation.save()
    world.medicine.name = p("Category.name", 64)
    await world.medicine.save()
    await world.society_a.categories.add(world.medicine)
    for person, who in ((world.secretary_a, "secretary"), (world.staff, "staff")):
        person.display_name = p(f"User.display_name {who}", 64)
        person.title = p(f"User.title {who}", 64)
        person.phone = p(f"User.phone {who}", 32)
        await person.save()
    world.secretary_a.email = "sec_a@example.org"
    await world.secretary_a.save()
    person = await make_user(
        settings,
        p("User.username", 64),
        "有怪名字的人",
        email=p("User.email", 254),
    )
    await Membership.create(user=person, organisation=world.society_a, role="member")
    return person


async def plant_notices(world: World, p: Plant, staff: httpx.AsyncClient) -> list[int]:
    body = (
        f"各学会：\n\n{p('Notice.body_source', 10_000)}\n\n"
        "<img src=x onerror=alert(1)> [点我](javascript:alert(1)) <script>alert(1)</script>"
    )
    published = await make_notice(
        world.association,
        p("Notice.title", 200),
        to=[to_organisation(world.society_a), to_category(world.medicine)],
        cc=[to_organisation(world.branch_a)],
        body=body,
        number=p("Notice.document_number", 64),
        publish=False,
        author=world.staff,
    )
    published.signature = p("Notice.signature", 100)
    await published.save()
    await NoticeAttachment.create(
        notice=published,
        storage_key="0" * 32,
        filename=p("NoticeAttachment.filename", 196) + ".pdf",
        kind="pdf",
        size=10,
        sha256="0" * 64,
    )
    p.planted["NoticeAttachment.filename"] += ".pdf"
    await workflow.publish(published, world.staff)
    await workflow.keep_version(published, world.staff)
    published.version += 1
    await published.save()
    withdrawn = await make_notice(world.association, p("Notice.title withdrawn", 200))
    await workflow.withdraw(withdrawn, world.staff, p("Notice.withdrawn_reason", 500))
    prefix = await DocumentPrefix.create(
        organisation=world.society_a, text=p("DocumentPrefix.text", 20), is_default=True
    )
    forwarded = await Notice.create(
        issuer=world.society_a,
        author=world.secretary_a,
        prefix=prefix,
        title=workflow.forwarding_title(published),
        signature=world.society_a.name,
        forwarded_from=published,
        forwarded_snapshot=await workflow.snapshot(published),
    )
    draft = await make_notice(world.association, p("Notice.title draft", 200), publish=False)
    workflow.set_body(draft, p("Notice.body_source draft", 10_000), draft.body_format)
    await draft.save()
    # A reminder to society A about the unread notice: a notification and an e-mail.
    token = await csrf_token(staff, f"/notices/{published.id}/receipts")
    response = await staff.post(
        f"/notices/{published.id}/remind",
        data={"csrf_token": token, "organisation": str(world.society_a.id)},
    )
    assert response.status_code in (200, 303), response.text
    return [published.id, withdrawn.id, forwarded.id, draft.id]


async def plant_reports(
    world: World, p: Plant, staff: httpx.AsyncClient, secretary: httpx.AsyncClient
) -> dict[str, Any]:
    campaign = await make_campaign(
        world.association,
        [world.society_a, world.society_b],
        hostile_form(p),
        title=p("Campaign.title", 200),
    )
    form = await (await campaign.form_version).form
    form.title = p("Form.title", 200)
    await form.save()
    answers = {
        "story": p("Response.answers text", 500),
        "note": p("Response.answers long text", 500),
        "count": 3,
        "pick": "a",
        "people": [{"name": p("Response.answers table cell", 500)}],
    }
    round_ = await open_round(
        campaign,
        answers={world.society_a.id: answers},
        states={world.society_a.id: ResponseState.SUBMITTED},
    )
    response = await response_of(round_, world.society_a)
    # Returned with a reason, by the staff, through the page.
    token = await csrf_token(staff, f"/reports/responses/{response.id}")
    returned = await staff.post(
        f"/reports/responses/{response.id}/review",
        data={
            "csrf_token": token,
            "action": "return",
            "reason": p("ResponseEvent.reason", 500),
            "version": str(response.version),
        },
    )
    assert returned.status_code == 303, returned.text
    # The secretary changes an answer by autosave (the htmx partial comes back).
    p.planted["AnswerChange.old_value"] = answers["story"]
    p.shown.add("AnswerChange.old_value")
    new_text = p("AnswerChange.new_value", 500)
    token = await csrf_token(secretary, f"/reports/responses/{response.id}")
    saved = await secretary.post(
        f"/reports/responses/{response.id}/answers/story",
        data={"value": new_text, "base": answers["story"]},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert saved.status_code == 200, saved.text
    check_markup(saved.text, "autosave partial", p.payload)
    # 催报 from the round tracker: a notification, an e-mail and the reminder log.
    token = await csrf_token(staff, f"/reports/rounds/{round_.id}")
    reminded = await staff.post(
        f"/reports/rounds/{round_.id}/remind",
        data={"csrf_token": token, "response": str(response.id)},
    )
    assert reminded.status_code == 303, reminded.text
    return {
        "form_id": form.id,
        "number": 1,
        "campaign_id": campaign.id,
        "round_id": round_.id,
        "response_id": response.id,
    }


async def plant_outbox_and_audit(world: World, p: Plant) -> None:
    message = await EmailMessage.filter(to_address="sec_a@example.org").first()
    assert message is not None, "the notice and the reminder sent society A no e-mail"
    message.last_error = p("EmailMessage.last_error", 2000)
    message.subject = p("EmailMessage.subject", 300)
    message.state = "failed"
    await message.save()
    await EmailMessage.create(
        user=world.admin,
        to_address=p("EmailMessage.to_address", 254),
        subject="主题",
        text_body="正文",
        html_body="<p>正文</p>",
        state="failed",
        last_error="",
        next_attempt_at=timezone.now() + timedelta(hours=1),
        created_at=timezone.now(),
    )
    await AuditEvent.create(
        actor=None,
        actor_name=p("AuditEvent.actor_name", 64),
        action="notice.publish",
        object_type="notice",
        object_id="1",
        organisation=world.society_a,
        summary=p("AuditEvent.summary", 500),
        ip=p("AuditEvent.ip", 64),
    )


@pytest.fixture(params=XSS, ids=[f"xss{n}" for n in range(len(XSS))])
async def site(request, world: World, app, settings) -> Any:  # type: ignore[no-untyped-def]
    p = Plant(request.param)
    clients: dict[str, httpx.AsyncClient] = {}
    for username in ("admin", "staff", "sec_a"):
        client = new_client(app, cookies={"huibao_lang": "en"})
        token = await csrf_token(client, "/login")
        logged_in = await client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
        )
        assert logged_in.status_code == 303
        clients[username] = client
    clients["anonymous"] = new_client(app, cookies={"huibao_lang": "en"})
    try:
        person = await plant_people(world, p, settings)
        notices = await plant_notices(world, p, clients["staff"])
        reports = await plant_reports(world, p, clients["staff"], clients["sec_a"])
        await plant_outbox_and_audit(world, p)
        membership = await Membership.get(user=world.secretary_a)
        directory = await plant_directory(world, p, settings)
        common = {
            **directory,
            "organisation_id": world.society_a.id,
            "person_id": world.secretary_a.id,
            "membership_id": membership.id,
            "category_id": world.medicine.id,
            "version": 1,
            **reports,
        }
        params = [{**common, "notice_id": n} for n in notices]
        params.append({**params[0], "person_id": person.id, "organisation_id": world.branch_a.id})
        yield Site(plant=p, params=params, clients=clients)
    finally:
        for client in clients.values():
            await client.aclose()


# -- checking a page ------------------------------------------------------------------------

OWN_SCRIPTS = re.compile(r"^/static/[\w./-]+$")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data", "poster")
_INVISIBLE = re.compile(r"[\x00-\x20\u200b-\u200f\u2028-\u202f\ufeff]")


def check_markup(html: str, where: str, payload: str) -> BeautifulSoup:
    """No element or attribute that came from the payload: no script of our own making,
    no event handlers, no javascript: links, no frames."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert isinstance(script, Tag)
        src = str(script.get("src", ""))
        assert OWN_SCRIPTS.match(src.split("?")[0]), f"{where}: a script {script!s:.200}"
        assert not script.get_text(strip=True), f"{where}: an inline script {script!s:.200}"
    for element in soup.find_all(True):
        assert isinstance(element, Tag)
        assert element.name not in ("iframe", "object", "embed", "frame", "base"), (
            f"{where}: a <{element.name}> element"
        )
        for name, value in element.attrs.items():
            lowered = name.lower()
            assert not lowered.startswith("on"), f"{where}: {name}= on <{element.name}>"
            assert not lowered.startswith(("hx-on", "data-hx-on")), f"{where}: {name}"
            if lowered in URL_ATTRIBUTES:
                url = _INVISIBLE.sub("", str(value)).lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:text/html")), (
                    f"{where}: {name}={value!r} on <{element.name}>"
                )
        if element.name == "img":
            assert element.get("src") != "x", f"{where}: the payload's <img>"
    return soup


def visible_text(soup: BeautifulSoup) -> str:
    """The text of a page and its attribute values, as a person or a screen reader gets it."""
    parts = [soup.get_text(" ")]
    for element in soup.find_all(True):
        assert isinstance(element, Tag)
        for value in element.attrs.values():
            parts.append(" ".join(value) if isinstance(value, list) else str(value))
    return "\n".join(parts)


# -- the crawl ------------------------------------------------------------------------------

# GET routes that answer with something other than an HTML page, and where they are checked.
NOT_PAGES = {
    "intranet:healthz": "plain text",
    "intranet:notices_feed": "Atom XML: test_the_feed_escapes_the_payload",
    "intranet:notice_attachment": "a download: tests/hostile/test_uploads.py",
    "intranet:notification_open": "a redirect to the notification's page",
    "surveys:export_form_version": "a workbook: tests/hostile/test_export_injection.py",
    "surveys:round_report_xlsx": "a workbook: tests/hostile/test_export_injection.py",
    "surveys:round_report_csv": "CSV: tests/hostile/test_export_injection.py",
    "surveys:campaign_trend_xlsx": "a workbook: tests/hostile/test_export_injection.py",
    "surveys:export_download": "a workbook: tests/hostile/test_export_injection.py",
    "surveys:download_file": "a download: tests/hostile/test_uploads.py",
    "surveys:my_round": "a redirect to one's own response",
    "surveys:export_status": "a started export: test_an_export_page_shows_its_file_name_as_text",
    "intranet:admin_directory_template": "a workbook: tests/intranet/test_directory_pages.py",
    "intranet:admin_directory_export": "a workbook: tests/intranet/test_directory_pages.py",
}


# Every name the pages read from the query string (grep query_params in the views).
QUERY_PARAMETERS = (
    "q", "page", "state", "category", "saved", "unread", "include", "done", "n", "notice",
    "subtotals", "next", "parent", "before", "issuer", "organisation", "year", "kind",
)  # fmt: skip


def get_routes(app: Any) -> dict[str, Route]:
    return {
        r.name: r
        for r in app.routes
        if isinstance(r, Route) and r.name and "GET" in (r.methods or ())
    }


async def crawl(site: Site, app: Any) -> tuple[dict[str, str], set[str]]:
    """Every page as every person: the pages' text by URL, and the routes that answered."""
    texts: dict[str, str] = {}
    answered: set[str] = set()
    echoed: set[str] = set()
    for name, route in get_routes(app).items():
        if name in NOT_PAGES:
            continue
        urls = {
            route.url_path_for(name, **{k: params[k] for k in route.param_convertors})
            for params in site.params
        }
        for url in sorted(urls):
            for who, client in site.clients.items():
                response = await client.get(url)
                if response.status_code != 200:
                    continue
                answered.add(name)
                where = f"{url} as {who}"
                assert response.headers["content-type"].startswith("text/html"), where
                soup = check_markup(response.text, where, site.plant.payload)
                texts[where] = visible_text(soup)
                if url not in echoed:
                    # Every query parameter the pages read, set to the payload.
                    echoed.add(url)
                    query = {name: site.plant.payload for name in QUERY_PARAMETERS}
                    with_query = await client.get(url, params=query)
                    if with_query.status_code == 200:
                        check_markup(with_query.text, f"{where} ?query", site.plant.payload)
                if "hx-request" in response.headers.get("vary", "").lower():
                    partial = await client.get(url, headers={"HX-Request": "true"})
                    assert partial.status_code == 200, where
                    soup = check_markup(partial.text, f"{where} (htmx)", site.plant.payload)
                    texts[f"{where} (htmx)"] = visible_text(soup)
    return texts, answered


async def test_every_page_shows_planted_text_as_text(site: Site, app) -> None:  # type: ignore[no-untyped-def]
    texts, answered = await crawl(site, app)
    pages = set(get_routes(app)) - set(NOT_PAGES)
    assert sorted(pages - answered) == [], "no one could open these pages"
    everything = "\n".join(texts.values())
    missing = sorted(
        where for where in site.plant.shown if site.plant.planted[where] not in everything
    )
    assert missing == [], f"shown nowhere as typed: {missing}"
    for column, why in TEXT_COLUMNS.items():
        if why == PLANTED:
            assert any(w.startswith(column) for w in site.plant.planted), f"{column} not planted"


async def test_the_feed_escapes_the_payload(site: Site, world: World) -> None:
    notice = await Notice.filter(state="published").order_by("id").first()
    assert notice is not None
    notice.is_public = True
    await notice.save()
    response = await site.clients["anonymous"].get("/notices/feed.atom")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # well-formed XML, whatever was typed
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.text for e in root.iter(f"{atom}title")]
    assert f"{notice.document_number} {notice.title}" in titles
    assert world.society_a.name not in titles
    names = [e.text for e in root.iter(f"{atom}name")]
    assert names == [(await notice.issuer).name]
    # The summary is text (Atom's default type), no element inside: a reader shows the
    # typed markup as the characters it is.
    summaries = list(root.iter(f"{atom}summary"))
    assert len(summaries) == 1
    assert summaries[0].get("type", "text") == "text"
    assert list(summaries[0]) == []
    # (Markdown reads &amp; as an entity, so only the marker is compared.)
    marker = site.plant.planted["Notice.body_source"].rsplit("~", 1)[1]
    assert f"~{marker}" in (summaries[0].text or "")


async def test_an_export_page_shows_its_file_name_as_text(site: Site, settings: Settings) -> None:
    """The export's page names the file, made from the planted campaign title."""
    round_id = site.params[0]["round_id"]
    staff = site.clients["staff"]
    report = f"/reports/rounds/{round_id}/totals"
    token = await csrf_token(staff, report)
    try:
        started = await staff.post(
            f"/reports/rounds/{round_id}/exports",
            data={"csrf_token": token, "include": "submitted"},
        )
        assert started.status_code == 303, started.text
        status_url = started.headers["location"]
        job = export_jobs.job_status(settings, status_url.rstrip("/").rsplit("/", 1)[-1])
        assert job is not None
        for headers in ({}, {"HX-Request": "true"}):
            page = await staff.get(status_url, headers=headers)
            assert page.status_code == 200
            soup = check_markup(page.text, f"export status {headers}", site.plant.payload)
            shown = soup.select_one(".survey-export-file")
            assert shown is not None and shown.get_text() == job.filename, job.filename
    finally:
        await export_jobs.shutdown()


async def test_e_mail_html_parts_show_planted_text_as_text(site: Site) -> None:
    mails = await EmailMessage.all()
    assert mails
    for mail in mails:
        check_markup(mail.html_body, f"e-mail {mail.id}", site.plant.payload)
    name = site.plant.planted["User.display_name secretary"]
    text_part, html_part = mail_bodies(name, name, name, "/notices/1")
    soup = check_markup(html_part, "mail_bodies", site.plant.payload)
    assert name in soup.get_text(" ")
    assert name in text_part
    # The notice and the 催报 reached society A's secretary in the site and by e-mail,
    # with the planted titles in them (the notifications page is in the crawl).
    sent = [
        BeautifulSoup(mail.html_body, "html.parser").get_text(" ")
        for mail in mails
        if mail.to_address == "sec_a@example.org"
    ]
    notified = [n.title + " " + n.body for n in await Notification.all()]
    for where in ("Notice.title", "Campaign.title"):
        planted = site.plant.planted[where]
        assert any(planted in text for text in sent), where
        assert any(planted in text for text in notified), where


async def test_history_and_reasons_were_recorded(site: Site) -> None:
    """The planting went through the real pages: the reason and the change are stored."""
    assert await ResponseEvent.filter(reason=site.plant.planted["ResponseEvent.reason"]).exists()
    assert await AnswerChange.filter().exists()
    assert await Response.filter(state=ResponseState.RETURNED).exists()


# -- input echoed back: refusals, imports, search boxes ---------------------------------------


def workbook_with(form: FormDefinition, **cells: str) -> bytes:
    book = load_workbook(io.BytesIO(form_to_xlsx(form)))
    for address, value in cells.items():
        book[xlsform.SHEET_TITLES[xlsform.SURVEY]][address] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("payload", XSS, ids=[f"xss{n}" for n in range(len(XSS))])
async def test_input_echoed_back_is_text(payload: str, world: World, as_user, app) -> None:  # type: ignore[no-untyped-def]
    p = Plant(payload)
    # A sign-in refused: the username typed comes back in the form.
    async with new_client(app) as anonymous:
        token = await csrf_token(anonymous, "/login")
        refused = await anonymous.post(
            "/login", data={"username": payload, "password": payload, "csrf_token": token}
        )
        assert refused.status_code in (200, 400, 401, 403)
        soup = check_markup(refused.text, "refused sign-in", payload)
        assert payload in visible_text(soup)
    async with as_user("sec_a") as sec_a:
        # A form imported from .xlsx with the payload in every label.
        token = await csrf_token(sec_a, "/reports/forms")
        imported = await sec_a.post(
            "/reports/forms/import",
            data={"csrf_token": token, "owner": str(world.society_a.id)},
            files={"file": ("表单.xlsx", form_to_xlsx(hostile_form(p)), XLSX)},
        )
        assert imported.status_code == 303, imported.text[:500]
        form_url = imported.headers["location"].split("?")[0]
        for url in (form_url, f"{form_url}/preview", f"{form_url}/versions/1"):
            page = await sec_a.get(url)
            assert page.status_code == 200, url
            soup = check_markup(page.text, url, payload)
            text = visible_text(soup)
            for where in ("FormVersion.definition question", "FormVersion.definition table"):
                assert p.planted[where] in text, (url, where)
        # The form builder's htmx partials: a question added with the payload as its
        # label and help, and one refused for a key that is the payload.
        for fields, expect in (
            ({"label": payload, "help": payload, "key": "added"}, 200),
            ({"label": payload, "key": payload[:40]}, 422),
        ):
            token = await csrf_token(sec_a, form_url)
            partial = await sec_a.post(
                f"{form_url}/sections/s1/questions",
                data={"csrf_token": token, "type": "short_text", **fields},
                headers={"HX-Request": "true"},
            )
            assert partial.status_code in (expect, 400), partial.text[:300]
            soup = check_markup(partial.text, f"builder partial {fields}", payload)
            assert payload.strip() in visible_text(soup)
        # An import with mistakes: the problems name the typed values.
        wrong = workbook_with(hostile_form(p), A3=payload, B4=payload)
        token = await csrf_token(sec_a, "/reports/forms")
        problems = await sec_a.post(
            "/reports/forms/import",
            data={"csrf_token": token, "owner": str(world.society_a.id)},
            files={"file": ("表单.xlsx", wrong, XLSX)},
        )
        assert problems.status_code == 422, problems.text[:500]
        soup = check_markup(problems.text, "import problems", payload)
        assert payload.strip() in visible_text(soup)
        # A number answer refused beside the field (the autosave partial).
        campaign = await make_campaign(world.association, [world.society_a], hostile_form(p))
        round_ = await open_round(campaign)
        response = await response_of(round_, world.society_a)
        token = await csrf_token(sec_a, f"/reports/responses/{response.id}")
        refused = await sec_a.post(
            f"/reports/responses/{response.id}/answers/count",
            data={"value": payload, "base": ""},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        assert refused.status_code == 422
        check_markup(refused.text, "refused number", payload)
        # The whole report saved without JavaScript, with the payload in the number too.
        token = await csrf_token(sec_a, f"/reports/responses/{response.id}")
        saved = await sec_a.post(
            f"/reports/responses/{response.id}/save",
            data={"csrf_token": token, "count": payload, "story": payload},
        )
        assert saved.status_code in (200, 303, 400, 422)
        check_markup(saved.text, "report saved", payload)
