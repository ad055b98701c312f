"""Every report route × people who must not reach another organisation's objects.

Walks the route table itself: a new surveys route with a path parameter this file does
not know fails here until it is given an object of society B to aim at. Secretary A,
member A and an outsider aim every surveys route at society B's form, campaign, round
and response, by GET and by POST with a CSRF token: each is refused (404, or 405 where
the route has no such method) and nothing in the survey tables changes. The detailed
rules (who reviews, who answers, state by state) are tested by each area's own tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.routing import Route

from intranet.models import Organisation, OrganisationKind
from surveys.examples import weekly_progress_form
from surveys.models import (
    AnswerChange,
    Campaign,
    Form,
    FormVersion,
    Response,
    ResponseEvent,
    Round,
)
from tests.conftest import World, login, new_client

SURVEY_TABLES = (Form, FormVersion, Campaign, Round, Response, ResponseEvent, AnswerChange)
# Lists of one's own things: reachable by anyone signed in, showing only what is theirs.
OWN_LISTS = {"surveys:my_reports", "surveys:campaigns", "surveys:forms", "surveys:review_queue"}
INTRUDERS = ["sec_a", "member_a", "outsider"]


def survey_routes(app: Any) -> dict[str, Route]:
    return {
        r.name: r
        for r in app.routes
        if isinstance(r, Route) and r.name and r.name.startswith("surveys:")
    }


async def objects_of_b(world: World) -> dict[str, Any]:
    """Society B's form, campaign, round and response, and B's response to the
    association's campaign (which society A also answers)."""
    now = datetime.now(UTC)
    definition = weekly_progress_form().to_dict()
    branch_b = await Organisation.create_under(
        world.society_b, name="辽宁省医学会分会", kind=OrganisationKind.BRANCH
    )
    form_b = await Form.create(title="医学会分会周报", owner=world.society_b)
    version_b = await FormVersion.create(form=form_b, number=1, definition=definition)
    campaign_b = await Campaign.create(
        title="医学会分会周报",
        form_version=version_b,
        organiser=world.society_b,
        starts_on=now.date(),
        opens_on=now.date(),
        due_on=now.date() + timedelta(days=7),
        roster_organisations=[branch_b.id],
    )
    round_b = await Round.create(
        campaign=campaign_b,
        number=1,
        period_start=now.date(),
        period_end=now.date(),
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=6),
    )
    await Response.create(round=round_b, organisation=branch_b)
    form = await Form.create(title="疫情防控工作进展周报", owner=world.association)
    version = await FormVersion.create(form=form, number=1, definition=definition, frozen=True)
    campaign = await Campaign.create(
        title="疫情防控工作进展周报",
        form_version=version,
        organiser=world.association,
        starts_on=now.date(),
        opens_on=now.date(),
        due_on=now.date() + timedelta(days=7),
        roster_organisations=[world.society_a.id, world.society_b.id],
    )
    round_ = await Round.create(
        campaign=campaign,
        number=1,
        period_start=now.date(),
        period_end=now.date(),
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=6),
    )
    await Response.create(round=round_, organisation=world.society_a)
    response_b = await Response.create(
        round=round_, organisation=world.society_b, answers={"online_meetings": 3}
    )
    return {
        "form_id": form_b.id,
        "version_number": 1,
        "number": 1,
        "version": 1,
        "campaign_id": campaign_b.id,
        "round_id": round_b.id,
        "response_id": response_b.id,
        "key": "online_meetings",
        "question": "online_meetings",
        "section": "online_work",
        "column": "name",
        "op": "edit",
        "storage_key": "0" * 32,
        "token": "0" * 32,
    }


def url_of(route: Route, params: dict[str, Any]) -> str:
    unknown = sorted(set(route.param_convertors) - set(params))
    assert not unknown, f"{route.name}: give objects_of_b() a value for {unknown}"
    needed = {name: params[name] for name in route.param_convertors}
    return route.url_path_for(route.name, **needed)


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: await model.all().order_by("id").values() for model in SURVEY_TABLES}


async def signed_in(app: Any, username: str) -> httpx.AsyncClient:
    client = new_client(app, cookies={"huibao_lang": "en"})
    assert (await login(client, username)).status_code == 303
    return client


async def token_of(client: httpx.AsyncClient) -> str:
    page = await client.get("/profile")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


async def test_it_refuses_society_b_objects_to_everyone_else(app, world: World) -> None:  # type: ignore[no-untyped-def]
    params = await objects_of_b(world)
    before = await snapshot()
    wrong = []
    for who in INTRUDERS:
        client = await signed_in(app, who)
        token = await token_of(client)
        try:
            for _name, route in sorted(survey_routes(app).items()):
                if not route.param_convertors:
                    continue
                path = url_of(route, params)
                for method in ("GET", "POST"):
                    data = {
                        "csrf_token": token,
                        "value": "999",
                        "base": "3",
                        "version": "1",
                        "action": "approve",
                        "reason": "x",
                        "title": "被篡改",
                    }
                    response = await client.request(
                        method, path, data=data if method == "POST" else None
                    )
                    allowed = {404, 405}
                    if response.status_code not in allowed:
                        wrong.append(f"{method} {path} as {who}: {response.status_code}")
        finally:
            await client.aclose()
    assert wrong == []
    assert await snapshot() == before


async def test_it_sends_visitors_to_sign_in(app, world: World) -> None:  # type: ignore[no-untyped-def]
    params = await objects_of_b(world)
    async with new_client(app) as client:
        for name, route in sorted(survey_routes(app).items()):
            if "GET" not in (route.methods or set()):
                continue
            response = await client.get(url_of(route, params))
            assert response.status_code == 303, name
            assert response.headers["location"].startswith("/login?next=")


async def test_own_lists_show_nothing_of_others(app, world: World) -> None:  # type: ignore[no-untyped-def]
    await objects_of_b(world)
    for who in ("member_a", "outsider"):
        client = await signed_in(app, who)
        try:
            for name in OWN_LISTS:
                page = await client.get(app.url_path_for(name))
                assert page.status_code in (200, 404), (name, who)
                assert "医学会分会周报" not in page.text, (name, who)
        finally:
            await client.aclose()


async def test_every_survey_route_is_walked(app) -> None:  # type: ignore[no-untyped-def]
    routes = survey_routes(app)
    assert set(routes) >= OWN_LISTS
    with_params = [name for name, route in routes.items() if route.param_convertors]
    assert len(with_params) >= 10, sorted(routes)
