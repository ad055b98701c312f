"""Form versions: a version in use by a campaign is frozen; editing it makes the next one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from surveys import building
from surveys.models import Campaign, Form, FormVersion, Response, Round
from surveys.schema import Section
from tests.conftest import World, post
from tests.surveys.test_builder import HX, latest, make_form, question_fields, small_form


@pytest.fixture
async def sec_a(world: World, as_user: Any) -> Any:
    async with as_user("sec_a") as client:
        yield client


async def answered_campaign(world: World, version: FormVersion) -> Response:
    """A campaign on `version` with an opened round (which froze it) and one answer."""
    await FormVersion.filter(id=version.id).update(frozen=True)
    now = datetime.now(UTC)
    campaign = await Campaign.create(
        title="周报",
        form_version=version,
        organiser=world.society_a,
        starts_on=now.date(),
        opens_on=now.date(),
        due_on=now.date() + timedelta(days=7),
        roster_organisations=[world.branch_a.id],
    )
    round_ = await Round.create(
        campaign=campaign,
        number=1,
        period_start=now.date(),
        period_end=now.date(),
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=6),
    )
    return await Response.create(
        round=round_, organisation=world.branch_a, answers={"meetings": 3, "notes": "好"}
    )


async def test_editing_a_frozen_version_makes_the_next_and_keeps_the_old(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    first = await building.latest_version(form.id)
    response = await answered_campaign(world, first)
    page = BeautifulSoup((await sec_a.get(f"/reports/forms/{form.id}")).text, "html.parser")
    assert "2" in page.select_one(".builder-frozen").text
    reply = await post(
        sec_a,
        f"/reports/forms/{form.id}/questions/notes/remove",
        token_from=f"/reports/forms/{form.id}",
    )
    assert reply.status_code == 303
    assert reply.headers["location"].endswith("?done=new_version")
    versions = await FormVersion.filter(form_id=form.id).order_by("number")
    assert [(v.number, v.frozen) for v in versions] == [(1, True), (2, False)]
    assert versions[0].form_definition() == small_form()
    assert versions[1].form_definition().question("notes") is None
    # The old response still shows the questions it was answered against.
    kept = await Response.get(id=response.id).select_related("round__campaign__form_version")
    definition = kept.round.campaign.form_version.form_definition()
    assert definition.question("notes") is not None
    assert kept.answers == {"meetings": 3, "notes": "好"}


async def test_the_next_edit_goes_to_the_new_version(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await answered_campaign(world, await building.latest_version(form.id))
    builder = f"/reports/forms/{form.id}"
    await post(sec_a, f"{builder}/questions/notes/up", token_from=builder)
    await post(sec_a, f"{builder}/questions/notes/remove", token_from=builder)
    assert await FormVersion.filter(form_id=form.id).count() == 2
    assert (await latest(form)).question("notes") is None


async def test_htmx_is_sent_to_the_new_version_s_page(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await answered_campaign(world, await building.latest_version(form.id))
    builder = f"/reports/forms/{form.id}"
    reply = await post(
        sec_a,
        f"{builder}/sections/work/questions",
        question_fields(key="city", label="城市"),
        token_from=builder,
        headers=HX,
    )
    assert reply.status_code == 200
    assert reply.headers["hx-redirect"] == f"{builder}?done=new_version"
    assert (await latest(form)).question("city") is not None


async def test_a_refused_edit_of_a_frozen_version_makes_no_version(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await answered_campaign(world, await building.latest_version(form.id))
    builder = f"/reports/forms/{form.id}"
    data = question_fields(key="notes")
    reply = await post(sec_a, f"{builder}/sections/work/questions", data, token_from=builder)
    assert reply.status_code == 422
    assert await FormVersion.filter(form_id=form.id).count() == 1


async def test_a_version_frozen_while_an_edit_is_saved_stays_as_it_was(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = await make_form(world)
    stale = await building.latest_version(form.id)  # read before the round opened
    await FormVersion.filter(id=stale.id).update(frozen=True)

    async def read_before_the_round_opened(form_id: int) -> FormVersion:
        return stale

    monkeypatch.setattr(building, "latest_version", read_before_the_round_opened)
    saved = await building.save_definition(
        form, lambda d: building.add_section(d, key="late", title="迟到")
    )
    assert saved.made_new_version and saved.version.number == 2
    assert (await FormVersion.get(id=stale.id)).form_definition() == small_form()


async def test_old_versions_are_listed_and_shown_read_only(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await answered_campaign(world, await building.latest_version(form.id))
    await building.save_definition(
        form, lambda d: building.add_section(d, key="extra", title="附加")
    )
    builder = BeautifulSoup((await sec_a.get(f"/reports/forms/{form.id}")).text, "html.parser")
    links = [a["href"] for a in builder.select(".builder-version-list a")]
    assert f"/reports/forms/{form.id}/versions/1" in links
    old = await sec_a.get(f"/reports/forms/{form.id}/versions/1")
    page = BeautifulSoup(old.text, "html.parser")
    assert [s.select_one("code").text for s in page.select("section.builder-section")] == [
        "work",
        "people",
    ]
    assert page.select("form[hx-post]") == []  # nothing to edit on an old version
    listing = BeautifulSoup((await sec_a.get("/reports/forms")).text, "html.parser")
    tags = [a.text.split()[0] for a in listing.select(".form-list-versions a")]
    assert tags == ["v1", "v2"]
    assert "form-frozen" in listing.select_one(".form-list-versions a")["class"]


async def test_the_title_of_the_form_follows_its_latest_version(world: World) -> None:
    form = await make_form(world)
    await building.save_definition(
        form,
        lambda d: building.edit_settings(d, title="改名", instructions="", respondent="person"),
    )
    stored = await Form.get(id=form.id)
    assert (stored.title, stored.respondent) == ("改名", "person")
    assert (await latest(form)).sections[0] == small_form().sections[0]
    assert isinstance((await latest(form)).sections[0], Section)
