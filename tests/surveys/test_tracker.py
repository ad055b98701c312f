"""The round tracker and the round's steps: statuses, overdue and late, the category
filter, reminders on the secretary's home page, bulk approval, close/reopen/extend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup

from intranet.models import AuditEvent, Organisation
from surveys import rounds, tracking
from surveys.examples import weekly_progress_form
from surveys.models import Campaign, Form, FormVersion, Response, Round, RoundReminder
from surveys.round_calendar import ScheduleKind
from surveys.state_changes import act
from surveys.states import Action, Actor, ResponseState, TransitionRefused
from tests.conftest import World, post
from tests.helpers import soup

ZONE = ZoneInfo("Asia/Shanghai")
S = ResponseState


# -- helpers shared by the campaign, tracker and review tests ------------------------------


async def weekly_campaign(
    world: World,
    *,
    organiser: Organisation | None = None,
    roster_organisations: list[int] | None = None,
    roster_categories: list[int] | None = None,
    weeks_ago: int = 3,
    open_rounds: bool = True,
) -> Campaign:
    """A weekly campaign whose first period started `weeks_ago` Mondays ago, due two days
    after each period: rounds 1..weeks_ago are past due, the last one is running."""
    organiser = organiser or world.association
    form = await Form.create(title="疫情防控工作进展周报", owner=organiser)
    version = await FormVersion.create(
        form=form, number=1, definition=weekly_progress_form().to_dict()
    )
    today = datetime.now(ZONE).date()
    monday = today - timedelta(days=today.weekday(), weeks=weeks_ago)
    campaign = await Campaign.create(
        title="疫情防控工作进展周报",
        form_version=version,
        organiser=organiser,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=monday,
        due_offset_days=2,
        roster_organisations=roster_organisations or [],
        roster_categories=roster_categories or [],
    )
    if open_rounds:
        await rounds.open_due_rounds(campaign, datetime.now(UTC), zone=ZONE)
    return campaign


async def association_campaign(world: World) -> Campaign:
    return await weekly_campaign(
        world, roster_organisations=[world.society_a.id, world.society_b.id]
    )


async def round_of(campaign: Campaign, number: int) -> Round:
    return await Round.get(campaign=campaign, number=number)


async def response_of(round_: Round, organisation: Organisation) -> Response:
    return await Response.get(round=round_, organisation=organisation)


async def set_state(
    response: Response, state: ResponseState, submitted_at: datetime | None = None
) -> None:
    """Put a response in a state directly (the steps themselves are tested elsewhere)."""
    await Response.filter(id=response.id).update(state=state, submitted_at=submitted_at)


def tracker_states(page: BeautifulSoup) -> dict[str, str]:
    """Organisation name -> the state's CSS class, row by row."""
    found = {}
    for row in page.select("table.survey-tracker tbody tr"):
        name = row.select_one("th.survey-org .survey-org-name")
        if name is not None:
            tag = row.select_one(".survey-state")
            assert tag is not None
            found[name.get_text(strip=True)] = next(
                c for c in tag["class"] if c.startswith("survey-state-")
            )
    return found


# -- the tracker ---------------------------------------------------------------------------


async def test_tracker_shows_each_organisation_with_state_overdue_and_late(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    late = first.due_at + timedelta(hours=5)
    await set_state(await response_of(first, world.society_a), S.SUBMITTED, late)
    async with as_user("staff") as c:
        page = await c.get(f"/reports/rounds/{first.id}")
    assert page.status_code == 200
    html = soup(page.text)
    assert tracker_states(html) == {
        "辽宁省计算机学会": "survey-state-submitted",
        "辽宁省医学会": "survey-state-not_started",
    }
    rows = {
        r.select_one(".survey-org-name").get_text(strip=True): r for r in html.select("tbody tr")
    }
    # Society B has not answered a round past its deadline: overdue, in red.
    assert "survey-row-overdue" in rows["辽宁省医学会"]["class"]
    assert "survey-row-overdue" not in rows["辽宁省计算机学会"]["class"]
    # Society A answered five hours late: the local time is shown and marked late.
    shown = late.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    assert shown in rows["辽宁省计算机学会"].get_text()
    assert rows["辽宁省计算机学会"].select_one(".survey-late") is not None
    counts = {
        li["class"][0]: li.select_one(".survey-count").get_text()
        for li in html.select(".survey-state-filters li")
    }
    assert counts["survey-filter-all"] == "2"
    assert counts["survey-filter-awaiting_review"] == "1"
    assert counts["survey-filter-not_started"] == "1"
    assert counts["survey-filter-overdue"] == "1"
    assert counts["survey-filter-approved"] == "0"


async def test_tracker_links_each_response(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    response = await response_of(first, world.society_b)
    async with as_user("staff") as c:
        page = soup((await c.get(f"/reports/rounds/{first.id}")).text)
    links = [a["href"] for a in page.select("table.survey-tracker a")]
    assert f"/reports/responses/{response.id}" in links


async def test_running_round_is_not_overdue(world, as_user):
    campaign = await association_campaign(world)
    running = await round_of(campaign, 4)
    async with as_user("staff") as c:
        page = soup((await c.get(f"/reports/rounds/{running.id}")).text)
    assert page.select("tr.survey-row-overdue") == []
    assert len(page.select("table.survey-tracker tbody tr")) == 2


async def test_category_filter_and_htmx_partial(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    async with as_user("staff") as c:
        page = await c.get(f"/reports/rounds/{first.id}?category={world.medicine.id}")
        partial = await c.get(
            f"/reports/rounds/{first.id}?category={world.medicine.id}",
            headers={"HX-Request": "true"},
        )
        odd = await c.get(f"/reports/rounds/{first.id}?category=999999")
    assert list(tracker_states(soup(page.text))) == ["辽宁省医学会"]
    assert list(tracker_states(soup(partial.text))) == ["辽宁省医学会"]
    assert "<html" not in partial.text
    assert "hx-request" in partial.headers["vary"].lower()
    # An unknown category shows everyone rather than an empty table.
    assert len(tracker_states(soup(odd.text))) == 2


# -- completion on the campaign page ----------------------------------------------------------


async def test_completion_counts_submitted_resubmitted_and_approved(world):
    society_c = await Organisation.create_under(world.association, name="辽宁省药学会")
    society_d = await Organisation.create_under(world.association, name="辽宁省农学会")
    campaign = await weekly_campaign(
        world,
        roster_organisations=[world.society_a.id, world.society_b.id, society_c.id, society_d.id],
    )
    first = await round_of(campaign, 1)
    await set_state(await response_of(first, world.society_a), S.APPROVED, first.due_at)
    await set_state(await response_of(first, world.society_b), S.RESUBMITTED, first.due_at)
    await set_state(await response_of(first, society_c), S.RETURNED, first.due_at)
    round_list = await Round.filter(campaign=campaign)
    found = await tracking.progress(round_list, datetime.now(UTC))
    counts = found[first.id]
    assert (counts.roster, counts.done, counts.approved) == (4, 2, 1)
    assert counts.rate == 50
    assert counts.overdue == 2  # the returned one and the one never started
    running = found[(await round_of(campaign, 4)).id]
    assert (running.done, running.rate, running.overdue) == (0, 0, 0)


async def test_campaign_page_lists_rounds_with_rates(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    await set_state(await response_of(first, world.society_a), S.SUBMITTED, first.due_at)
    async with as_user("staff") as c:
        page = soup((await c.get(f"/reports/campaigns/{campaign.id}")).text)
    rows = page.select("table.survey-rounds-table tbody tr")
    assert len(rows) == 4
    by_link = {r.select_one("a")["href"]: r for r in rows}
    row = by_link[f"/reports/rounds/{first.id}"]
    assert "50%" in row.select_one(".survey-rate").get_text()
    assert "(1/2)" in row.select_one(".survey-rate").get_text()


# -- reminders -------------------------------------------------------------------------------


async def test_remind_creates_rows_and_the_secretary_sees_it_on_home(
    world, as_user, as_english_user
):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    a = await response_of(first, world.society_a)
    b = await response_of(first, world.society_b)
    await set_state(a, S.SUBMITTED, first.due_at)  # nothing to remind A of
    async with as_user("staff") as c:
        done = await post(
            c,
            f"/reports/rounds/{first.id}/remind",
            {"response": [str(a.id), str(b.id)]},
            token_from=f"/reports/rounds/{first.id}",
        )
        assert done.status_code == 303
        shown = await c.get(done.headers["location"])
    assert shown.status_code == 200
    reminders = await RoundReminder.filter(round=first)
    assert [(r.organisation_id, r.sent_by_id, r.channel) for r in reminders] == [
        (world.society_b.id, world.staff.id, "in_app")
    ]
    async with as_english_user("sec_b") as c:
        home = soup((await c.get("/")).text)
    items = [li.get_text(" ", strip=True) for li in home.select("ul.attention li")]
    assert "省科协 reminds you: 疫情防控工作进展周报, round 1" in " ".join(items)
    async with as_english_user("sec_a") as c:
        home_a = soup((await c.get("/")).text)
    assert "reminds you" not in " ".join(li.get_text() for li in home_a.select("ul.attention li"))
    assert await AuditEvent.exists(action="round.remind")


async def test_reminder_disappears_once_submitted(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    b = await response_of(first, world.society_b)
    await tracking.remind(first, [b.id], world.staff, ZONE)
    membership = await world.secretary_b.memberships.all().select_related("organisation")
    assert len(await tracking.reminders_for(list(membership), datetime.now(UTC))) == 1
    await set_state(b, S.SUBMITTED, datetime.now(UTC))
    assert await tracking.reminders_for(list(membership), datetime.now(UTC)) == []


async def test_remind_with_nothing_selected_is_refused(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    async with as_user("staff") as c:
        refused = await post(
            c, f"/reports/rounds/{first.id}/remind", {}, token_from=f"/reports/rounds/{first.id}"
        )
    assert refused.status_code == 400
    assert await RoundReminder.all().count() == 0


# -- bulk approval ------------------------------------------------------------------------


async def test_bulk_approve_approves_only_the_approvable(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    a = await response_of(first, world.society_a)
    b = await response_of(first, world.society_b)
    await set_state(a, S.SUBMITTED, first.due_at)
    async with as_user("staff") as c:
        page = await post(
            c,
            f"/reports/rounds/{first.id}/approve",
            {"response": [str(a.id), str(b.id)]},
            token_from=f"/reports/rounds/{first.id}",
        )
    assert page.status_code == 200
    skipped = soup(page.text).select(".survey-skipped li")
    assert len(skipped) == 1 and "辽宁省医学会" in skipped[0].get_text()
    assert (await Response.get(id=a.id)).state == S.APPROVED
    assert (await Response.get(id=b.id)).state == S.NOT_STARTED


async def test_bulk_approve_all_approvable_redirects(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    a = await response_of(first, world.society_a)
    await set_state(a, S.RESUBMITTED, first.due_at)
    other = await response_of(await round_of(campaign, 2), world.society_b)
    await set_state(other, S.SUBMITTED, first.due_at)
    async with as_user("staff") as c:
        done = await post(
            c,
            f"/reports/rounds/{first.id}/approve",
            {"response": [str(a.id), str(other.id)]},  # the other round's id is ignored
            token_from=f"/reports/rounds/{first.id}",
        )
    assert done.status_code == 303
    assert (await Response.get(id=a.id)).state == S.APPROVED
    assert (await Response.get(id=other.id)).state == S.SUBMITTED


# -- close, reopen, extend ----------------------------------------------------------------------


async def test_close_then_saves_refused_then_reopen(world, as_user):
    campaign = await association_campaign(world)
    running = await round_of(campaign, 4)
    path = f"/reports/rounds/{running.id}"
    async with as_user("staff") as c:
        closed = await post(c, f"{path}/close", token_from=path)
        assert closed.status_code == 303 and "done=closed" in closed.headers["location"]
        again = await post(c, f"{path}/close", token_from=path)
        assert again.status_code == 409
    response = await Response.get(round=running, organisation=world.society_a).select_related(
        "round"
    )
    with pytest.raises(TransitionRefused) as refused:
        await act(response, Action.SAVE, actor=Actor.RESPONDENT, user=None, now=datetime.now(UTC))
    assert refused.value.code == "round_closed"
    async with as_user("staff") as c:
        reopened = await post(c, f"{path}/reopen", token_from=path)
        assert reopened.status_code == 303
        assert (await post(c, f"{path}/reopen", token_from=path)).status_code == 409
    response = await Response.get(id=response.id).select_related("round")
    await act(response, Action.SAVE, actor=Actor.RESPONDENT, user=None, now=datetime.now(UTC))
    actions = await AuditEvent.filter(object_type="round").values_list("action", flat=True)
    assert sorted(actions) == ["round.closed", "round.reopened"]


async def test_extend_moves_the_deadline_only_later(world, as_english_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    path = f"/reports/rounds/{first.id}"
    later = (datetime.now(ZONE) + timedelta(days=3)).date().isoformat()
    yesterday = (datetime.now(ZONE) - timedelta(days=1)).date().isoformat()
    async with as_english_user("staff") as c:
        bad = await post(c, f"{path}/extend", {"due_date": "2020-13-01"}, token_from=path)
        past = await post(c, f"{path}/extend", {"due_date": yesterday}, token_from=path)
        done = await post(
            c, f"{path}/extend", {"due_date": later, "due_time": "17:00"}, token_from=path
        )
    assert bad.status_code == 409 and "as a date and a time" in bad.text
    assert past.status_code == 409 and "later than now" in past.text
    assert done.status_code == 303
    moved = await Round.get(id=first.id)
    assert moved.due_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") == f"{later} 17:00"
    assert await AuditEvent.exists(action="round.extended", object_id=str(first.id))
    # No longer overdue: the tracker stops marking it red.
    async with as_english_user("staff") as c:
        page = soup((await c.get(path)).text)
    assert page.select("tr.survey-row-overdue") == []


async def test_round_routes_are_404_for_secretaries(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    path = f"/reports/rounds/{first.id}"
    async with as_user("sec_b") as c:
        assert (await c.get(path)).status_code == 404
        token_page = "/profile"
        for step in ("close", "reopen", "extend", "remind", "approve"):
            answer = await post(
                c, f"{path}/{step}", {"due_date": "2030-01-01"}, token_from=token_page
            )
            assert answer.status_code == 404, step
    assert (await Round.get(id=first.id)).closed_at is None


async def test_closed_round_refuses_the_save_button(world, as_english_user):
    campaign = await association_campaign(world)
    running = await round_of(campaign, 4)
    path = f"/reports/rounds/{running.id}"
    response = await response_of(running, world.society_a)
    page = f"/reports/responses/{response.id}"
    async with as_english_user("staff") as c:
        assert (await post(c, f"{path}/close", token_from=path)).status_code == 303
    async with as_english_user("sec_a") as c:
        answer = await post(
            c,
            f"{page}/save",
            {"version": str(response.version), "online_meetings": "3"},
            token_from=page,
        )
    assert answer.status_code != 303
    assert "round is closed" in answer.text
    stored = await Response.get(id=response.id)
    assert (stored.state, stored.answers, stored.version) == (S.NOT_STARTED, {}, response.version)


# -- filters by state and selection ------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ("not_started", ["辽宁省医学会"]),
        ("overdue", ["辽宁省医学会"]),
        ("awaiting_review", ["辽宁省计算机学会"]),
        ("draft", []),
        ("approved", []),
        ("nonsense", ["辽宁省计算机学会", "辽宁省医学会"]),
    ],
)
async def test_state_filters_show_only_their_rows_page_and_partial(world, as_user, state, shown):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    await set_state(await response_of(first, world.society_a), S.RESUBMITTED, first.due_at)
    url = f"/reports/rounds/{first.id}?state={state}"
    async with as_user("staff") as c:
        page = soup((await c.get(url)).text)
        partial = await c.get(url, headers={"HX-Request": "true"})
    assert sorted(tracker_states(page)) == sorted(shown)
    assert sorted(tracker_states(soup(partial.text))) == sorted(shown)
    assert "<html" not in partial.text and "hx-request" in partial.headers["vary"].lower()
    # The filter links work without JavaScript (plain links) and say which one is shown.
    links = soup(partial.text).select(".survey-state-filters a")
    assert all(a["href"] == a["hx-get"] for a in links)
    current = [a["href"] for a in links if a.has_attr("aria-current")]
    expected = url if state != "nonsense" else f"/reports/rounds/{first.id}"
    assert current == [expected]


async def test_state_filter_keeps_the_category(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    async with as_user("staff") as c:
        page = soup((await c.get(f"/reports/rounds/{first.id}?category={world.medicine.id}")).text)
    hrefs = {a["href"] for a in page.select(".survey-state-filters a")}
    assert f"/reports/rounds/{first.id}?category={world.medicine.id}&state=overdue" in hrefs


async def test_rows_say_which_selection_they_belong_to(world, as_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    await set_state(await response_of(first, world.society_a), S.SUBMITTED, first.due_at)
    async with as_user("staff") as c:
        page = soup((await c.get(f"/reports/rounds/{first.id}")).text)
    owing = [r.select_one(".survey-org-name").text for r in page.select("tr[data-owing]")]
    waiting = [
        r.select_one(".survey-org-name").text for r in page.select("tr[data-awaiting-review]")
    ]
    assert (owing, waiting) == (["辽宁省医学会"], ["辽宁省计算机学会"])
    tools = page.select_one("[data-select-tools]")
    assert tools is not None and tools.has_attr("hidden")  # shown by static/js/surveys.js


# -- honest reminders ------------------------------------------------------------------------


async def societies_nobody_can_be_told_in(world: World) -> tuple[Organisation, Organisation]:
    """辽宁省化学会 has no secretary; 辽宁省物理学会's secretary was invited but never set a
    password and has no e-mail address."""
    from intranet.models import Membership, Role, User

    chemistry = await Organisation.create_under(
        world.association, name="辽宁省化学会", contact_name="李老师", contact_phone="024-88886666"
    )
    physics = await Organisation.create_under(world.association, name="辽宁省物理学会")
    invited = await User.create(username="sec_phys", display_name="赵秘书", password_hash="")
    await Membership.create(user=invited, organisation=physics, role=Role.SECRETARY)
    return chemistry, physics


async def remind_everyone(world: World, client, campaign: Campaign):  # type: ignore[no-untyped-def]
    first = await round_of(campaign, 1)
    ids = [str(r.id) for r in await Response.filter(round=first)]
    done = await post(
        client,
        f"/reports/rounds/{first.id}/remind",
        {"response": ids},
        token_from=f"/reports/rounds/{first.id}",
    )
    assert done.status_code == 303
    return first, soup((await client.get(done.headers["location"])).text)


async def test_remind_counts_the_units_reached_and_lists_the_rest(world, as_english_user):
    chemistry, physics = await societies_nobody_can_be_told_in(world)
    roster = [world.society_a.id, world.society_b.id, chemistry.id, physics.id]
    campaign = await weekly_campaign(world, roster_organisations=roster)
    async with as_english_user("staff") as c:
        first, page = await remind_everyone(world, c, campaign)
        log = soup((await c.get(f"/reports/rounds/{first.id}/reminders")).text)
    outcome = page.select_one(".survey-reminded")
    assert outcome is not None
    # Societies A and B have secretaries who can sign in; the other two nobody to tell.
    assert outcome.select_one(".survey-reminded-count").get_text(strip=True) == (
        "The reminder reached 2 organisations."
    )
    unreached = {
        li.select_one(".survey-unreached-name").get_text(strip=True): li
        for li in outcome.select(".survey-unreached li")
    }
    assert list(unreached) == ["辽宁省化学会", "辽宁省物理学会"]
    # Staff get the telephone from the directory to call; only admins assign secretaries.
    assert "024-88886666 (李老师)" in unreached["辽宁省化学会"].get_text(" ", strip=True)
    assert unreached["辽宁省物理学会"].select_one(".survey-contact.muted") is not None
    assert outcome.select(".survey-assign") == []
    # The 催报 log says the same of each organisation.
    rows = {
        tr.select("td")[1].get_text(strip=True): tr.select("td")[4]
        for tr in log.select("table.survey-reminder-log tbody tr")
    }
    assert set(rows) == {"辽宁省计算机学会", "辽宁省医学会", "辽宁省化学会", "辽宁省物理学会"}
    not_reached = {name for name, cell in rows.items() if cell.select(".survey-not-reached")}
    assert not_reached == {"辽宁省化学会", "辽宁省物理学会"}
    assert "no secretary" in rows["辽宁省化学会"].get_text()
    assert "cannot sign in" in rows["辽宁省物理学会"].get_text()


async def test_admins_get_a_link_to_assign_a_secretary(world, as_english_user):
    chemistry, _ = await societies_nobody_can_be_told_in(world)
    campaign = await weekly_campaign(world, roster_organisations=[chemistry.id])
    async with as_english_user("admin") as c:
        _, page = await remind_everyone(world, c, campaign)
        assert page.select_one(".survey-reminded-count").get_text(strip=True) == (
            "The reminder reached 0 organisations."
        )
        link = page.select_one(".survey-unreached .survey-assign")
        assert link is not None
        assert link["href"] == f"/admin/people/new?organisation={chemistry.id}&role=secretary"
        form = soup((await c.get(link["href"])).text)
    assert form.select_one("#field-organisation option[selected]")["value"] == str(chemistry.id)
    assert form.select_one("#field-role option[selected]")["value"] == "secretary"


async def test_reminding_only_submitted_units_says_nobody_was_reminded(world, as_english_user):
    campaign = await association_campaign(world)
    first = await round_of(campaign, 1)
    for organisation in (world.society_a, world.society_b):
        await set_state(await response_of(first, organisation), S.SUBMITTED, first.due_at)
    async with as_english_user("staff") as c:
        _, page = await remind_everyone(world, c, campaign)
    assert "Nobody was reminded" in page.select_one(".survey-reminded-count").get_text()
    assert await RoundReminder.all().count() == 0
