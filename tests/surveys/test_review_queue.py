"""The review queue (待审核): the staff home page counts the reports awaiting review per
round; the queue lists them oldest first; "approve and next" and "return and next" walk
through it; nobody sees reports of rounds they do not run."""

from __future__ import annotations

from datetime import timedelta

from intranet.models import Membership
from surveys import review
from surveys.models import Response
from surveys.states import ResponseState
from tests.conftest import post
from tests.surveys.test_tracker import (
    association_campaign,
    response_of,
    round_of,
    set_state,
    soup,
)

S = ResponseState


async def two_rounds_waiting(world):  # type: ignore[no-untyped-def]
    """Round 1: A submitted an hour after the deadline, B resubmitted at it (so B has
    waited longer); round 2: A submitted. Round 3 has nothing submitted."""
    campaign = await association_campaign(world)
    first, second = await round_of(campaign, 1), await round_of(campaign, 2)
    a1, b1 = await response_of(first, world.society_a), await response_of(first, world.society_b)
    a2 = await response_of(second, world.society_a)
    await set_state(a1, S.SUBMITTED, first.due_at + timedelta(hours=1))
    await set_state(b1, S.RESUBMITTED, first.due_at)
    await set_state(a2, S.SUBMITTED, second.due_at)
    return first, second, a1, b1, a2


async def version_of(response: Response) -> str:
    return str((await Response.get(id=response.id)).version)


def names_in_queue(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        a.get_text(strip=True) for a in page.select(".survey-review-queue .survey-report-title")
    ]


async def held_by(user) -> list[Membership]:  # type: ignore[no-untyped-def]
    return list(await Membership.filter(user_id=user.id).select_related("organisation"))


async def test_it_counts_reports_awaiting_review_per_round(world):
    first, second, *_ = await two_rounds_waiting(world)
    lines = await review.rounds_waiting(await held_by(world.staff))
    assert [(line.round.id, line.count) for line in lines] == [(first.id, 2), (second.id, 1)]
    # A secretary answers these reports; she does not review them.
    assert await review.rounds_waiting(await held_by(world.secretary_a)) == []


async def test_it_shows_the_counts_on_the_staff_home_page(world, as_english_user):
    first, _second, *_ = await two_rounds_waiting(world)
    async with as_english_user("staff") as c:
        home = soup((await c.get("/")).text)
    items = home.select("ul.attention li.review")
    assert [li.get_text(" ", strip=True) for li in items] == [
        "Awaiting review: 疫情防控工作进展周报, round 1 2 reports",
        "Awaiting review: 疫情防控工作进展周报, round 2 1 report",
    ]
    assert items[0].a["href"] == f"/reports/review?round={first.id}"
    async with as_english_user("sec_a") as c:
        secretary_home = soup((await c.get("/")).text)
    assert secretary_home.select("ul.attention li.review") == []


async def test_the_queue_lists_the_oldest_first_and_filters_by_round(world, as_user):
    first, *_ = await two_rounds_waiting(world)
    async with as_user("staff") as c:
        page = soup((await c.get("/reports/review")).text)
        one_round = await c.get(f"/reports/review?round={first.id}", headers={"HX-Request": "true"})
        foreign = soup((await c.get("/reports/review?round=999999")).text)
    # B resubmitted at the deadline of round 1, A an hour later; round 2 came after.
    assert names_in_queue(page) == ["辽宁省医学会", "辽宁省计算机学会", "辽宁省计算机学会"]
    assert "<html" not in one_round.text and "hx-request" in one_round.headers["vary"].lower()
    assert names_in_queue(soup(one_round.text)) == ["辽宁省医学会", "辽宁省计算机学会"]
    current = soup(one_round.text).select_one("[aria-current]")
    assert current is not None and current["href"] == f"/reports/review?round={first.id}"
    # A round that is not one of theirs (or has nothing waiting) shows the whole queue.
    assert len(names_in_queue(foreign)) == 3


async def test_the_queue_shows_others_nothing(world, as_user):
    await two_rounds_waiting(world)
    for who in ("sec_a", "member_a", "outsider"):
        async with as_user(who) as c:
            page = await c.get("/reports/review")
        assert page.status_code == 200
        assert names_in_queue(soup(page.text)) == [], who
        assert soup(page.text).select_one(".survey-review-empty") is not None


async def test_approve_and_next_walks_the_queue_then_says_it_is_empty(world, as_english_user):
    _, _, a1, b1, a2 = await two_rounds_waiting(world)
    async with as_english_user("staff") as c:
        # Approving B (the oldest) leads to A in the same round, saying B was approved.
        done = await post(
            c,
            f"/reports/responses/{b1.id}/review",
            {"action": "approve", "then": "next", "version": await version_of(b1)},
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/reports/responses/{a1.id}?done=approve_next"
        page = soup((await c.get(done.headers["location"])).text)
        assert "The previous report has been approved" in page.select_one(".alert.success").text
        # The panel offers both "... and next" buttons while the report awaits review.
        buttons = [b.get_text(strip=True) for b in page.select(".survey-review button")]
        assert "Approve and next" in buttons and "Return and next" in buttons
        # Returning A without a reason is refused and stays put.
        refused = await post(
            c,
            f"/reports/responses/{a1.id}/review",
            {"action": "return", "then": "next", "version": await version_of(a1)},
        )
        assert refused.status_code == 400 and "Please give a reason." in refused.text
        assert (await Response.get(id=a1.id)).state == S.SUBMITTED
        # With a reason, on to round 2's report (nothing more in round 1).
        returned = await post(
            c,
            f"/reports/responses/{a1.id}/review",
            {
                "action": "return",
                "then": "next",
                "reason": "请补充专家名单",
                "version": await version_of(a1),
            },
        )
        assert returned.headers["location"] == f"/reports/responses/{a2.id}?done=return_next"
        last = await post(
            c,
            f"/reports/responses/{a2.id}/review",
            {"action": "approve", "then": "next", "version": await version_of(a2)},
        )
        assert last.headers["location"] == "/reports/review?done=approve"
        empty = soup((await c.get(last.headers["location"])).text)
    assert "Nothing else awaits your review" in empty.select_one(".alert.success").text
    assert empty.select_one(".survey-review-empty") is not None
    states = {r.id: r.state for r in await Response.filter(id__in=[a1.id, b1.id, a2.id])}
    assert states == {b1.id: S.APPROVED, a1.id: S.RETURNED, a2.id: S.APPROVED}


async def test_a_plain_approval_stays_on_the_report(world, as_user):
    _, _, a1, *_ = await two_rounds_waiting(world)
    async with as_user("staff") as c:
        done = await post(
            c,
            f"/reports/responses/{a1.id}/review",
            {"action": "approve", "version": await version_of(a1)},
        )
    assert done.headers["location"] == f"/reports/responses/{a1.id}?done=approve"
