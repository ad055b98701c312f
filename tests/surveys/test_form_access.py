"""Who may reach a form: those acting for its owner; everyone else gets 404 and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from surveys import building
from surveys.models import Form, FormVersion
from surveys.xlsform import form_to_xlsx
from tests.conftest import World
from tests.surveys.test_builder import make_form, question_fields, small_form

READS = [
    "",
    "/preview",
    "/versions/1",
    "/versions/1/preview",
    "/versions/1/export.xlsx",
]
WRITES = [
    ("/settings", {"title": "改", "respondent": "organisation"}),
    ("/sections", {"title": "新", "key": "new"}),
    ("/sections/work/edit", {"title": "改", "key": "work"}),
    ("/sections/work/down", {}),
    ("/sections/work/remove", {}),
    ("/sections/work/questions", question_fields(key="x")),
    ("/questions/notes/edit", question_fields(key="notes")),
    ("/questions/notes/up", {}),
    ("/questions/notes/remove", {}),
    ("/questions/experts/columns", question_fields(key="y")),
    ("/questions/experts/columns/name/edit", question_fields(key="name")),
    ("/questions/experts/columns/name/down", {}),
    ("/questions/experts/columns/name/remove", {}),
]


async def token(client: httpx.AsyncClient) -> str:
    page = await client.get("/profile")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


async def refused_everywhere(client: httpx.AsyncClient, form: Form) -> None:
    base = f"/reports/forms/{form.id}"
    for path in READS:
        assert (await client.get(base + path)).status_code == 404, path
    csrf = await token(client)
    for path, data in WRITES:
        response = await client.post(base + path, data={**data, "csrf_token": csrf})
        assert response.status_code == 404, path
    files = {"file": ("a.xlsx", form_to_xlsx(small_form()), "application/octet-stream")}
    response = await client.post(base + "/import", data={"csrf_token": csrf}, files=files)
    assert response.status_code == 404
    assert await FormVersion.filter(form_id=form.id).count() == 1
    assert (await building.latest_version(form.id)).form_definition() == small_form()


@pytest.mark.parametrize("username", ["sec_b", "member_a", "outsider"])
async def test_others_get_404_on_every_route_of_a_form(
    world: World, as_user: Any, username: str
) -> None:
    form = await make_form(world)  # owned by society A
    async with as_user(username) as client:
        await refused_everywhere(client, form)


@pytest.mark.parametrize("username", ["member_a", "outsider"])
async def test_people_who_act_for_no_one_cannot_reach_the_forms(
    world: World, as_user: Any, username: str
) -> None:
    async with as_user(username) as client:
        assert (await client.get("/reports/forms")).status_code == 404
        csrf = await token(client)
        data = {"title": "表", "respondent": "organisation", "owner": str(world.society_a.id)}
        for path in ("/reports/forms/new", "/reports/forms/example"):
            response = await client.post(path, data={**data, "csrf_token": csrf})
            assert response.status_code == 404
    assert await Form.all().count() == 0


@pytest.mark.parametrize("username", ["sec_a", "staff", "admin"])
async def test_those_acting_for_the_owner_reach_it(
    world: World, as_user: Any, username: str
) -> None:
    form = await make_form(world)
    async with as_user(username) as client:
        for path in READS:
            assert (await client.get(f"/reports/forms/{form.id}{path}")).status_code == 200


async def test_a_branch_s_form_is_its_society_s_too(world: World, as_user: Any) -> None:
    form = await building.create_form(world.branch_a.id, small_form())
    async with as_user("sec_a") as client:
        assert (await client.get(f"/reports/forms/{form.id}")).status_code == 200
        assert f"/reports/forms/{form.id}" in (await client.get("/reports/forms")).text
    async with as_user("sec_b") as client:
        assert f"/reports/forms/{form.id}" not in (await client.get("/reports/forms")).text


async def test_visitors_are_sent_to_sign_in(world: World, client: httpx.AsyncClient) -> None:
    form = await make_form(world)
    for path in ("/reports/forms", f"/reports/forms/{form.id}"):
        response = await client.get(path)
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["location"]
