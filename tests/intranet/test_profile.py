"""The profile page: one's own details, language, and what a form may not change."""

from __future__ import annotations

import json

import httpx
import pytest
from bs4 import BeautifulSoup

from intranet.i18n import gettext, use_locale
from intranet.middleware import LOCALE_COOKIE
from intranet.models import Membership, User
from tests.conftest import World, csrf_token, post

DETAILS = {
    "display_name": "王小明",
    "email": "wang@example.org",
    "phone": "024-12345678",
    "title": "秘书长",
}


def page(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def html_lang(response: httpx.Response) -> str:
    html = page(response).select_one("html")
    assert html is not None
    return str(html["lang"])


def field_error(response: httpx.Response, name: str) -> str:
    error = page(response).select_one(f"#error-{name}")
    assert error is not None, f"no message for {name}"
    return error.get_text(strip=True)


def in_locale(locale: str, message: str) -> str:
    with use_locale(locale):
        return gettext(message)


async def member_a() -> User:
    return await User.get(username="member_a")


async def test_it_saves_the_details_and_says_so(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {**DETAILS, "locale": ""})

    assert response.status_code == 303
    shown = await member.get(response.headers["location"])
    notice = page(shown).select_one(".alert.success")
    assert notice is not None
    assert notice.get_text(strip=True) == in_locale("zh_CN", "Your profile has been saved.")
    person = await member_a()
    assert {name: getattr(person, name) for name in DETAILS} == DETAILS
    for name, value in DETAILS.items():
        field = page(shown).select_one(f"#field-{name}")
        assert field is not None and field["value"] == value


async def test_it_says_nothing_was_saved_on_a_plain_visit(member: httpx.AsyncClient) -> None:
    assert page(await member.get("/profile")).select_one(".alert.success") is None


async def test_it_refuses_an_email_without_an_at_sign(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {**DETAILS, "email": "wang.example.org"})

    assert response.status_code == 400
    assert field_error(response, "email") == in_locale(
        "zh_CN", "Enter an e-mail address such as name@example.org."
    )
    # What was typed is kept for correction; nothing is saved.
    email = page(response).select_one("#field-email")
    assert email is not None and email["value"] == "wang.example.org"
    assert (await member_a()).display_name == "计算机学会会员"


async def test_it_refuses_an_overlong_name(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {**DETAILS, "display_name": "长" * 500})

    assert response.status_code == 400
    assert field_error(response, "display_name") == in_locale(
        "zh_CN", "At most %(count)d characters, please."
    ) % {"count": 64}
    assert (await member_a()).display_name == "计算机学会会员"


async def test_it_requires_a_name(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {**DETAILS, "display_name": "  \u202e "})

    assert response.status_code == 400
    assert field_error(response, "display_name") == in_locale("zh_CN", "This field is required.")
    assert (await member_a()).display_name == "计算机学会会员"


async def test_it_changes_only_the_fields_it_offers(
    world: World, member: httpx.AsyncClient
) -> None:
    before = await member_a()
    memberships_before = await Membership.all().count()

    response = await post(
        member,
        "/profile",
        {
            **DETAILS,
            "username": "admin2",
            "is_active": "false",
            "password_hash": "$argon2id$forged",
            "organisation_id": str(world.association.id),
            "role": "admin",
            "id": str(world.admin.id),
        },
    )

    assert response.status_code == 303
    after = await member_a()
    assert after.display_name == DETAILS["display_name"]
    assert after.id == before.id
    assert after.username == "member_a"
    assert after.is_active
    assert after.password_hash == before.password_hash
    assert await Membership.all().count() == memberships_before
    assert not await Membership.filter(user=after, role="admin").exists()
    assert (await User.get(id=world.admin.id)).display_name == "管理员"


async def test_it_refuses_a_language_it_does_not_offer(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {**DETAILS, "locale": "xx", "username": "x"})

    assert response.status_code == 400
    assert field_error(response, "locale") == in_locale("zh_CN", "Choose a language from the list.")
    after = await member_a()
    assert after.locale == ""
    assert after.display_name == "计算机学会会员"
    assert after.username == "member_a"


async def test_it_speaks_chinese_by_default(
    member: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    assert html_lang(await client.get("/login")) == "zh-CN"
    assert html_lang(await member.get("/")) == "zh-CN"
    assert html_lang(await member.get("/profile")) == "zh-CN"


async def test_it_speaks_the_language_chosen_on_the_profile(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {**DETAILS, "locale": "en"})
    assert response.status_code == 303

    shown = await member.get("/profile")

    assert (await member_a()).locale == "en"
    assert html_lang(shown) == "en"
    assert in_locale("en", "Your details") in shown.text
    chosen = page(shown).select_one("#field-locale option[selected]")
    assert chosen is not None and chosen["value"] == "en"


async def test_it_switches_language_from_the_footer(member: httpx.AsyncClient) -> None:
    response = await post(member, "/language", {"locale": "en", "next": "/directory?q=x"})

    assert response.status_code == 303
    assert response.headers["location"] == "/directory?q=x"
    assert (await member_a()).locale == "en"
    assert html_lang(await member.get("/directory")) == "en"

    await post(member, "/language", {"locale": "zh_CN", "next": "/"})

    assert html_lang(await member.get("/")) == "zh-CN"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example"])
async def test_it_stays_on_site_after_switching_language(
    member: httpx.AsyncClient, target: str
) -> None:
    response = await post(member, "/language", {"locale": "en", "next": target})

    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_it_reloads_the_whole_page_for_forms_that_change_the_session(
    member: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """A boosted swap keeps <body>, and with it the hx-headers token of the old session."""
    password_form = page(await member.get("/profile")).select_one(
        'form[action="/profile/password"]'
    )
    login_form = page(await client.get("/login")).select_one('form[action="/login"]')

    for form in (password_form, login_form):
        assert form is not None
        assert form["hx-boost"] == "false"


async def test_it_remembers_a_visitors_language_in_a_cookie(client: httpx.AsyncClient) -> None:
    response = await post(client, "/language", {"locale": "en"}, token_from="/login")

    assert response.status_code == 303
    assert client.cookies.get(LOCALE_COOKIE) == "en"
    assert html_lang(await client.get("/login")) == "en"


async def test_it_puts_the_csrf_token_in_the_htmx_headers(
    member: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    tokens = []
    for c, path in ((member, "/profile"), (client, "/login")):
        body = page(await c.get(path)).body
        assert body is not None
        headers = json.loads(str(body["hx-headers"]))

        assert headers == {"X-CSRF-Token": await csrf_token(c, path)}
        tokens.append(headers["X-CSRF-Token"])
    # Signed in, the token is bound to the session, not to the visitor.
    assert tokens[0] != tokens[1]
