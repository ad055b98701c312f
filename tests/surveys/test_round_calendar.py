"""Campaign schedules: which numbered rounds they yield, when each opens and is due."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from intranet.i18n import use_locale
from surveys import round_calendar
from surveys.round_calendar import (
    MAX_ROUNDS,
    RoundPlan,
    Schedule,
    ScheduleKind,
    due_to_open,
    period_text,
    round_number_at,
    rounds_between,
    validate_schedule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

ONCE, DAILY, WEEKLY, MONTHLY = (
    ScheduleKind.ONCE,
    ScheduleKind.DAILY,
    ScheduleKind.WEEKLY,
    ScheduleKind.MONTHLY,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def weekly(**changes: Any) -> Schedule:
    """The demo's weekly report: weeks from Monday 2020-02-10, due the next Tuesday."""
    values: dict[str, Any] = {
        "kind": WEEKLY,
        "starts_on": date(2020, 2, 10),
        "zone": SHANGHAI,
        "due_offset_days": 2,
    }
    return Schedule(**(values | changes))


def once(**changes: Any) -> Schedule:
    values: dict[str, Any] = {
        "kind": ONCE,
        "starts_on": date(2019, 1, 1),
        "ends_on": date(2019, 12, 31),
        "opens_on": date(2020, 1, 6),
        "due_on": date(2020, 1, 20),
        "zone": SHANGHAI,
    }
    return Schedule(**(values | changes))


# -- weekly ---------------------------------------------------------------------------------


def test_it_numbers_weekly_rounds_with_their_periods() -> None:
    plans = rounds_between(weekly(), utc(2020, 1, 1), utc(2020, 3, 22))

    assert [p.number for p in plans] == [1, 2, 3, 4, 5, 6]
    assert [(p.period_start, p.period_end) for p in plans] == [
        (date(2020, 2, 10), date(2020, 2, 16)),
        (date(2020, 2, 17), date(2020, 2, 23)),
        (date(2020, 2, 24), date(2020, 3, 1)),
        (date(2020, 3, 2), date(2020, 3, 8)),
        (date(2020, 3, 9), date(2020, 3, 15)),
        (date(2020, 3, 16), date(2020, 3, 22)),
    ]


def test_it_opens_at_local_midnight_and_is_due_at_the_end_of_the_due_day() -> None:
    first = rounds_between(weekly(), utc(2020, 1, 1), utc(2020, 2, 11))[0]

    assert first.opens_at == local(SHANGHAI, 2020, 2, 10, 0, 0)
    assert first.opens_at == utc(2020, 2, 9, 16, 0)
    # Period ends Sunday the 16th; two days more make Tuesday the 18th.
    assert first.due_at == local(SHANGHAI, 2020, 2, 18, 23, 59, 59)
    assert first.due_at == utc(2020, 2, 18, 15, 59, 59)
    assert first.opens_at.tzinfo is UTC
    assert first.due_at.tzinfo is UTC


def test_it_counts_the_due_offset_from_the_period_end() -> None:
    first = rounds_between(weekly(due_offset_days=1), utc(2020, 1, 1), utc(2020, 2, 11))[0]

    assert first.due_at == utc(2020, 2, 17, 15, 59, 59)  # Monday 23:59:59 in Shanghai


def test_it_is_due_on_the_last_day_with_no_offset() -> None:
    first = rounds_between(weekly(due_offset_days=0), utc(2020, 1, 1), utc(2020, 2, 11))[0]

    assert first.due_at == local(SHANGHAI, 2020, 2, 16, 23, 59, 59)


def test_it_uses_the_schedules_times_of_day() -> None:
    schedule = weekly(open_time=time(8, 30), due_time=time(17, 0))

    first = rounds_between(schedule, utc(2020, 1, 1), utc(2020, 2, 11))[0]

    assert first.opens_at == local(SHANGHAI, 2020, 2, 10, 8, 30)
    assert first.due_at == local(SHANGHAI, 2020, 2, 18, 17, 0)


def test_it_lists_the_rounds_opening_in_a_half_open_window() -> None:
    round_3_opens = local(SHANGHAI, 2020, 2, 24)
    round_5_opens = local(SHANGHAI, 2020, 3, 9)

    plans = rounds_between(weekly(), round_3_opens, round_5_opens)

    assert [p.number for p in plans] == [3, 4]


def test_it_lists_nothing_for_an_empty_or_early_window() -> None:
    assert rounds_between(weekly(), utc(2020, 3, 1), utc(2020, 3, 1)) == []
    assert rounds_between(weekly(), utc(2020, 3, 1), utc(2020, 2, 1)) == []
    assert rounds_between(weekly(), utc(2019, 1, 1), utc(2020, 2, 9, 16)) == []


def test_it_finds_rounds_years_later_without_listing_the_earlier_ones() -> None:
    plans = rounds_between(weekly(), utc(2030, 1, 1), utc(2030, 1, 8))

    assert len(plans) == 1
    plan = plans[0]
    assert plan.period_start == date(2020, 2, 10) + timedelta(weeks=plan.number - 1)
    assert plan.period_start.weekday() == 0


# -- monthly and daily ----------------------------------------------------------------------


def test_it_keeps_a_monthly_schedule_from_the_31st_on_the_last_day_without_drift() -> None:
    schedule = Schedule(kind=MONTHLY, starts_on=date(2020, 1, 31), zone=SHANGHAI)

    plans = rounds_between(schedule, utc(2020, 1, 1), utc(2021, 3, 1))

    assert [p.period_start for p in plans[:6]] == [
        date(2020, 1, 31),
        date(2020, 2, 29),
        date(2020, 3, 31),
        date(2020, 4, 30),
        date(2020, 5, 31),
        date(2020, 6, 30),
    ]
    assert plans[0].period_end == date(2020, 2, 28)
    assert plans[1].period_end == date(2020, 3, 30)
    assert plans[12].period_start == date(2021, 1, 31)
    assert plans[13].period_start == date(2021, 2, 28)  # not a leap year
    # Periods tile the calendar: each starts the day after the one before ends.
    for before, after in itertools.pairwise(plans):
        assert after.period_start == before.period_end + timedelta(days=1)


def test_it_runs_monthly_periods_as_calendar_months_from_the_1st() -> None:
    schedule = Schedule(kind=MONTHLY, starts_on=date(2020, 1, 1), zone=SHANGHAI, due_offset_days=5)

    plans = rounds_between(schedule, utc(2019, 12, 1), utc(2020, 3, 15))

    assert [(p.period_start, p.period_end) for p in plans] == [
        (date(2020, 1, 1), date(2020, 1, 31)),
        (date(2020, 2, 1), date(2020, 2, 29)),
        (date(2020, 3, 1), date(2020, 3, 31)),
    ]
    assert plans[1].due_at == local(SHANGHAI, 2020, 3, 5, 23, 59, 59)


def test_it_gives_a_daily_schedule_one_round_a_day() -> None:
    schedule = Schedule(kind=DAILY, starts_on=date(2020, 2, 10), zone=SHANGHAI)

    plans = rounds_between(schedule, utc(2020, 1, 1), local(SHANGHAI, 2020, 2, 13))

    assert [p.number for p in plans] == [1, 2, 3]
    assert all(p.period_start == p.period_end for p in plans)
    assert plans[2].period_start == date(2020, 2, 12)
    assert plans[2].due_at == local(SHANGHAI, 2020, 2, 12, 23, 59, 59)


def test_it_starts_no_period_after_ends_on() -> None:
    schedule = weekly(ends_on=date(2020, 3, 4))

    plans = rounds_between(schedule, utc(2020, 1, 1), utc(2021, 1, 1))

    assert [p.number for p in plans] == [1, 2, 3, 4]
    # The last period started on or before ends_on and runs its full week.
    assert plans[-1].period_end == date(2020, 3, 8)


def test_it_yields_one_round_when_ends_on_is_the_start() -> None:
    schedule = weekly(ends_on=date(2020, 2, 10))

    assert [p.number for p in rounds_between(schedule, utc(2020, 1, 1), utc(2021, 1, 1))] == [1]


# -- once -----------------------------------------------------------------------------------


def test_it_gives_a_one_off_schedule_a_single_round() -> None:
    plans = rounds_between(once(), utc(2019, 1, 1), utc(2021, 1, 1))

    assert plans == [
        RoundPlan(
            number=1,
            period_start=date(2019, 1, 1),
            period_end=date(2019, 12, 31),
            opens_at=local(SHANGHAI, 2020, 1, 6),
            due_at=local(SHANGHAI, 2020, 1, 20, 23, 59, 59),
        )
    ]


def test_it_ends_a_one_off_period_on_the_due_date_without_ends_on() -> None:
    plan = rounds_between(once(ends_on=None), utc(2019, 1, 1), utc(2021, 1, 1))[0]

    assert plan.period_end == date(2020, 1, 20)


def test_it_finds_the_one_off_round_running() -> None:
    assert round_number_at(once(), local(SHANGHAI, 2020, 1, 5, 23, 59)) is None
    plan = round_number_at(once(), local(SHANGHAI, 2020, 1, 10))
    assert plan is not None and plan.number == 1
    assert round_number_at(once(), local(SHANGHAI, 2020, 1, 21)) is None


# -- the round running at a moment ----------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "number"),
    [
        (local(SHANGHAI, 2020, 2, 9, 23, 59, 59), None),  # before the first opens
        (local(SHANGHAI, 2020, 2, 10, 0, 0), 1),  # the instant it opens
        (local(SHANGHAI, 2020, 2, 16, 12, 0), 1),
        (local(SHANGHAI, 2020, 2, 17, 0, 0), 2),  # a newer round takes over
        (local(SHANGHAI, 2020, 3, 20, 9, 0), 6),
    ],
)
def test_it_finds_the_round_running_at_a_moment(moment: datetime, number: int | None) -> None:
    plan = round_number_at(weekly(), moment)

    assert (plan.number if plan else None) == number


def test_it_finds_no_round_between_due_and_the_next_opening() -> None:
    schedule = weekly(open_time=time(9, 0), due_offset_days=0, due_time=time(18, 0))

    assert round_number_at(schedule, local(SHANGHAI, 2020, 2, 16, 18, 0)) is not None
    assert round_number_at(schedule, local(SHANGHAI, 2020, 2, 16, 18, 1)) is None
    assert round_number_at(schedule, local(SHANGHAI, 2020, 2, 17, 8, 59)) is None
    plan = round_number_at(schedule, local(SHANGHAI, 2020, 2, 17, 9, 0))
    assert plan is not None and plan.number == 2


def test_it_finds_no_round_after_the_last_one_is_due() -> None:
    schedule = weekly(ends_on=date(2020, 2, 10))

    plan = round_number_at(schedule, local(SHANGHAI, 2020, 2, 18, 23, 0))
    assert plan is not None and plan.number == 1
    assert round_number_at(schedule, local(SHANGHAI, 2020, 2, 19, 0, 0)) is None


# -- opening rounds -------------------------------------------------------------------------


def test_it_lists_the_rounds_due_to_open_in_order() -> None:
    now = local(SHANGHAI, 2020, 2, 24, 0, 5)

    assert [p.number for p in due_to_open(weekly(), now, set())] == [1, 2, 3]
    assert [p.number for p in due_to_open(weekly(), now, {1, 2})] == [3]
    assert due_to_open(weekly(), now, {1, 2, 3}) == []


def test_it_gives_the_same_answer_when_asked_twice() -> None:
    now = local(SHANGHAI, 2020, 3, 1)
    opened = {1}

    first = due_to_open(weekly(), now, opened)
    second = due_to_open(weekly(), now, opened)

    assert first == second
    assert [p.number for p in first] == [2, 3]
    assert opened == {1}


def test_it_catches_up_every_round_missed_while_the_app_was_down() -> None:
    # Rounds 1 and 2 were opened; the app then stood still for three weeks.
    now = local(SHANGHAI, 2020, 2, 17, 0, 1) + timedelta(weeks=3)

    missed = due_to_open(weekly(), now, {1, 2})

    assert [p.number for p in missed] == [3, 4, 5]
    assert [p.period_start for p in missed] == [
        date(2020, 2, 24),
        date(2020, 3, 2),
        date(2020, 3, 9),
    ]


def test_it_opens_nothing_before_the_first_round() -> None:
    assert due_to_open(weekly(), local(SHANGHAI, 2020, 2, 9, 23, 59), set()) == []


def test_it_opens_nothing_past_the_end() -> None:
    schedule = weekly(ends_on=date(2020, 2, 20))

    assert [p.number for p in due_to_open(schedule, utc(2021, 1, 1), set())] == [1, 2]
    assert due_to_open(schedule, utc(2021, 1, 1), {1, 2}) == []


def test_it_opens_a_one_off_round_once() -> None:
    now = local(SHANGHAI, 2020, 1, 6, 0, 1)

    assert [p.number for p in due_to_open(once(), now, set())] == [1]
    assert due_to_open(once(), now, {1}) == []


def test_it_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_to_open(weekly(), datetime(2020, 3, 1), set())
    with pytest.raises(ValueError, match="timezone-aware"):
        rounds_between(weekly(), datetime(2020, 3, 1), utc(2020, 4, 1))


# -- summer time ----------------------------------------------------------------------------


def test_it_opens_weekly_rounds_at_local_midnight_across_summer_time() -> None:
    # Berlin moves its clocks forward on Sunday 2020-03-29 and back on 2020-10-25.
    schedule = Schedule(kind=WEEKLY, starts_on=date(2020, 3, 23), zone=BERLIN)

    spring = rounds_between(schedule, utc(2020, 3, 1), utc(2020, 4, 5))
    autumn = rounds_between(schedule, utc(2020, 10, 18), utc(2020, 10, 27))

    assert [p.opens_at for p in spring] == [utc(2020, 3, 22, 23), utc(2020, 3, 29, 22)]
    assert spring[0].due_at == utc(2020, 3, 29, 21, 59, 59)  # Sunday 23:59:59 CEST
    assert [p.opens_at for p in autumn] == [utc(2020, 10, 18, 22), utc(2020, 10, 25, 23)]
    for plan in spring + autumn:
        opens = plan.opens_at.astimezone(BERLIN)
        assert (opens.date(), opens.time()) == (plan.period_start, time(0, 0))


def test_it_finds_the_round_running_on_the_night_the_clocks_change() -> None:
    schedule = Schedule(kind=DAILY, starts_on=date(2020, 3, 1), zone=BERLIN)

    plan = round_number_at(schedule, local(BERLIN, 2020, 3, 29, 3, 30))

    assert plan is not None and plan.period_start == date(2020, 3, 29)
    assert plan.opens_at == utc(2020, 3, 28, 23)
    assert plan.due_at == utc(2020, 3, 29, 21, 59, 59)


# -- period text ----------------------------------------------------------------------------


def test_it_gives_the_period_as_iso_dates_for_templates() -> None:
    first = rounds_between(weekly(), utc(2020, 1, 1), utc(2020, 2, 11))[0]

    assert period_text(first) == {"start": "2020-02-10", "end": "2020-02-16"}
    assert first.title_params == {"number": 1, "start": "2020-02-10", "end": "2020-02-16"}


def test_it_keeps_chinese_out_of_the_module() -> None:
    source = Path(round_calendar.__file__).read_text(encoding="utf-8")

    assert not re.search(r"[\u4e00-\u9fff]", source)


# -- validation -----------------------------------------------------------------------------


def test_it_finds_nothing_wrong_with_good_schedules() -> None:
    assert validate_schedule(weekly()) == []
    assert validate_schedule(once()) == []
    assert validate_schedule(weekly(ends_on=date(2020, 2, 10))) == []
    daily = Schedule(kind=DAILY, starts_on=date(2020, 1, 1), zone=SHANGHAI)
    assert validate_schedule(daily) == []
    last_allowed = date(2020, 1, 1) + timedelta(days=MAX_ROUNDS - 1)
    assert validate_schedule(replace(daily, ends_on=last_allowed)) == []


@pytest.mark.parametrize(
    ("schedule", "message", "field", "params"),
    [
        (
            once(opens_on=None),
            "A one-off round needs an opening date and a due date.",
            "opens_on",
            {},
        ),
        (
            once(due_on=None),
            "A one-off round needs an opening date and a due date.",
            "due_on",
            {},
        ),
        (
            once(opens_on=date(2020, 1, 20), due_on=date(2020, 1, 19)),
            "A round must be due after it opens.",
            "due_on",
            {},
        ),
        (
            once(opens_on=date(2020, 1, 20), due_on=date(2020, 1, 20), due_time=time(0, 0)),
            "A round must be due after it opens.",
            "due_on",
            {},
        ),
        (
            Schedule(
                kind=DAILY,
                starts_on=date(2020, 2, 10),
                zone=SHANGHAI,
                open_time=time(9, 0),
                due_time=time(8, 0),
            ),
            "A round must be due after it opens.",
            "due_time",
            {},
        ),
        (
            weekly(ends_on=date(2020, 2, 9)),
            "The end date cannot be before the start date.",
            "ends_on",
            {},
        ),
        (
            weekly(due_offset_days=-1),
            "The days allowed after each period cannot be negative.",
            "due_offset_days",
            {},
        ),
        (
            weekly(due_offset_days=400),
            "At most %(limit)s days can be allowed after each period.",
            "due_offset_days",
            {"limit": 366},
        ),
        (
            Schedule(
                kind=DAILY, starts_on=date(2020, 1, 1), ends_on=date(2029, 12, 31), zone=SHANGHAI
            ),
            "This schedule makes %(count)s rounds; at most %(limit)s are allowed.",
            "ends_on",
            {"count": 3653, "limit": MAX_ROUNDS},
        ),
        (
            weekly(starts_on=date(202, 2, 10)),
            "Dates must fall between the years %(first)s and %(last)s.",
            "starts_on",
            {"first": 1970, "last": 2100},
        ),
        (
            weekly(ends_on=date(9999, 12, 31)),
            "Dates must fall between the years %(first)s and %(last)s.",
            "ends_on",
            {"first": 1970, "last": 2100},
        ),
    ],
)
def test_it_explains_what_is_wrong_with_a_schedule(
    schedule: Schedule, message: str, field: str, params: dict[str, object]
) -> None:
    problems = validate_schedule(schedule)

    assert [(p.message, p.field, dict(p.params)) for p in problems] == [(message, field, params)]


def test_it_lists_every_problem_at_once() -> None:
    problems = validate_schedule(once(opens_on=None, ends_on=date(2018, 1, 1)))

    assert [p.field for p in problems] == ["ends_on", "opens_on"]


def test_it_translates_the_problems_where_they_are_shown() -> None:
    problem = validate_schedule(weekly(due_offset_days=400))[0]

    with use_locale("en"):
        assert problem.translated() == "At most 366 days can be allowed after each period."
