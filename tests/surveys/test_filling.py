"""Filling in a report through the pages: the list, the page, save, submit, prefill."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
from bs4 import BeautifulSoup
from tortoise import timezone

from surveys.examples import weekly_progress_form
from surveys.models import AnswerChange, Campaign, Response, ResponseEvent
from surveys.schema import Respondent
from surveys.states import ResponseState
from tests.conftest import World, csrf_token
from tests.survey_helpers import make_campaign, open_round, response_of, weekly_answers


async def setup(world: World, **round_options: Any) -> Response:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(campaign, **round_options)
    return await response_of(round_, world.society_a)


def page(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def save(
    c: httpx.AsyncClient, response_id: int, key: str, value: Any, base: Any = "", token: str = ""
) -> httpx.Response:
    token = token or await csrf_token(c, f"/reports/responses/{response_id}")
    return await c.post(
        f"/reports/responses/{response_id}/answers/{key}",
        data={"value": value, "base": base, "version": "0"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )


def whole_form(soup: BeautifulSoup) -> dict[str, Any]:
    """Every field of the response form as the browser would send it."""
    form = soup.select_one("#response-form")
    assert form is not None
    data: dict[str, list[str]] = {}
    for element in form.select("input, textarea, select"):
        name = element.get("name")
        if not name or element.get("type") in ("file", "submit"):
            continue
        if element.find_parent("template"):
            continue
        if element.get("type") == "checkbox" and not element.has_attr("checked"):
            continue
        if element.name == "select":
            chosen = element.select_one("option[selected]")
            value = chosen.get("value", "") if chosen else ""
        elif element.name == "textarea":
            value = element.text
        else:
            value = element.get("value", "")
        data.setdefault(str(name), []).append(str(value))
    return data


async def test_the_secretary_fills_in_saves_and_submits(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        listing = await c.get("/reports")
        assert listing.status_code == 200
        assert page(listing).select_one(f'a[href="/reports/responses/{response.id}"]')
        shown = await c.get(f"/reports/responses/{response.id}")
        assert shown.status_code == 200
        soup = page(shown)
        assert soup.select_one("#input-online_meetings")["inputmode"] == "numeric"
        saved = await save(c, response.id, "online_meetings", "１，２３４")
        assert saved.status_code == 200, saved.text
        assert saved.headers["x-response-version"] == "1"
        stored = await Response.get(id=response.id)
        assert stored.answers == {"online_meetings": 1234}
        assert stored.state == ResponseState.DRAFT
        assert await ResponseEvent.filter(response_id=response.id).count() == 1
        assert await AnswerChange.filter(response_id=response.id).count() == 1
        # Submit the whole form with the rest filled in.
        data = whole_form(page(await c.get(f"/reports/responses/{response.id}")))
        answers = weekly_answers()
        for key, value in answers.items():
            if key != "duty_roster":
                data[f"q.{key}"] = [str(value)]
        data["q.duty_roster"] = ["yes"]
        submitted = await c.post(f"/reports/responses/{response.id}/submit", data=data)
        assert submitted.status_code == 303, submitted.text
        stored = await Response.get(id=response.id)
        assert stored.state == ResponseState.SUBMITTED
        assert stored.answers["members_reached"] == 120


async def test_submit_lists_every_missing_field_with_links(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        data = whole_form(page(await c.get(f"/reports/responses/{response.id}")))
        refused = await c.post(f"/reports/responses/{response.id}/submit", data=data)
    assert refused.status_code == 422
    links = [a["href"] for a in page(refused).select(".error-summary a")]
    required = [
        "online_meetings",
        "members_reached",
        "science_items",
        "science_reach",
        "advice_submitted",
        "duty_roster",
    ]
    assert links == [f"#field-{key}" for key in required]
    assert (await Response.get(id=response.id)).state == ResponseState.NOT_STARTED


async def test_submit_lists_invalid_and_missing_and_keeps_what_was_typed(
    world: World, as_user
) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        data = whole_form(page(await c.get(f"/reports/responses/{response.id}")))
        data["q.online_meetings"] = ["lots"]
        refused = await c.post(f"/reports/responses/{response.id}/submit", data=data)
    assert refused.status_code == 422
    soup = page(refused)
    assert soup.select_one('.error-summary a[href="#field-online_meetings"]')
    assert soup.select_one("#input-online_meetings")["value"] == "lots"
    assert (await Response.get(id=response.id)).version == 0


async def test_no_javascript_save_and_its_conflict(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as one, as_user("sec_a") as two:
        form_one = whole_form(page(await one.get(f"/reports/responses/{response.id}")))
        form_two = whole_form(page(await two.get(f"/reports/responses/{response.id}")))
        form_one["q.members_reached"] = ["50"]
        saved = await one.post(f"/reports/responses/{response.id}/save", data=form_one)
        assert saved.status_code == 303
        form_two["q.members_reached"] = ["60"]
        form_two["q.science_items"] = ["2"]
        clash = await two.post(f"/reports/responses/{response.id}/save", data=form_two)
    assert clash.status_code == 409
    soup = page(clash)
    assert soup.select_one("#field-members_reached .q-theirs").get_text(strip=True).startswith("50")
    assert soup.select_one("#input-members_reached")["value"] == "60"  # what was typed stays
    assert soup.select_one("#input-science_items")["value"] == "2"
    assert (await Response.get(id=response.id)).answers == {"members_reached": 50}


async def test_table_rows_save_without_javascript(world: World, as_user) -> None:
    response = await setup(world)
    async with as_user("sec_a") as c:
        data = whole_form(page(await c.get(f"/reports/responses/{response.id}")))
        data["q.experts.0.name"] = ["张三"]
        data["q.experts.0.employer"] = ["东北大学"]
        saved = await c.post(f"/reports/responses/{response.id}/save", data=data)
        assert saved.status_code == 303
        soup = page(await c.get(f"/reports/responses/{response.id}"))
        assert len(soup.select("#field-experts tbody tr")) == 2  # the row and a spare
    rows = (await Response.get(id=response.id)).answers["experts"]
    assert rows == [{"name": "张三", "employer": "东北大学", "speciality": None, "phone": None}]


async def test_a_half_filled_row_is_saved_and_submission_names_its_empty_cells(
    world: World, as_user
) -> None:
    response = await setup(world, answers={world.society_a.id: weekly_answers()})
    async with as_user("sec_a") as c:
        rows = [{"name": "王教授", "employer": "东北大学"}, {"name": "赵思源"}]
        saved = await save(c, response.id, "experts", json.dumps(rows, ensure_ascii=False))
        assert saved.status_code == 200, saved.text
        hint = BeautifulSoup(saved.text, "html.parser").select_one(".q-hint")
        assert hint is not None and "第2行「单位」" in hint.get_text()
        stored = (await Response.get(id=response.id)).answers["experts"]
        assert [row["name"] for row in stored] == ["王教授", "赵思源"]
        shown = page(await c.get(f"/reports/responses/{response.id}"))
        assert "第2行「单位」" in shown.select_one("#feedback-experts .q-hint").get_text()
        data = whole_form(shown)
        refused = await c.post(f"/reports/responses/{response.id}/submit", data=data)
    assert refused.status_code == 422
    assert page(refused).select_one("#feedback-experts .q-hint") is None  # the error says it
    listed = [a.get_text(" ", strip=True) for a in page(refused).select(".error-summary li a")]
    assert listed == ["储备专家名单 第2行「单位」: 此题必须作答。"], listed
    assert (await Response.get(id=response.id)).state != ResponseState.SUBMITTED


async def previous_round(world: World, answers: dict[str, Any]) -> tuple[Response, Response]:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    first = await open_round(
        campaign,
        1,
        answers={world.society_a.id: answers},
        states={world.society_a.id: ResponseState.APPROVED},
    )
    second = await open_round(campaign, 2)
    return await response_of(first, world.society_a), await response_of(second, world.society_a)


async def test_copy_from_the_previous_round(world: World, as_user) -> None:
    _, response = await previous_round(world, weekly_answers(gone_question=1))
    async with as_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{response.id}")
        copied = await c.post(
            f"/reports/responses/{response.id}/prefill", data={"mode": "copy", "csrf_token": token}
        )
        assert copied.status_code == 303
    after = await Response.get(id=response.id)
    assert after.answers == weekly_answers()  # only keys this form has
    assert await AnswerChange.filter(response_id=response.id).count() == len(weekly_answers())


async def test_cumulative_totals_count_earlier_submitted_rounds(world: World, as_user) -> None:
    _, response = await previous_round(world, weekly_answers(online_meetings=4))
    await Response.filter(id=response.id).update(answers={"online_meetings": 3}, version=1)
    async with as_user("sec_a") as c:
        soup = page(await c.get(f"/reports/responses/{response.id}"))
    total = soup.select_one("#field-online_meetings .q-total").get_text()
    assert "4" in total and "7" in total


async def test_history_shows_changes_and_what_changed_since_the_return(
    world: World, as_user
) -> None:
    response = await setup(world, states={world.society_a.id: ResponseState.DRAFT})
    async with as_user("sec_a") as c:
        await save(c, response.id, "online_meetings", "3")
        await ResponseEvent.create(
            response_id=response.id,
            action="return",
            from_state="submitted",
            to_state="returned",
            reason="数字有误",
        )
        await Response.filter(id=response.id).update(state=ResponseState.RETURNED)
        await save(c, response.id, "online_meetings", "5", base="3")
        history = await c.get(f"/reports/responses/{response.id}/history")
    assert history.status_code == 200
    soup = page(history)
    assert len(soup.select(".survey-changes tbody tr")) == 2
    since = soup.select_one(".survey-since")
    assert since is not None and "数字有误" in since.text
    assert since.select_one("del").get_text(strip=True).startswith("3")
    assert since.select_one("ins").get_text(strip=True).startswith("5")


async def test_home_page_lists_what_is_due_and_overdue(world: World, as_user) -> None:
    response = await setup(world, due_at=timezone.now() - timedelta(hours=2))
    async with as_user("sec_a") as c:
        home = await c.get("/")
        assert home.status_code == 200
        item = page(home).select_one(
            f'.attention li.overdue a[href="/reports/responses/{response.id}"]'
        )
        assert item is not None
        listing = page(await c.get("/reports"))
        assert listing.select_one(
            f'.survey-reports-overdue a[href="/reports/responses/{response.id}"]'
        )
    async with as_user("sec_b") as other:
        home = await other.get("/")
        assert f'/reports/responses/{response.id}"' not in home.text


async def test_a_per_person_form_is_answered_by_each_person(world: World, as_user) -> None:
    definition = replace(weekly_progress_form(), respondent=Respondent.PERSON, title="建言献策")
    campaign = await make_campaign(world.association, [world.society_a], definition)
    round_ = await open_round(campaign)
    async with as_user("member_a") as c:
        listing = page(await c.get("/reports"))
        start = listing.select_one(f'form[action="/reports/rounds/{round_.id}/start"]')
        assert start is not None
        token = start.select_one("input[name=csrf_token]")["value"]
        first, second = await asyncio.gather(
            c.post(f"/reports/rounds/{round_.id}/start", data={"csrf_token": token}),
            c.post(f"/reports/rounds/{round_.id}/start", data={"csrf_token": token}),
        )
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        response = await Response.get(round_id=round_.id, user_id=world.member_a.id)
        assert await save(c, response.id, "online_meetings", "2") is not None
        assert (await Response.get(id=response.id)).answers == {"online_meetings": 2}
    async with as_user("sec_b") as other:
        assert (await other.get(f"/reports/responses/{response.id}")).status_code == 404
        token = await csrf_token(other, "/profile")
        refused = await other.post(f"/reports/rounds/{round_.id}/start", data={"csrf_token": token})
        assert refused.status_code == 404


async def test_the_reviewer_sees_the_answers_and_the_review_panel(world: World, as_user) -> None:
    response = await setup(world, states={world.society_a.id: ResponseState.SUBMITTED})
    await Response.filter(id=response.id).update(answers=weekly_answers())
    async with as_user("staff") as c:
        soup = page(await c.get(f"/reports/responses/{response.id}"))
    assert soup.select_one(".survey-review") is not None
    assert "120" in soup.select_one("#field-members_reached .q-value").get_text()
    assert soup.select_one("#response-form button[type=submit]") is None


async def test_table_rows_are_added_and_removed_without_javascript(world: World, as_user) -> None:
    rows = [{"name": "甲", "employer": "单位甲"}, {"name": "乙", "employer": "单位乙"}]
    response = await setup(world, answers={world.society_a.id: {"experts": rows}})
    async with as_user("sec_a") as c:
        data = whole_form(page(await c.get(f"/reports/responses/{response.id}")))
        added = await c.post(
            f"/reports/responses/{response.id}/save", data={**data, "add_row": "experts"}
        )
        assert added.status_code == 303 and "add=experts" in added.headers["location"]
        soup = page(await c.get(added.headers["location"]))
        assert len(soup.select("#field-experts tbody tr")) == 2 + 3
        data = whole_form(soup)
        # A row's Remove asks first, naming the row; nothing is removed yet.
        asked = await c.post(
            f"/reports/responses/{response.id}/save", data={**data, "remove_row": "experts.0"}
        )
        assert asked.status_code == 303 and "remove=experts.0" in asked.headers["location"]
        rows_now = (await Response.get(id=response.id)).answers["experts"]
        assert [row["name"] for row in rows_now] == ["甲", "乙"]
        soup = page(await c.get(asked.headers["location"]))
        confirm = soup.select_one("#confirm-remove-experts")
        assert confirm is not None and "甲" in confirm.get_text()
        assert "第1行" in confirm.get_text()
        button = confirm.select_one("button[name=remove_row_confirmed]")
        assert button is not None and button["value"] == "experts.0"
        # The form's first submit button is a plain Save: Enter never removes a row.
        first = soup.select_one("#response-form button[type=submit]")
        assert first is not None and not first.get("name") and first.has_attr("data-default-save")
        removed = await c.post(
            f"/reports/responses/{response.id}/save",
            data={**whole_form(soup), "remove_row_confirmed": "experts.0"},
        )
        assert removed.status_code == 303
    kept = (await Response.get(id=response.id)).answers["experts"]
    assert [row["name"] for row in kept] == ["乙"]


async def test_a_per_person_form_sent_to_a_category(world: World, as_user) -> None:
    definition = replace(weekly_progress_form(), respondent=Respondent.PERSON, title="建言献策")
    campaign = await make_campaign(world.association, [], definition)
    await Campaign.filter(id=campaign.id).update(roster_categories=[world.medicine.id])
    campaign = await Campaign.get(id=campaign.id)
    round_ = await open_round(campaign)
    async with as_user("sec_b") as b:
        listing = page(await b.get("/reports"))
        assert listing.select_one(f'form[action="/reports/rounds/{round_.id}/start"]')
    async with as_user("sec_a") as a:
        listing = page(await a.get("/reports"))
        assert listing.select_one(f'form[action="/reports/rounds/{round_.id}/start"]') is None


async def test_home_page_lists_returned_and_due_reports(world: World, as_user) -> None:
    campaign = await make_campaign(world.association, [world.society_a])
    first = await open_round(campaign, 1, states={world.society_a.id: ResponseState.RETURNED})
    second = await open_round(campaign, 2)
    returned, due = (
        await response_of(first, world.society_a),
        await response_of(second, world.society_a),
    )
    async with as_user("sec_a") as c:
        soup = page(await c.get("/"))
    links = [a["href"] for a in soup.select(".attention li.report a")]
    assert links == [f"/reports/responses/{returned.id}", f"/reports/responses/{due.id}"]
    assert soup.select_one(".attention li.returned") is not None


async def test_the_response_page_costs_few_queries(
    world: World, as_user, queries: list[str]
) -> None:
    _, response = await previous_round(world, weekly_answers())
    async with as_user("sec_a") as c:
        queries.clear()
        shown = await c.get(f"/reports/responses/{response.id}")
    assert shown.status_code == 200
    # session, memberships, the response with its round, campaign and form, the
    # running totals of earlier rounds.
    assert len(queries) <= 4, queries
