"""The demo's report campaigns: six weeks of varied, believable, valid weekly reports."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from tortoise import timezone

from intranet import demo
from intranet.models import Organisation
from intranet.settings import Settings
from surveys import demo as survey_demo
from surveys.answer_checks import check_answer, missing_required
from surveys.models import AnswerChange, Campaign, FormVersion, Response, ResponseEvent, Round
from surveys.round_calendar import ScheduleKind
from surveys.states import ACTOR_OF, Action, ResponseState, transition
from tests.conftest import empty_database

S = ResponseState
SENT = {S.SUBMITTED, S.RESUBMITTED, S.APPROVED}


@pytest.fixture
async def loaded(app: Any, settings: Settings) -> Settings:
    assert await demo.load(settings)
    return settings


async def weekly() -> Campaign:
    return await Campaign.get(title=survey_demo.WEEKLY_TITLE).select_related("form_version")


async def responses_of(campaign: Campaign) -> list[Response]:
    return await Response.filter(round__campaign=campaign).select_related("round", "organisation")


async def test_the_weekly_report_has_six_rounds_the_last_running_now(loaded: Settings) -> None:
    campaign = await weekly()
    rounds = await Round.filter(campaign=campaign).order_by("number")
    now = timezone.now()

    assert campaign.schedule_kind == ScheduleKind.WEEKLY
    assert [r.number for r in rounds] == [1, 2, 3, 4, 5, 6]
    assert all(r.is_overdue(now) for r in rounds[:5])
    assert rounds[5].is_open(now) and not rounds[5].is_overdue(now)
    assert rounds[5].due_at - now <= timedelta(days=3)  # listed as due soon
    societies = await Organisation.filter(kind="society").count()
    for round_ in rounds:
        assert await Response.filter(round=round_).count() == societies
    version = await FormVersion.get(id=campaign.form_version_id)
    assert version.frozen


async def test_past_rounds_are_varied_late_returned_and_mostly_approved(loaded: Settings) -> None:
    responses = await responses_of(await weekly())
    past = [r for r in responses if r.round.number < 6]
    states = Counter(r.state for r in past)

    assert states[S.APPROVED] > len(past) * 0.6
    assert states[S.NOT_STARTED] + states[S.DRAFT] >= 2  # a few never sent
    assert states[S.SUBMITTED] >= 1  # last week's still under review
    late = [r for r in past if r.submitted_at and r.submitted_at > r.round.due_at]
    assert len(late) >= 5
    returned_then_approved = await ResponseEvent.filter(
        response__round__campaign__title=survey_demo.WEEKLY_TITLE, action=Action.RETURN
    ).values_list("response_id", flat=True)
    approved_ids = {r.id for r in past if r.state == S.APPROVED}
    assert len(set(returned_then_approved) & approved_ids) >= 3
    # Different societies report different figures.
    week_one = [r.answers.get("members_reached") for r in past if r.round.number == 1]
    assert len(set(week_one)) > 10


async def test_the_running_round_is_partly_filled(loaded: Settings) -> None:
    current = [r for r in await responses_of(await weekly()) if r.round.number == 6]
    states = Counter(r.state for r in current)

    assert states[S.NOT_STARTED] >= 3
    assert states[S.DRAFT] >= 3
    assert states[S.SUBMITTED] >= 3
    assert states[S.APPROVED] == 0


async def test_the_demo_secretary_has_reports_to_do(loaded: Settings) -> None:
    mine = {
        r.round.number: r
        for r in await responses_of(await weekly())
        if r.organisation.name == demo.COMPUTER_SOCIETY  # type: ignore[union-attr]
    }

    assert mine[6].state in (S.NOT_STARTED, S.DRAFT)
    assert mine[5].state == S.RETURNED
    returned = await ResponseEvent.get(response=mine[5], action=Action.RETURN).select_related(
        "actor"
    )
    assert "联系电话" in returned.reason
    assert returned.actor.username == "staff"  # type: ignore[union-attr]
    events = await ResponseEvent.filter(response=mine[4]).select_related("actor")
    submitters = {e.actor.username for e in events if e.action == Action.SUBMIT}  # type: ignore[union-attr]
    assert submitters == {"secretary"}


async def test_every_history_is_a_valid_sequence_of_steps(loaded: Settings) -> None:
    responses = {r.id: r for r in await Response.all().select_related("round")}
    events: dict[int, list[ResponseEvent]] = {}
    for event in await ResponseEvent.all().order_by("created_at", "id"):
        events.setdefault(event.response_id, []).append(event)
    now = timezone.now()

    for response_id, response in responses.items():
        state = S.NOT_STARTED
        for event in events.get(response_id, []):
            assert event.from_state == state
            after = transition(
                state,
                event.action,
                ACTOR_OF[event.action],
                round_open=True,
                reason=event.reason,
            )
            assert event.to_state == after
            assert event.created_at <= now
            assert event.actor_id is not None
            state = after
        assert state == response.state, response_id
        assert response.version >= len(events.get(response_id, []))


async def test_answers_are_what_the_site_would_store(loaded: Settings) -> None:
    for campaign in await Campaign.all().select_related("form_version"):
        form = campaign.form_version.form_definition()
        for response in await Response.filter(round__campaign=campaign):
            for key, value in response.answers.items():
                question = form.question(key)
                assert question is not None, key
                assert check_answer(question, value).value == value
            if response.state in SENT:
                assert missing_required(form, response.answers) == []


async def test_the_totals_are_worth_charting(loaded: Settings) -> None:
    sent = [r for r in await responses_of(await weekly()) if r.state in SENT]
    experts = [row for r in sent for row in r.answers.get("experts", [])]
    cases = [row for r in sent for row in r.answers.get("exemplary_cases", [])]

    assert sum(r.answers["members_reached"] for r in sent) > 10_000
    assert sum(r.answers["science_reach"] for r in sent) > 100_000
    assert len(experts) >= 20 and all(row["name"] and row["employer"] for row in experts)
    assert len(cases) >= 5
    assert any(r.answers.get("difficulties") for r in sent)
    assert any("funds" not in r.answers for r in sent)  # optional fields left empty
    assert await AnswerChange.all().count() >= 5


async def test_the_university_counts_its_branches_eight_roles(loaded: Settings) -> None:
    campaign = await Campaign.get(title=survey_demo.BRANCH_TITLE).select_related(
        "organiser", "form_version"
    )
    [round_] = await Round.filter(campaign=campaign)
    responses = await Response.filter(round=round_).select_related("organisation")
    form = campaign.form_version.form_definition()

    assert campaign.organiser.name == demo.UNIVERSITY
    assert campaign.schedule_kind == ScheduleKind.ONCE
    assert round_.is_open(timezone.now())
    names = sorted(r.organisation.name for r in responses)  # type: ignore[union-attr]
    assert names == sorted(demo.UNIVERSITY_BRANCHES)
    labels = [q.label for q in form.questions()]
    assert all(role in labels for role in ("参谋员", "技术员", "宣传员", "爱心员"))
    assert {r.state for r in responses} >= {S.NOT_STARTED, S.DRAFT, S.SUBMITTED, S.APPROVED}


async def test_loading_twice_adds_nothing(loaded: Settings) -> None:
    counts = [await model.all().count() for model in (Campaign, Round, Response, ResponseEvent)]

    assert not await demo.load(loaded)

    assert [await m.all().count() for m in (Campaign, Round, Response, ResponseEvent)] == counts


async def snapshot() -> list[tuple[Any, ...]]:
    rows = await Response.all().select_related("round__campaign", "organisation")
    return sorted(
        (r.round.campaign.title, r.round.number, r.organisation.name, r.state, str(r.answers))  # type: ignore[union-attr]
        for r in rows
    )


async def test_the_same_day_gives_the_same_reports(loaded: Settings) -> None:
    first = await snapshot()
    await empty_database()

    assert await demo.load(loaded)

    assert await snapshot() == first
