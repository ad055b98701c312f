"""The response pages' one-SELECT loading (surveys.response_loading) gives the same
models as the ORM's select_related over the same relations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tortoise.models import Model

from surveys.answering import form_of, person_response
from surveys.examples import weekly_progress_form
from surveys.models import FormVersion, Response
from surveys.policy import find_response
from surveys.schema import FormDefinition, Respondent
from surveys.states import ResponseState
from tests.conftest import World
from tests.survey_helpers import make_campaign, open_round, weekly_answers

RELATED = ("round__campaign__organiser", "round__campaign__form_version", "organisation")


def columns(model: Model | None) -> dict[str, Any] | None:
    if model is None:
        return None
    return {name: getattr(model, name) for name in model._meta.fields_db_projection}


def graph(response: Response) -> dict[str, Any]:
    campaign = response.round.campaign
    return {
        "response": columns(response),
        "round": columns(response.round),
        "campaign": columns(campaign),
        "organiser": columns(campaign.organiser),
        "form_version": columns(campaign.form_version),
        "organisation": columns(response.organisation),
    }


async def test_an_organisations_response_loads_as_the_orm_loads_it(world: World) -> None:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(
        campaign,
        answers={world.society_a.id: weekly_answers()},
        states={world.society_a.id: ResponseState.SUBMITTED},
    )
    stored = await Response.get(round_id=round_.id, organisation_id=world.society_a.id)
    loaded = await find_response(stored.id)
    assert loaded is not None
    expected = await Response.get(id=stored.id).select_related(*RELATED)
    assert graph(loaded) == graph(expected)
    assert loaded.answers == weekly_answers() and loaded.state == ResponseState.SUBMITTED


async def test_a_persons_response_loads_without_an_organisation(world: World) -> None:
    definition = replace(weekly_progress_form(), respondent=Respondent.PERSON, title="建言献策")
    campaign = await make_campaign(world.association, [world.society_a], definition)
    round_ = await open_round(campaign)
    mine = await person_response(round_, world.member_a)
    loaded = await find_response(mine.id)
    assert loaded is not None and loaded.organisation is None
    expected = await Response.get(id=mine.id).select_related(*RELATED)
    assert graph(loaded) == graph(expected)


async def test_no_response_loads_as_none(world: World) -> None:
    assert await find_response(999_999) is None


async def test_a_responses_questions_are_those_its_form_version_stores(world: World) -> None:
    # The parsed questions are kept per process, keyed by what is stored: new content
    # under the same version id (as another test's database may hold) is parsed anew.
    campaign = await make_campaign(world.association, [world.society_a])
    round_ = await open_round(campaign)
    stored = await Response.get(round_id=round_.id, organisation_id=world.society_a.id)
    loaded = await find_response(stored.id)
    assert loaded is not None
    assert form_of(loaded) == weekly_progress_form()
    first_section = weekly_progress_form().sections[:1]
    other = replace(weekly_progress_form(), title="月度进展", sections=first_section)
    await FormVersion.filter(id=campaign.form_version_id).update(definition=other.to_dict())
    loaded = await find_response(stored.id)
    assert loaded is not None and form_of(loaded) == other
    fetched = await FormVersion.get(id=campaign.form_version_id)
    assert fetched.form_definition() == other


async def test_a_loaded_versions_questions_follow_a_new_definition(world: World) -> None:
    campaign = await make_campaign(world.association, [world.society_a])
    round_ = await open_round(campaign)
    stored = await Response.get(round_id=round_.id, organisation_id=world.society_a.id)
    loaded = await find_response(stored.id)
    assert loaded is not None
    version = loaded.round.campaign.form_version
    assert version.form_definition() == weekly_progress_form()
    other = replace(weekly_progress_form(), title="月度进展")
    version.definition = other.to_dict()
    assert version.form_definition() == other
    assert FormDefinition.from_dict(version.definition) == other
