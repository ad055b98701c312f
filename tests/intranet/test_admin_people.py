"""Admin pages for people: the list, creating, editing, roles, deactivating, passwords.

Personas: `admin` administers the whole association; `admin_a` only society A (with
its branch). sec_a and member_a are inside A; sec_b, staff and admin are outside it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from intranet.directory.models import Invitation
from intranet.models import AuditEvent, Membership, Role, User, UserSession
from intranet.notifications.models import EmailMessage
from intranet.settings import Settings
from tests.conftest import PASSWORD, World, login, make_user, new_client, post
from tests.helpers import soup

NEW_PASSWORD = "Fresh-Start-2024"


def listed_usernames(response: httpx.Response) -> set[str]:
    cells = soup(response).select("table.people-table tbody tr td:nth-of-type(2)")
    return {cell.get_text(strip=True) for cell in cells}


def field_error(response: httpx.Response, name: str) -> str:
    error = soup(response).select_one(f"#error-{name}")
    return error.get_text(strip=True) if error else ""


def field_value(response: httpx.Response, name: str) -> str:
    element = soup(response).select_one(f"#field-{name}")
    assert element is not None, name
    if element.name == "select":
        chosen = element.select_one("option[selected]")
        return str(chosen["value"]) if chosen else ""
    return str(element.get("value", ""))


def person_url(person: User, action: str = "") -> str:
    return f"/admin/people/{person.id}" + (f"/{action}" if action else "")


def new_person_form(world: World, **overrides: Any) -> dict[str, Any]:
    form = {
        "username": "Zhang.San",
        "display_name": "张三",
        "email": "zhangsan@example.org",
        "phone": "13800000000",
        "title": "副秘书长",
        "organisation": world.branch_a.id,
        "role": "member",
        "password": NEW_PASSWORD,
    }
    form.update(overrides)
    return form


async def can_log_in(app: Any, username: str, password: str) -> bool:
    async with new_client(app) as c:
        return (await login(c, username, password)).status_code == 303


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/")
    return response.status_code == 200


# -- the list ---------------------------------------------------------------------------


async def test_it_lists_people_in_reach_and_people_without_roles(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        response = await c.get("/admin/people")
    assert response.status_code == 200
    assert listed_usernames(response) == {"admin_a", "sec_a", "member_a", "outsider"}


async def test_a_root_admin_lists_everyone(world: World, as_english_user: Any) -> None:
    async with as_english_user("admin") as c:
        response = await c.get("/admin/people")
    assert listed_usernames(response) == {
        "admin",
        "staff",
        "sec_a",
        "member_a",
        "sec_b",
        "outsider",
    }


async def test_it_shows_someone_also_holding_roles_elsewhere_without_a_link(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    await Membership.create(user=world.secretary_a, organisation=world.society_b, role=Role.MEMBER)
    async with as_english_user("admin_a") as c:
        response = await c.get("/admin/people")
    page = soup(response)
    linked = {a.get_text(strip=True) for a in page.select("table.people-table a[href^='/admin/']")}
    assert "计算机学会秘书" not in linked
    assert "计算机学会会员" in linked
    assert "医学会" not in response.text  # their role in B is not shown to A's admin


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "医学会"}, {"sec_b"}),  # by organisation
        ({"q": "SEC_A"}, {"sec_a"}),  # by username, whatever the case
        ({"q": "会员"}, {"member_a"}),  # by name
        ({"role": "secretary"}, {"sec_a", "sec_b"}),
        ({"role": "none"}, {"outsider"}),
        ({"state": "inactive"}, {"member_a"}),
        ({"state": "active", "q": "计算机学会"}, {"sec_a"}),
    ],
)
async def test_it_searches_and_filters(
    world: World, as_english_user: Any, query: dict[str, str], expected: set[str]
) -> None:
    await User.filter(id=world.member_a.id).update(is_active=False)
    async with as_english_user("admin") as c:
        response = await c.get("/admin/people", params=query)
    assert listed_usernames(response) == expected


async def test_a_search_by_organisation_stays_within_reach(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        response = await c.get("/admin/people", params={"q": "医学会"})
    assert listed_usernames(response) == set()


async def test_htmx_gets_only_the_rows(world: World, as_english_user: Any) -> None:
    async with as_english_user("admin") as c:
        response = await c.get("/admin/people", params={"q": "sec"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert listed_usernames(response) == {"sec_a", "sec_b"}
    assert "HX-Request" in response.headers["vary"]


async def test_the_list_costs_the_same_queries_for_many_people(
    world: World, settings: Settings, as_english_user: Any, queries: list[str]
) -> None:
    async with as_english_user("admin") as c:
        queries.clear()
        await c.get("/admin/people")
        few = len(queries)
        for number in range(30):
            person = await make_user(settings, f"p{number:02}", f"会员{number}")
            await Membership.create(user=person, organisation=world.society_a, role=Role.MEMBER)
            await Membership.create(user=person, organisation=world.branch_a, role=Role.MEMBER)
        queries.clear()
        response = await c.get("/admin/people")
    assert len(listed_usernames(response)) == 36
    assert len(queries) == few


# -- creating a person ---------------------------------------------------------------------


async def test_it_creates_a_person_with_a_typed_password(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        response = await post(c, "/admin/people/new", new_person_form(world))
        assert response.status_code == 303
        page = await c.get(response.headers["location"])
    person = await User.get(username="zhang.san")
    assert response.headers["location"] == f"/admin/people/{person.id}?done=created"
    assert "The person has been created." in page.text
    assert (person.display_name, person.email, person.phone, person.title) == (
        "张三",
        "zhangsan@example.org",
        "13800000000",
        "副秘书长",
    )
    assert person.is_active
    roles = await Membership.filter(user=person).values_list("organisation_id", "role")
    assert roles == [(world.branch_a.id, Role.MEMBER)]
    assert await can_log_in(app, "ZHANG.SAN", NEW_PASSWORD)
    event = await AuditEvent.get(action="person.create")
    assert (event.actor_id, event.organisation_id, event.object_id) == (
        admin_a.id,
        world.branch_a.id,
        str(person.id),
    )


async def test_without_a_password_a_person_with_an_address_is_invited_by_e_mail(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        response = await post(c, "/admin/people/new", new_person_form(world, password=""))
        assert response.status_code == 303
        assert response.headers["location"].endswith("?done=created_invited")
    person = await User.get(username="zhang.san")
    assert person.password_hash == ""
    mail = await EmailMessage.get(user=person)
    assert mail.to_address == "zhangsan@example.org"
    assert "/invitation/" in mail.text_body


async def test_without_a_password_or_address_a_one_time_code_is_shown_once(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        form = new_person_form(world, password="", email="")
        response = await post(c, "/admin/people/new", form)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        code = soup(response).select_one(".invitation-code").get_text()
        person = await User.get(username="zhang.san")
        later = await c.get(person_url(person))
    assert code not in later.text
    assert not await EmailMessage.exists(user=person)
    assert await Invitation.filter(user=person).values_list("token_hash", flat=True) != [code]
    assert person.password_hash == ""


@pytest.mark.parametrize("taken", ["sec_b", "SEC_B", "ｓｅｃ＿ｂ", " sec_b "])
async def test_it_refuses_a_taken_username_and_saves_nothing(
    world: World, admin_a: User, as_english_user: Any, taken: str
) -> None:
    people_before = await User.all().count()
    async with as_english_user("admin_a") as c:
        response = await post(c, "/admin/people/new", new_person_form(world, username=taken))
    assert response.status_code == 400
    assert "already taken" in field_error(response, "username")
    assert field_value(response, "display_name") == "张三"
    assert field_value(response, "organisation") == str(world.branch_a.id)
    assert await User.all().count() == people_before
    assert not await Membership.filter(organisation=world.branch_a).exists()
    assert not await AuditEvent.filter(action="person.create").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("username", "u" * 65),
        ("display_name", "名" * 65),
        ("email", "a" * 250 + "@x.org"),
        ("phone", "1" * 33),
        ("title", "长" * 65),
    ],
)
async def test_it_refuses_over_long_values_on_creation(
    world: World, admin_a: User, as_english_user: Any, name: str, value: str
) -> None:
    people_before = await User.all().count()
    async with as_english_user("admin_a") as c:
        response = await post(c, "/admin/people/new", new_person_form(world, **{name: value}))
    assert response.status_code == 400
    assert "At most" in field_error(response, name)
    assert field_value(response, name) == value
    assert await User.all().count() == people_before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "zhang san"}, "username"),
        ({"username": ""}, "username"),
        ({"display_name": ""}, "display_name"),
        ({"email": "not-an-address"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "zhang.san1", "username": "zhang.san1"}, "password"),
        ({"role": "owner"}, "role"),
        ({"organisation": ""}, "organisation"),
    ],
)
async def test_it_refuses_what_is_not_valid(
    world: World, admin_a: User, as_english_user: Any, changes: dict[str, str], field: str
) -> None:
    people_before = await User.all().count()
    async with as_english_user("admin_a") as c:
        response = await post(c, "/admin/people/new", new_person_form(world, **changes))
    assert response.status_code == 400
    assert field_error(response, field)
    assert await User.all().count() == people_before


@pytest.mark.parametrize("outside", ["society_b", "association"])
async def test_an_admin_of_a_cannot_create_someone_outside_a(
    world: World, admin_a: User, as_english_user: Any, outside: str
) -> None:
    organisation = getattr(world, outside)
    async with as_english_user("admin_a") as c:
        form = new_person_form(world, organisation=organisation.id)
        response = await post(c, "/admin/people/new", form)
        page = await c.get("/admin/people/new")
    assert response.status_code == 400
    assert field_error(response, "organisation")
    assert not await User.exists(username="zhang.san")
    offered = {o["value"] for o in soup(page).select("#field-organisation option")}
    assert offered == {"", str(world.society_a.id), str(world.branch_a.id)}


async def test_creation_ignores_fields_the_form_does_not_offer(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    smuggled = {"is_active": "0", "locale": "en", "password_hash": "x", "id": "999"}
    async with as_english_user("admin_a") as c:
        response = await post(c, "/admin/people/new", new_person_form(world, **smuggled))
    assert response.status_code == 303
    person = await User.get(username="zhang.san")
    assert person.is_active and person.locale == "" and person.id != 999
    assert person.password_hash.startswith("$argon2id$")


# -- details ---------------------------------------------------------------------------------


DETAILS = {
    "display_name": "新名字",
    "email": "new@example.org",
    "phone": "024-1234",
    "title": "会员",
}


async def test_it_saves_details_and_records_what_changed(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a), DETAILS)
        page = await c.get(response.headers["location"])
    assert response.status_code == 303
    assert "The details have been saved." in page.text
    person = await User.get(id=world.member_a.id)
    assert (person.display_name, person.email, person.phone, person.title) == tuple(
        DETAILS.values()
    )
    event = await AuditEvent.get(action="person.update")
    assert "display_name: 计算机学会会员 → 新名字" in event.summary
    assert "phone: - → 024-1234" in event.summary


async def test_details_ignore_fields_the_form_does_not_offer(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    before = await User.get(id=world.member_a.id)
    smuggled = {
        "is_active": "0",
        "username": "hijacked",
        "password_hash": "x",
        "locale": "en",
        "role": "admin",
        "organisation_id": str(world.association.id),
        "organisation": str(world.association.id),
    }
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a), {**DETAILS, **smuggled})
    assert response.status_code == 303
    after = await User.get(id=world.member_a.id)
    assert after.display_name == "新名字"
    assert (after.username, after.is_active, after.password_hash, after.locale) == (
        before.username,
        True,
        before.password_hash,
        before.locale,
    )
    roles = await Membership.filter(user_id=after.id).values_list("organisation_id", "role")
    assert roles == [(world.society_a.id, Role.MEMBER)]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("display_name", "名" * 65),
        ("email", "a" * 250 + "@x.org"),
        ("phone", "1" * 33),
        ("title", "长" * 65),
        ("display_name", ""),
    ],
)
async def test_details_refuse_bad_values_and_change_nothing(
    world: World, admin_a: User, as_english_user: Any, name: str, value: str
) -> None:
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a), {**DETAILS, name: value})
    assert response.status_code == 400
    assert field_error(response, name)
    for offered, typed in {**DETAILS, name: value}.items():
        assert field_value(response, offered) == typed
    person = await User.get(id=world.member_a.id)
    assert person.display_name == "计算机学会会员" and person.phone == ""
    assert not await AuditEvent.filter(action="person.update").exists()


# -- roles ---------------------------------------------------------------------------------


async def test_it_gives_a_role(world: World, admin_a: User, as_english_user: Any) -> None:
    form = {"organisation": world.branch_a.id, "role": "secretary"}
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a, "roles"), form)
        page = await c.get(response.headers["location"])
    assert response.status_code == 303
    assert "The role has been given." in page.text
    assert await Membership.exists(
        user=world.member_a, organisation=world.branch_a, role=Role.SECRETARY
    )
    event = await AuditEvent.get(action="role.assign")
    assert event.organisation_id == world.branch_a.id


async def test_it_refuses_a_role_already_held(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    form = {"organisation": world.society_a.id, "role": "member"}
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a, "roles"), form)
    assert response.status_code == 400
    assert "already holds" in field_error(response, "role")
    assert await Membership.filter(user=world.member_a).count() == 1


@pytest.mark.parametrize("outside", ["society_b", "association"])
async def test_an_admin_of_a_cannot_give_a_role_outside_a(
    world: World, admin_a: User, as_english_user: Any, outside: str
) -> None:
    organisation = getattr(world, outside)
    form = {"organisation": organisation.id, "role": "admin"}
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a, "roles"), form)
    assert response.status_code == 400
    assert field_error(response, "organisation")
    assert await Membership.filter(user=world.member_a).count() == 1
    assert not await AuditEvent.filter(action="role.assign").exists()


async def test_it_removes_a_role(world: World, admin_a: User, as_english_user: Any) -> None:
    membership = await Membership.get(user=world.member_a)
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a, f"roles/{membership.id}/remove"))
    assert response.status_code == 303
    assert not await Membership.exists(id=membership.id)
    event = await AuditEvent.get(action="role.remove")
    assert event.organisation_id == world.society_a.id


async def test_a_role_of_someone_else_cannot_be_removed_through_a_person(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    elsewhere = await Membership.get(user=world.secretary_b)
    url = person_url(world.member_a, f"roles/{elsewhere.id}/remove")
    async with as_english_user("admin_a") as c:
        response = await post(c, url)
    assert response.status_code == 404
    assert await Membership.exists(id=elsewhere.id)


async def test_an_admin_cannot_remove_their_own_last_admin_role(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    own = await Membership.get(user=admin_a)
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(admin_a, f"roles/{own.id}/remove"))
        still_admin = await c.get("/admin/people")
    assert response.status_code == 400
    assert "last administrator role" in soup(response).select_one(".alert.error").get_text()
    assert await Membership.exists(id=own.id)
    assert still_admin.status_code == 200


async def test_an_admin_may_give_up_one_of_two_admin_roles(
    world: World, as_english_user: Any
) -> None:
    extra = await Membership.create(user=world.admin, organisation=world.society_a, role=Role.ADMIN)
    async with as_english_user("admin") as c:
        response = await post(c, person_url(world.admin, f"roles/{extra.id}/remove"))
    assert response.status_code == 303
    assert not await Membership.exists(id=extra.id)
    assert await Membership.exists(user=world.admin, role=Role.ADMIN)


# -- deactivating -----------------------------------------------------------------------------


async def test_deactivating_ends_their_sessions_and_stops_them_logging_in(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("member_a") as victim, as_english_user("admin_a") as c:
        assert await is_signed_in(victim)
        response = await post(c, person_url(world.member_a, "deactivate"))
        assert response.status_code == 303
        after = await victim.get("/")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")
    assert not await UserSession.filter(user_id=world.member_a.id).exists()
    assert not (await User.get(id=world.member_a.id)).is_active
    assert not await can_log_in(app, "member_a", PASSWORD)
    assert await AuditEvent.exists(action="person.deactivate", object_id=str(world.member_a.id))


async def test_reactivating_lets_them_log_in_again(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    await User.filter(id=world.member_a.id).update(is_active=False)
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a, "reactivate"))
    assert response.status_code == 303
    assert await can_log_in(app, "member_a", PASSWORD)
    assert await AuditEvent.exists(action="person.reactivate")


async def test_an_admin_cannot_deactivate_themselves(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(admin_a, "deactivate"))
        assert response.status_code == 400
        assert await is_signed_in(c)
    assert (await User.get(id=admin_a.id)).is_active


# -- passwords ---------------------------------------------------------------------------------


async def test_resetting_a_password_ends_sessions_and_the_new_one_works(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("member_a") as victim, as_english_user("admin_a") as c:
        response = await post(
            c, person_url(world.member_a, "password"), {"new_password": NEW_PASSWORD}
        )
        assert response.status_code == 303
        assert response.headers["location"].endswith("?done=password_reset")
        assert not await is_signed_in(victim)
        assert await is_signed_in(c)
    assert not await can_log_in(app, "member_a", PASSWORD)
    assert await can_log_in(app, "member_a", NEW_PASSWORD)
    assert await AuditEvent.exists(action="password.reset", object_id=str(world.member_a.id))


async def test_resetting_to_a_generated_password_shows_it_once(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("member_a") as victim, as_english_user("admin_a") as c:
        response = await post(c, person_url(world.member_a, "password"), {"new_password": ""})
        assert not await is_signed_in(victim)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    password = soup(response).select_one(".password-once code").get_text()
    assert await can_log_in(app, "member_a", password)


async def test_a_weak_new_password_is_refused_and_nothing_changes(
    app: Any, world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("member_a") as victim, as_english_user("admin_a") as c:
        response = await post(
            c, person_url(world.member_a, "password"), {"new_password": "aaaaaaaaaaaa"}
        )
        assert await is_signed_in(victim)
    assert response.status_code == 400
    assert field_error(response, "new_password")
    assert await can_log_in(app, "member_a", PASSWORD)


async def test_an_admin_resets_their_own_password_on_their_profile_instead(
    world: World, admin_a: User, as_english_user: Any
) -> None:
    async with as_english_user("admin_a") as c:
        response = await post(c, person_url(admin_a, "password"), {"new_password": NEW_PASSWORD})
        assert response.status_code == 400
        assert await is_signed_in(c)


# -- who may do any of this ------------------------------------------------------------------


def every_url(person: User, membership: Membership) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", person_url(person), {}),
        ("POST", person_url(person), DETAILS),
        (
            "POST",
            person_url(person, "roles"),
            {"organisation": membership.organisation_id, "role": "admin"},
        ),
        ("POST", person_url(person, f"roles/{membership.id}/remove"), {}),
        ("POST", person_url(person, "deactivate"), {}),
        ("POST", person_url(person, "reactivate"), {}),
        ("POST", person_url(person, "password"), {"new_password": NEW_PASSWORD}),
    ]


async def snapshot(person: User) -> tuple[Any, ...]:
    fresh = await User.get(id=person.id)
    roles = (
        await Membership.filter(user_id=person.id)
        .order_by("id")
        .values_list("id", "organisation_id", "role")
    )
    sessions = await UserSession.filter(user_id=person.id).count()
    return (fresh.display_name, fresh.is_active, fresh.password_hash, roles, sessions)


async def request_as(
    c: httpx.AsyncClient, method: str, url: str, data: dict[str, Any]
) -> httpx.Response:
    return await (c.get(url) if method == "GET" else post(c, url, data))


@pytest.mark.parametrize("target", ["secretary_b", "admin", "staff", "in_a_and_b"])
async def test_an_admin_of_a_gets_404_for_people_outside_a(
    world: World, admin_a: User, as_english_user: Any, target: str
) -> None:
    if target == "in_a_and_b":
        person = world.secretary_a
        await Membership.create(user=person, organisation=world.society_b, role=Role.MEMBER)
    else:
        person = getattr(world, target)
    async with as_english_user(person.username):
        pass  # they have a session that must survive
    membership = await Membership.filter(user=person).first()
    assert membership is not None
    before = await snapshot(person)
    async with as_english_user("admin_a") as c:
        for method, url, data in every_url(person, membership):
            response = await request_as(c, method, url, data)
            assert response.status_code == 404, (method, url)
    assert await snapshot(person) == before


@pytest.mark.parametrize("username", ["staff", "sec_a", "member_a", "sec_b", "outsider"])
async def test_non_admins_get_404_on_every_admin_page(
    world: World, as_english_user: Any, username: str
) -> None:
    membership = await Membership.get(user=world.member_a)
    people_before = await User.all().count()
    urls = [
        ("GET", "/admin/people", {}),
        ("GET", "/admin/people/new", {}),
        ("POST", "/admin/people/new", new_person_form(world)),
        ("GET", "/admin/audit", {}),
        *every_url(world.member_a, membership),
    ]
    async with as_english_user(username) as c:
        before = await snapshot(world.member_a)
        for method, url, data in urls:
            response = await request_as(c, method, url, data)
            assert response.status_code == 404, (method, url)
    assert await snapshot(world.member_a) == before
    assert await User.all().count() == people_before


async def test_visitors_who_are_not_logged_in_are_sent_to_log_in(
    world: World, client: httpx.AsyncClient
) -> None:
    for url in ("/admin/people", "/admin/people/new", person_url(world.member_a)):
        response = await client.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("person_id", ["0", "999999", "99999999999999"])
async def test_an_unknown_person_is_not_found(
    world: World, as_english_user: Any, person_id: str
) -> None:
    async with as_english_user("admin") as c:
        response = await c.get(f"/admin/people/{person_id}")
    assert response.status_code == 404
