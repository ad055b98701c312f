"""What an area adds reaches the site through intranet.areas: its menu links, by role,
its stylesheet and script on every page, and its `huibao` commands."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from intranet import cli
from tests.conftest import World


def menu_of(response: httpx.Response) -> list[tuple[str, str]]:
    page = BeautifulSoup(response.text, "html.parser")
    return [(str(a["href"]), a.get_text(strip=True)) for a in page.select("nav.menu a")]


async def test_the_menu_shows_the_reports_links_to_those_they_are_for(
    world: World, as_user: Any
) -> None:
    async with as_user("sec_a") as c:
        secretary = menu_of(await c.get("/notices"))
    async with as_user("member_a") as c:
        member = menu_of(await c.get("/notices"))
    reports = [
        ("/reports", "我的填报"),
        ("/reports/campaigns", "填报任务"),
        ("/reports/forms", "表单"),
    ]
    # In the areas' place: after the notices, before the directory.
    hrefs = [href for href, _ in secretary]
    issued_at = hrefs.index("/notices/issued")
    assert secretary[issued_at + 1 : issued_at + 4] == reports
    assert hrefs[issued_at + 4] == "/directory"
    assert ("/reports", "我的填报") in member
    assert not {"/reports/campaigns", "/reports/forms"} & {href for href, _ in member}


async def test_every_page_loads_the_areas_stylesheet_and_script(world: World, as_user: Any) -> None:
    async with as_user("member_a") as c:
        page = BeautifulSoup((await c.get("/notices")).text, "html.parser")
        sheets = [str(link["href"]) for link in page.select("link[rel=stylesheet]")]
        scripts = [str(script["src"]) for script in page.select("script[src]")]
        assert any(href.startswith("/static/css/surveys.css?v=") for href in sheets)
        assert any(src.startswith("/static/js/surveys.js?v=") for src in scripts)
        for url in [*sheets, *scripts]:
            assert (await c.get(url)).status_code == 200, url


@pytest.mark.parametrize("command", ["open-rounds", "export"])
def test_the_huibao_command_offers_the_areas_commands(command: str) -> None:
    parser = cli.build_parser()
    assert command in parser.format_help()
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([command, "--help"])
    assert exited.value.code == 0
