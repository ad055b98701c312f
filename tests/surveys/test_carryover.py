"""What a new round starts from: each question's carry-over rule, "本期无新增", "复制上期
内容后修改", the two-tap "本期无变化，直接提交" and the 无变化 mark reviewers see."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from bs4 import BeautifulSoup

from intranet.i18n import gettext
from surveys import answering, carryover, export
from surveys.examples import weekly_progress_form
from surveys.models import Response
from surveys.schema import Carry, FormDefinition, Question, QuestionType, Section
from surveys.states import ResponseState
from surveys.totals import Include, campaign_trend
from tests.conftest import World, csrf_token
from tests.survey_helpers import make_campaign, open_round, response_of, weekly_answers
from tests.surveys.test_filling import whole_form

EXPERT = {"name": "张三", "employer": "东北大学", "speciality": "病毒学", "phone": None}
CASE = {"title": "线上义诊", "kind": "deed", "reported_on": None, "summary": None}
LAST_WEEK = weekly_answers(
    channels=["wechat", "video"],
    funds="2.5",
    experts=[EXPERT],
    exemplary_cases=[CASE],
    difficulties="缺少防护物资",
)
INCREMENTS = [
    "online_meetings",
    "members_reached",
    "science_items",
    "science_reach",
    "advice_submitted",
    "funds",
]
NEW_ITEM_TABLES = ["experts", "exemplary_cases"]
STANDING = {"channels": ["wechat", "video"], "duty_roster": "yes", "difficulties": "缺少防护物资"}


def page(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def two_rounds(
    world: World, definition: FormDefinition | None = None
) -> tuple[Response, Response]:
    """Round 1 reported (approved) by society A with LAST_WEEK; round 2 open."""
    campaign = await make_campaign(
        world.association, [world.society_a, world.society_b], definition
    )
    first = await open_round(
        campaign,
        1,
        answers={world.society_a.id: LAST_WEEK},
        states={world.society_a.id: ResponseState.APPROVED},
    )
    second = await open_round(campaign, 2)
    return await response_of(first, world.society_a), await response_of(second, world.society_a)


# -- the rules -------------------------------------------------------------------------------


def test_the_weekly_form_declares_what_each_question_starts_from() -> None:
    form = weekly_progress_form()
    declared = {q.key: q.carry for q in form.questions()}
    assert {k for k, c in declared.items() if c == Carry.INCREMENT} == {
        *INCREMENTS,
        *NEW_ITEM_TABLES,
    }
    assert {k for k, c in declared.items() if c == Carry.STANDING} == set(STANDING)
    assert not form.validate()
    assert carryover.allows_no_change(form)


def test_a_stored_form_without_the_setting_still_loads_with_a_safe_default() -> None:
    stored = weekly_progress_form().to_dict()
    for section in stored["sections"]:
        for question in section["questions"]:
            del question["carry"]
    form = FormDefinition.from_dict(stored)
    carries = {q.key: q.carries for q in form.questions()}
    # Cumulative figures are per-round amounts by definition; the rest is written anew.
    assert carries["online_meetings"] == Carry.INCREMENT
    assert carries["experts"] == Carry.NOTHING
    assert carries["duty_roster"] == Carry.NOTHING
    assert all(q.carry is None for q in form.questions())
    assert not form.validate()
    # duty_roster is required and written anew: this old form cannot be sent unopened.
    assert not carryover.allows_no_change(form)


def test_the_setting_survives_a_round_trip() -> None:
    form = weekly_progress_form()
    assert FormDefinition.from_dict(form.to_dict()) == form


@pytest.mark.parametrize(
    ("question", "field"),
    [
        (
            Question(key="q", type=QuestionType.SHORT_TEXT, label="名称", carry=Carry.INCREMENT),
            "carry",
        ),
        (
            Question(
                key="q",
                type=QuestionType.INTEGER,
                label="会议",
                cumulative=True,
                carry=Carry.STANDING,
            ),
            "carry",
        ),
    ],
    ids=["text-increment", "cumulative-standing"],
)
def test_it_refuses_a_carry_over_that_makes_no_sense(question: Question, field: str) -> None:
    form = FormDefinition(
        title="周报", sections=(Section(key="s", title="一", questions=(question,)),)
    )
    problems = form.validate()
    assert [p.field for p in problems] == [field]


def test_a_required_question_written_anew_rules_out_the_two_taps() -> None:
    form = weekly_progress_form()
    section = form.sections[-1]
    summary = Question(
        key="summary", type=QuestionType.LONG_TEXT, label="本周工作小结", required=True
    )
    changed = replace(
        form,
        sections=(*form.sections[:-1], replace(section, questions=(*section.questions, summary))),
    )
    assert not carryover.allows_no_change(changed)
    optional = replace(summary, required=False)
    changed = replace(
        form,
        sections=(*form.sections[:-1], replace(section, questions=(*section.questions, optional))),
    )
    assert carryover.allows_no_change(changed)


def test_only_answers_that_say_nothing_moved_are_no_change() -> None:
    form = weekly_progress_form()
    last = {**LAST_WEEK}
    unchanged = {**dict.fromkeys(INCREMENTS, 0), **STANDING}
    assert carryover.is_unchanged(form, unchanged, last)
    assert carryover.is_unchanged(form, {**unchanged, "funds": "0.00"}, last)
    assert not carryover.is_unchanged(form, {**unchanged, "science_items": 1}, last)
    assert not carryover.is_unchanged(form, {**unchanged, "experts": [EXPERT]}, last)
    assert not carryover.is_unchanged(form, {**unchanged, "duty_roster": "no"}, last)
    assert not carryover.is_unchanged(form, unchanged, None)  # nothing reported before
    # A form whose every question is written anew has nothing to be unchanged in.
    written = FormDefinition(
        title="建言献策",
        sections=(
            Section(
                key="s",
                title="建言",
                questions=(Question(key="text", type=QuestionType.LONG_TEXT, label="建议"),),
            ),
        ),
    )
    assert not carryover.is_unchanged(written, {"text": "同上"}, {"text": "同上"})


# -- 本期无新增 on the report page --------------------------------------------------------------


async def test_nothing_new_zeroes_increments_copies_standing_values_and_adds_no_rows(
    world: World, as_user
) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{second.id}")
        carried = await c.post(
            f"/reports/responses/{second.id}/prefill", data={"mode": "carry", "csrf_token": token}
        )
        assert carried.status_code == 303 and carried.headers["location"].endswith("#submit")
        shown = page(await c.get(carried.headers["location"]))
        assert shown.select_one(".alert.success") is not None
        submitted = await c.post(f"/reports/responses/{second.id}/submit", data=whole_form(shown))
        assert submitted.status_code == 303
    after = await Response.get(id=second.id)
    assert after.state == ResponseState.SUBMITTED
    for key in INCREMENTS:
        assert Decimal(str(after.answers[key])) == 0, key
    for key in NEW_ITEM_TABLES:
        assert key not in after.answers, key  # no row of last week's again
    for key, value in STANDING.items():
        assert after.answers[key] == value
    assert after.unchanged


async def test_after_a_no_change_round_every_running_total_rises_by_exactly_zero(
    world: World, as_user
) -> None:
    _, second = await two_rounds(world)
    campaign_id = second.round.campaign_id
    async with as_user("sec_a") as c:
        confirm = await c.get(f"/reports/responses/{second.id}/no-change")
        form = page(confirm).select_one("form.survey-no-change-confirm")
        assert form is not None
        token = form.select_one("input[name=csrf_token]")["value"]
        version = form.select_one("input[name=version]")["value"]
        sent = await c.post(form["action"], data={"csrf_token": token, "version": version})
        assert sent.status_code == 303
    trend = await campaign_trend(campaign_id, include=Include.SUBMITTED)
    for key in INCREMENTS:
        first, second_point = trend[key]
        assert Decimal(str(second_point.total)) == 0, key
        assert Decimal(str(second_point.cumulative)) == Decimal(str(first.cumulative)), key
    # And the page of the next round shows the same 累计 as before it.
    third_round = await open_round(await second.round.campaign, 3)
    third = await response_of(third_round, world.society_a)
    totals = await answering.running_totals(third, answering.form_of(third))
    assert totals["online_meetings"] == LAST_WEEK["online_meetings"]


async def test_copy_to_edit_copies_every_answer_of_last_round(world: World, as_user) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{second.id}")
        copied = await c.post(
            f"/reports/responses/{second.id}/prefill", data={"mode": "copy", "csrf_token": token}
        )
        assert copied.status_code == 303
    after = await Response.get(id=second.id)
    assert after.answers["experts"] == [EXPERT]
    assert after.answers["online_meetings"] == LAST_WEEK["online_meetings"]


async def test_the_page_names_both_ways_to_start_from_last_round(world: World, as_user) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_a") as c:
        shown = page(await c.get(f"/reports/responses/{second.id}"))
    buttons = {b["value"]: b.get_text(strip=True) for b in shown.select(".survey-prefill button")}
    assert buttons == {"carry": "本期无新增（按上期存量填写）", "copy": "复制上期内容后修改"}
    link = shown.select_one(".survey-no-change-link a")
    assert link is not None and link["href"] == f"/reports/responses/{second.id}/no-change"


# -- the 无变化 mark ----------------------------------------------------------------------------


async def test_a_changed_report_is_not_marked_no_change(world: World, as_user) -> None:
    _, second = await two_rounds(world)
    await Response.filter(id=second.id).update(
        answers={**STANDING, **dict.fromkeys(INCREMENTS, 0), "online_meetings": 2}, version=1
    )
    async with as_user("sec_a") as c:
        shown = page(await c.get(f"/reports/responses/{second.id}"))
        await c.post(f"/reports/responses/{second.id}/submit", data=whole_form(shown))
    after = await Response.get(id=second.id)
    assert after.state == ResponseState.SUBMITTED and not after.unchanged


async def test_reviewers_see_no_change_on_the_tracker_the_report_and_the_workbook(
    world: World, as_user, tmp_path: Path
) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_a") as c:
        confirm = page(await c.get(f"/reports/responses/{second.id}/no-change"))
        form = confirm.select_one("form.survey-no-change-confirm")
        data = {i["name"]: i["value"] for i in form.select("input")}
        assert (await c.post(form["action"], data=data)).status_code == 303
    async with as_user("staff") as staff:
        tracker = page(await staff.get(f"/reports/rounds/{second.round.id}"))
        report = page(await staff.get(f"/reports/responses/{second.id}"))
    rows = {
        r.select_one(".survey-org-name").get_text(strip=True): r
        for r in tracker.select("table.survey-tracker tbody tr")
        if r.select_one(".survey-org-name")
    }
    assert rows[world.society_a.name].select_one(".survey-unchanged").get_text() == "无变化"
    assert rows[world.society_b.name].select_one(".survey-unchanged") is None
    assert report.select_one(".survey-facts .survey-unchanged").get_text() == "无变化"
    path = tmp_path / "round.xlsx"
    await export.write_round_workbook(
        second.round.id,
        str(path),
        include=Include.SUBMITTED,
        subtotals=False,
        now=datetime.now(UTC),
        zone=ZoneInfo("Asia/Shanghai"),
    )
    sheet = openpyxl.load_workbook(path).worksheets[1]
    row = next(r for r in sheet.iter_rows(values_only=True) if world.society_a.name in r)
    expected = gettext(export.STATE_UNCHANGED) % {"state": gettext("Submitted")}
    assert expected in row
    assert expected == "已提交，无变化"


# -- two taps: 本期无变化，直接提交 ----------------------------------------------------


async def test_two_taps_from_home_submit_an_unchanged_report(world: World, as_user) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_a") as c:
        home = page(await c.get("/"))
        link = home.select_one(".attention a.attention-no-change")
        assert link is not None and link.get_text(strip=True) == "本期无变化，直接提交"
        confirm = page(await c.get(link["href"]))  # tap 1
        shown = {
            row["data-question"]: row.select_one("dd").get_text(" ", strip=True)
            for row in confirm.select(".survey-no-change-row")
        }
        assert shown["online_meetings"].startswith("0")
        assert shown["channels"] == "微信公众号, 短视频平台"
        assert shown["difficulties"] == "缺少防护物资"
        assert "张三" not in shown["experts"]
        form = confirm.select_one("form.survey-no-change-confirm")
        data = {i["name"]: i["value"] for i in form.select("input")}
        sent = await c.post(form["action"], data=data)  # tap 2
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/reports/responses/{second.id}?done=submitted"
        listing = page(await c.get("/reports"))
    assert (await Response.get(id=second.id)).state == ResponseState.SUBMITTED
    assert listing.select_one(f'.survey-reports-done a[href="/reports/responses/{second.id}"]')


async def test_my_reports_offers_the_two_taps_too(world: World, as_user) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_a") as c:
        listing = page(await c.get("/reports"))
    link = listing.select_one(".survey-reports-due a.survey-no-change")
    assert link is not None and link["href"] == f"/reports/responses/{second.id}/no-change"


async def test_no_two_taps_for_a_form_with_a_required_question_written_anew(
    world: World, as_user
) -> None:
    form = weekly_progress_form()
    section = form.sections[-1]
    summary = Question(key="summary", type=QuestionType.LONG_TEXT, label="本周小结", required=True)
    definition = replace(
        form,
        sections=(*form.sections[:-1], replace(section, questions=(*section.questions, summary))),
    )
    _, second = await two_rounds(world, definition)
    async with as_user("sec_a") as c:
        home = page(await c.get("/"))
        assert home.select_one(".attention a.attention-no-change") is None
        assert home.select_one(f'.attention a[href="/reports/responses/{second.id}"]')
        confirm = page(await c.get(f"/reports/responses/{second.id}/no-change"))
        assert confirm.select_one("form.survey-no-change-confirm") is None
        token = await csrf_token(c, f"/reports/responses/{second.id}")
        refused = await c.post(
            f"/reports/responses/{second.id}/no-change", data={"csrf_token": token, "version": "0"}
        )
    assert refused.status_code == 409
    assert "无变化" in page(refused).select_one(".error-summary").get_text()
    after = await Response.get(id=second.id)
    assert after.state == ResponseState.NOT_STARTED and after.answers == {}


async def test_a_report_typed_in_after_the_confirmation_is_not_sent_unseen(
    world: World, as_user
) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_a") as c:
        confirm = page(await c.get(f"/reports/responses/{second.id}/no-change"))
        form = confirm.select_one("form.survey-no-change-confirm")
        data = {i["name"]: i["value"] for i in form.select("input")}
        await Response.filter(id=second.id).update(
            answers={"online_meetings": 7}, version=1, state=ResponseState.DRAFT
        )
        refused = await c.post(form["action"], data=data)
    assert refused.status_code == 409
    after = await Response.get(id=second.id)
    assert after.state == ResponseState.DRAFT and after.answers == {"online_meetings": 7}


async def test_without_an_earlier_report_nothing_is_carried(world: World, as_user) -> None:
    campaign = await make_campaign(world.association, [world.society_a])
    await open_round(campaign, 1)  # never submitted
    second = await response_of(await open_round(campaign, 2), world.society_a)
    async with as_user("sec_a") as c:
        confirm = page(await c.get(f"/reports/responses/{second.id}/no-change"))
        assert confirm.select_one("form.survey-no-change-confirm") is None
        assert confirm.select_one(".alert.error") is not None
        token = await csrf_token(c, f"/reports/responses/{second.id}")
        refused = await c.post(
            f"/reports/responses/{second.id}/no-change", data={"csrf_token": token, "version": "0"}
        )
    assert refused.status_code == 409
    assert (await Response.get(id=second.id)).state == ResponseState.NOT_STARTED


async def test_only_the_respondent_gets_the_confirmation(world: World, as_user) -> None:
    _, second = await two_rounds(world)
    async with as_user("sec_b") as other:
        assert (await other.get(f"/reports/responses/{second.id}/no-change")).status_code == 404
    async with as_user("staff") as staff:
        assert (await staff.get(f"/reports/responses/{second.id}/no-change")).status_code == 404
