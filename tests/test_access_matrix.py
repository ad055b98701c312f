"""Who may reach which page: every route × every kind of person × another organisation's object.

Every named route must be classified in ROUTE_ACCESS, so a new page cannot ship without
saying who may see it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from starlette.routing import Mount, Route

from intranet.i18n import gettext, use_locale
from intranet.models import Category, Membership, Organisation, User
from intranet.notices import workflow
from intranet.notices.models import (
    AddresseeTarget,
    Notice,
    NoticeAddressee,
    NoticeAudience,
    NoticeState,
)
from tests.conftest import World, login, new_client, post
from tests.notice_helpers import make_notice, to_members_of

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed in"  # anyone with an account
ADMIN_OF_OBJECT = "admin of the object"  # an admin whose subtree holds the object
ROOT_ADMIN = "root admin"  # an admin of the association itself
ACTS_FOR_OBJECT = "acts for the object"  # its secretaries, staff and admins (and above)
# Who may use a notice depends on its state and addressees as well as on roles: those
# routes are walked role × state × addressee in tests/intranet/test_notice_access.py.
NOTICE_RULES = "notice rules"
# Reports: who reviews and who answers depends on the campaign's organiser and roster;
# tests/surveys/test_access.py walks every one against another organisation's objects,
# and each area's tests walk its roles and states.
SURVEY_RULES = "survey rules"
# One's own notifications by id: tests/intranet/test_notifications_pages.py gives each person
# another's id and expects 404.
OWN_NOTIFICATION = "own notification"
# A directory import job by its token: only the admin who started it; and an invitation
# by its one-time code. tests/intranet/test_directory_pages.py walks both.
DIRECTORY_RULES = "directory rules"

ROUTE_ACCESS = {
    "intranet:home": SIGNED_IN,
    "intranet:healthz": PUBLIC,
    "intranet:directory": SIGNED_IN,
    "intranet:organisation_contacts": ACTS_FOR_OBJECT,
    "intranet:login": PUBLIC,
    "intranet:logout": PUBLIC,
    "intranet:profile": SIGNED_IN,
    "intranet:change_password": SIGNED_IN,
    "intranet:end_other_sessions": SIGNED_IN,
    "intranet:set_language": PUBLIC,
    "intranet:admin_organisations": ADMIN_OF_OBJECT,
    "intranet:admin_organisation_create": ADMIN_OF_OBJECT,
    "intranet:admin_organisation_edit": ADMIN_OF_OBJECT,
    "intranet:admin_organisation_move": ADMIN_OF_OBJECT,
    "intranet:admin_categories": ROOT_ADMIN,
    "intranet:admin_category_edit": ROOT_ADMIN,
    "intranet:admin_category_delete": ROOT_ADMIN,
    "intranet:admin_people": ADMIN_OF_OBJECT,
    "intranet:admin_create_person": ADMIN_OF_OBJECT,
    "intranet:admin_person": ADMIN_OF_OBJECT,
    "intranet:admin_update_person": ADMIN_OF_OBJECT,
    "intranet:admin_assign_role": ADMIN_OF_OBJECT,
    "intranet:admin_remove_role": ADMIN_OF_OBJECT,
    "intranet:admin_deactivate_person": ADMIN_OF_OBJECT,
    "intranet:admin_reactivate_person": ADMIN_OF_OBJECT,
    "intranet:admin_reset_password": ADMIN_OF_OBJECT,
    "intranet:admin_invite_person": ADMIN_OF_OBJECT,
    "intranet:admin_revoke_invitation": ADMIN_OF_OBJECT,
    "intranet:admin_directory": ADMIN_OF_OBJECT,
    "intranet:admin_directory_template": ADMIN_OF_OBJECT,
    "intranet:admin_directory_export": ADMIN_OF_OBJECT,
    "intranet:admin_directory_import": ADMIN_OF_OBJECT,
    "intranet:admin_directory_job": DIRECTORY_RULES,
    "intranet:admin_directory_confirm": DIRECTORY_RULES,
    "intranet:admin_directory_codes": DIRECTORY_RULES,
    "intranet:invitation_code": PUBLIC,
    "intranet:invitation": DIRECTORY_RULES,
    "intranet:admin_audit": ADMIN_OF_OBJECT,
    "intranet:notices": SIGNED_IN,
    "intranet:notices_feed": PUBLIC,
    "intranet:notice": NOTICE_RULES,
    "intranet:notice_attachment": NOTICE_RULES,
    "intranet:notice_version": NOTICE_RULES,
    "intranet:notices_issued": SIGNED_IN,
    "intranet:notice_create": NOTICE_RULES,
    "intranet:notice_paste": NOTICE_RULES,
    "intranet:notice_edit": NOTICE_RULES,
    "intranet:notice_delete": NOTICE_RULES,
    "intranet:notice_publish": NOTICE_RULES,
    "intranet:notice_withdraw": NOTICE_RULES,
    "intranet:notice_forward": NOTICE_RULES,
    "intranet:notice_attachment_upload": NOTICE_RULES,
    "intranet:notice_attachment_delete": NOTICE_RULES,
    "intranet:notice_prefixes": ACTS_FOR_OBJECT,
    "intranet:notice_receipts": NOTICE_RULES,
    "intranet:notice_remind": NOTICE_RULES,
    "surveys:forms": SURVEY_RULES,
    "surveys:create_form": SURVEY_RULES,
    "surveys:create_example": SURVEY_RULES,
    "surveys:import_form": SURVEY_RULES,
    "surveys:form": SURVEY_RULES,
    "surveys:edit_form_settings": SURVEY_RULES,
    "surveys:add_section": SURVEY_RULES,
    "surveys:add_question": SURVEY_RULES,
    "surveys:change_section": SURVEY_RULES,
    "surveys:add_column": SURVEY_RULES,
    "surveys:change_column": SURVEY_RULES,
    "surveys:change_question": SURVEY_RULES,
    "surveys:import_version": SURVEY_RULES,
    "surveys:preview_form": SURVEY_RULES,
    "surveys:form_version": SURVEY_RULES,
    "surveys:preview_form_version": SURVEY_RULES,
    "surveys:export_form_version": SURVEY_RULES,
    "surveys:campaigns": SURVEY_RULES,
    "surveys:campaign_create": SURVEY_RULES,
    "surveys:campaign": SURVEY_RULES,
    "surveys:campaign_edit": SURVEY_RULES,
    "surveys:campaign_open_rounds": SURVEY_RULES,
    "surveys:round": SURVEY_RULES,
    "surveys:round_remind": SURVEY_RULES,
    "surveys:round_approve": SURVEY_RULES,
    "surveys:round_close": SURVEY_RULES,
    "surveys:round_reopen": SURVEY_RULES,
    "surveys:round_extend": SURVEY_RULES,
    "surveys:review_response": SURVEY_RULES,
    "surveys:review_queue": SURVEY_RULES,
    "surveys:my_reports": SURVEY_RULES,
    "surveys:start_response": SURVEY_RULES,
    "surveys:response": SURVEY_RULES,
    "surveys:save_response": SURVEY_RULES,
    "surveys:submit_response": SURVEY_RULES,
    "surveys:prefill_response": SURVEY_RULES,
    "surveys:withdraw_response": SURVEY_RULES,
    "surveys:confirm_no_change": SURVEY_RULES,
    "surveys:submit_no_change": SURVEY_RULES,
    "surveys:save_answer": SURVEY_RULES,
    "surveys:upload_file": SURVEY_RULES,
    "surveys:download_file": SURVEY_RULES,
    "surveys:response_history": SURVEY_RULES,
    "surveys:campaign_trend": SURVEY_RULES,
    "surveys:campaign_trend_xlsx": SURVEY_RULES,
    "surveys:my_round": SURVEY_RULES,
    "surveys:round_reminders": SURVEY_RULES,
    "surveys:round_report": SURVEY_RULES,
    "surveys:round_report_csv": SURVEY_RULES,
    "surveys:round_report_xlsx": SURVEY_RULES,
    "surveys:export_download": SURVEY_RULES,
    "surveys:export_status": SURVEY_RULES,
    "surveys:start_campaign_export": SURVEY_RULES,
    "surveys:start_round_export": SURVEY_RULES,
    "intranet:notifications": SIGNED_IN,
    "intranet:notifications_bell": SIGNED_IN,
    "intranet:notifications_read_all": SIGNED_IN,
    "intranet:notification_preferences": SIGNED_IN,
    "intranet:notification_open": OWN_NOTIFICATION,
    "intranet:notification_read": OWN_NOTIFICATION,
    "intranet:admin_email": ROOT_ADMIN,
    "intranet:admin_email_retry": ROOT_ADMIN,
    "intranet:admin_email_test": ROOT_ADMIN,
}

RULED_ELSEWHERE = (NOTICE_RULES, SURVEY_RULES, OWN_NOTIFICATION, DIRECTORY_RULES)

# People who hold no admin role anywhere, and an admin of society A only.
NON_ADMINS = ["outsider", "member_a", "sec_a", "staff"]
ADMIN_OF_A = "admin_a"
ROOT = "admin"


def named_routes(app: Any) -> dict[str, Route]:
    return {r.name: r for r in app.routes if isinstance(r, Route) and r.name}


def test_every_route_says_who_may_use_it(app) -> None:  # type: ignore[no-untyped-def]
    routes = named_routes(app)
    unclassified = sorted(set(routes) - set(ROUTE_ACCESS))
    assert unclassified == [], f"classify these routes in ROUTE_ACCESS: {unclassified}"
    stale = sorted(set(ROUTE_ACCESS) - set(routes))
    assert stale == [], f"these routes no longer exist: {stale}"
    mounts = [r.path for r in app.routes if isinstance(r, Mount)]
    assert mounts == ["/static"]


async def path_params_in_b(world: World) -> dict[str, int]:
    """Ids of society B's things, for the routes' path parameters."""
    membership = await Membership.get(user=world.secretary_b)
    return {
        "organisation_id": world.society_b.id,
        "person_id": world.secretary_b.id,
        "membership_id": membership.id,
        "category_id": world.medicine.id,
    }


def url_of(route: Route, params: dict[str, int]) -> str:
    needed = {name: params[name] for name in route.param_convertors}
    return route.url_path_for(route.name, **needed)


async def signed_in_clients(app, usernames: list[str]) -> dict[str, httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    clients = {}
    for username in usernames:
        client = new_client(app, cookies={"huibao_lang": "en"})
        response = await login(client, username)
        assert response.status_code == 303, f"{username} could not log in"
        clients[username] = client
    return clients


def expected_get_status(access: str, who: str, route: Route) -> int:
    about_b = bool(route.param_convertors)
    if access == PUBLIC:
        return 200
    if who == "anonymous":
        return 303
    if access == SIGNED_IN:
        return 200
    if access == ACTS_FOR_OBJECT:
        # Society B's page: the association's staff and root admin act for it.
        return 200 if who in ("staff", ROOT) else 404
    if who in NON_ADMINS:
        return 404
    if who == ADMIN_OF_A:
        return 404 if access == ROOT_ADMIN or about_b else 200
    return 200  # the root admin


async def test_get_matrix(app, world: World, admin_a: User) -> None:  # type: ignore[no-untyped-def]
    params = await path_params_in_b(world)
    clients = await signed_in_clients(app, [*NON_ADMINS, ADMIN_OF_A, ROOT])
    clients["anonymous"] = new_client(app)
    wrong = []
    try:
        for name, route in sorted(named_routes(app).items()):
            if "GET" not in (route.methods or set()) or ROUTE_ACCESS[name] in RULED_ELSEWHERE:
                continue
            path = url_of(route, params)
            for who, client in clients.items():
                if who != "anonymous" and name == "intranet:login":
                    continue  # a signed-in person is sent on from the login page
                response = await client.get(path)
                expected = expected_get_status(ROUTE_ACCESS[name], who, route)
                if response.status_code != expected:
                    wrong.append(f"GET {path} as {who}: {response.status_code}, not {expected}")
                elif expected == 303:
                    assert response.headers["location"].startswith("/login?next=")
    finally:
        for client in clients.values():
            await client.aclose()
    assert wrong == []


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Everything an admin page could change."""
    return {
        "organisations": await Organisation.all().order_by("id").values(),
        "categories": await Category.all().order_by("id").values(),
        "memberships": await Membership.all().order_by("id").values(),
        "people": await User.all()
        .order_by("id")
        .values(
            "id",
            "username",
            "display_name",
            "email",
            "phone",
            "title",
            "is_active",
            "password_hash",
        ),
    }


def hostile_form(world: World, params: dict[str, int]) -> dict[str, str]:
    """A form that would do damage to society B if any admin page accepted it."""
    b = str(world.society_b.id)
    return {
        "name": "被篡改",
        "short_name": "篡改",
        "display_name": "被篡改",
        "username": "intruder",
        "parent": b,
        "parent_id": b,
        "new_parent": str(world.society_a.id),
        "organisation": b,
        "organisation_id": b,
        "role": "admin",
        "password": "Intruder-Password-1",
        "new_password": "Intruder-Password-1",
        "confirm_password": "Intruder-Password-1",
        "categories": str(params["category_id"]),
        "sort_order": "1",
        "contact_name": "冒充者",
        "contact_phone": "110",
        "contact_email": "intruder@evil.example",
        "is_active": "",
    }


async def csrf_for(client: httpx.AsyncClient) -> str:
    page = await client.get("/profile")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


async def test_admin_writes_on_another_organisation_are_refused_and_change_nothing(
    app,
    world: World,
    admin_a: User,  # type: ignore[no-untyped-def]
) -> None:
    params = await path_params_in_b(world)
    clients = await signed_in_clients(app, [*NON_ADMINS, ADMIN_OF_A])
    before = await snapshot()
    wrong = []
    try:
        for name, route in sorted(named_routes(app).items()):
            access = ROUTE_ACCESS[name]
            if "POST" not in (route.methods or set()) or access in (
                PUBLIC,
                SIGNED_IN,
                *RULED_ELSEWHERE,
            ):
                continue
            path = url_of(route, params)
            for who, client in clients.items():
                if access == ACTS_FOR_OBJECT and who == "staff":
                    continue  # the association's staff do act for society B
                refused = {404, 405}
                if who == ADMIN_OF_A and access == ADMIN_OF_OBJECT and not route.param_convertors:
                    # A's own create page: the parent or organisation in the form is B's,
                    # which may also be answered as a form error.
                    refused.add(400)
                form = {**hostile_form(world, params), "csrf_token": await csrf_for(client)}
                response = await client.post(path, data=form)
                if response.status_code not in refused:
                    wrong.append(f"POST {path} as {who}: {response.status_code}")
    finally:
        for client in clients.values():
            await client.aclose()
    assert wrong == []
    assert await snapshot() == before


# -- whom a notice may be addressed to ----------------------------------------------------
# An issuer addresses its own subtree; all societies and categories only an issuer whose
# subtree holds them (the association). Checked when a draft is saved and again when it
# is published, whoever saved it.

ADDRESSING = [
    # (who, issuer, field, addressee, allowed)
    ("sec_a", "society_a", "organisations", "branch_a", True),
    ("sec_a", "society_a", "members_of", "society_a", True),
    ("sec_a", "society_a", "members_of", "branch_a", True),
    ("sec_a", "society_a", "cc_organisations", "branch_a", True),
    ("sec_a", "society_a", "categories", "medicine", False),
    ("sec_a", "society_a", "cc_categories", "medicine", False),
    ("sec_a", "society_a", "all_societies", None, False),
    ("sec_a", "society_a", "cc_all_societies", None, False),
    ("sec_a", "society_a", "organisations", "society_b", False),
    ("sec_a", "society_a", "members_of", "association", False),
    ("staff", "association", "categories", "medicine", True),
    ("staff", "association", "all_societies", None, True),
    ("staff", "association", "organisations", "society_b", True),
    ("staff", "association", "members_of", "association", True),
]
ADDRESSING_IDS = [f"{who}-{field}-{thing}" for who, _, field, thing, _ in ADDRESSING]


def addressing_form(world: World, issuer: Organisation, field: str, thing: str | None) -> dict:  # type: ignore[type-arg]
    value = "1" if thing is None else str(getattr(world, thing).id)
    return {
        "issuer": str(issuer.id),
        "numbering": "none",
        "typed_number": "",
        "title": "关于做好网上值班工作的通知",
        "addressee_line": "",
        "cc_line": "",
        "body_format": "markdown",
        "body": "请做好网上值班工作。",
        "signature": issuer.name,
        "issued_on": "",
        "category": "notice",
        field: value,
        # Something legal in 主送 too, so only the row under test can be refused.
        **(
            {}
            if field.startswith(("organisations", "members_of"))
            else {"members_of": str(issuer.id)}
        ),
    }


@pytest.mark.parametrize(
    ("who", "issuer", "field", "thing", "allowed"), ADDRESSING, ids=ADDRESSING_IDS
)
async def test_addressing_when_a_draft_is_saved(  # type: ignore[no-untyped-def]
    app,
    world: World,
    as_user: Any,
    who: str,
    issuer: str,
    field: str,
    thing: str | None,
    allowed: bool,
) -> None:
    async with as_user(who) as c:
        form = addressing_form(world, getattr(world, issuer), field, thing)
        page = await c.get("/notices/new", params={"issuer": form["issuer"]})
        offered = {
            (box["name"], box["value"])
            for box in BeautifulSoup(page.text, "html.parser").select(
                "form.notice-form input[type=checkbox]"
            )
        }
        response = await post(c, "/notices/new", form, token_from="/notices/new")
    # The form offers exactly what may be chosen.
    assert ((field, form[field]) in offered) is allowed
    if allowed:
        assert response.status_code == 303, response.text[:500]
        assert await NoticeAddressee.exists(notice__title=form["title"])
    else:
        assert response.status_code == 400
        assert not await Notice.exists(title=form["title"])


@pytest.mark.parametrize(
    ("who", "issuer", "field", "thing", "allowed"), ADDRESSING, ids=ADDRESSING_IDS
)
async def test_addressing_when_a_draft_is_published(  # type: ignore[no-untyped-def]
    app,
    world: World,
    as_user: Any,
    who: str,
    issuer: str,
    field: str,
    thing: str | None,
    allowed: bool,
) -> None:
    # A draft saved before the rule, or under a role since taken away: publication asks again.
    target = {
        "organisations": AddresseeTarget.ORGANISATION,
        "members_of": AddresseeTarget.MEMBERS_OF,
        "categories": AddresseeTarget.CATEGORY,
        "all_societies": AddresseeTarget.ALL_SOCIETIES,
    }[field.removeprefix("cc_")]
    addressee = (target, getattr(world, thing) if thing else None)
    in_cc = field.startswith("cc_")
    draft = await make_notice(
        getattr(world, issuer),
        to=[to_members_of(getattr(world, issuer))] if in_cc else [addressee],
        cc=[addressee] if in_cc else [],
        publish=False,
    )
    async with as_user(who) as c:
        response = await post(c, f"/notices/{draft.id}/publish", token_from=f"/notices/{draft.id}")
    draft = await Notice.get(id=draft.id)
    if allowed:
        assert response.status_code == 303
        assert draft.state == NoticeState.PUBLISHED
    else:
        assert response.status_code == 400
        assert draft.state == NoticeState.DRAFT
        assert not await NoticeAudience.exists(notice_id=draft.id)
        page = BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True)
        with use_locale("zh_CN"):
            assert gettext(workflow.ADDRESSEES_OUT_OF_REACH) in page


async def test_a_pasted_notice_ticks_only_what_its_issuer_may_address(
    world: World, as_user: Any
) -> None:
    text = "\n".join(
        [
            "辽宁省计算机学会",
            "辽计会字〔2020〕第002号",
            "关于做好专家储备工作的通知",
            "辽宁省计算机学会人工智能专业委员会、各医药卫生类学会、各省级学会：",
            "　　请按时报送专家名单。",
            "辽宁省计算机学会",
            "2020年2月12日",
        ]
    )
    async with as_user("sec_a") as c:
        paste = {"text": text, "issuer": str(world.society_a.id)}
        response = await post(c, "/notices/paste", paste, token_from="/notices/paste")
    page = BeautifulSoup(response.text, "html.parser")
    ticked = {
        (box["name"], box["value"])
        for box in page.select("form.notice-form input[type=checkbox][checked]")
    }
    assert ("organisations", str(world.branch_a.id)) in ticked
    assert not {name for name, _ in ticked} & {"categories", "all_societies"}
    # What could not be ticked is named for the person to see, not silently dropped.
    report = page.select_one(".notice-paste-report")
    assert report is not None
    assert "医药卫生类" in report.get_text() and "各省级学会" in report.get_text()
