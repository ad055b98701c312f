"""撤回: a secretary pulls a submitted report back before it is reviewed."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from bs4 import BeautifulSoup
from tortoise import timezone

from surveys.models import Response, ResponseEvent
from surveys.states import ResponseState
from tests.conftest import World, csrf_token
from tests.survey_helpers import make_campaign, open_round, response_of, weekly_answers


def page(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def report(world: World, state: ResponseState, **round_options: object) -> Response:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(
        campaign,
        answers={world.society_a.id: weekly_answers()},
        states={world.society_a.id: state},
        **round_options,  # type: ignore[arg-type]
    )
    return await response_of(round_, world.society_a)


async def withdraw(c: httpx.AsyncClient, response: Response) -> httpx.Response:
    """Press 撤回 on the report page as it is shown."""
    shown = page(await c.get(f"/reports/responses/{response.id}"))
    form = shown.select_one("form.survey-withdraw")
    assert form is not None, "no 撤回 button"
    data = {i["name"]: i["value"] for i in form.select("input")}
    return await c.post(form["action"], data=data)


async def post_withdraw(c: httpx.AsyncClient, response: Response) -> httpx.Response:
    """Send 撤回 without the button (a stale page or a second tab)."""
    shown = page(await c.get(f"/reports/responses/{response.id}"))
    token = shown.select_one("input[name=csrf_token]")["value"]
    return await c.post(
        f"/reports/responses/{response.id}/withdraw",
        data={"csrf_token": token, "version": str(response.version)},
    )


async def test_a_submitted_report_is_withdrawn_to_draft_and_the_history_says_so(
    world: World, as_user
) -> None:
    response = await report(world, ResponseState.SUBMITTED)
    async with as_user("sec_a") as c:
        done = await withdraw(c, response)
        assert done.status_code == 303
        shown = page(await c.get(done.headers["location"]))
        history = page(await c.get(f"/reports/responses/{response.id}/history"))
    assert "已撤回" in shown.select_one(".alert.success").get_text()
    assert shown.select_one("#response-form.survey-editable") is not None  # editable again
    after = await Response.get(id=response.id)
    assert after.state == ResponseState.DRAFT and after.answers == response.answers
    event = await ResponseEvent.filter(response_id=response.id).order_by("-id").first()
    assert event is not None and (event.action, event.from_state, event.to_state) == (
        "withdraw",
        ResponseState.SUBMITTED,
        ResponseState.DRAFT,
    )
    steps = history.select_one(".survey-events").get_text()
    assert "撤回" in steps


async def test_the_tracker_shows_a_withdrawn_report_as_draft(world: World, as_user) -> None:
    response = await report(world, ResponseState.SUBMITTED)
    async with as_user("sec_a") as c:
        assert (await withdraw(c, response)).status_code == 303
    async with as_user("staff") as staff:
        tracker = page(await staff.get(f"/reports/rounds/{response.round.id}"))
    row = next(
        r
        for r in tracker.select("table.survey-tracker tbody tr")
        if world.society_a.name in r.get_text()
    )
    assert "survey-state-draft" in row.select_one(".survey-state")["class"]


async def test_a_resubmitted_report_goes_back_to_returned(world: World, as_user) -> None:
    response = await report(world, ResponseState.RESUBMITTED)
    async with as_user("sec_a") as c:
        assert (await withdraw(c, response)).status_code == 303
    assert (await Response.get(id=response.id)).state == ResponseState.RETURNED


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (ResponseState.APPROVED, "已审核通过，不能再撤回"),
        (ResponseState.RETURNED, "已被退回修改"),
        (ResponseState.DRAFT, "尚未提交"),
    ],
)
async def test_it_refuses_to_withdraw_what_is_not_awaiting_review(
    world: World, as_user, state: ResponseState, message: str
) -> None:
    response = await report(world, state)
    events_before = await ResponseEvent.filter(response_id=response.id).count()
    async with as_user("sec_a") as c:
        shown = page(await c.get(f"/reports/responses/{response.id}"))
        assert shown.select_one("form.survey-withdraw") is None  # no button offered
        refused = await post_withdraw(c, response)
    assert refused.status_code == 409
    assert message in page(refused).select_one(".error-summary").get_text()
    after = await Response.get(id=response.id)
    assert after.state == state and after.version == response.version
    assert await ResponseEvent.filter(response_id=response.id).count() == events_before


async def test_it_refuses_to_withdraw_in_a_closed_round(world: World, as_user) -> None:
    response = await report(
        world, ResponseState.SUBMITTED, closed_at=timezone.now() - timedelta(minutes=1)
    )
    async with as_user("sec_a") as c:
        refused = await post_withdraw(c, response)
    assert refused.status_code == 409
    assert "已截止" in page(refused).select_one(".error-summary").get_text()
    assert (await Response.get(id=response.id)).state == ResponseState.SUBMITTED


async def test_a_withdrawal_after_the_reviewer_acted_is_refused(world: World, as_user) -> None:
    response = await report(world, ResponseState.SUBMITTED)
    async with as_user("sec_a") as c:
        shown = page(await c.get(f"/reports/responses/{response.id}"))
        form = shown.select_one("form.survey-withdraw")
        data = {i["name"]: i["value"] for i in form.select("input")}
        # Meanwhile staff approve it.
        await Response.filter(id=response.id).update(
            state=ResponseState.APPROVED, version=response.version + 1
        )
        refused = await c.post(form["action"], data=data)
    assert refused.status_code == 409
    assert (await Response.get(id=response.id)).state == ResponseState.APPROVED


async def test_only_the_respondent_withdraws(world: World, as_user) -> None:
    response = await report(world, ResponseState.SUBMITTED)
    async with as_user("staff") as staff:
        shown = page(await staff.get(f"/reports/responses/{response.id}"))
        assert shown.select_one("form.survey-withdraw") is None
        refused = await post_withdraw(staff, response)
        assert refused.status_code == 409
    async with as_user("sec_b") as other:
        data = {"csrf_token": await csrf_token(other, "/profile"), "version": "1"}
        assert (
            await other.post(f"/reports/responses/{response.id}/withdraw", data=data)
        ).status_code == 404
    assert (await Response.get(id=response.id)).state == ResponseState.SUBMITTED
