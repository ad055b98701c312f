"""Stored round figures (surveys.models.RoundFigures): a round's totals and a campaign's
trend read them while the round's responses are unchanged, and every kind of change to
a response (save, submit, return, approve, bulk approve, reopen) makes them again, so
what is shown always equals a fresh computation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tortoise import timezone

from surveys.answering import state_after_save, write
from surveys.models import Campaign, Response, Round, RoundFigures
from surveys.state_changes import act
from surveys.states import Action, Actor, ResponseState
from surveys.totals import Include, campaign_trend, round_totals
from surveys.totals import sql as totals_sql
from surveys.tracking import approve_many, close_round, reopen_round
from tests.conftest import World
from tests.survey_helpers import make_campaign, open_round, response_of, weekly_answers

S = ResponseState


@pytest.fixture
async def rounds(world: World) -> tuple[Campaign, list[Round]]:
    """Two rounds of the weekly form, both societies submitted in each."""
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    made = []
    for number in (1, 2):
        made.append(
            await open_round(
                campaign,
                number,
                answers={
                    world.society_a.id: weekly_answers(online_meetings=number),
                    world.society_b.id: weekly_answers(online_meetings=10 * number),
                },
                states={world.society_a.id: S.SUBMITTED, world.society_b.id: S.SUBMITTED},
            )
        )
    return campaign, made


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[list[int] | None]:
    """The rounds each GROUP BY over answers was asked for (None: a whole campaign)."""
    asked: list[list[int] | None] = []
    original = totals_sql.aggregate

    async def spy(columns: Any, include: Any, scope: Any, grouping: Any) -> Any:
        asked.append(None if scope.round_ids is None else sorted(scope.round_ids))
        return await original(columns, include, scope, grouping)

    monkeypatch.setattr(totals_sql, "aggregate", spy)
    return asked


async def shown(campaign: Campaign, round_ids: list[int], include: Include) -> Any:
    """What the pages show: each round's 合计, choice counts and listed answers, and
    the trend."""
    found = []
    for round_id in round_ids:
        result = await round_totals(round_id, include=include)
        found.append((result.total, result.choice_counts, result.texts, result.submitted))
    return found, await campaign_trend(campaign.id, include=include)


async def assert_fresh(campaign: Campaign, made: list[Round]) -> None:
    """The figures shown (stored ones where unchanged) equal those computed afresh."""
    ids = [r.id for r in made]
    for include in Include:
        stored = await shown(campaign, ids, include)
        await RoundFigures.all().delete()
        fresh = await shown(campaign, ids, include)
        assert stored == fresh, include
        assert stored == await shown(campaign, ids, include)  # now read back stored


async def loaded(round_: Round, world_organisation: Any) -> Response:
    return await response_of(round_, world_organisation)


async def test_unchanged_rounds_are_read_back_and_a_changed_one_alone_is_computed(
    world: World, rounds: tuple[Campaign, list[Round]], computed: list[list[int] | None]
) -> None:
    campaign, (first, second) = rounds
    trend = await campaign_trend(campaign.id)
    assert computed == [[first.id, second.id]]
    assert [p.total for p in trend["online_meetings"]] == [11, 22]

    computed.clear()
    assert await campaign_trend(campaign.id) == trend
    await round_totals(first.id)
    assert computed == []  # nothing added up again

    response = await loaded(second, world.society_a)
    now = timezone.now()
    await act(response, Action.RETURN, actor=Actor.REVIEWER, user=world.staff, now=now,
              reason="请核对")  # fmt: skip
    trend = await campaign_trend(campaign.id)
    assert computed == [[second.id]]
    assert [p.total for p in trend["online_meetings"]] == [11, 20]
    assert [p.change for p in trend["online_meetings"]][1] is not None

    computed.clear()
    result = await round_totals(second.id)
    assert computed == []
    assert result.total["online_meetings"] == 20


async def test_a_secretary_s_rows_are_computed_not_read_from_the_round_s_figures(
    world: World, rounds: tuple[Campaign, list[Round]], computed: list[list[int] | None]
) -> None:
    campaign, (first, _) = rounds
    await campaign_trend(campaign.id)
    computed.clear()
    own = await round_totals(first.id, organisation_ids=[world.society_a.id])
    assert own.total["online_meetings"] == 1
    trend = await campaign_trend(campaign.id, organisation_ids=[world.society_a.id])
    assert [p.total for p in trend["online_meetings"]] == [1, 2]
    assert computed == [[first.id], None]


async def test_figures_equal_a_fresh_computation_after_every_kind_of_change(
    world: World, rounds: tuple[Campaign, list[Round]]
) -> None:
    campaign, made = rounds
    first = made[0]
    now = timezone.now()
    await assert_fresh(campaign, made)

    # return, then the secretary saves a new figure and resubmits
    response = await loaded(first, world.society_a)
    await act(response, Action.RETURN, actor=Actor.REVIEWER, user=world.staff, now=now,
              reason="请核对")  # fmt: skip
    await assert_fresh(campaign, made)
    response = await loaded(first, world.society_a)
    after = state_after_save(response, now)
    assert await write(response, {"online_meetings": 40}, after, user=world.secretary_a, now=now)
    await assert_fresh(campaign, made)
    await act(response, Action.SUBMIT, actor=Actor.RESPONDENT, user=world.secretary_a, now=now)
    await assert_fresh(campaign, made)
    assert (await round_totals(first.id)).total["online_meetings"] == 50

    # approve one, then the rest in bulk: the "approved only" figures follow
    response = await loaded(first, world.society_b)
    await act(response, Action.APPROVE, actor=Actor.REVIEWER, user=world.staff, now=now)
    await assert_fresh(campaign, made)
    assert (await round_totals(first.id, include=Include.APPROVED)).total["online_meetings"] == 10
    ids = await Response.filter(round_id=first.id).values_list("id", flat=True)
    bulk = await approve_many(first, list(ids), world.staff, now)
    assert bulk.approved
    await assert_fresh(campaign, made)
    assert (await round_totals(first.id, include=Include.APPROVED)).total["online_meetings"] == 50

    # the round closed and reopened, and an approved response reopened to its society
    await close_round(first, now - timedelta(seconds=1))
    await reopen_round(first, now)
    await assert_fresh(campaign, made)
    response = await loaded(first, world.society_a)
    await act(response, Action.REOPEN, actor=Actor.REVIEWER, user=world.staff, now=now,
              reason="重新填报")  # fmt: skip
    await assert_fresh(campaign, made)
    assert (await round_totals(first.id)).total["online_meetings"] == 10


async def test_a_response_added_or_removed_changes_the_figures(
    world: World, rounds: tuple[Campaign, list[Round]]
) -> None:
    campaign, made = rounds
    first = made[0]
    assert (await round_totals(first.id)).total["online_meetings"] == 11
    await Response.filter(round_id=first.id, organisation_id=world.society_b.id).delete()
    assert (await round_totals(first.id)).total["online_meetings"] == 1
    await Response.create(
        round=first,
        organisation=world.branch_a,
        answers=weekly_answers(online_meetings=5),
        state=S.SUBMITTED,
    )
    assert (await round_totals(first.id)).total["online_meetings"] == 6
    await assert_fresh(campaign, made)


async def test_nothing_stored_is_read_for_another_include(
    world: World, rounds: tuple[Campaign, list[Round]]
) -> None:
    _, (first, _) = rounds
    assert (await round_totals(first.id)).total["online_meetings"] == 11
    assert (await round_totals(first.id, include=Include.APPROVED)).total["online_meetings"] is None
    assert await RoundFigures.filter(round_id=first.id).count() == 2
