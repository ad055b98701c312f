"""Cookies, CSRF, security headers, error pages and request size limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from starlette.applications import Starlette

from intranet.app import create_app
from intranet.i18n import gettext, use_locale
from intranet.middleware import LOCALE_COOKIE, SESSION_COOKIE, VISITOR_COOKIE
from intranet.models import LoginFailure, User, UserSession
from intranet.settings import Settings
from intranet.templating import static_url
from tests.conftest import PASSWORD, World, csrf_token, login, new_client, post

TEN_MEGABYTES = 10 * 1024 * 1024
SECRET_IN_ERROR = "postgres://huibao:hunter2-SECRET@db.internal/huibao"


def cookie_attributes(response: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of the Set-Cookie header for `name`, keys lower-cased."""
    for header in response.headers.get_list("set-cookie"):
        first, *rest = (part.strip() for part in header.split(";"))
        cookie_name, _, value = first.partition("=")
        if cookie_name == name:
            attributes = {"value": value}
            for part in rest:
                key, _, setting = part.partition("=")
                attributes[key.lower()] = setting
            return attributes
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


def page(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def in_locale(locale: str, message: str) -> str:
    with use_locale(locale):
        return gettext(message)


# -- cookies -----------------------------------------------------------------------------


async def test_it_sets_a_session_cookie_scripts_cannot_read(
    world: World, client: httpx.AsyncClient
) -> None:
    response = await login(client, "member_a")
    cookie = cookie_attributes(response, SESSION_COOKIE)

    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie
    assert "strict-transport-security" not in response.headers


async def test_it_sets_a_visitor_cookie_scripts_cannot_read(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")
    cookie = cookie_attributes(response, VISITOR_COOKIE)

    assert cookie["value"]
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie


async def test_it_marks_cookies_secure_over_https(world: World, app: Starlette) -> None:
    async with new_client(app, base_url="https://testserver") as c:
        first = await c.get("/login")
        response = await login(c, "member_a")

    for cookie in (
        cookie_attributes(first, VISITOR_COOKIE),
        cookie_attributes(response, SESSION_COOKIE),
    ):
        assert "secure" in cookie
        assert "httponly" in cookie
        assert cookie["samesite"].lower() == "lax"
    assert "max-age=" in first.headers["strict-transport-security"]
    assert "max-age=" in response.headers["strict-transport-security"]


async def test_it_trusts_the_scheme_only_from_a_trusted_proxy(
    world: World, app: Starlette, settings: Settings
) -> None:
    forwarded = {"x-forwarded-proto": "https"}
    async with new_client(app, peer=("203.0.113.5", 1234), headers=forwarded) as direct:
        untrusted = await direct.get("/login")
    proxied_app = create_app(
        replace(settings, trusted_proxies=("10.0.0.0/8",)), manage_database=False
    )
    async with new_client(proxied_app, peer=("10.1.2.3", 1234), headers=forwarded) as proxied:
        trusted = await proxied.get("/login")

    assert "secure" not in cookie_attributes(untrusted, VISITOR_COOKIE)
    assert "strict-transport-security" not in untrusted.headers
    assert "secure" in cookie_attributes(trusted, VISITOR_COOKIE)
    assert "strict-transport-security" in trusted.headers


# -- CSRF --------------------------------------------------------------------------------


async def token_of_another_browser(app: Starlette, signed_in: bool) -> str:
    """A valid token, but one handed to somebody else's browser."""
    async with new_client(app) as other:
        if signed_in:
            assert (await login(other, "sec_b")).status_code == 303
            return await csrf_token(other, "/profile")
        return await csrf_token(other, "/login")


UNSAFE_ROUTES = ["/login", "/logout", "/profile", "/profile/password", "/language"]


async def attempt(client: httpx.AsyncClient, path: str, **kwargs: Any) -> httpx.Response:
    """Post something that would change state on `path`, were it accepted."""
    forms = {
        "/login": {"username": "sec_a", "password": PASSWORD},
        "/logout": {},
        "/profile": {"display_name": "Changed", "email": "x@example.org", "locale": "en"},
        "/profile/password": {
            "current_password": PASSWORD,
            "new_password": "Brand-New-Secret-9",
            "confirm_password": "Brand-New-Secret-9",
        },
        "/language": {"locale": "en", "next": "/"},
    }
    data = {**forms[path], **kwargs.pop("data", {})}
    return await client.post(path, data=data, **kwargs)


async def assert_nothing_changed(
    client: httpx.AsyncClient, response: httpx.Response, password_hash: str
) -> None:
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert LOCALE_COOKIE not in response.headers.get("set-cookie", "")
    person = await User.get(username="member_a")
    assert person.display_name == "计算机学会会员"
    assert person.locale == ""
    assert person.password_hash == password_hash
    assert not await UserSession.filter(user__username="sec_a").exists()
    # Still signed in as before: logout was refused too.
    profile = await client.get("/profile")
    assert profile.status_code == 200
    assert "member_a" in profile.text


@pytest.mark.parametrize("path", UNSAFE_ROUTES)
async def test_it_refuses_a_post_without_a_token(member: httpx.AsyncClient, path: str) -> None:
    before = (await User.get(username="member_a")).password_hash

    response = await attempt(member, path)

    await assert_nothing_changed(member, response, before)


@pytest.mark.parametrize("path", UNSAFE_ROUTES)
async def test_it_refuses_a_post_with_a_wrong_token(member: httpx.AsyncClient, path: str) -> None:
    before = (await User.get(username="member_a")).password_hash
    token = await csrf_token(member, "/profile")
    wrong = token[:-1] + ("0" if token[-1] != "0" else "1")

    response = await attempt(member, path, data={"csrf_token": wrong})

    await assert_nothing_changed(member, response, before)


@pytest.mark.parametrize("path", UNSAFE_ROUTES)
async def test_it_refuses_a_token_from_another_browser(
    app: Starlette, member: httpx.AsyncClient, path: str
) -> None:
    before = (await User.get(username="member_a")).password_hash
    token = await token_of_another_browser(app, signed_in=True)

    response = await attempt(member, path, data={"csrf_token": token})

    await assert_nothing_changed(member, response, before)


@pytest.mark.parametrize("bad", ["é" * 64, "令牌", "\x00"], ids=["accented", "chinese", "nul"])
async def test_it_refuses_a_token_that_is_not_hex(member: httpx.AsyncClient, bad: str) -> None:
    before = (await User.get(username="member_a")).password_hash

    by_field = await attempt(member, "/profile", data={"csrf_token": bad})

    await assert_nothing_changed(member, by_field, before)


async def test_it_refuses_a_non_ascii_token_header(member: httpx.AsyncClient) -> None:
    before = (await User.get(username="member_a")).password_hash

    response = await attempt(member, "/profile", headers={"x-csrf-token": "令牌".encode()})

    await assert_nothing_changed(member, response, before)


async def test_it_refuses_the_token_of_an_earlier_session(world: World, as_user: Any) -> None:
    async with as_user("member_a") as c:
        old_token = await csrf_token(c, "/profile")
        assert (await post(c, "/logout")).status_code == 303
        assert (await login(c, "member_a")).status_code == 303

        response = await attempt(c, "/profile", data={"csrf_token": old_token})

        await assert_nothing_changed(c, response, world.member_a.password_hash)


async def test_it_refuses_the_login_pages_token_after_login(world: World, app: Starlette) -> None:
    async with new_client(app) as c:
        visitor_token = await csrf_token(c, "/login")
        assert (await login(c, "member_a")).status_code == 303

        response = await attempt(c, "/profile", data={"csrf_token": visitor_token})

        await assert_nothing_changed(c, response, world.member_a.password_hash)


async def test_it_refuses_a_login_with_another_visitors_token(
    world: World, app: Starlette, client: httpx.AsyncClient
) -> None:
    token = await token_of_another_browser(app, signed_in=False)
    await client.get("/login")

    response = await attempt(client, "/login", data={"csrf_token": token})

    assert response.status_code == 403
    assert not client.cookies.get(SESSION_COOKIE)
    assert not await UserSession.exists()
    assert not await LoginFailure.exists()


async def test_it_accepts_the_token_in_the_htmx_header(member: httpx.AsyncClient) -> None:
    body = page(await member.get("/profile")).body
    assert body is not None
    headers = json.loads(str(body["hx-headers"]))

    response = await member.post(
        "/profile",
        data={"display_name": "新名字", "email": "", "phone": "", "title": ""},
        headers={**headers, "HX-Request": "true"},
    )

    assert response.status_code == 303
    assert (await User.get(username="member_a")).display_name == "新名字"


async def test_it_refuses_a_wrong_htmx_header_without_a_field(member: httpx.AsyncClient) -> None:
    before = (await User.get(username="member_a")).password_hash

    response = await attempt(
        member, "/profile", headers={"X-CSRF-Token": "0" * 64, "HX-Request": "true"}
    )

    await assert_nothing_changed(member, response, before)


async def test_it_accepts_a_fresh_form_token_beside_a_stale_htmx_header(
    world: World, as_user: Any
) -> None:
    """A boosted request that changes the session swaps the inside of <body> only: htmx
    goes on sending the old hx-headers token, next to the new token in the form."""
    boosted = {"HX-Request": "true", "HX-Boosted": "true"}
    async with as_user("member_a") as c:
        stale = await csrf_token(c, "/profile")
        changed = await c.post(
            "/profile/password",
            data={
                "current_password": PASSWORD,
                "new_password": "Brand-New-Secret-9",
                "confirm_password": "Brand-New-Secret-9",
                "csrf_token": stale,
            },
            headers={**boosted, "X-CSRF-Token": stale},
        )
        assert changed.status_code == 303
        fresh = await csrf_token(c, "/profile")
        assert fresh != stale

        response = await c.post(
            "/profile",
            data={"display_name": "新名字", "csrf_token": fresh},
            headers={**boosted, "X-CSRF-Token": stale},
        )

    assert response.status_code == 303
    assert (await User.get(username="member_a")).display_name == "新名字"


async def test_it_refuses_a_cross_site_form(world: World, member: httpx.AsyncClient) -> None:
    """What a form on another site can send: the cookies (were they not SameSite), no token."""
    cross_site = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}

    response = await attempt(member, "/profile", headers=cross_site)

    await assert_nothing_changed(member, response, world.member_a.password_hash)


async def test_it_refuses_a_cross_site_post_even_with_a_valid_token(
    world: World, member: httpx.AsyncClient
) -> None:
    """A token can leak or be planted along with a cookie; the browser's own word that the
    request came from another site is refused all the same."""
    token = await csrf_token(member, "/profile")
    cross_site = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}

    response = await attempt(member, "/profile", data={"csrf_token": token}, headers=cross_site)

    await assert_nothing_changed(member, response, world.member_a.password_hash)


async def test_it_accepts_a_same_origin_post(world: World, member: httpx.AsyncClient) -> None:
    token = await csrf_token(member, "/profile")
    same_origin = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}

    response = await attempt(member, "/profile", data={"csrf_token": token}, headers=same_origin)

    assert response.status_code == 303
    assert (await User.get(username="member_a")).display_name == "Changed"


# -- security headers --------------------------------------------------------------------


def csp_directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    directives = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        directives[name.lower()] = values
    return directives


def assert_security_headers(response: httpx.Response) -> None:
    csp = csp_directives(response)
    scripts = csp.get("script-src", csp.get("default-src", []))
    assert "'self'" in scripts
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert "'unsafe-inline'" not in csp.get("default-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }


Fetch = Callable[[httpx.AsyncClient, httpx.AsyncClient, pytest.MonkeyPatch], Awaitable[Any]]


async def _explode(*args: Any) -> list[dict]:
    raise RuntimeError(f"could not reach {SECRET_IN_ERROR}")


async def _server_error(
    member: httpx.AsyncClient, anonymous: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> httpx.Response:
    monkeypatch.setattr("intranet.views.site.attention_items", _explode)
    return await member.get("/")


RESPONSES: dict[str, tuple[int, Fetch]] = {
    "home": (200, lambda m, a, mp: m.get("/")),
    "profile": (200, lambda m, a, mp: m.get("/profile")),
    "directory": (200, lambda m, a, mp: m.get("/directory")),
    "login": (200, lambda m, a, mp: a.get("/login")),
    "login-required": (303, lambda m, a, mp: a.get("/")),
    "healthz": (200, lambda m, a, mp: a.get("/healthz")),
    "static": (200, lambda m, a, mp: a.get(static_url("css/huibao.css"))),
    "static-missing": (404, lambda m, a, mp: a.get("/static/no-such-file.css")),
    "not-found": (404, lambda m, a, mp: m.get("/no-such-page")),
    "csrf": (403, lambda m, a, mp: m.post("/profile", data={"display_name": "x"})),
    "method": (405, lambda m, a, mp: m.get("/logout")),
    "too-large": (
        413,
        lambda m, a, mp: post(m, "/profile", {"display_name": "x" * TEN_MEGABYTES}),
    ),
    "server-error": (500, _server_error),
}


@pytest.mark.parametrize("kind", list(RESPONSES))
async def test_it_sends_security_headers(
    kind: str,
    member: httpx.AsyncClient,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status, fetch = RESPONSES[kind]

    response = await fetch(member, client, monkeypatch)

    assert response.status_code == status
    assert_security_headers(response)
    assert "strict-transport-security" not in response.headers


async def test_it_sends_hsts_over_https_only(world: World, app: Starlette) -> None:
    async with new_client(app, base_url="https://testserver") as secure:
        over_https = await secure.get("/healthz")
    async with new_client(app) as plain:
        over_http = await plain.get("/healthz")

    assert over_https.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in over_http.headers


async def rendered_pages(member: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> list:
    return [
        await anonymous.get("/login"),
        await login(anonymous, "member_a", "Not-The-Password-1"),
        await member.get("/"),
        await member.get("/profile"),
        await member.get("/directory"),
        await member.get("/directory", headers={"HX-Request": "true"}),
        await member.get("/no-such-page"),
        await member.post("/profile", data={}),
        await post(member, "/profile", {"display_name": "", "email": "nope"}),
    ]


async def test_it_renders_no_inline_script(
    member: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for response in await rendered_pages(member, client):
        document = page(response)
        for script in document.find_all("script"):
            assert script.get("src"), f"inline script on {response.url}"
            assert not script.get_text(strip=True), f"script with a body on {response.url}"
            assert str(script["src"]).startswith("/static/")


async def test_it_renders_no_event_handler_attributes(
    member: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for response in await rendered_pages(member, client):
        for tag in page(response).find_all(True):
            handlers = [
                name for name in tag.attrs if name.lower().startswith(("on", "hx-on", "data-hx-on"))
            ]
            assert not handlers, f"<{tag.name} {handlers}> on {response.url}"
            for name in ("href", "action", "src"):
                value = str(tag.get(name, "")).strip().lower()
                assert not value.startswith("javascript:"), f"{name}={value} on {response.url}"


# -- error pages -------------------------------------------------------------------------


def assert_site_layout(response: httpx.Response) -> BeautifulSoup:
    document = page(response)
    assert document.select_one("header.site-header a.brand") is not None
    assert document.select_one("main#main h1") is not None
    assert document.select_one("footer.site-footer form") is not None
    return document


async def test_it_shows_a_plain_500_page(
    member: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = await _server_error(member, member, monkeypatch)

    assert response.status_code == 500
    assert_security_headers(response)
    document = assert_site_layout(response)
    heading = document.select_one("main h1")
    assert heading is not None
    assert heading.get_text(strip=True) == in_locale("zh_CN", "Something went wrong")
    for leak in ("Traceback", 'File "', "RuntimeError", "hunter2", "db.internal", "_explode"):
        assert leak not in response.text


async def test_it_keeps_working_after_a_500(
    member: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await _server_error(member, member, monkeypatch)).status_code == 500
    monkeypatch.undo()

    assert (await member.get("/")).status_code == 200


@pytest.mark.parametrize("path", ["/login", "/profile"])
async def test_it_refuses_a_ten_megabyte_form(
    world: World, member: httpx.AsyncClient, path: str
) -> None:
    token = await csrf_token(member, "/profile")
    response = await member.post(
        path,
        data={
            "username": "sec_a",
            "password": PASSWORD,
            "display_name": "x" * TEN_MEGABYTES,
            "csrf_token": token,
        },
    )

    assert response.status_code == 413
    document = assert_site_layout(response)
    message = document.select_one("main p")
    assert message is not None
    assert message.get_text(strip=True) == in_locale(
        "zh_CN", "What you sent is larger than the site accepts. Nothing was saved."
    )
    assert (await User.get(username="member_a")).display_name == "计算机学会会员"
    assert not await UserSession.filter(user__username="sec_a").exists()


async def test_it_refuses_a_large_form_sent_without_a_length(
    world: World, member: httpx.AsyncClient, settings: Settings
) -> None:
    token = await csrf_token(member, "/profile")

    async def chunks() -> AsyncIterator[bytes]:
        yield f"csrf_token={token}&display_name=".encode()
        for _ in range(settings.max_form_bytes // 65536 + 2):
            yield b"x" * 65536

    response = await member.post(
        "/profile",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 413
    assert_site_layout(response)
    assert (await User.get(username="member_a")).display_name == "计算机学会会员"


async def test_it_speaks_the_visitors_language_on_the_413_page(
    world: World, app: Starlette
) -> None:
    # No page is fetched first: the refusal comes before anything else looks at the request.
    async with new_client(app, cookies={LOCALE_COOKIE: "en"}) as c:
        response = await c.post("/login", content=b"x" * TEN_MEGABYTES)

    assert response.status_code == 413
    html = assert_site_layout(response).select_one("html")
    assert html is not None and html["lang"] == "en"
    assert in_locale("en", "Too large") in response.text


async def test_it_speaks_the_sites_language_on_the_413_page(
    app: Starlette, settings: Settings
) -> None:
    english_site = create_app(replace(settings, default_locale="en"), manage_database=False)
    async with new_client(english_site) as c:
        response = await c.post("/login", content=b"x" * TEN_MEGABYTES)

    assert response.status_code == 413
    html = assert_site_layout(response).select_one("html")
    assert html is not None and html["lang"] == "en"


async def test_it_speaks_chinese_on_the_413_page_by_default(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", content=b"x" * TEN_MEGABYTES)

    assert response.status_code == 413
    html = assert_site_layout(response).select_one("html")
    assert html is not None and html["lang"] == "zh-CN"


async def test_an_error_answering_htmx_is_only_the_message_for_the_part_that_asked(
    member: httpx.AsyncClient,
) -> None:
    # An autosave or a filter that fails must not put a whole page (header, menu and all)
    # inside the field or list that asked; a boosted link still gets the whole page.
    partial = await member.get("/notices/999999", headers={"HX-Request": "true"})
    boosted = await member.get(
        "/notices/999999", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert partial.status_code == boosted.status_code == 404
    assert "<html" not in partial.text and 'role="alert"' in partial.text
    assert "该页面不存在" in partial.text
    assert "<html" in boosted.text
