"""Report rounds tell the right secretaries, once: opening, due soon, due today, overdue
(then every N days until submitted), returned, approved, and reminders (催报) by staff."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from bs4 import BeautifulSoup
from tortoise import timezone

from intranet.models import Membership, Organisation, OrganisationKind, Role
from intranet.notifications.models import EmailMessage, Notification
from surveys import area, notify, scheduler
from surveys.models import Campaign, Response, Round, RoundReminder
from surveys.round_calendar import ScheduleKind
from surveys.state_changes import act
from surveys.states import Action, Actor, ResponseState
from tests.conftest import World, make_user, post
from tests.survey_helpers import make_form_version, response_of

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 2)


@pytest.fixture
def clock() -> Iterator[Any]:
    """The wall clock, frozen at Monday 2 March 2026 09:00 in Shanghai; move it with
    clock.move_to(...)."""
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=ZONE), tick=False) as traveller:
        yield traveller


async def weekly_campaign(world: World, **settings: Any) -> Campaign:
    """A weekly campaign of the association to societies A and B from Monday 2 March."""
    version = await make_form_version(world.association)
    return await Campaign.create(
        title="疫情防控周报",
        form_version=version,
        organiser=world.association,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=MONDAY,
        due_offset_days=2,
        roster_organisations=[world.society_a.id, world.society_b.id],
        **settings,
    )


async def first_round(world: World, **settings: Any) -> Round:
    campaign = await weekly_campaign(world, **settings)
    [opened] = await scheduler.run_once(timezone.now(), ZONE)
    assert opened.campaign_id == campaign.id
    return await Round.get(id=opened.id).select_related("campaign__organiser")


async def told(kind: str) -> list[tuple[str, str]]:
    """(username, key) of every notification of this kind, sorted."""
    rows = await Notification.filter(kind=kind).values_list("user__username", "key")
    return sorted(rows)  # type: ignore[arg-type]


async def submit(round_: Round, organisation: Organisation) -> None:
    await Response.filter(round_id=round_.id, organisation_id=organisation.id).update(
        state=ResponseState.SUBMITTED, submitted_at=timezone.now()
    )


# -- who is told --------------------------------------------------------------------------


async def test_the_secretaries_are_told_falling_back_to_those_acting_for_it(
    world: World, settings: Any
) -> None:
    # A second, inactive secretary of A; a society with only a staff member of its own;
    # one with nobody at all. The branch of A has no secretary: A's secretary answers.
    gone = await make_user(settings, "sec_gone", "离职秘书", is_active=False)
    await Membership.create(user=gone, organisation=world.society_a, role=Role.SECRETARY)
    staffed = await Organisation.create_under(world.association, name="辽宁省力学学会")
    own_staff = await make_user(settings, "mech_staff", "力学学会工作人员")
    await Membership.create(user=own_staff, organisation=staffed, role=Role.STAFF)
    nobody = await Organisation.create_under(
        world.association, name="辽宁省空学会", kind=OrganisationKind.SOCIETY
    )
    ids = [world.society_a.id, world.branch_a.id, world.society_b.id, staffed.id, nobody.id]

    found = await notify.recipients(ids, world.association)

    assert found == {
        world.society_a.id: [world.secretary_a.id],
        world.branch_a.id: [world.secretary_a.id],
        world.society_b.id: [world.secretary_b.id],
        staffed.id: [own_staff.id],
        nobody.id: [],  # never the organiser's own staff: they run the campaign
    }


# -- the scheduler's events -------------------------------------------------------------------


async def test_an_opened_round_tells_each_secretary_once(world: World, clock: Any) -> None:
    round_ = await first_round(world)

    assert await told("round.opened") == [
        ("sec_a", f"round:{round_.id}:opened"),
        ("sec_b", f"round:{round_.id}:opened"),
    ]
    note = await Notification.get(user_id=world.secretary_a.id)
    assert note.url == f"/reports/rounds/{round_.id}/mine"
    assert "疫情防控周报" in note.title
    assert await scheduler.run_once(timezone.now(), ZONE) == []
    assert await Notification.all().count() == 2
    assert await told("round.opened") == await told("round.opened")  # unchanged


async def test_due_soon_today_overdue_then_every_n_days_until_submitted(
    world: World, clock: Any
) -> None:
    round_ = await first_round(world, remind_days_before=2, overdue_every_days=3)
    due = round_.due_at
    base = f"round:{round_.id}"

    async def pass_at(moment: datetime) -> list[tuple[str, str]]:
        clock.move_to(moment)
        before = set(await Notification.all().values_list("user__username", "key"))
        await notify.send_due(timezone.now(), ZONE)
        after = set(await Notification.all().values_list("user__username", "key"))
        return sorted(after - before)  # type: ignore[arg-type]

    early = due - timedelta(days=2, minutes=1)
    assert await pass_at(early) == []
    assert await pass_at(due - timedelta(days=2) + timedelta(minutes=1)) == [
        ("sec_a", f"{base}:due_soon"),
        ("sec_b", f"{base}:due_soon"),
    ]
    assert await pass_at(due - timedelta(days=1, hours=12)) == []  # once is enough
    day_starts = datetime.combine(due.astimezone(ZONE).date(), datetime.min.time(), tzinfo=ZONE)
    assert await pass_at(day_starts + timedelta(minutes=1)) == [
        ("sec_a", f"{base}:due_today"),
        ("sec_b", f"{base}:due_today"),
    ]
    await submit(round_, world.society_b)  # B is done: only A hears more
    assert await pass_at(due + timedelta(minutes=1)) == [("sec_a", f"{base}:overdue:0")]
    assert await pass_at(due + timedelta(days=2)) == []
    assert await pass_at(due + timedelta(days=3, minutes=1)) == [("sec_a", f"{base}:overdue:1")]
    await submit(round_, world.society_a)
    assert await pass_at(due + timedelta(days=6, minutes=1)) == []
    assert not await Notification.filter(user_id=world.secretary_b.id, key__contains="overdue")


async def test_the_cron_pass_opens_rounds_then_reminds(
    world: World, clock: Any, settings: Any
) -> None:
    campaign = await weekly_campaign(world)

    assert await area.send_due(timezone.now(), settings) == 0  # opened and announced; nothing due
    round_ = await Round.get(campaign_id=campaign.id)
    assert len(await told("round.opened")) == 2
    clock.move_to(round_.due_at + timedelta(minutes=5))
    assert await area.send_due(timezone.now(), settings) == 2
    assert len(await told("round.overdue")) == 2


async def test_the_cron_pass_writes_deadlines_on_the_settings_clock(
    world: World, clock: Any, settings: Any
) -> None:
    london = replace(settings, time_zone="Europe/London")
    campaign = await weekly_campaign(world)
    await area.send_due(timezone.now(), london)
    round_ = await Round.get(campaign_id=campaign.id)
    clock.move_to(round_.due_at + timedelta(minutes=5))

    assert await area.send_due(timezone.now(), london) == 2
    due = round_.due_at.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")
    bodies = await Notification.filter(kind="round.overdue").values_list("body", flat=True)
    assert len(bodies) == 2 and all(due in str(body) for body in bodies)
    shanghai = round_.due_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    assert not any(shanghai in str(body) for body in bodies)


async def test_a_pass_twice_sends_nothing_new(world: World, clock: Any) -> None:
    round_ = await first_round(world)
    clock.move_to(round_.due_at + timedelta(hours=1))

    assert await notify.send_due(timezone.now(), ZONE) == 2
    count = await Notification.all().count()
    assert await notify.send_due(timezone.now(), ZONE) == 0
    assert await Notification.all().count() == count
    assert await RoundReminder.filter(kind="round.overdue").count() == 2


async def test_a_closed_round_or_a_stopped_campaign_reminds_nobody(
    world: World, clock: Any
) -> None:
    round_ = await first_round(world)
    await Round.filter(id=round_.id).update(closed_at=timezone.now())
    clock.move_to(round_.due_at + timedelta(hours=1))

    assert await notify.send_due(timezone.now(), ZONE) == 0
    await Round.filter(id=round_.id).update(closed_at=None)
    await Campaign.filter(id=round_.campaign_id).update(is_active=False)
    assert await notify.send_due(timezone.now(), ZONE) == 0
    assert await told("round.overdue") == []


async def test_a_round_due_soon_after_opening_skips_due_soon(world: World, clock: Any) -> None:
    # The deadline is within the reminder window from the start: the opening says it.
    round_ = await first_round(world, remind_days_before=30)
    clock.move_to(round_.opens_at + timedelta(hours=1))

    assert await notify.send_due(timezone.now(), ZONE) == 0
    assert await told("round.due_soon") == []


async def test_a_pass_costs_the_same_few_queries_however_many_secretaries(
    world: World, clock: Any, settings: Any, queries: list[str]
) -> None:
    await world.secretary_a.update_from_dict({"email": "sec_a@example.cn"}).save()

    async def overdue_pass_queries() -> int:
        round_ = await first_round(world)
        clock.move_to(round_.due_at + timedelta(hours=1))
        queries.clear()
        await notify.send_due(timezone.now(), ZONE)
        return len(queries)

    few = await overdue_pass_queries()
    await Round.all().delete()
    await Campaign.all().delete()
    await Notification.all().delete()
    clock.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=ZONE))
    for n in range(10):
        person = await make_user(settings, f"sec_extra{n}", f"秘书{n}", email=f"s{n}@example.cn")
        await Membership.create(user=person, organisation=world.society_a, role=Role.SECRETARY)

    assert await overdue_pass_queries() == few
    assert await Notification.filter(key__contains="overdue").count() == 12


# -- two workers ---------------------------------------------------------------------------


async def test_two_passes_at_once_send_each_notification_once(world: World, clock: Any) -> None:
    round_ = await first_round(world)
    clock.move_to(round_.due_at + timedelta(hours=1))
    now = timezone.now()

    results = await asyncio.gather(notify.send_due(now, ZONE), notify.send_due(now, ZONE))

    assert sum(results) == 2
    assert await told("round.overdue") == [
        ("sec_a", f"round:{round_.id}:overdue:0"),
        ("sec_b", f"round:{round_.id}:overdue:0"),
    ]
    assert await RoundReminder.filter(kind="round.overdue").count() == 2


# -- review ---------------------------------------------------------------------------------


async def test_returned_with_the_reason_and_approved(world: World, clock: Any) -> None:
    round_ = await first_round(world)
    await submit(round_, world.society_a)
    response = await response_of(round_, world.society_a)

    await act(
        response, Action.RETURN, actor=Actor.REVIEWER, user=world.staff,
        now=timezone.now(), reason="第3项数据有误，请核实",
    )  # fmt: skip

    returned = await Notification.get(kind="response.returned")
    assert returned.user_id == world.secretary_a.id
    assert "第3项数据有误，请核实" in returned.body
    assert returned.url == f"/reports/responses/{response.id}"
    await Response.filter(id=response.id).update(state=ResponseState.RESUBMITTED)
    response = await response_of(round_, world.society_a)
    await act(response, Action.APPROVE, actor=Actor.REVIEWER, user=world.staff, now=timezone.now())
    assert await told("response.approved") == [
        ("sec_a", f"response:{response.id}:approved:{response.version}")
    ]
    assert not await Notification.filter(user_id=world.secretary_b.id, kind__startswith="response")


# -- reminders by staff and the log --------------------------------------------------------------


async def test_a_reminder_from_the_tracker_reaches_those_still_owing(
    world: World, clock: Any, as_user: Any
) -> None:
    await world.secretary_a.update_from_dict({"email": "sec_a@example.cn"}).save()
    round_ = await first_round(world)
    await submit(round_, world.society_b)
    ids = list(await Response.filter(round_id=round_.id).values_list("id", flat=True))
    tracker = f"/reports/rounds/{round_.id}"

    async with as_user("staff") as staff:
        done = await post(staff, f"{tracker}/remind", {"response": ids}, token_from=tracker)
        assert done.status_code == 303
        log_page = await staff.get(f"{tracker}/reminders")

    [reminder] = await Notification.filter(kind="round.reminder")
    assert reminder.user_id == world.secretary_a.id
    assert await EmailMessage.filter(notification_id=reminder.id).exists()
    [row] = await RoundReminder.filter(kind="round.reminder")
    assert row.organisation_id == world.society_a.id
    assert row.sent_by_id == world.staff.id
    assert row.channel == "in_app,email"
    assert row.recipients == [world.secretary_a.id]
    assert log_page.status_code == 200
    rows = BeautifulSoup(log_page.text, "html.parser").select("table.survey-reminder-log tbody tr")
    texts = [row.get_text(" ", strip=True) for row in rows]
    assert any("省科协工作人员" in t and "计算机学会秘书" in t for t in texts)  # manual, by staff
    assert sum("医学会秘书" in t for t in texts) == 1  # B: only the opening, not the reminder


async def test_the_log_says_who_how_and_whether_automatic(world: World, clock: Any) -> None:
    await world.secretary_b.update_from_dict({"email": "sec_b@example.cn"}).save()
    round_ = await first_round(world)
    clock.move_to(round_.opens_at + timedelta(hours=10))
    await notify.remind_round(round_, [world.society_a.id], world.staff, timezone.now(), ZONE)
    clock.move_to(round_.due_at + timedelta(hours=1))
    await notify.send_due(timezone.now(), ZONE)
    await Notification.filter(user_id=world.secretary_a.id).update(read_at=timezone.now())

    log = await notify.reminder_log(round_.id)

    def people(entry: notify.ReminderEntry) -> list[tuple[str, bool, str]]:
        return [(r.name, bool(r.read_at), r.email_state) for r in entry.recipients]

    summary = [(e.kind, e.organisation, e.automatic, e.sent_by, people(e)) for e in log]
    a, b, staff = "辽宁省计算机学会", "辽宁省医学会", "省科协工作人员"
    assert summary == [
        ("round.overdue", a, True, "", [("计算机学会秘书", True, "")]),
        ("round.overdue", b, True, "", [("医学会秘书", False, "pending")]),
        ("round.reminder", a, False, staff, [("计算机学会秘书", True, "")]),
        ("round.opened", a, True, "", [("计算机学会秘书", True, "")]),
        ("round.opened", b, True, "", [("医学会秘书", False, "pending")]),
    ]


async def test_the_log_page_is_for_those_running_the_campaign(
    world: World, clock: Any, as_user: Any
) -> None:
    round_ = await first_round(world)
    async with as_user("sec_a") as secretary:
        assert (await secretary.get(f"/reports/rounds/{round_.id}/reminders")).status_code == 404
        mine = await secretary.get(f"/reports/rounds/{round_.id}/mine")
    async with as_user("outsider") as outsider:
        assert (await outsider.get(f"/reports/rounds/{round_.id}/mine")).status_code == 404
    response = await response_of(round_, world.society_a)
    assert mine.status_code == 303
    assert mine.headers["location"] == f"/reports/responses/{response.id}"


async def test_the_campaign_form_keeps_the_reminder_settings(
    world: World, as_english_user: Any
) -> None:
    campaign = await weekly_campaign(world)
    page = f"/reports/campaigns/{campaign.id}/edit"
    fields = {
        "title": campaign.title,
        "form_version": campaign.form_version_id,
        "organiser": world.association.id,
        "organisations": [world.society_a.id],
        "schedule_kind": "weekly",
        "starts_on": MONDAY.isoformat(),
        "due_offset_days": "2",
    }
    async with as_english_user("staff") as staff:
        bad = await post(staff, page, {**fields, "remind_days_before": "-1"}, token_from=page)
        saved = await post(
            staff,
            page,
            {**fields, "remind_days_before": "3", "overdue_every_days": "0"},
            token_from=page,
        )

    assert bad.status_code in (400, 422)
    assert "whole number of days from 0 to 60" in bad.text
    assert saved.status_code == 303
    stored = await Campaign.get(id=campaign.id)
    assert (stored.remind_days_before, stored.overdue_every_days) == (3, 0)


def test_overdue_keys_count_periods_from_the_deadline() -> None:
    campaign = Campaign(remind_days_before=2, overdue_every_days=2)
    due = datetime(2026, 3, 10, 15, 59, tzinfo=UTC)
    round_ = Round(id=7, opens_at=due - timedelta(days=8), due_at=due)

    def key(moment: datetime) -> str | None:
        event = notify.due_event(round_, campaign, moment, ZONE)
        return event.key if event else None

    assert key(due - timedelta(days=3)) is None
    assert key(due - timedelta(days=2)) == "round:7:due_soon"
    assert key(due - timedelta(hours=1)) == "round:7:due_today"  # 23:59 in Shanghai
    assert key(due) == "round:7:overdue:0"
    assert key(due + timedelta(days=1, hours=23)) == "round:7:overdue:0"
    assert key(due + timedelta(days=2)) == "round:7:overdue:1"
    assert key(due + timedelta(days=9)) == "round:7:overdue:4"
