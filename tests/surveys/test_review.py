"""Review: the campaign's staff return (with a reason), approve and reopen responses;
nobody else can, and a refused step changes nothing."""

from __future__ import annotations

from surveys.models import Response, ResponseEvent
from surveys.states import ResponseState
from tests.conftest import post
from tests.surveys.test_tracker import (
    association_campaign,
    response_of,
    round_of,
    set_state,
    soup,
    weekly_campaign,
)

S = ResponseState


async def submitted_response(world, state: ResponseState = S.SUBMITTED) -> Response:  # type: ignore[no-untyped-def]
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    response = await response_of(first, world.society_a)
    await set_state(response, state, first.due_at)
    return await Response.get(id=response.id)


async def review(client, response: Response, **data: str):  # type: ignore[no-untyped-def]
    fields = {"version": str(response.version), **data}
    return await post(client, f"/reports/responses/{response.id}/review", fields)


async def test_approve_then_reopen_with_reason(world, as_user):
    response = await submitted_response(world)
    async with as_user("staff") as c:
        done = await review(c, response, action="approve")
        assert done.status_code == 303
        assert done.headers["location"] == f"/reports/responses/{response.id}?done=approve"
        approved = await Response.get(id=response.id)
        assert approved.state == S.APPROVED
        no_reason = await review(c, approved, action="reopen", reason="  ")
        assert no_reason.status_code == 400
        assert (await Response.get(id=response.id)).state == S.APPROVED
        reopened = await review(c, approved, action="reopen", reason="人数填错了")
        assert reopened.status_code == 303
    assert (await Response.get(id=response.id)).state == S.RETURNED
    events = await ResponseEvent.filter(response_id=response.id).order_by("id")
    assert [(e.action, e.reason, e.actor_id) for e in events] == [
        ("approve", "", world.staff.id),
        ("reopen", "人数填错了", world.staff.id),
    ]


async def test_return_needs_a_reason(world, as_english_user):
    response = await submitted_response(world, S.RESUBMITTED)
    async with as_english_user("staff") as c:
        refused = await review(c, response, action="return")
        assert refused.status_code == 400
        assert "Please give a reason." in refused.text
        assert (await Response.get(id=response.id)).state == S.RESUBMITTED
        too_long = await review(c, response, action="return", reason="x" * 501)
        assert too_long.status_code == 400 and "at most 500 characters" in too_long.text
        done = await review(c, response, action="return", reason="请补充专家名单")
    assert done.status_code == 303
    returned = await Response.get(id=response.id)
    assert returned.state == S.RETURNED
    assert await ResponseEvent.exists(response_id=response.id, reason="请补充专家名单")


async def test_steps_the_state_does_not_allow_are_refused(world, as_english_user):
    response = await submitted_response(world, S.NOT_STARTED)
    async with as_english_user("staff") as c:
        not_submitted = await review(c, response, action="approve")
        assert not_submitted.status_code == 400
        assert "has not been submitted yet" in not_submitted.text
        not_approved = await review(c, response, action="reopen", reason="x")
        assert not_approved.status_code == 400
        assert "Only an approved response can be reopened." in not_approved.text
        unknown = await review(c, response, action="save")
        assert unknown.status_code == 400
    assert (await Response.get(id=response.id)).state == S.NOT_STARTED
    assert not await ResponseEvent.exists(response_id=response.id)


async def test_a_stale_page_is_refused(world, as_english_user):
    response = await submitted_response(world)
    stale_version = response.version
    await Response.filter(id=response.id).update(version=stale_version + 1)
    async with as_english_user("staff") as c:
        refused = await review(c, response, action="approve")
        for odd in ("", "abc"):
            fields = {"version": odd, "action": "approve"}
            answer = await post(c, f"/reports/responses/{response.id}/review", fields)
            assert answer.status_code == 409, odd
    assert refused.status_code == 409
    assert "changed by someone else" in refused.text
    assert (await Response.get(id=response.id)).state == S.SUBMITTED


async def test_the_respondent_cannot_review_their_own_response(world, as_english_user):
    response = await submitted_response(world)
    async with as_english_user("sec_a") as c:
        for action in ("approve", "return", "reopen"):
            refused = await review(c, response, action=action, reason="x")
            assert refused.status_code == 403, action
            assert "Only the staff running the campaign" in refused.text
    assert (await Response.get(id=response.id)).state == S.SUBMITTED
    assert not await ResponseEvent.exists(response_id=response.id)


async def test_others_get_404(world, as_user):
    response = await submitted_response(world)
    for username in ("sec_b", "member_a", "outsider"):
        async with as_user(username) as c:
            answer = await review(c, response, action="approve")
            assert answer.status_code == 404, username
    assert (await Response.get(id=response.id)).state == S.SUBMITTED


async def test_society_a_reviews_its_branch_and_staff_may_too(world, as_user):
    campaign = await weekly_campaign(
        world, organiser=world.society_a, roster_organisations=[world.branch_a.id]
    )
    first = await round_of(campaign, 1)
    response = await response_of(first, world.branch_a)
    await set_state(response, S.SUBMITTED, first.due_at)
    response = await Response.get(id=response.id)
    async with as_user("sec_a") as c:
        assert (await review(c, response, action="approve")).status_code == 303
    assert (await Response.get(id=response.id)).state == S.APPROVED
    async with as_user("staff") as c:
        done = await review(c, await Response.get(id=response.id), action="reopen", reason="请核对")
    assert done.status_code == 303


async def test_the_panel_offers_the_actions_allowed_now(world, as_user):
    response = await submitted_response(world)
    async with as_user("staff") as c:
        page = soup((await c.get(f"/reports/responses/{response.id}")).text)
    panel = page.select_one("section.survey-review")
    assert panel is not None
    buttons = {b["value"] for b in panel.select("input[name=action]")}
    assert buttons == {"approve", "return"}
    assert panel.select_one("textarea[name=reason][required]") is not None
    versions = {i["value"] for i in panel.select("input[name=version]")}
    assert versions == {str(response.version)}
    async with as_user("sec_a") as c:
        own = soup((await c.get(f"/reports/responses/{response.id}")).text)
    assert own.select_one("section.survey-review") is None


async def test_after_approving_the_panel_says_so_and_offers_reopen(world, as_user):
    response = await submitted_response(world)
    async with as_user("staff") as c:
        done = await review(c, response, action="approve")
        page = soup((await c.get(done.headers["location"])).text)
    panel = page.select_one("section.survey-review")
    assert panel is not None
    assert panel.select_one(".alert.success") is not None
    assert {b["value"] for b in panel.select("input[name=action]")} == {"reopen"}
