"""The Host header names the site; it never decides where a link or redirect points.

Requests for a host outside HUIBAO_ALLOWED_HOSTS are refused. And on a site that accepts
any host (HUIBAO_ALLOWED_HOSTS=*), every absolute URL the site builds (the Atom feed,
the redirect after starting a background export, links in e-mail) still starts with
HUIBAO_SITE_URL, or is a path.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from starlette.applications import Starlette

from intranet.app import create_app
from intranet.notifications.models import EmailMessage
from intranet.settings import Settings
from surveys.export import jobs as export_jobs
from tests.conftest import World, login, new_client, post
from tests.notice_helpers import make_notice, to_organisation
from tests.survey_helpers import make_campaign, open_round

EVIL = "evil.example"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
async def stop_the_pool() -> Any:
    yield
    await export_jobs.shutdown()


@pytest.mark.parametrize(
    "path", ["/", "/login", "/notices/feed.atom", "/notices", "/static/css/huibao.css"]
)
async def test_it_refuses_a_host_it_does_not_answer_to(app: Starlette, path: str) -> None:
    async with new_client(app, base_url=f"http://{EVIL}") as client:
        response = await client.get(path)
    assert response.status_code == 400
    assert EVIL not in response.text
    assert "location" not in response.headers


@pytest.mark.parametrize(
    "host",
    ["testserver", "TestServer", "testserver:80", "localhost:8000", "127.0.0.1", "[::1]:8000"],
)
async def test_it_answers_to_its_own_names(app: Starlette, host: str) -> None:
    async with new_client(app) as client:
        response = await client.get("/login", headers={"host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("huibao.example.org", 200),
        ("a.huibao.example.org", 200),
        ("huibao.example.org.evil.example", 400),
        ("evilhuibao.example.org", 400),
        ("", 400),
    ],
)
async def test_it_matches_subdomains_only_when_told(
    app: Starlette, settings: Settings, host: str, status: int
) -> None:
    site = create_app(
        replace(settings, allowed_hosts=("huibao.example.org", "*.huibao.example.org")),
        manage_database=False,
    )
    async with new_client(site) as client:
        response = await client.get("/login", headers={"host": host})
    assert response.status_code == status


async def test_a_forged_host_on_a_post_changes_nothing(world: World, app: Starlette) -> None:
    async with new_client(app, base_url=f"http://{EVIL}") as client:
        response = await client.post("/login", data={"username": "sec_a", "password": "x"})
    assert response.status_code == 400
    assert "set-cookie" not in response.headers


# -- a site that accepts any host still builds its URLs on HUIBAO_SITE_URL ------------------


@pytest.fixture
def any_host(app: Starlette, settings: Settings) -> Starlette:
    return create_app(replace(settings, allowed_hosts=("*",)), manage_database=False)


def as_evil(site: Starlette) -> httpx.AsyncClient:
    return new_client(site, base_url=f"http://{EVIL}")


async def test_the_feed_links_to_the_site_url_whatever_the_host(
    world: World, any_host: Starlette, settings: Settings
) -> None:
    notice = await make_notice(world.association, is_public=True)
    async with as_evil(any_host) as client:
        response = await client.get("/notices/feed.atom")
    assert response.status_code == 200
    feed = ET.fromstring(response.content)
    urls = [link.get("href", "") for link in feed.iter(f"{ATOM}link")]
    urls += [element.text or "" for element in feed.iter(f"{ATOM}id")]
    assert f"{settings.site_url}/notices/{notice.id}" in urls
    assert all(url.startswith(settings.site_url + "/") for url in urls), urls
    assert EVIL not in response.text


async def test_starting_an_export_redirects_to_a_path(
    world: World, any_host: Starlette, settings: Settings
) -> None:
    campaign = await make_campaign(world.association, [world.society_a], title="周报")
    round_ = await open_round(campaign)
    report = f"/reports/rounds/{round_.id}/totals"
    async with as_evil(any_host) as client:
        assert (await login(client, "staff")).status_code == 303
        started = await post(client, f"/reports/rounds/{round_.id}/exports", {}, token_from=report)
        status = await client.get(started.headers["location"])
    token = started.headers["location"].rstrip("/").rsplit("/", 1)[-1]
    for _ in range(600):  # let the job finish before the test ends
        job = export_jobs.job_status(settings, token)
        if job is not None and job.finished:
            break
        await asyncio.sleep(0.1)
    assert started.status_code == 303
    assert started.headers["location"].startswith("/reports/exports/")
    assert EVIL not in status.text
    back = BeautifulSoup(status.text, "html.parser").select("a[href]")
    assert not [a["href"] for a in back if "//" in a["href"]]


async def test_mail_links_lead_to_the_site_url_whatever_the_host(
    world: World, any_host: Starlette, settings: Settings
) -> None:
    world.secretary_b.email = "sec_b@example.org"
    await world.secretary_b.save(update_fields=["email"])
    notice = await make_notice(world.association, to=[to_organisation(world.society_b)])
    async with as_evil(any_host) as client:
        assert (await login(client, "staff")).status_code == 303
        receipts = f"/notices/{notice.id}/receipts"
        reminded = await post(client, f"/notices/{notice.id}/remind", token_from=receipts)
    assert reminded.status_code == 303
    assert not reminded.headers["location"].startswith("http")
    mails = await EmailMessage.filter(to_address="sec_b@example.org")
    assert mails
    for mail in mails:
        assert f"{settings.site_url}/notices/{notice.id}" in mail.text_body
        assert EVIL not in mail.text_body and EVIL not in mail.html_body
