"""Logging in and out: sessions, throttling, password hashing and where a login leads."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from argon2 import PasswordHasher, Type
from bs4 import BeautifulSoup
from starlette.applications import Starlette
from tortoise import timezone

from intranet import accounts, security
from intranet.app import create_app
from intranet.i18n import gettext, use_locale
from intranet.middleware import SESSION_COOKIE
from intranet.models import LoginFailure, User, UserSession
from intranet.settings import Settings
from tests.conftest import PASSWORD, World, csrf_token, login, new_client, post

WRONG_PASSWORD = "Not-The-Password-1"


def zh(message: str) -> str:
    """A message as the site shows it by default."""
    with use_locale("zh_CN"):
        return gettext(message)


def login_error(response: httpx.Response) -> str:
    alert = BeautifulSoup(response.text, "html.parser").select_one("p.alert.error")
    assert alert is not None, response.text
    return alert.get_text(strip=True)


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/profile")
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


async def replay(app: Starlette, token: str) -> bool:
    """Whether a stolen copy of this session cookie still gets anyone in."""
    async with new_client(app, cookies={SESSION_COOKIE: token}) as thief:
        return await is_signed_in(thief)


# -- logging in and out ----------------------------------------------------------------


async def test_it_logs_in_with_the_right_password(world: World, client: httpx.AsyncClient) -> None:
    response = await login(client, "member_a")

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert client.cookies.get(SESSION_COOKIE)
    assert await is_signed_in(client)
    assert await UserSession.filter(user=world.member_a).count() == 1


async def test_it_accepts_the_username_in_another_case_and_width(
    world: World, client: httpx.AsyncClient
) -> None:
    assert (await login(client, "ＭＥＭＢＥＲ_Ａ")).status_code == 303


async def test_it_refuses_a_wrong_password(world: World, client: httpx.AsyncClient) -> None:
    response = await login(client, "member_a", WRONG_PASSWORD)

    assert response.status_code == 400
    assert login_error(response) == zh("Wrong username or password.")
    assert not client.cookies.get(SESSION_COOKIE)
    assert await UserSession.all().count() == 0


async def test_it_ignores_a_planted_session_id(world: World, app: Starlette) -> None:
    planted = "attacker-chosen-session-id"
    async with new_client(app, cookies={SESSION_COOKIE: planted}) as c:
        response = await login(c, "member_a")
        assert response.status_code == 303
        token = response.cookies.get(SESSION_COOKIE)

    assert token and token != planted
    assert not await replay(app, planted)
    assert await replay(app, token)


async def test_it_starts_a_new_session_over_another_persons_session(
    world: World, app: Starlette, as_user: Any
) -> None:
    async with as_user("member_a") as c:
        old_token = c.cookies.get(SESSION_COOKIE)
        token = await csrf_token(c, "/profile")
        response = await c.post(
            "/login", data={"username": "sec_a", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303
        new_token = c.cookies.get(SESSION_COOKIE)
        profile = await c.get("/profile")

    assert new_token and new_token != old_token
    assert "sec_a" in profile.text
    # The session the browser held before is over, not merely forgotten by the browser.
    assert not await replay(app, old_token)
    assert await replay(app, new_token)


async def test_it_ends_the_session_on_the_server_at_logout(
    world: World, app: Starlette, as_user: Any
) -> None:
    async with as_user("member_a") as c:
        token = c.cookies.get(SESSION_COOKIE)
        response = await post(c, "/logout")

        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert not c.cookies.get(SESSION_COOKIE)
        assert not await is_signed_in(c)

    assert not await replay(app, token)
    assert await UserSession.filter(user=world.member_a).count() == 0


async def test_it_does_not_log_out_on_get(world: World, app: Starlette, as_user: Any) -> None:
    async with as_user("member_a") as c:
        response = await c.get("/logout")

        assert response.status_code == 405
        assert await is_signed_in(c)


async def test_it_treats_an_expired_session_as_anonymous(
    world: World, app: Starlette, as_user: Any
) -> None:
    async with as_user("member_a") as c:
        await UserSession.filter(user=world.member_a).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        assert not await is_signed_in(c)
        home = await c.get("/")

    assert home.status_code == 303
    assert home.headers["location"].startswith("/login")


# -- the same answer whether or not the account exists ----------------------------------


async def test_it_gives_one_message_for_unknown_users_and_wrong_passwords(
    world: World, client: httpx.AsyncClient
) -> None:
    wrong_password = await login(client, "member_a", WRONG_PASSWORD)
    unknown_user = await login(client, "nobody_here", WRONG_PASSWORD)

    assert wrong_password.status_code == unknown_user.status_code == 400
    assert login_error(wrong_password) == login_error(unknown_user)


async def test_it_spends_a_password_check_on_unknown_users(
    world: World, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    burnt: list[str] = []
    verified: list[str] = []
    real_verify = security.verify_password

    def spy_verify(settings: Settings, stored_hash: str, password: str) -> bool:
        verified.append(stored_hash)
        return real_verify(settings, stored_hash, password)

    def spy_burn(settings: Settings, password: str) -> None:
        burnt.append(password)
        security.burn_verification_time(settings, password)

    monkeypatch.setattr(security, "verify_password", spy_verify)
    monkeypatch.setattr(accounts, "burn_verification_time", spy_burn)

    assert (await login(client, "nobody_here", WRONG_PASSWORD)).status_code == 400

    assert burnt == [WRONG_PASSWORD]
    # The stand-in check is a real argon2id verification, as costly as the real one.
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


async def test_it_spends_a_password_check_on_deactivated_users(
    world: World, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    burnt: list[str] = []
    monkeypatch.setattr(
        accounts, "burn_verification_time", lambda settings, password: burnt.append(password)
    )
    await accounts.deactivate(world.member_a)

    response = await login(client, "member_a")

    assert response.status_code == 400
    assert login_error(response) == zh("Wrong username or password.")
    assert burnt == [PASSWORD]


# -- password hashing --------------------------------------------------------------------


async def test_it_stores_passwords_with_argon2id(world: World, settings: Settings) -> None:
    user = await User.get(username="member_a")

    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert security.verify_password(settings, user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    "old_hasher",
    [
        PasswordHasher(time_cost=2, memory_cost=128, parallelism=2, type=Type.ID),
        PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.I),
    ],
    ids=["older-parameters", "argon2i"],
)
async def test_it_rehashes_an_old_hash_at_login(
    world: World, client: httpx.AsyncClient, settings: Settings, old_hasher: PasswordHasher
) -> None:
    old_hash = old_hasher.hash(PASSWORD)
    await User.filter(username="outsider").update(password_hash=old_hash)

    assert (await login(client, "outsider")).status_code == 303

    new_hash = (await User.get(username="outsider")).password_hash
    assert new_hash != old_hash
    assert new_hash.startswith(
        f"$argon2id$v=19$m={settings.argon2_memory_kib},"
        f"t={settings.argon2_time_cost},p={settings.argon2_parallelism}$"
    )
    assert not security.needs_rehash(settings, new_hash)
    assert security.verify_password(settings, new_hash, PASSWORD)


async def test_it_keeps_a_current_hash_at_login(world: World, client: httpx.AsyncClient) -> None:
    before = (await User.get(username="outsider")).password_hash

    assert (await login(client, "outsider")).status_code == 303

    assert (await User.get(username="outsider")).password_hash == before


# -- throttling --------------------------------------------------------------------------

ATTACKER = ("203.0.113.5", 1234)
OWNER_ELSEWHERE = ("198.51.100.20", 4000)


async def fail_at(client: httpx.AsyncClient, username: str, times: int, **kwargs: Any) -> None:
    token = await csrf_token(client)
    for _ in range(times):
        response = await client.post(
            "/login",
            data={"username": username, "password": WRONG_PASSWORD, "csrf_token": token},
            **kwargs,
        )
        assert response.status_code == 400


async def test_it_refuses_an_account_from_an_address_after_five_failures_there(
    world: World, app: Starlette, client: httpx.AsyncClient
) -> None:
    await fail_at(client, "member_a", accounts.MAX_FAILURES_PER_ACCOUNT)

    refused = await login(client, "member_a")

    assert refused.status_code == 429
    assert not client.cookies.get(SESSION_COOKIE)
    # Another account from the same address is not held up by member_a's failures.
    async with new_client(app) as same_office:
        assert (await login(same_office, "sec_a")).status_code == 303


async def test_the_owner_signs_in_from_elsewhere_while_the_account_is_attacked(
    world: World, app: Starlette
) -> None:
    async with new_client(app, peer=ATTACKER) as attacker:
        await fail_at(attacker, "member_a", accounts.MAX_FAILURES_PER_ACCOUNT)
        assert (await login(attacker, "member_a")).status_code == 429
        async with new_client(app, peer=OWNER_ELSEWHERE) as owner:
            assert (await login(owner, "member_a")).status_code == 303
        # The owner signing in forgives only the owner's own address.
        assert (await login(attacker, "member_a")).status_code == 429


async def test_a_throttled_answer_says_when_to_try_again(
    world: World, settings: Settings, client: httpx.AsyncClient
) -> None:
    await fail_at(client, "member_a", accounts.MAX_FAILURES_PER_ACCOUNT)
    # The failures were ten minutes ago: five minutes of the window are left.
    then = timezone.now() - timedelta(minutes=10)
    await LoginFailure.all().update(created_at=then)

    refused = await login(client, "member_a")

    assert refused.status_code == 429
    retry_after = int(refused.headers["retry-after"])
    assert 240 < retry_after <= 300
    free_at = (then + accounts.THROTTLE_WINDOW).astimezone(settings.zone)
    assert login_error(refused) == zh(
        "Too many failed attempts. Please try again after %(time)s (in about %(minutes)d minutes)."
    ) % {"time": free_at.strftime("%H:%M"), "minutes": 5}
    assert "分钟" in login_error(refused)


async def test_it_forgets_failures_after_the_window(
    world: World, client: httpx.AsyncClient
) -> None:
    await fail_at(client, "member_a", accounts.MAX_FAILURES_PER_ACCOUNT)
    await LoginFailure.all().update(
        created_at=timezone.now() - accounts.THROTTLE_WINDOW - timedelta(seconds=1)
    )

    assert (await login(client, "member_a")).status_code == 303


async def fail_from_one_address(client: httpx.AsyncClient, **kwargs: Any) -> None:
    """Use up the address's allowance with guesses at many different accounts."""
    token = await csrf_token(client)
    for number in range(accounts.MAX_FAILURES_PER_ADDRESS):
        response = await client.post(
            "/login",
            data={"username": f"guess{number}", "password": WRONG_PASSWORD, "csrf_token": token},
            **kwargs,
        )
        assert response.status_code == 400


async def test_a_correct_password_signs_in_after_other_accounts_failed_from_that_address(
    world: World, app: Starlette
) -> None:
    """One guesser in an office (or behind a proxy) does not lock everyone there out."""
    async with new_client(app, peer=ATTACKER) as attacker:
        await fail_from_one_address(attacker)
    async with new_client(app, peer=ATTACKER) as colleague:
        assert (await login(colleague, "member_a")).status_code == 303
        assert await is_signed_in(colleague)


async def test_a_busy_address_gets_one_guess_per_account(world: World, app: Starlette) -> None:
    async with new_client(app, peer=ATTACKER) as attacker:
        await fail_from_one_address(attacker)
        await fail_at(attacker, "member_a", 1)

        refused = await login(attacker, "member_a")

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    async with new_client(app, peer=OWNER_ELSEWHERE) as owner:
        assert (await login(owner, "member_a")).status_code == 303


async def test_an_account_guessed_at_from_many_addresses_gets_one_guess_per_address(
    world: World, app: Starlette
) -> None:
    for number in range(accounts.MAX_FAILURES_PER_ACCOUNT_ANYWHERE):
        async with new_client(app, peer=(f"192.0.2.{number + 1}", 999)) as bot:
            await fail_at(bot, "admin", 1)
    async with new_client(app, peer=("192.0.2.200", 999)) as bot:
        await fail_at(bot, "admin", 1)
        assert (await login(bot, "admin")).status_code == 429
    # The owner, from an address that has not failed for the account, signs in.
    async with new_client(app, peer=OWNER_ELSEWHERE) as owner:
        assert (await login(owner, "admin")).status_code == 303


async def test_it_ignores_forwarded_for_from_an_untrusted_peer(
    world: World, app: Starlette
) -> None:
    async with new_client(app, peer=ATTACKER) as attacker:
        token = await csrf_token(attacker)
        for number in range(accounts.MAX_FAILURES_PER_ADDRESS):
            await attacker.post(
                "/login",
                data={"username": f"guess{number}", "password": "x" * 12, "csrf_token": token},
                headers={"x-forwarded-for": f"192.0.2.{number + 1}"},
            )
        # Counted against the peer, so the address is busy: one guess at member_a.
        await fail_at(attacker, "member_a", 1, headers={"x-forwarded-for": "192.0.2.99"})
        refused = await login(attacker, "member_a")

    assert refused.status_code == 429
    assert set(await LoginFailure.all().values_list("ip", flat=True)) == {"203.0.113.5"}


@pytest.fixture
async def proxied_app(app: Starlette, settings: Settings) -> Starlette:
    """The site behind a reverse proxy at 10.0.0.1."""
    return create_app(replace(settings, trusted_proxies=("10.0.0.1",)), manage_database=False)


def through_proxy(app: Starlette) -> httpx.AsyncClient:
    return new_client(app, peer=("10.0.0.1", 5555))


async def test_it_counts_the_forwarded_address_from_a_trusted_proxy(
    world: World, proxied_app: Starlette
) -> None:
    attacker = {"x-forwarded-for": "203.0.113.5"}
    # A client may send its own X-Forwarded-For; the proxy appends the address it saw.
    colleague = {"x-forwarded-for": "203.0.113.5, 198.51.100.20"}
    async with through_proxy(proxied_app) as c:
        await fail_at(c, "member_a", accounts.MAX_FAILURES_PER_ACCOUNT, headers=attacker)
        token = await csrf_token(c)
        form = {"username": "member_a", "password": PASSWORD, "csrf_token": token}

        refused = await c.post("/login", data=form, headers=attacker)
        accepted = await c.post("/login", data=form, headers=colleague)

    assert refused.status_code == 429
    assert accepted.status_code == 303
    assert set(await LoginFailure.all().values_list("ip", flat=True)) == {"203.0.113.5"}
    session = await UserSession.get(user=world.member_a)
    assert session.ip == "198.51.100.20"


async def test_it_warns_once_of_forwarded_for_from_an_untrusted_peer(
    world: World, app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="huibao")
    async with new_client(app, peer=("10.0.0.1", 5555)) as behind_proxy:
        for _ in range(3):
            await behind_proxy.get("/login", headers={"x-forwarded-for": "203.0.113.5"})

    warnings = [r for r in caplog.records if "HUIBAO_TRUSTED_PROXIES" in r.getMessage()]
    assert len(warnings) == 1
    assert "10.0.0.1" in warnings[0].getMessage()


async def test_it_does_not_warn_of_a_trusted_proxy(
    world: World, proxied_app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="huibao")
    async with through_proxy(proxied_app) as c:
        await c.get("/login", headers={"x-forwarded-for": "203.0.113.5"})
    async with new_client(proxied_app) as direct:
        await direct.get("/login")

    assert not [r for r in caplog.records if "HUIBAO_TRUSTED_PROXIES" in r.getMessage()]


async def test_it_throttles_guesses_at_the_current_password(
    world: World, app: Starlette, as_user: Any
) -> None:
    """A borrowed session must not become a way round the login throttle."""
    async with as_user("member_a") as c:
        for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
            response = await post(
                c,
                "/profile/password",
                {
                    "current_password": WRONG_PASSWORD,
                    "new_password": "Brand-New-Secret-9",
                    "confirm_password": "Brand-New-Secret-9",
                },
            )
            assert response.status_code == 400
        before = (await User.get(username="member_a")).password_hash

        refused = await post(
            c,
            "/profile/password",
            {
                "current_password": PASSWORD,
                "new_password": "Brand-New-Secret-9",
                "confirm_password": "Brand-New-Secret-9",
            },
        )

    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert (await User.get(username="member_a")).password_hash == before


# -- sessions that must end --------------------------------------------------------------


async def test_it_ends_other_sessions_when_the_password_changes(
    world: World, app: Starlette, as_user: Any
) -> None:
    new_password = "Brand-New-Secret-9"
    async with as_user("member_a") as laptop, as_user("member_a") as phone:
        phone_token = phone.cookies.get(SESSION_COOKIE)
        response = await post(
            laptop,
            "/profile/password",
            {
                "current_password": PASSWORD,
                "new_password": new_password,
                "confirm_password": new_password,
            },
        )

        assert response.status_code == 303
        assert await is_signed_in(laptop)
        assert not await is_signed_in(phone)
    assert not await replay(app, phone_token)
    async with new_client(app) as c:
        assert (await login(c, "member_a", PASSWORD)).status_code == 400
        assert (await login(c, "member_a", new_password)).status_code == 303


async def test_it_keeps_the_password_when_the_current_one_is_wrong(
    world: World, as_user: Any
) -> None:
    before = (await User.get(username="member_a")).password_hash
    async with as_user("member_a") as c:
        response = await post(
            c,
            "/profile/password",
            {
                "current_password": WRONG_PASSWORD,
                "new_password": "Brand-New-Secret-9",
                "confirm_password": "Brand-New-Secret-9",
            },
        )
        assert await is_signed_in(c)

    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#error-current_password") is not None
    assert (await User.get(username="member_a")).password_hash == before


async def test_it_ends_every_session_on_deactivation(
    world: World, app: Starlette, as_user: Any
) -> None:
    async with as_user("member_a") as c:
        await accounts.deactivate(await User.get(username="member_a"))

        assert not await is_signed_in(c)
        refused = await login(c, "member_a")

    assert refused.status_code == 400
    assert login_error(refused) == zh("Wrong username or password.")
    assert await UserSession.filter(user=world.member_a).count() == 0


async def test_it_refuses_a_deactivated_persons_surviving_session(
    world: World, app: Starlette, as_user: Any
) -> None:
    async with as_user("member_a") as c:
        # Deactivated directly in the database, so the session row is still there.
        await User.filter(username="member_a").update(is_active=False)

        assert not await is_signed_in(c)


# -- where a login leads -----------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    "http:evil.example",
]


def assert_local(location: str) -> None:
    parts = urlsplit(location)
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location
    assert not parts.scheme and not parts.netloc, location


@pytest.mark.parametrize("target", OFF_SITE)
async def test_it_never_sends_a_login_off_site(
    world: World, client: httpx.AsyncClient, target: str
) -> None:
    page = await client.get("/login", params={"next": target})
    hidden = BeautifulSoup(page.text, "html.parser").select_one('input[name="next"]')
    assert hidden is not None
    assert hidden["value"] == "/"

    token = await csrf_token(client)
    response = await client.post(
        "/login",
        data={"username": "member_a", "password": PASSWORD, "next": target, "csrf_token": token},
    )

    assert response.status_code == 303
    assert_local(response.headers["location"])
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
async def test_it_never_sends_a_signed_in_visitor_off_site(
    world: World, as_user: Any, target: str
) -> None:
    async with as_user("member_a") as c:
        response = await c.get("/login", params={"next": target})

    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_it_returns_to_the_page_that_asked_for_a_login(
    world: World, client: httpx.AsyncClient
) -> None:
    asked = await client.get("/directory?q=x")
    assert asked.status_code == 303
    login_page = await client.get(asked.headers["location"])
    form = BeautifulSoup(login_page.text, "html.parser").select_one("form")
    assert form is not None
    fields = {field["name"]: field.get("value", "") for field in form.select("input[name]")}

    response = await client.post(
        "/login", data={**fields, "username": "member_a", "password": PASSWORD}
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/directory?q=x"
