"""The pages every signed-in request is wrapped in stay byte for byte what they were.

The signed-in shell (the session lookup, the roles, base.html's menu) is tuned for speed;
these tests hold the rendered pages to golden files so that no tuning changes what a
person sees. Values that differ from one request to the next (the CSRF token) are
replaced by a placeholder before comparing, and so is the content hash of static files
(a stylesheet's edit is not the shell's business).

To accept a deliberate change of these pages, write the goldens anew and review the diff:

    HUIBAO_WRITE_GOLDENS=1 .venv/bin/python -m pytest -q tests/test_shell_pages.py
    git diff tests/fixtures/shell/
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from intranet.models import Membership, Role
from tests.conftest import World

GOLDEN_DIR = Path(__file__).parent / "fixtures" / "shell"
WRITE_GOLDENS = os.environ.get("HUIBAO_WRITE_GOLDENS") == "1"

_PER_REQUEST = [
    (re.compile(r'name="csrf_token" value="[0-9a-f]+"'), 'name="csrf_token" value="CSRF"'),
    (re.compile(r'"X-CSRF-Token": "[0-9a-f]+"'), '"X-CSRF-Token": "CSRF"'),
    (re.compile(r"\?v=(?:[0-9a-f]{12}|missing)\b"), "?v=HASH"),
]

PAGES = {
    "not_found": ("/no/such/page", 404),
    "home": ("/", 200),
    "directory": ("/directory", 200),
}


def normalised(html: str) -> str:
    for pattern, placeholder in _PER_REQUEST:
        html = pattern.sub(placeholder, html)
    return html


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["admin", "member_a"])
async def test_it_renders_the_signed_in_shell_as_before(
    world: World, as_user, username: str, page: str
) -> None:  # type: ignore[no-untyped-def]
    # The administrator also holds a second role, so the roles come as several rows.
    await Membership.create(user=world.admin, organisation=world.society_b, role=Role.SECRETARY)
    path, status = PAGES[page]
    async with as_user(username) as client:
        response = await client.get(path)
    assert response.status_code == status
    golden = GOLDEN_DIR / f"{username}_{page}.html"
    html = normalised(response.text)
    if WRITE_GOLDENS:
        golden.write_text(html, encoding="utf-8")
    assert html == golden.read_text(encoding="utf-8")
