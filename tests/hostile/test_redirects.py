"""Every place that sends the browser on to a URL it was given keeps it on this site.

The places: the login page's `next` (by GET when already signed in, by POST after
signing in, and the round trip from a page that asked for sign-in), the language
switch's `next`, and a notification's link. Each is given the usual open-redirect
spellings; the Location must resolve, the way a lenient browser reads it, to this site.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from intranet.notifications.models import Notification
from tests.conftest import PASSWORD, World, csrf_token
from tests.hostile.routes import signed_in

SITE = "http://testserver"
ELSEWHERE = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/login",
    "HTTPS://evil.example",
    "https:evil.example",
    "/\\evil.example",
    "\\/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/x\r\nLocation: https://evil.example",
    " //evil.example",
    "\x00//evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "%2f%5cevil.example",
    "/%2F%2Fevil.example/..",
    "//evil.example@testserver",
    "//testserver@evil.example",
    "／／evil.example",
    "\u3000//evil.example",
]


def on_site(location: str) -> bool:
    """Whether a browser following `location` from a page of this site stays on it.
    Browsers drop tabs and line breaks from URLs and read a backslash as a slash."""
    if any(ch in location for ch in "\r\n"):
        return False  # a header split, whatever follows
    lenient = location.replace("\t", "").replace("\\", "/").strip(" \x00")
    target = urlsplit(urljoin(SITE + "/login", lenient))
    return target.scheme == "http" and target.netloc == "testserver"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/notices?page=2", True),
        ("/", True),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("https://evil.example/", False),
    ],
)
def test_on_site_tells_them_apart(location: str, expected: bool) -> None:
    assert on_site(location) is expected


async def sign_in_with_next(client: httpx.AsyncClient, next_value: str) -> httpx.Response:
    token = await csrf_token(client, "/login")
    form = {"username": "sec_a", "password": PASSWORD, "next": next_value, "csrf_token": token}
    return await client.post("/login", data=form)


async def test_login_sends_on_only_to_this_site(app, world: World) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    for target in ELSEWHERE:
        visitor = await signed_in(app, "anonymous")
        try:
            response = await sign_in_with_next(visitor, target)
            assert response.status_code == 303
            # Signed in now: the login page sends a returning visitor straight on.
            again = await visitor.get("/login", params={"next": target})
            assert again.status_code == 303
            for location in (response.headers["location"], again.headers["location"]):
                if not on_site(location):
                    wrong.append(f"next={target!r}: {location!r}")
        finally:
            await visitor.aclose()
    assert wrong == []


async def test_the_language_switch_sends_on_only_to_this_site(app, world: World) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    for who in ("anonymous", "member_a"):
        client = await signed_in(app, who)
        try:
            token = await csrf_token(client, "/login" if who == "anonymous" else "/")
            for target in ELSEWHERE:
                response = await client.post(
                    "/language", data={"locale": "zh_CN", "next": target, "csrf_token": token}
                )
                assert response.status_code == 303
                if not on_site(response.headers["location"]):
                    wrong.append(f"{who}, next={target!r}: {response.headers['location']!r}")
        finally:
            await client.aclose()
    assert wrong == []


async def test_the_login_round_trip_returns_to_the_page_asked_for(app, world: World) -> None:  # type: ignore[no-untyped-def]
    """A page that asks for sign-in passes its own path on, hostile query and all, and
    sign-in returns there: on this site."""
    visitor = await signed_in(app, "anonymous")
    try:
        asked = await visitor.get("/notices", params={"q": "//evil.example", "x": "/\\evil"})
        assert asked.status_code == 303
        login_url = asked.headers["location"]
        assert on_site(login_url) and login_url.startswith("/login?next=")
        page = await visitor.get(login_url)
        carried = BeautifulSoup(page.text, "html.parser").select_one("input[name=next]")
        assert carried is not None
        assert carried["value"] == parse_qs(urlsplit(login_url).query)["next"][0]
        response = await sign_in_with_next(visitor, str(carried["value"]))
        assert response.status_code == 303
        assert response.headers["location"] == carried["value"]
        assert on_site(response.headers["location"])
    finally:
        await visitor.aclose()


async def test_a_notification_link_stays_on_this_site(app, world: World) -> None:  # type: ignore[no-untyped-def]
    member = await signed_in(app, "member_a")
    wrong = []
    try:
        for index, target in enumerate(ELSEWHERE):
            if "\x00" in target:
                continue  # PostgreSQL text holds no NUL: no stored link can have one
            notification = await Notification.create(
                user=world.member_a,
                kind="notice_published",
                title="关于开展网上值班工作的通知",
                url=target,
                key=f"hostile-link-{index}",
                created_at=datetime.now(UTC),
            )
            response = await member.get(f"/notifications/{notification.id}")
            assert response.status_code == 303
            if not on_site(response.headers["location"]):
                wrong.append(f"url={target!r}: {response.headers['location']!r}")
    finally:
        await member.aclose()
    assert wrong == []
