"""Totals of a round (汇总): rows, 合计, choice counts, texts, tables, subtotals by
category, roll-up by tree level, trends across rounds (surveys.totals)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tortoise import timezone

from intranet.i18n import gettext
from intranet.models import Category, Organisation
from surveys.models import Campaign, FormVersion, Response
from surveys.schema import (
    Aggregate,
    Choice,
    FormDefinition,
    Question,
    QuestionType,
    Section,
)
from surveys.states import ResponseState
from surveys.totals import (
    Include,
    campaign_trend,
    category_subtotals,
    iter_round_rows,
    rollup,
    round_totals,
)
from tests.conftest import World
from tests.survey_helpers import make_campaign, open_round

T = QuestionType
A = Aggregate
S = ResponseState


def totals_form(*, extra: tuple[Question, ...] = ()) -> FormDefinition:
    """A form with a question of every kind and every aggregate a total can take."""
    return FormDefinition(
        title="汇总测试表",
        sections=(
            Section(
                key="figures",
                title="数字",
                questions=(
                    Question(
                        key="people", type=T.INTEGER, label="人数", aggregate=A.SUM, unit="人"
                    ),
                    Question(key="funds", type=T.DECIMAL, label="经费", aggregate=A.SUM),
                    Question(key="score", type=T.DECIMAL, label="评分", aggregate=A.AVERAGE),
                    Question(key="lowest", type=T.INTEGER, label="最少", aggregate=A.MIN),
                    Question(key="highest", type=T.DECIMAL, label="最多", aggregate=A.MAX),
                    Question(key="events", type=T.INTEGER, label="活动", aggregate=A.COUNT),
                    Question(key="ignored", type=T.INTEGER, label="不汇总", aggregate=A.NONE),
                ),
            ),
            Section(
                key="choices",
                title="选择",
                questions=(
                    Question(
                        key="level",
                        type=T.SINGLE_CHOICE,
                        label="级别",
                        aggregate=A.COUNT,
                        choices=(Choice("high", "高"), Choice("mid", "中"), Choice("low", "低")),
                    ),
                    Question(
                        key="channels",
                        type=T.MULTIPLE_CHOICE,
                        label="渠道",
                        aggregate=A.COUNT,
                        choices=(
                            Choice("wechat", "微信"),
                            Choice("web", "网站"),
                            Choice("tv", "电视"),
                        ),
                    ),
                    Question(key="duty", type=T.YES_NO, label="值班", aggregate=A.COUNT),
                ),
            ),
            Section(
                key="words",
                title="文字",
                questions=(
                    Question(key="note", type=T.SHORT_TEXT, label="备注", aggregate=A.LIST),
                    Question(key="story", type=T.LONG_TEXT, label="事迹", aggregate=A.NONE),
                    Question(key="first_day", type=T.DATE, label="开始", aggregate=A.MIN),
                    Question(key="last_day", type=T.DATE, label="结束", aggregate=A.MAX),
                    Question(key="days", type=T.DATE, label="日期", aggregate=A.LIST),
                    Question(
                        key="activities",
                        type=T.TABLE,
                        label="活动列表",
                        aggregate=A.LIST,
                        columns=(
                            Question(key="title", type=T.SHORT_TEXT, label="名称"),
                            Question(key="attendees", type=T.INTEGER, label="人数"),
                        ),
                    ),
                    *extra,
                ),
            ),
        ),
    )


async def campaign_of(world: World, roster: list[Organisation] | None = None) -> Campaign:
    roster = roster or [world.society_a, world.branch_a, world.society_b]
    form = totals_form()
    assert form.validate() == []
    return await make_campaign(world.association, roster, form)


async def test_it_lists_every_roster_organisation_when_nobody_answered(world: World) -> None:
    campaign = await campaign_of(world)
    round_ = await open_round(campaign)

    totals = await round_totals(round_.id)

    assert [row.name for row in totals.rows] == [
        world.society_a.name,
        world.branch_a.name,
        world.society_b.name,
    ]
    assert all(row.state == S.NOT_STARTED and not row.counted for row in totals.rows)
    assert all(row.values == {} for row in totals.rows)
    assert totals.total == {
        "people": None,
        "funds": None,
        "score": None,
        "lowest": None,
        "highest": None,
        "events": 0,
        "level": 0,
        "channels": 0,
        "duty": 0,
        "note": [],
        "first_day": None,
        "last_day": None,
        "days": [],
    }
    assert totals.choice_counts == {
        "level": {"high": 0, "mid": 0, "low": 0},
        "channels": {"wechat": 0, "web": 0, "tv": 0},
        "duty": {"yes": 0, "no": 0},
    }
    assert totals.texts == {"note": [], "story": []}
    assert totals.tables == {"activities": []}
    assert (totals.roster_size, totals.submitted, totals.approved) == (3, 0, 0)
    assert totals.not_submitted == [row.name for row in totals.rows]
    assert totals.round.campaign.organiser.id == world.association.id
    assert [c.question.key for c in totals.columns][:3] == ["people", "funds", "score"]
    assert "activities" not in [c.question.key for c in totals.columns]


async def test_it_totals_every_aggregate_of_the_submitted(world: World) -> None:
    campaign = await campaign_of(world)
    a, branch, b = world.society_a.id, world.branch_a.id, world.society_b.id
    round_ = await open_round(
        campaign,
        answers={
            a: {"people": 10, "funds": "1.25", "score": "3", "lowest": 4, "highest": "7.5",
                "events": 0, "level": "high", "channels": ["wechat", "tv"], "duty": "yes",
                "note": "甲", "first_day": "2020-02-03", "last_day": "2020-02-05",
                "days": "2020-02-04"},
            branch: {"people": 5, "funds": "0.75", "score": "4", "lowest": -2,
                     "highest": "7.25", "level": "high", "channels": ["tv"], "duty": "no",
                     "note": "乙", "first_day": "2020-01-30", "last_day": "2020-02-09"},
            b: {"people": 100, "funds": "99.99", "level": "low", "note": "未提交"},
        },
        states={a: S.SUBMITTED, branch: S.APPROVED, b: S.DRAFT},
    )  # fmt: skip

    totals = await round_totals(round_.id)

    assert totals.total == {
        "people": 15,
        "funds": Decimal("2"),
        "score": Decimal("3.50"),
        "lowest": -2,
        "highest": Decimal("7.5"),
        "events": 1,
        "level": 2,
        "channels": 2,
        "duty": 2,
        "note": ["甲", "乙"],
        "first_day": "2020-01-30",
        "last_day": "2020-02-09",
        "days": ["2020-02-04"],
    }
    assert isinstance(totals.total["people"], int)
    assert isinstance(totals.total["funds"], Decimal)
    assert totals.choice_counts["level"] == {"high": 2, "mid": 0, "low": 0}
    assert totals.choice_counts["channels"] == {"wechat": 1, "web": 0, "tv": 2}
    assert totals.choice_counts["duty"] == {"yes": 1, "no": 1}
    draft = totals.rows[2]
    assert (draft.name, draft.counted, draft.values) == (world.society_b.name, False, {})
    assert totals.rows[0].values["funds"] == "1.25"
    assert (totals.submitted, totals.approved, totals.not_submitted) == (
        2,
        1,
        [world.society_b.name],
    )


async def test_approved_only_counts_only_the_approved(world: World) -> None:
    campaign = await campaign_of(world)
    a, branch, b = world.society_a.id, world.branch_a.id, world.society_b.id
    round_ = await open_round(
        campaign,
        answers={a: {"people": 1}, branch: {"people": 20}, b: {"people": 300}},
        states={a: S.SUBMITTED, branch: S.RESUBMITTED, b: S.APPROVED},
    )

    submitted = await round_totals(round_.id, include=Include.SUBMITTED)
    approved = await round_totals(round_.id, include=Include.APPROVED)

    assert submitted.total["people"] == 321
    assert approved.total["people"] == 300
    assert [row.counted for row in approved.rows] == [False, False, True]
    assert approved.rows[0].values == {}
    assert approved.submitted == submitted.submitted == 3


async def test_category_subtotals_count_an_organisation_in_each_of_its_categories(
    world: World,
) -> None:
    engineering = await Category.create(name="工程技术类", sort_order=1)
    await world.society_a.categories.add(engineering, world.medicine)
    campaign = await campaign_of(world)
    a, branch, b = world.society_a.id, world.branch_a.id, world.society_b.id
    round_ = await open_round(
        campaign,
        answers={a: {"people": 1, "note": "甲"}, branch: {"people": 20}, b: {"people": 300}},
        states={a: S.SUBMITTED, branch: S.SUBMITTED, b: S.SUBMITTED},
    )

    subtotals = await category_subtotals(round_.id)

    assert [(name, figures["people"]) for name, figures in subtotals] == [
        ("工程技术类", 1),
        ("医药卫生类", 301),
        (gettext("Uncategorised"), 20),  # 未分类 once the catalogue has it
    ]
    assert subtotals[1][1]["note"] == ["甲"]
    assert subtotals[2][1]["events"] == 0
    totals = await round_totals(round_.id)
    assert totals.rows[0].category_names == ["工程技术类", "医药卫生类"]
    assert totals.rows[1].category_names == []


async def test_rollup_totals_branches_into_their_society_and_all_into_the_association(
    world: World,
) -> None:
    everyone = [world.association, world.society_a, world.branch_a, world.society_b]
    campaign = await campaign_of(world, everyone)
    top, a, branch, b = (o.id for o in everyone)
    round_ = await open_round(
        campaign,
        answers={
            top: {"people": 1000},
            a: {"people": 1, "funds": "0.5"},
            branch: {"people": 20, "funds": "0.25"},
            b: {"people": 300},
        },
        states={top: S.SUBMITTED, a: S.SUBMITTED, branch: S.SUBMITTED, b: S.DRAFT},
    )

    societies = await rollup(round_.id, depth=1)
    association = await rollup(round_.id, depth=0)
    branches = await rollup(round_.id, depth=2)

    assert [(o.id, f["people"], f["funds"]) for o, f in societies] == [
        (a, 21, Decimal("0.75")),
        (b, None, None),
    ]
    assert [(o.id, f["people"]) for o, f in association] == [(top, 1021)]
    assert [(o.id, f["people"]) for o, f in branches] == [(branch, 20)]


async def test_trend_gives_totals_cumulative_and_change_per_round(world: World) -> None:
    campaign = await campaign_of(world, [world.society_a, world.society_b])
    a, b = world.society_a.id, world.society_b.id
    done = {a: S.SUBMITTED, b: S.APPROVED}
    figures = [
        {a: {"people": 10, "funds": "1.5", "score": "1"}, b: {"people": 10, "score": "2"}},
        {a: {"people": 25, "funds": "0.5", "score": "4"}, b: {"people": 5}},
        {a: {"people": 15}, b: {"people": 15, "score": "5"}},
    ]
    for number, answers in enumerate(figures, start=1):
        await open_round(campaign, number, answers=answers, states=done)

    trend = await campaign_trend(campaign.id)

    people = trend["people"]
    assert [p.round_number for p in people] == [1, 2, 3]
    assert [p.total for p in people] == [20, 30, 30]
    assert [p.cumulative for p in people] == [20, 50, 80]
    # 环比 is rounded once, to a tenth of a percent (3 places of the ratio).
    assert [p.change for p in people] == [None, Decimal("0.500"), Decimal("0.000")]
    assert people[1].period_start == people[0].period_start + timedelta(days=7)
    funds = trend["funds"]
    assert [p.total for p in funds] == [Decimal("1.5"), Decimal("0.5"), None]
    assert [p.cumulative for p in funds] == [Decimal("1.5"), Decimal(2), Decimal(2)]
    assert [p.change for p in funds] == [None, Decimal("-0.667"), None]
    score = trend["score"]  # average: each round's, and of every answer so far
    assert [p.total for p in score] == [Decimal("1.50"), Decimal("4.00"), Decimal("5.00")]
    assert [p.cumulative for p in score] == [Decimal("1.50"), Decimal("2.33"), Decimal("3.00")]
    # From the exact averages: (4 - 1.5) / 1.5 = +166.7 %, (5 - 4) / 4 = +25 %.
    assert [p.change for p in score] == [None, Decimal("1.667"), Decimal("0.250")]
    assert [p.total for p in trend["events"]] == [0, 0, 0]
    assert set(trend) == {"people", "funds", "score", "lowest", "highest", "events"}

    only_a = await campaign_trend(campaign.id, organisation_ids=[a])
    assert [p.total for p in only_a["people"]] == [10, 25, 15]
    approved = await campaign_trend(campaign.id, include=Include.APPROVED)
    assert [p.cumulative for p in approved["people"]] == [10, 15, 30]


async def test_texts_and_tables_are_gathered_with_their_organisation(world: World) -> None:
    campaign = await campaign_of(world)
    a, branch, b = world.society_a.id, world.branch_a.id, world.society_b.id
    round_ = await open_round(
        campaign,
        answers={
            a: {
                "story": "第一段\n第二段",
                "activities": [
                    {"title": "讲座", "attendees": "30"},
                    {"title": "义诊", "attendees": 12},
                ],
            },
            branch: {"note": "=1+1", "activities": [{"title": "沙龙"}]},
            b: {"story": "未提交的不列出", "activities": [{"title": "草稿"}]},
        },
        states={a: S.SUBMITTED, branch: S.SUBMITTED, b: S.RETURNED},
    )

    totals = await round_totals(round_.id)

    assert totals.texts == {
        "note": [(world.branch_a.name, "=1+1")],
        "story": [(world.society_a.name, "第一段\n第二段")],
    }
    assert totals.tables == {
        "activities": [
            (world.society_a.name, {"title": "讲座", "attendees": 30}),
            (world.society_a.name, {"title": "义诊", "attendees": 12}),
            (world.branch_a.name, {"title": "沙龙", "attendees": None}),
        ]
    }
    assert totals.total["note"] == ["=1+1"]


async def test_a_question_added_in_version_two_is_blank_for_rounds_before_it(
    world: World,
) -> None:
    campaign = await campaign_of(world, [world.society_a, world.society_b])
    a, b = world.society_a.id, world.society_b.id
    done = {a: S.SUBMITTED, b: S.SUBMITTED}
    first = await open_round(campaign, 1, answers={a: {"people": 1}, b: {"people": 2}}, states=done)
    added = Question(key="volunteers", type=T.INTEGER, label="志愿者", aggregate=A.SUM)
    old = await FormVersion.get(id=campaign.form_version_id)
    newer = await FormVersion.create(
        form_id=old.form_id,
        number=2,
        definition=totals_form(extra=(added,)).to_dict(),
        frozen=True,
    )
    campaign.form_version = newer
    await campaign.save()
    second = await open_round(
        campaign,
        2,
        answers={a: {"people": 3, "volunteers": 7}, b: {"people": 4, "volunteers": 8}},
        states=done,
    )

    before = await round_totals(first.id)
    after = await round_totals(second.id)
    trend = await campaign_trend(campaign.id)

    assert before.total["volunteers"] is None and before.total["people"] == 3
    assert "volunteers" not in before.rows[0].values
    assert after.total["volunteers"] == 15
    assert [p.total for p in trend["volunteers"]] == [None, 15]
    assert [p.cumulative for p in trend["volunteers"]] == [None, 15]
    assert [p.change for p in trend["volunteers"]] == [None, None]
    assert (await category_subtotals(first.id))[0][1]["volunteers"] is None


async def test_organisation_ids_limit_rows_and_totals(world: World) -> None:
    campaign = await campaign_of(world)
    a, branch, b = world.society_a.id, world.branch_a.id, world.society_b.id
    round_ = await open_round(
        campaign,
        answers={a: {"people": 1}, branch: {"people": 20}, b: {"people": 300}},
        states={a: S.SUBMITTED, branch: S.SUBMITTED},
    )

    mine = await round_totals(round_.id, organisation_ids=[a, branch])

    assert [row.organisation_id for row in mine.rows] == [a, branch]
    assert mine.total["people"] == 21
    assert (mine.roster_size, mine.submitted, mine.not_submitted) == (2, 2, [])
    nobody = await round_totals(round_.id, organisation_ids=[])
    assert nobody.rows == [] and nobody.total["people"] is None


async def test_rows_are_marked_late_when_submitted_after_the_deadline(world: World) -> None:
    campaign = await campaign_of(world, [world.society_a, world.society_b])
    round_ = await open_round(campaign, states={world.society_a.id: S.SUBMITTED})
    await Response.filter(round_id=round_.id, organisation_id=world.society_a.id).update(
        submitted_at=round_.due_at + timedelta(hours=1)
    )

    rows = (await round_totals(round_.id)).rows

    assert [(row.late, row.submitted_at is not None) for row in rows] == [
        (True, True),
        (False, False),
    ]


async def test_iter_round_rows_reads_the_same_rows_in_chunks(world: World, queries) -> None:  # type: ignore[no-untyped-def]
    campaign = await campaign_of(world)
    a, b = world.society_a.id, world.society_b.id
    round_ = await open_round(
        campaign,
        answers={a: {"people": 1}, b: {"people": 2}},
        states={a: S.APPROVED, b: S.SUBMITTED},
    )
    everything = (await round_totals(round_.id, include=Include.APPROVED)).rows

    queries.clear()
    chunked = [row async for row in iter_round_rows(round_.id, include=Include.APPROVED, chunk=2)]

    assert chunked == everything
    # the round, then per chunk its responses and their categories: 2 + 1 rows
    assert len(queries) == 1 + 2 * 2


async def test_the_number_of_queries_does_not_grow_with_the_organisations(
    world: World,
    queries,  # type: ignore[no-untyped-def]
) -> None:
    async def count_queries(roster_size: int) -> list[int]:
        roster = [
            await Organisation.create_under(world.association, name=f"学会{roster_size}-{i}")
            for i in range(roster_size)
        ]
        campaign = await campaign_of(world, roster)
        round_ = await open_round(
            campaign,
            answers={o.id: {"people": i, "note": "x"} for i, o in enumerate(roster)},
            states={o.id: S.SUBMITTED for o in roster},
        )
        counts = []
        for call in (
            round_totals(round_.id),
            category_subtotals(round_.id),
            rollup(round_.id, depth=1),
            campaign_trend(campaign.id),
        ):
            queries.clear()
            await call
            counts.append(len(queries))
        return counts

    assert await count_queries(2) == await count_queries(12)


async def test_per_person_responses_are_no_rows(world: World) -> None:
    campaign = await campaign_of(world, [world.society_a])
    round_ = await open_round(campaign)
    await Response.create(
        round=round_,
        user=world.member_a,
        answers={"people": 5},
        state=S.SUBMITTED,
        submitted_at=timezone.now(),
    )

    totals = await round_totals(round_.id)

    assert [row.organisation_id for row in totals.rows] == [world.society_a.id]
    assert totals.total["people"] is None


async def test_decimals_stored_as_json_numbers_add_up_exactly(world: World) -> None:
    campaign = await campaign_of(world)
    a, branch, b = world.society_a.id, world.branch_a.id, world.society_b.id
    round_ = await open_round(
        campaign, states={a: S.SUBMITTED, branch: S.SUBMITTED, b: S.SUBMITTED}
    )
    stored = {a: 0.000005, branch: 123456789.123456, b: "0.1"}  # JSON numbers and a string
    for organisation_id, funds in stored.items():
        await Response.filter(round_id=round_.id, organisation_id=organisation_id).update(
            answers={"funds": funds, "highest": funds, "score": funds}
        )

    total = (await round_totals(round_.id)).total

    assert total["funds"] == Decimal("123456789.223461")
    assert total["highest"] == Decimal("123456789.123456")
    assert total["score"] == Decimal("41152263.07")
