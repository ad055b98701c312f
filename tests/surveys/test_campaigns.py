"""Campaigns: the list, creating and editing with every mistake refused and nothing
saved, the roster kept to the organiser's subtree, and who may see what."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from intranet.models import AuditEvent, Organisation
from surveys import rounds
from surveys.examples import weekly_progress_form
from surveys.models import Campaign, Form, FormVersion, Response, Round
from surveys.round_calendar import ScheduleKind
from tests.conftest import World, post
from tests.helpers import soup
from tests.surveys.test_tracker import ZONE, association_campaign, round_of, weekly_campaign

NEW = "/reports/campaigns/new"


async def a_form(world: World, owner: Organisation | None = None) -> FormVersion:
    form = await Form.create(title="疫情防控工作进展周报", owner=owner or world.association)
    await FormVersion.create(form=form, number=1, definition=weekly_progress_form().to_dict())
    return await FormVersion.create(
        form=form, number=2, definition=weekly_progress_form().to_dict()
    )


def good(world: World, version: FormVersion, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "疫情防控工作进展周报",
        "form_version": str(version.id),
        "organiser": str(world.association.id),
        "organisations": [str(world.society_a.id)],
        "categories": [str(world.medicine.id)],
        "schedule_kind": "weekly",
        "starts_on": "2020-02-10",
        "due_offset_days": "2",
        "ends_on": "2020-06-28",
    }
    data.update(changes)
    return data


def errors_of(text: str) -> dict[str, str]:
    page = soup(text)
    return {
        p["id"].removeprefix("error-"): p.get_text(strip=True)
        for p in page.select("p.error[id^=error-]")
    }


async def test_create_offers_latest_version_and_saves(world, as_user):
    version = await a_form(world)
    async with as_user("staff") as c:
        page = soup((await c.get(NEW)).text)
        options = [o["value"] for o in page.select("#field-form_version option") if o["value"]]
        assert options == [str(version.id)]  # the latest version only
        assert page.select_one("#field-form_version option[selected]")["value"] == str(version.id)
        done = await post(c, NEW, good(world, version), token_from=NEW)
    assert done.status_code == 303
    campaign = await Campaign.get()
    assert done.headers["location"] == f"/reports/campaigns/{campaign.id}?done=created"
    assert campaign.form_version_id == version.id
    assert campaign.roster_organisations == [world.society_a.id]
    assert campaign.roster_categories == [world.medicine.id]
    assert (campaign.schedule_kind, campaign.starts_on) == (ScheduleKind.WEEKLY, date(2020, 2, 10))
    assert (campaign.due_offset_days, campaign.ends_on) == (2, date(2020, 6, 28))
    assert await AuditEvent.exists(action="campaign.create", object_id=str(campaign.id))


async def test_once_campaign_uses_its_dates(world, as_user):
    version = await a_form(world)
    data = good(world, version, schedule_kind="once", opens_on="2020-03-01", due_on="2020-03-10")
    async with as_user("staff") as c:
        assert (await post(c, NEW, data, token_from=NEW)).status_code == 303
    campaign = await Campaign.get()
    assert (campaign.opens_on, campaign.due_on, campaign.starts_on) == (
        date(2020, 3, 1),
        date(2020, 3, 10),
        date(2020, 3, 1),
    )


CASES = [
    ({"title": ""}, "title", "Give the campaign a title."),
    ({"title": "x" * 201}, "title", "At most 200 characters, please."),
    ({"form_version": "999999"}, "form_version", "Choose one of the forms offered."),
    ({"organiser": "999999"}, "organiser", "Choose one of the organisations you act for."),
    ({"categories": ["999999"]}, "categories", "Choose one of the categories offered."),
    (
        {"organisations": [], "categories": []},
        "organisations",
        "Choose at least one organisation or category to send the form to.",
    ),
    ({"schedule_kind": "yearly"}, "schedule_kind", "Choose how often the form is filled in."),
    ({"starts_on": "2020-02-30"}, "starts_on", "Enter a date as YYYY-MM-DD."),
    ({"starts_on": ""}, "starts_on", "Give the date the first period starts on."),
    ({"due_offset_days": "two"}, "due_offset_days", "Enter a whole number of days."),
    (
        {"due_offset_days": "-1"},
        "due_offset_days",
        "The days allowed after each period cannot be negative.",
    ),
    (
        {"due_offset_days": "400"},
        "due_offset_days",
        "At most 366 days can be allowed after each period.",
    ),
    ({"ends_on": "2020-01-01"}, "ends_on", "The end date cannot be before the start date."),
    (
        {"schedule_kind": "daily", "ends_on": "2023-12-31"},
        "ends_on",
        "This schedule makes 1421 rounds; at most 1000 are allowed.",
    ),
    ({"starts_on": "1900-01-01"}, "starts_on", "Dates must fall between the years 1970 and 2100."),
    (
        {"schedule_kind": "once", "opens_on": "", "due_on": "2020-03-10"},
        "opens_on",
        "A one-off round needs an opening date and a due date.",
    ),
    (
        {"schedule_kind": "once", "opens_on": "2020-03-10", "due_on": "2020-03-01"},
        "due_on",
        "A round must be due after it opens.",
    ),
]


async def test_every_mistake_is_shown_inline_and_nothing_is_saved(world, as_english_user):
    version = await a_form(world)
    async with as_english_user("staff") as c:
        for changes, name, message in CASES:
            answer = await post(c, NEW, good(world, version, **changes), token_from=NEW)
            assert answer.status_code == 400, changes
            assert errors_of(answer.text).get(name) == message, (changes, errors_of(answer.text))
            # The summary links to the field, and what was typed is kept.
            assert soup(answer.text).select_one(f'.error-summary a[href="#field-{name}"]')
    assert await Campaign.all().count() == 0


async def test_roster_is_limited_to_the_organisers_subtree(world, as_english_user, admin_a):
    version = await a_form(world, owner=world.society_a)
    async with as_english_user("sec_a") as c:
        page = soup((await c.get(NEW)).text)
        offered = {int(i["value"]) for i in page.select('input[name="organisations"]')}
        assert offered == {world.branch_a.id}
        organisers = [o["value"] for o in page.select("#field-organiser option")]
        assert organisers == [str(world.society_a.id)]
        forged = good(
            world,
            version,
            organiser=str(world.society_a.id),
            organisations=[str(world.society_b.id)],
            categories=[],
        )
        refused = await post(c, NEW, forged, token_from=NEW)
        assert errors_of(refused.text)["organisations"] == (
            "Choose organisations within the organiser's own organisation."
        )
        as_association = good(world, version, organisations=[str(world.branch_a.id)])
        refused = await post(c, NEW, as_association, token_from=NEW)
        assert "organiser" in errors_of(refused.text)
        # A society's campaign cannot reach other societies through a category.
        by_category = good(
            world,
            version,
            organiser=str(world.society_a.id),
            organisations=[str(world.branch_a.id)],
        )
        refused = await post(c, NEW, by_category, token_from=NEW)
        assert errors_of(refused.text)["categories"] == (
            "Only a campaign of the association can be sent to whole categories."
        )
        assert await Campaign.all().count() == 0
        fine = good(
            world,
            version,
            organiser=str(world.society_a.id),
            organisations=[str(world.branch_a.id)],
            categories=[],
        )
        assert (await post(c, NEW, fine, token_from=NEW)).status_code == 303
    assert (await Campaign.get()).organiser_id == world.society_a.id


async def test_forms_of_others_are_not_offered_or_accepted(world, as_english_user):
    association_form = await a_form(world)
    await a_form(world, owner=world.society_a)
    async with as_english_user("sec_a") as c:
        page = soup((await c.get(NEW)).text)
        assert str(association_form.id) not in [
            o["value"] for o in page.select("#field-form_version option")
        ]
        forged = good(
            world,
            association_form,
            organiser=str(world.society_a.id),
            organisations=[str(world.branch_a.id)],
            categories=[],
        )
        refused = await post(c, NEW, forged, token_from=NEW)
    assert errors_of(refused.text)["form_version"] == "Choose one of the forms offered."
    assert await Campaign.all().count() == 0


async def test_category_roster_is_resolved_when_a_round_opens(world):
    campaign = await weekly_campaign(
        world, roster_categories=[world.medicine.id], weeks_ago=1, open_rounds=False
    )
    await rounds.open_due_rounds(campaign, datetime.now(UTC) - timedelta(days=7), zone=ZONE)
    # A society joins the category after round 1 opened: it answers from round 2 on.
    society_c = await Organisation.create_under(world.association, name="辽宁省药学会")
    await society_c.categories.add(world.medicine)
    await rounds.open_due_rounds(campaign, datetime.now(UTC), zone=ZONE)
    first, second = await round_of(campaign, 1), await round_of(campaign, 2)
    ids_1 = await Response.filter(round=first).values_list("organisation_id", flat=True)
    ids_2 = await Response.filter(round=second).values_list("organisation_id", flat=True)
    assert sorted(ids_1) == [world.society_b.id]  # type: ignore[type-var]
    assert sorted(ids_2) == sorted([world.society_b.id, society_c.id])  # type: ignore[type-var]


async def test_edit_keeps_fixed_fields_once_rounds_opened(world, as_user):
    campaign = await association_campaign(world)
    path = f"/reports/campaigns/{campaign.id}/edit"
    newer = await FormVersion.create(
        form_id=(await campaign.form_version).form_id,
        number=2,
        definition=weekly_progress_form().to_dict(),
    )
    async with as_user("staff") as c:
        page = soup((await c.get(path)).text)
        assert page.select_one("#field-form_version") is None  # shown, not offered
        done = await post(
            c,
            path,
            {
                "title": "周报（新）",
                "form_version": str(newer.id),
                "starts_on": "2021-01-04",
                "organisations": [str(world.society_a.id)],
                "due_offset_days": "3",
            },
            token_from=path,
        )
    assert done.status_code == 303
    saved = await Campaign.get(id=campaign.id)
    assert saved.title == "周报（新）"
    assert saved.form_version_id == campaign.form_version_id
    assert saved.starts_on == campaign.starts_on
    assert (saved.roster_organisations, saved.due_offset_days) == ([world.society_a.id], 3)


async def test_list_shows_the_campaigns_one_runs(world, as_user):
    mine = await association_campaign(world)
    societys = await weekly_campaign(
        world, organiser=world.society_a, roster_organisations=[world.branch_a.id]
    )
    async with as_user("staff") as c:
        staff_links = {
            a["href"]
            for a in soup((await c.get("/reports/campaigns")).text).select("td.campaign-title a")
        }
    async with as_user("sec_a") as c:
        sec_links = {
            a["href"]
            for a in soup((await c.get("/reports/campaigns")).text).select("td.campaign-title a")
        }
    async with as_user("sec_b") as c:
        sec_b = soup((await c.get("/reports/campaigns")).text).select("td.campaign-title a")
    # The association's staff see society A's campaigns too; society A sees only its own.
    assert staff_links == {f"/reports/campaigns/{mine.id}", f"/reports/campaigns/{societys.id}"}
    assert sec_links == {f"/reports/campaigns/{societys.id}"}
    assert sec_b == []


async def test_staff_see_society_rounds_and_society_b_gets_404(world, as_user):
    campaign = await weekly_campaign(
        world, organiser=world.society_a, roster_organisations=[world.branch_a.id]
    )
    first = await round_of(campaign, 1)
    response = await Response.get(round=first)
    async with as_user("staff") as c:
        assert (await c.get(f"/reports/campaigns/{campaign.id}")).status_code == 200
        assert (await c.get(f"/reports/rounds/{first.id}")).status_code == 200
    async with as_user("sec_b") as c:
        for path in (
            f"/reports/campaigns/{campaign.id}",
            f"/reports/campaigns/{campaign.id}/edit",
            f"/reports/rounds/{first.id}",
        ):
            assert (await c.get(path)).status_code == 404, path
        for path in (
            f"/reports/campaigns/{campaign.id}/edit",
            f"/reports/campaigns/{campaign.id}/open-rounds",
            f"/reports/rounds/{first.id}/close",
            f"/reports/rounds/{first.id}/reopen",
            f"/reports/rounds/{first.id}/extend",
            f"/reports/rounds/{first.id}/remind",
            f"/reports/rounds/{first.id}/approve",
            f"/reports/responses/{response.id}/review",
        ):
            answer = await post(
                c, path, {"title": "x", "action": "approve", "response": str(response.id)}
            )
            assert answer.status_code == 404, path
    assert (await Campaign.get(id=campaign.id)).title == "疫情防控工作进展周报"


async def test_open_due_rounds_now(world, as_user):
    campaign = await weekly_campaign(
        world, roster_organisations=[world.society_a.id], open_rounds=False
    )
    path = f"/reports/campaigns/{campaign.id}"
    async with as_user("staff") as c:
        done = await post(c, f"{path}/open-rounds", token_from=path)
        assert done.status_code == 303
        assert await Round.filter(campaign=campaign).count() == 4
        again = await post(c, f"{path}/open-rounds", token_from=path)
        assert "n=0" in again.headers["location"]
    assert await Round.filter(campaign=campaign).count() == 4


async def test_members_and_outsiders_cannot_create(world, as_user):
    await a_form(world)
    for username in ("member_a", "outsider"):
        async with as_user(username) as c:
            assert (await c.get(NEW)).status_code == 404
            assert (await post(c, NEW, {"title": "x"})).status_code == 404


async def test_an_unfinished_form_cannot_be_sent_out(world, as_english_user):
    form = await Form.create(title="未完成的表单", owner=world.association)
    unfinished = await FormVersion.create(
        form=form, number=1, definition={"title": "未完成的表单", "sections": []}
    )
    async with as_english_user("staff") as c:
        answer = await post(c, NEW, good(world, unfinished), token_from=NEW)
    assert answer.status_code == 400
    assert errors_of(answer.text)["form_version"].startswith("This form is not finished yet")
    assert await Campaign.all().count() == 0


async def test_the_stamp_block_is_on_by_default_and_can_be_turned_off(world, as_user, tmp_path):
    import openpyxl

    from surveys.export import write_round_workbook
    from surveys.totals import Include
    from tests.survey_helpers import open_round

    version = await a_form(world)
    async with as_user("staff") as c:
        page = soup((await c.get(NEW)).text)
        [box] = page.select('input[type=checkbox][name="stamp_block"]')
        assert box.has_attr("checked")
        # Unticked: the browser sends the hidden field's 0 only.
        done = await post(c, NEW, good(world, version, stamp_block="0"), token_from=NEW)
    assert done.status_code == 303
    campaign = await Campaign.get()
    assert campaign.stamp_block is False

    def stamped(path: str) -> bool:
        book = openpyxl.load_workbook(path)
        cells = [
            str(v) for s in book.worksheets[:2] for r in s.iter_rows(values_only=True) for v in r
        ]
        return any(v.startswith("填报单位（盖章）：") for v in cells)

    round_ = await open_round(campaign, 1)
    now = datetime.now(UTC)
    path = str(tmp_path / "off.xlsx")
    await write_round_workbook(
        round_.id, path, include=Include.SUBMITTED, subtotals=False, now=now, zone=ZONE
    )
    assert not stamped(path)

    edit = f"/reports/campaigns/{campaign.id}/edit"
    async with as_user("staff") as c:
        page = soup((await c.get(edit)).text)
        assert not page.select_one('input[type=checkbox][name="stamp_block"]').has_attr("checked")
        changes = good(world, version, stamp_block=["0", "1"])  # ticked: both are sent
        assert (await post(c, edit, changes, token_from=edit)).status_code == 303
    assert (await Campaign.get(id=campaign.id)).stamp_block is True
    path = str(tmp_path / "on.xlsx")
    await write_round_workbook(
        round_.id, path, include=Include.SUBMITTED, subtotals=False, now=now, zone=ZONE
    )
    assert stamped(path)
