"""The main pages checked with axe-core in a real Chromium, at phone and desktop widths.

Every page below is loaded from the real server with the demo data, as the person who uses
it, and axe-core (vendored under tests/vendor, see its README) looks at what the browser
shows. A violation of impact "critical" or "serious" fails the page's test; the failure
names each rule, its impact and help, and the elements it was found on.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser import DESKTOP, PHONE, browser, log_in, new_page, require_chromium, server
from tests.live import LiveServer

require_chromium()

pytestmark = pytest.mark.browser

__all__ = ["browser", "server"]  # fixtures

AXE_VERSION = "4.14.1"
AXE_PATH = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

FAILING_IMPACTS = ("critical", "serious")
# axe's default rule set is run: WCAG 2.0/2.1 A and AA plus best practices. WCAG 2.2's
# target-size, off by default, is left off: its verdict on the round tracker's checkboxes
# depends on where the page is scrolled (a row half under the sticky action bar).
# Rules not run, each with the reason it cannot be met here. None at present.
DISABLED_RULES: dict[str, str] = {}

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def verified_axe_source(path: Path = AXE_PATH, sha256: str = AXE_SHA256) -> str:
    """The text of axe.min.js, after checking it is byte for byte the recorded release."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise AssertionError(
            f"{path} has sha256 {digest}, not the recorded {sha256} "
            f"({len(data)} bytes): the vendored axe-core is damaged or was replaced"
        )
    return data.decode("utf-8")


@pytest.fixture(scope="module")
def axe_source() -> str:
    return verified_axe_source()


@dataclass(frozen=True)
class Target:
    """A page to check: as whom, and either its path or how to reach it from another page
    (the first link matching `link` on the page at `path`, then `suffix` added)."""

    name: str
    role: str | None  # None: not logged in
    path: str
    link: str | None = None
    suffix: str = ""


ROUND_LINK = "a[href^='/reports/rounds/']"  # a campaign's latest round, in the list
PUBLISHED_LINK = ".notice-state-published .notice-title a"  # in the issuer's list
TARGETS = [
    Target("login", None, "/login"),
    Target("home-secretary", "secretary", "/"),
    Target("home-staff", "staff", "/"),
    Target("home-member", "member", "/"),
    Target("notices", "secretary", "/notices"),
    Target("notice-member", "member", "/notices", ".notice-row-title a"),
    Target("notice-issuer", "staff", "/notices", ".notice-row-title a"),
    Target("notice-receipts", "staff", "/notices/issued", PUBLISHED_LINK, "/receipts"),
    Target("notices-issued", "staff", "/notices/issued"),
    Target("notice-new", "staff", "/notices/new"),
    Target("my-reports", "secretary", "/reports"),
    Target("response-due", "secretary", "/reports", ".survey-reports-due a.survey-report-title"),
    Target("response-no-change", "secretary", "/reports", ".survey-reports-due a.survey-no-change"),
    Target(
        "response-returned",
        "secretary",
        "/reports",
        ".survey-reports-returned a.survey-report-title",
    ),
    Target("campaigns", "staff", "/reports/campaigns"),
    Target("campaign", "staff", "/reports/campaigns", ".campaign-title a"),
    Target("round-tracker", "staff", "/reports/campaigns", ROUND_LINK),
    Target("round-report", "staff", "/reports/campaigns", ROUND_LINK, "/totals"),
    Target("forms", "staff", "/reports/forms"),
    Target("form-builder", "staff", "/reports/forms", ".form-list-title a"),
    Target("notifications", "secretary", "/notifications"),
    Target("notification-preferences", "secretary", "/notifications/preferences"),
    Target("profile", "secretary", "/profile"),
    Target("directory", "secretary", "/directory"),
    Target("admin-organisations", "admin", "/admin/organisations"),
    Target("admin-people", "admin", "/admin/people"),
    Target("admin-directory", "admin", "/admin/directory"),
    Target("invitation-code", None, "/invitation"),
    Target("admin-audit", "admin", "/admin/audit"),
]


PagesFor = Callable[[str | None], Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
async def pages_for(browser, server: LiveServer) -> AsyncIterator[PagesFor]:  # type: ignore[no-untyped-def]
    """One browser context per person, logged in on first use, holding a page at each
    width of VIEWPORTS (checked side by side). The contexts keep the site's
    Content-Security-Policy in force: axe sees the pages as people get them."""
    contexts: dict[str | None, dict[str, Any]] = {}

    async def get(role: str | None) -> dict[str, Any]:
        if role not in contexts:
            first = await new_page(browser, server, PHONE)
            if role is not None:
                await log_in(first, server, *server.login_for(role))
            pages = {}
            for width, viewport in VIEWPORTS.items():
                pages[width] = first if viewport == PHONE else await first.context.new_page()
                await pages[width].set_viewport_size(viewport)
            contexts[role] = pages
        return contexts[role]

    yield get
    for pages in contexts.values():
        await next(iter(pages.values())).context.close()


async def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until what htmx loads by itself (the notification bell) is in and no htmx
    request is running: axe then looks at the page as a person does."""
    await page.wait_for_function(
        "() => !document.querySelector('#notification-bell[hx-trigger*=load], .htmx-request')"
    )


async def axe_violations(page, axe_source: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Run axe-core on the page as it is now. The source is evaluated through the
    DevTools protocol: an injected <script> element would be refused by the site's
    `script-src 'self'`, which stays in force (no bypass_csp, nothing weakened)."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source)
    options = {
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in DISABLED_RULES},
    }
    return await page.evaluate(
        """async options => (await axe.run(document, options)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            targets: v.nodes.map(n => n.target.join(' '))}))""",
        options,
    )


def describe(found: list[tuple[str, dict[str, Any]]]) -> str:
    lines = []
    for where, violation in found:
        lines.append(
            f"[{where}] {violation['id']} ({violation['impact']}): {violation['help']}"
            f" -- {violation['helpUrl']}"
        )
        lines += [f"    {target}" for target in violation["targets"][:10]]
        if len(violation["targets"]) > 10:
            lines.append(f"    ... and {len(violation['targets']) - 10} more")
    return "\n".join(lines)


@pytest.mark.parametrize("target", TARGETS, ids=[target.name for target in TARGETS])
async def test_page_has_no_serious_accessibility_violations(
    pages_for: PagesFor, server: LiveServer, axe_source: str, target: Target
) -> None:
    pages = await pages_for(target.role)
    path = target.path
    if target.link:
        await pages["phone"].goto(server.url + path)
        path = await pages["phone"].eval_on_selector(target.link, "a => a.getAttribute('href')")
        path += target.suffix

    async def check(width: str) -> list[tuple[str, dict[str, Any]]]:
        page = pages[width]
        response = await page.goto(server.url + path)
        assert response.status == 200, f"{path} answered {response.status}"
        await settled(page)
        violations = await axe_violations(page, axe_source)
        return [(f"{width} {path}", v) for v in violations if v["impact"] in FAILING_IMPACTS]

    # Both widths at once: each page has its own renderer, so this takes about half the time.
    found = [item for found in await asyncio.gather(*map(check, VIEWPORTS)) for item in found]
    assert not found, f"accessibility violations on {target.name}:\n{describe(found)}"


def test_vendored_axe_is_the_recorded_release() -> None:
    source = verified_axe_source()
    assert source.startswith(f"/*! axe v{AXE_VERSION}")
    readme = (AXE_PATH.parent.parent / "README.md").read_text(encoding="utf-8")
    assert AXE_SHA256 in readme and f"axe-core {AXE_VERSION}" in readme


def test_a_damaged_axe_copy_is_refused(tmp_path: Path) -> None:
    truncated = tmp_path / "axe.min.js"
    truncated.write_bytes(AXE_PATH.read_bytes()[:-100])
    with pytest.raises(AssertionError, match=re.escape(AXE_SHA256)):
        verified_axe_source(truncated)
