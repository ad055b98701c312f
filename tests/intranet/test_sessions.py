"""Keeping a sign-in on a device, and seeing and ending one's sessions.

"在此设备上保持登录" gives a session of HUIBAO_REMEMBER_DAYS in a cookie that outlives the
browser, so a reminder's link opens the report on that phone; without it the cookie ends
with the browser. The profile lists where one is signed in and signs out the others;
a password change or a deactivation ends remembered sessions like any other.
"""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from starlette.applications import Starlette
from tortoise import timezone

from intranet import accounts
from intranet.i18n import gettext, use_locale
from intranet.middleware import SESSION_COOKIE
from intranet.models import AuditEvent, User, UserSession
from intranet.settings import Settings
from tests.conftest import PASSWORD, World, csrf_token, new_client, post
from tests.notice_helpers import make_notice, to_members_of

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def zh(message: str, **values: Any) -> str:
    with use_locale("zh_CN"):
        return gettext(message) % values if values else gettext(message)


async def sign_in(
    client: httpx.AsyncClient, username: str, *, remember: bool, next_url: str = "/"
) -> httpx.Response:
    token = await csrf_token(client, "/login")
    form = {"username": username, "password": PASSWORD, "csrf_token": token, "next": next_url}
    if remember:
        form["remember"] = "1"
    return await client.post("/login", data=form)


def session_cookie(response: httpx.Response) -> Any:
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if SESSION_COOKIE in jar:
            return jar[SESSION_COOKIE]
    raise AssertionError("no session cookie was set")


def after_restart(app: Starlette, response: httpx.Response, **kwargs: Any) -> httpx.AsyncClient:
    """The browser after it was closed and opened again: only lasting cookies are left."""
    cookie = session_cookie(response)
    lasting = {SESSION_COOKIE: cookie.value} if cookie["max-age"] or cookie["expires"] else {}
    return new_client(app, cookies=lasting, **kwargs)


async def test_the_login_page_offers_to_keep_one_signed_in(client: httpx.AsyncClient) -> None:
    page = BeautifulSoup((await client.get("/login")).text, "html.parser")
    box = page.select_one("form input[type=checkbox][name=remember]")
    assert box is not None and not box.has_attr("checked")
    label = page.select_one("label[for=field-remember]")
    assert label is not None and label.get_text(strip=True) == "在此设备上保持登录"


async def test_a_kept_sign_in_lasts_the_remembered_days(
    world: World, settings: Settings, client: httpx.AsyncClient
) -> None:
    response = await sign_in(client, "sec_a", remember=True)

    assert response.status_code == 303
    cookie = session_cookie(response)
    assert int(cookie["max-age"]) == settings.remember_days * 86400
    session = await UserSession.get(user=world.secretary_a)
    assert session.remembered
    lasts = session.expires_at - timezone.now()
    assert timedelta(days=settings.remember_days) - lasts < timedelta(minutes=1)


async def test_a_plain_sign_in_ends_with_the_browser(
    world: World, settings: Settings, client: httpx.AsyncClient
) -> None:
    response = await sign_in(client, "sec_a", remember=False)

    cookie = session_cookie(response)
    assert not cookie["max-age"] and not cookie["expires"]
    session = await UserSession.get(user=world.secretary_a)
    assert not session.remembered
    lasts = session.expires_at - timezone.now()
    assert timedelta(days=settings.session_days) - lasts < timedelta(minutes=1)


async def test_a_reminder_link_opens_on_a_phone_that_kept_the_sign_in(
    world: World, app: Starlette
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    link = f"/notices/{notice.id}"
    async with new_client(app, headers={"user-agent": PHONE}) as phone:
        kept = await sign_in(phone, "member_a", remember=True)

    async with after_restart(app, kept, headers={"user-agent": PHONE}) as phone:
        opened = await phone.get(link)
    assert opened.status_code == 200
    assert notice.title in opened.text


async def test_a_reminder_link_asks_again_after_a_plain_sign_in(
    world: World, app: Starlette
) -> None:
    notice = await make_notice(world.association, to=[to_members_of(world.society_a)])
    link = f"/notices/{notice.id}"
    async with new_client(app) as phone:
        plain = await sign_in(phone, "member_a", remember=False)

    async with after_restart(app, plain) as phone:
        asked = await phone.get(link)
        assert asked.status_code == 303
        assert asked.headers["location"].startswith("/login?next=")
        # Signing in from there, keeping it this time, lands on the notice.
        again = await sign_in(phone, "member_a", remember=True, next_url=link)
    assert again.headers["location"] == link


async def test_a_wrong_password_keeps_the_choice_ticked(
    world: World, client: httpx.AsyncClient
) -> None:
    token = await csrf_token(client, "/login")
    form = {"username": "sec_a", "password": "wrong-password-1", "remember": "1"}
    refused = await client.post("/login", data={**form, "csrf_token": token})
    box = BeautifulSoup(refused.text, "html.parser").select_one("input[name=remember]")
    assert refused.status_code == 400
    assert box is not None and box.has_attr("checked")


# -- the profile's list of sessions -------------------------------------------------------


@pytest.fixture
async def two_devices(world: World, app: Starlette) -> Any:
    phone = new_client(app, headers={"user-agent": PHONE}, peer=("198.51.100.7", 4000))
    desktop = new_client(app, headers={"user-agent": DESKTOP})
    assert (await sign_in(phone, "sec_a", remember=True)).status_code == 303
    assert (await sign_in(desktop, "sec_a", remember=False)).status_code == 303
    yield phone, desktop
    await phone.aclose()
    await desktop.aclose()


async def test_the_profile_lists_where_one_is_signed_in(
    world: World, two_devices: Any, settings: Settings
) -> None:
    _, desktop = two_devices
    page = BeautifulSoup((await desktop.get("/profile")).text, "html.parser")

    rows = page.select("#sessions li.session")
    assert len(rows) == 2
    texts = {row.select_one(".session-device").get_text(" ", strip=True): row for row in rows}
    assert set(texts) == {"Chrome · Windows 本设备", "Safari · iPhone"}
    current = texts["Chrome · Windows 本设备"]
    assert "current" in current["class"]
    assert "关闭浏览器后退出" in current.get_text()
    phone_row = texts["Safari · iPhone"].get_text(" ", strip=True)
    phone_session = await UserSession.get(user=world.secretary_a, remembered=True)
    until = phone_session.expires_at.astimezone(settings.zone).strftime("%Y-%m-%d")
    assert zh("kept signed in until %(date)s", date=until) in phone_row
    assert "198.51.100.7" in phone_row
    assert page.select_one("#sessions form button").get_text(strip=True) == "退出其他设备"


async def test_signing_out_other_devices_keeps_this_one(
    world: World, app: Starlette, two_devices: Any
) -> None:
    phone, desktop = two_devices
    response = await post(desktop, "/profile/sessions/end-others")

    assert response.status_code == 303
    assert response.headers["location"] == "/profile?saved=sessions#sessions"
    page = BeautifulSoup((await desktop.get("/profile?saved=sessions")).text, "html.parser")
    assert page.select_one(".alert.success").get_text(strip=True) == "已在其他所有设备上退出登录。"
    assert len(page.select("#sessions li.session")) == 1
    assert (await phone.get("/profile")).status_code == 303
    assert await AuditEvent.exists(action="sessions.end_others")


async def test_one_session_offers_no_button(world: World, client: httpx.AsyncClient) -> None:
    await sign_in(client, "sec_a", remember=True)
    page = BeautifulSoup((await client.get("/profile")).text, "html.parser")
    assert page.select_one("#sessions form") is None
    assert "没有在其他设备上登录" in page.select_one("#sessions").get_text()


async def test_a_password_change_ends_kept_sessions_and_keeps_this_one_kept(
    world: World, app: Starlette, two_devices: Any, settings: Settings
) -> None:
    phone, desktop = two_devices
    new_password = "Brand-New-Secret-9"
    changed = await post(
        phone,
        "/profile/password",
        {
            "current_password": PASSWORD,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert changed.status_code == 303
    # The phone kept its sign-in, and keeps it under a new token.
    assert int(session_cookie(changed)["max-age"]) == settings.remember_days * 86400
    assert (await desktop.get("/profile")).status_code == 303
    [left] = await UserSession.filter(user=world.secretary_a)
    assert left.remembered


async def test_deactivation_ends_kept_sessions(world: World, app: Starlette) -> None:
    async with new_client(app) as phone:
        kept = await sign_in(phone, "member_a", remember=True)
    await accounts.deactivate(await User.get(username="member_a"))

    async with after_restart(app, kept) as phone:
        response = await phone.get("/profile")
    assert response.status_code == 303
    assert not await UserSession.exists(user=world.member_a)


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (PHONE, "Safari · iPhone"),
        (DESKTOP, "Chrome · Windows"),
        (
            "Mozilla/5.0 (Linux; Android 14; V2227A) AppleWebKit/537.36 Chrome/116.0 Mobile "
            "Safari/537.36 MicroMessenger/8.0.49",
            "微信 · Android",
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/127.0", "Firefox · Mac"),
        ("curl/8.5.0", ""),
    ],
)
def test_it_names_the_device_of_a_session(user_agent: str, device: str) -> None:
    with use_locale("zh_CN"):
        assert accounts.device_of(user_agent) == device


# -- a kept sign-in lasts from its last use -----------------------------------------------


async def age(session: UserSession, days: int) -> None:
    """As if the session had been started `days` ago and last used then."""
    then = timezone.now() - timedelta(days=days)
    await UserSession.filter(key_hash=session.key_hash).update(
        created_at=then, last_seen_at=then, expires_at=session.expires_at - timedelta(days=days)
    )


async def test_a_kept_sign_in_used_weekly_never_runs_out(
    world: World, app: Starlette, settings: Settings
) -> None:
    async with new_client(app, headers={"user-agent": PHONE}) as phone:
        kept = await sign_in(phone, "sec_a", remember=True)
    session = await UserSession.get(user=world.secretary_a)
    await age(session, 25)  # five days left

    async with after_restart(app, kept) as phone:
        opened = await phone.get("/profile")
        again = await phone.get("/profile")
    assert opened.status_code == 200
    renewed = session_cookie(opened)
    assert renewed.value == session_cookie(kept).value  # the same sign-in, kept longer
    assert int(renewed["max-age"]) == settings.remember_days * 86400
    session = await UserSession.get(key_hash=session.key_hash)
    left = session.expires_at - timezone.now()
    assert timedelta(days=settings.remember_days) - left < timedelta(minutes=1)
    # Renewed once, not on every page.
    assert SESSION_COOKIE not in again.headers.get("set-cookie", "")


async def test_a_plain_sign_in_is_not_extended(world: World, app: Starlette) -> None:
    async with new_client(app) as desktop:
        await sign_in(desktop, "sec_a", remember=False)
        session = await UserSession.get(user=world.secretary_a)
        await age(session, 10)
        response = await desktop.get("/profile")
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    after = await UserSession.get(key_hash=session.key_hash)
    assert after.expires_at == session.expires_at - timedelta(days=10)


async def test_a_kept_sign_in_unused_for_the_remembered_days_ends(
    world: World, app: Starlette, settings: Settings
) -> None:
    async with new_client(app) as phone:
        kept = await sign_in(phone, "sec_a", remember=True)
    await age(await UserSession.get(user=world.secretary_a), settings.remember_days + 1)

    async with after_restart(app, kept) as phone:
        response = await phone.get("/profile")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
