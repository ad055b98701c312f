"""The real server in its own process: `huibao serve --demo`, driven over HTTP.

The in-process tests skip what only the server does: migrating and loading the demo at
start, uvicorn with uvloop and httptools, the app factory and its lifespan, and a clean
stop on a signal.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from intranet import demo
from intranet.models import Role
from tests.databases import Database, drop_postgres_database, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60
STOP_TIMEOUT = 20
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, database: Database, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as output:  # the server keeps its own copy of the file
            self.process = subprocess.Popen(
                [sys.executable, "-m", "intranet", "serve", "--port", str(self.port), "--demo"],
                cwd=ROOT,
                env=database.env(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2).text == "ok":
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the server did not answer /healthz in {START_TIMEOUT}s:\n{self.output()}")

    def stop(self, how: signal.Signals) -> int:
        if self.process.poll() is None:
            self.process.send_signal(how)
        return self.process.wait(STOP_TIMEOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await throwaway_database(tmp_path, "server")
    yield database
    if database.url:
        await drop_postgres_database(database.url)


@pytest.fixture
def server(database: Database, tmp_path: Path) -> Iterator[Server]:
    running = Server(database, tmp_path / "server.log")
    try:
        running.wait_until_healthy()
        yield running
    finally:
        running.kill()


def csrf_token(page: httpx.Response) -> str:
    match = CSRF_INPUT.search(page.text)
    assert match, f"no CSRF token on {page.url}"
    return match.group(1)


def demo_login(role: Role, organisation: str) -> demo.DemoLogin:
    return next(
        login for login in demo.LOGINS if login.role == role and login.organisation == organisation
    )


def test_it_serves_the_demo_to_a_secretary(server: Server) -> None:
    secretary = demo_login(Role.SECRETARY, "辽宁省计算机学会")
    assert secretary.password in server.output()  # the logins are printed at start

    with httpx.Client(base_url=server.base_url, timeout=10) as browser:
        login_page = browser.get("/login")
        assert login_page.status_code == 200
        assert "server" not in login_page.headers
        signed_in = browser.post(
            "/login",
            data={
                "username": secretary.username,
                "password": secretary.password,
                "csrf_token": csrf_token(login_page),
            },
        )
        assert signed_in.status_code == 303, signed_in.text

        home = browser.get("/")
        assert home.status_code == 200
        assert secretary.display_name in home.text
        directory = browser.get("/directory")
        assert directory.status_code == 200
        assert "辽宁省计算机学会" in directory.text

        autosave_reaches_the_database(browser)

        signed_out = browser.post("/logout", data={"csrf_token": csrf_token(home)})
        assert signed_out.status_code == 303
        assert browser.get("/").status_code == 303


def autosave_reaches_the_database(browser: httpx.Client) -> None:
    """The secretary's open report, one answer autosaved as htmx sends it, then read back
    (queries from requests need the ORM's global context, which only a real server shows)."""
    reports = BeautifulSoup(browser.get("/reports").text, "html.parser")
    link = next(a["href"] for a in reports.select("a[href^='/reports/responses/']"))
    page = browser.get(link)
    assert page.status_code == 200
    form = BeautifulSoup(page.text, "html.parser")
    headers = json.loads(form.body["hx-headers"])
    version = form.select_one("#response-version")["value"]
    saved = browser.post(
        f"{link}/answers/online_meetings",
        data={
            "value": "17",
            "base": form.select_one("input[name='base.online_meetings']")["value"],
            "version": version,
        },
        headers={**headers, "HX-Request": "true"},
    )
    assert saved.status_code == 200, saved.text
    assert int(saved.headers["x-response-version"]) == int(version) + 1
    again = BeautifulSoup(browser.get(link).text, "html.parser")
    assert again.select_one("#input-online_meetings")["value"] == "17"


def test_links_in_its_mail_lead_to_the_port_it_serves(server: Server) -> None:
    """Without HUIBAO_SITE_URL, e-mail (printed by the console backend) links back to the
    address `serve` listens on, not to a port nobody serves."""
    deadline = time.monotonic() + 30
    while "/notices/" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.2)
    links = re.findall(r"https?://[^\s/]+/notices/\d+", server.output())
    assert links, server.output()
    assert {link.rsplit("/notices/", 1)[0] for link in links} == {server.base_url}
    page = httpx.get(links[0], timeout=10)
    assert page.status_code in (200, 303)  # the notice, or the sign-in before it


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_it_stops_cleanly_on_a_signal(server: Server, how: signal.Signals) -> None:
    status = server.stop(how)

    # uvicorn re-raises SIGTERM once it has shut down, so that is how it exits.
    assert status in (0, -how), server.output()
    assert "Application shutdown complete" in server.output()
    assert "Traceback" not in server.output()


def test_it_answers_only_for_its_own_names(server: Server) -> None:
    # Served on 127.0.0.1 without HUIBAO_SITE_URL: that address and localhost are the
    # site's names; any other Host is refused before a page or a link is built on it.
    with httpx.Client(timeout=10) as browser:
        own = browser.get(server.base_url + "/login")
        by_name = browser.get(f"http://localhost:{server.port}/login")
        forged = browser.get(server.base_url + "/login", headers={"host": "evil.example"})
        health = browser.get(server.base_url + "/healthz", headers={"host": "10.0.0.7"})
    assert own.status_code == 200
    assert by_name.status_code == 200
    assert forged.status_code == 400
    assert "evil.example" not in forged.text
    assert health.text == "ok"  # load balancers may ask by address
    assert "HUIBAO_ALLOWED_HOSTS" in server.output()  # the refusal is logged, once
