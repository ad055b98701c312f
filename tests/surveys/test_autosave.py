"""Autosave (see surveys.views.responses): nothing lost, nothing
overwritten, whatever order saves from two tabs or two people arrive in."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from tortoise import timezone

from surveys.models import AnswerChange, Response, ResponseEvent, Round
from surveys.states import ResponseState
from tests.conftest import World, csrf_token
from tests.survey_helpers import make_campaign, open_round, response_of, weekly_answers


async def setup(world: World, **round_options: Any) -> Response:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(campaign, **round_options)
    return await response_of(round_, world.society_a)


async def token_for(c: httpx.AsyncClient, response: Response) -> str:
    return await csrf_token(c, f"/reports/responses/{response.id}")


async def save(
    c: httpx.AsyncClient, response: Response, key: str, value: Any, base: Any = "", *, token: str
) -> httpx.Response:
    return await c.post(
        f"/reports/responses/{response.id}/answers/{key}",
        data={"value": value, "base": base, "version": "0"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )


async def stored(response: Response) -> Response:
    return await Response.get(id=response.id)


async def test_a_save_answers_with_the_new_base_and_version(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        token = await token_for(c, response)
        reply = await save(c, response, "online_meetings", " 12 ", token=token)
        assert reply.status_code == 200
        soup = BeautifulSoup(reply.text, "html.parser")
        base = soup.select_one("#base-online_meetings[hx-swap-oob] input")
        assert base is not None and base["value"] == "12"
        assert soup.select_one("#response-version[hx-swap-oob]")["value"] == "1"
        assert soup.select_one(".q-saved") is not None
        assert reply.headers["x-response-version"] == "1"
        # The same value again is a repeat: 200, nothing new written.
        again = await save(c, response, "online_meetings", "12", base="", token=token)
        assert again.status_code == 200
        assert (await stored(response)).version == 1
        assert await AnswerChange.filter(response_id=response.id).count() == 1


async def test_two_tabs_on_different_fields_both_save(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as one, as_user("sec_a") as two:
        t1, t2 = await token_for(one, response), await token_for(two, response)
        assert (await save(one, response, "online_meetings", "3", token=t1)).status_code == 200
        assert (await save(two, response, "members_reached", "40", token=t2)).status_code == 200
    answers = (await stored(response)).answers
    assert answers == {"online_meetings": 3, "members_reached": 40}
    assert (await stored(response)).version == 2


async def test_two_tabs_on_one_field_the_second_sees_the_first(
    world: World, as_english_user
) -> None:
    response = await setup(world)
    async with as_english_user("sec_a") as one, as_english_user("sec_a") as two:
        t1, t2 = await token_for(one, response), await token_for(two, response)
        assert (await save(one, response, "online_meetings", "3", token=t1)).status_code == 200
        clash = await save(two, response, "online_meetings", "5", base="", token=t2)
        assert clash.status_code == 409
        soup = BeautifulSoup(clash.text, "html.parser")
        assert soup.select_one(".q-theirs").get_text(strip=True).startswith("3")
        assert soup.select_one(".q-mine").get_text(strip=True).startswith("5")
        assert "changed this answer" in clash.text
        # Keeping one's own version names the other's as its base.
        kept = await save(two, response, "online_meetings", "5", base="3", token=t2)
        assert kept.status_code == 200
    assert (await stored(response)).answers["online_meetings"] == 5
    changes = await AnswerChange.filter(response_id=response.id).order_by("id")
    assert [(c.old_value, c.new_value) for c in changes] == [(None, 3), (3, 5)]


async def test_save_after_submit_is_refused(world: World, as_english_user) -> None:
    response = await setup(world, states={world.society_a.id: ResponseState.SUBMITTED})
    async with as_english_user("sec_a") as c:
        reply = await save(c, response, "online_meetings", "3", token=await token_for(c, response))
    assert reply.status_code == 409
    assert "read-only" in reply.text
    assert (await stored(response)).answers == {}


async def test_save_to_a_closed_round_is_refused(world: World, as_english_user) -> None:
    response = await setup(world)
    await Round.filter(id=response.round.id).update(closed_at=timezone.now() - timedelta(minutes=1))
    async with as_english_user("sec_a") as c:
        reply = await save(c, response, "online_meetings", "3", token=await token_for(c, response))
    assert reply.status_code == 409
    assert "round is closed" in reply.text
    assert (await stored(response)).version == 0


async def test_a_returned_response_stays_returned_while_edited(world: World, as_user) -> None:
    response = await setup(
        world,
        states={world.society_a.id: ResponseState.RETURNED},
        answers={world.society_a.id: weekly_answers()},
    )
    async with as_user("sec_a") as c:
        reply = await save(
            c, response, "online_meetings", "4", base="3", token=await token_for(c, response)
        )
    assert reply.status_code == 200
    after = await stored(response)
    assert after.state == ResponseState.RETURNED and after.answers["online_meetings"] == 4
    assert await ResponseEvent.filter(response_id=response.id).count() == 0


@pytest.mark.parametrize("typed", ["abc", "1e999", "nan", "12,34"])
async def test_numbers_that_are_not_numbers_are_refused(world: World, as_user, typed: str) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        reply = await save(
            c, response, "online_meetings", typed, token=await token_for(c, response)
        )
    assert reply.status_code == 422
    assert BeautifulSoup(reply.text, "html.parser").select_one("p.error").get_text(strip=True)
    assert (await stored(response)).version == 0
    assert await AnswerChange.filter(response_id=response.id).count() == 0


@pytest.mark.parametrize(
    ("typed", "kept"), [("１２３", 123), ("1,234", 1234), (" 1 234 ", 1234), ("  7  ", 7)]
)
async def test_numbers_as_people_type_them(world: World, as_user, typed: str, kept: int) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        reply = await save(
            c, response, "members_reached", typed, token=await token_for(c, response)
        )
    assert reply.status_code == 200
    assert (await stored(response)).answers == {"members_reached": kept}


async def test_decimals_are_kept_exactly(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        reply = await save(c, response, "funds", "12.50", token=await token_for(c, response))
    assert reply.status_code == 200
    assert (await stored(response)).answers == {"funds": "12.5"}
    change = await AnswerChange.get(response_id=response.id)
    assert change.new_value == "12.5"


async def test_concurrent_saves_of_one_field_one_wins(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as one, as_user("sec_a") as two:
        t1, t2 = await token_for(one, response), await token_for(two, response)
        replies = await asyncio.gather(
            save(one, response, "online_meetings", "1", token=t1),
            save(two, response, "online_meetings", "2", token=t2),
        )
    assert sorted(r.status_code for r in replies) == [200, 409]
    winner = "1" if replies[0].status_code == 200 else "2"
    after = await stored(response)
    assert after.answers == {"online_meetings": int(winner)} and after.version == 1
    changes = await AnswerChange.filter(response_id=response.id)
    assert [c.new_value for c in changes] == [int(winner)]


async def test_concurrent_saves_of_many_fields_all_land(world: World, as_user) -> None:
    response = await setup(world)
    keys = ["online_meetings", "members_reached", "science_items", "science_reach"]
    async with as_user("sec_a") as c:
        token = await token_for(c, response)
        replies = await asyncio.gather(*(save(c, response, k, "9", token=token) for k in keys))
    assert [r.status_code for r in replies] == [200] * 4
    after = await stored(response)
    assert after.answers == dict.fromkeys(keys, 9) and after.version == 4
    assert await AnswerChange.filter(response_id=response.id).count() == 4


async def test_one_autosave_costs_few_queries(world: World, as_user, queries: list[str]) -> None:
    response = await setup(world, states={world.society_a.id: ResponseState.DRAFT})
    async with as_user("sec_a") as c:
        token = await token_for(c, response)
        queries.clear()
        reply = await save(c, response, "online_meetings", "3", token=token)
    assert reply.status_code == 200
    # session, memberships, the response with its round, campaign and form, the
    # conditional update and the history row: five statements (four on PostgreSQL,
    # where the update and the history row are one).
    assert len(queries) <= 5, queries
    assert sum('UPDATE "survey_response"' in q for q in queries) == 1


async def test_a_save_without_a_value_is_malformed(world: World, as_user) -> None:
    response = await setup(world, answers={world.society_a.id: {"online_meetings": 3}})
    async with as_user("sec_a") as c:
        reply = await c.post(
            f"/reports/responses/{response.id}/answers/online_meetings",
            data={"base": "3"},
            headers={"X-CSRF-Token": await token_for(c, response), "HX-Request": "true"},
        )
        unknown = await save(
            c, response, "no_such_question", "1", token=await token_for(c, response)
        )
    assert reply.status_code == 400
    assert unknown.status_code == 404
    assert (await stored(response)).answers == {"online_meetings": 3}


async def test_unticking_every_box_clears_a_multiple_choice(world: World, as_user) -> None:
    response = await setup(world, answers={world.society_a.id: {"channels": ["wechat"]}})
    async with as_user("sec_a") as c:
        reply = await c.post(
            f"/reports/responses/{response.id}/answers/channels",
            data={"base": "wechat"},
            headers={"X-CSRF-Token": await token_for(c, response), "HX-Request": "true"},
        )
    assert reply.status_code == 200
    assert (await stored(response)).answers == {}


async def test_double_submit_is_told_kindly(world: World, as_english_user) -> None:
    response = await setup(
        world,
        states={world.society_a.id: ResponseState.SUBMITTED},
        answers={world.society_a.id: weekly_answers()},
    )
    async with as_english_user("sec_a") as c:
        token = await token_for(c, response)
        again = await c.post(f"/reports/responses/{response.id}/submit", data={"csrf_token": token})
    assert again.status_code == 409
    assert "already been submitted" in again.text
    assert await ResponseEvent.filter(response_id=response.id).count() == 0
