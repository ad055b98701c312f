"""Which numbered rounds a campaign's schedule yields, and when each opens and is due.

Pure rules, no database and no HTTP: the app's own scheduler asks `due_to_open` which
rounds to open now, pages ask `round_number_at` for the round running at a moment, and
the campaign form shows `validate_schedule`'s problems. A round is known by its number
(1-based; the templates word the title), so the database can enforce "opened exactly
once" with a unique (campaign, number).

Dates and times of day are the site's wall clock in `Schedule.zone`; every datetime
going in must be aware, and every datetime coming out is aware and in UTC.

    once     one round: opens on opens_on, due on due_on
    daily    one round per day from starts_on
    weekly   one round per 7 days from starts_on (2020-02-10 Mon: periods Mon to Sun)
    monthly  one round per calendar month from starts_on's day of the month

A recurring round opens at `open_time` on its period's first day and is due at
`due_time` `due_offset_days` days after its period's last day.

Decisions the issue leaves open:
- A monthly schedule keeps starts_on's day of the month for good: from the 31st, the
  periods start on 31 Jan, 29 Feb (28 in other years), 31 Mar, 30 Apr, 31 May..., so
  a short month never shifts the later ones.
- `ends_on` is the last day a period may start on; the period starting on or before it
  still runs its full length.
- A one-off round reports on starts_on to ends_on (or to due_on when there is no
  ends_on), so an annual summary can cover last year and open in January.
  `due_offset_days` means nothing to it; opens_on and due_on mean nothing to a
  recurring schedule.
- A round is running from opens_at to due_at inclusive. When rounds overlap (an offset
  longer than the period) the one opened last is the round running.
- A local time that the clocks skip (02:30 on the day summer time starts) is read with
  the offset in force before the change, so it lands an hour later on the wall clock.
- `due_to_open` lists every round that should have opened by now, however late: after
  downtime the missed rounds open late rather than never, and respondents see them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from intranet.i18n import N_
from surveys.schema import Problem

# Enough for a daily campaign of over two years or a weekly one of nineteen; a schedule
# asking for more is a typo in a date.
MAX_ROUNDS = 1000
MAX_DUE_OFFSET_DAYS = 366
# Far from date.min and date.max so that period arithmetic never overflows, and a year
# typed as 0202 or 20200 is caught.
FIRST_YEAR = 1970
LAST_YEAR = 2100

DEFAULT_OPEN_TIME = time(0, 0)
DEFAULT_DUE_TIME = time(23, 59, 59)


class ScheduleKind(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ScheduleKind.ONCE: N_("Once"),
    ScheduleKind.DAILY: N_("Every day"),
    ScheduleKind.WEEKLY: N_("Every week"),
    ScheduleKind.MONTHLY: N_("Every month"),
}

ONCE_NEEDS_DATES = N_("A one-off round needs an opening date and a due date.")
DUE_BEFORE_OPEN = N_("A round must be due after it opens.")
ENDS_BEFORE_STARTS = N_("The end date cannot be before the start date.")
NEGATIVE_OFFSET = N_("The days allowed after each period cannot be negative.")
OFFSET_TOO_LONG = N_("At most %(limit)s days can be allowed after each period.")
TOO_MANY_ROUNDS = N_("This schedule makes %(count)s rounds; at most %(limit)s are allowed.")
DATE_OUT_OF_RANGE = N_("Dates must fall between the years %(first)s and %(last)s.")


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When a campaign's rounds open and are due; see the module's docstring."""

    kind: ScheduleKind
    starts_on: date
    zone: ZoneInfo
    opens_on: date | None = None
    due_on: date | None = None
    due_offset_days: int = 0
    ends_on: date | None = None
    open_time: time = DEFAULT_OPEN_TIME
    due_time: time = DEFAULT_DUE_TIME


@dataclass(frozen=True)
class RoundPlan:
    """One round as the schedule sees it: its number, the days it reports on
    (inclusive) and when it opens and is due (aware, UTC)."""

    number: int
    period_start: date
    period_end: date
    opens_at: datetime
    due_at: datetime

    @property
    def title_params(self) -> dict[str, object]:
        """Parameters for a translated title such as "Round %(number)d (%(start)s – %(end)s)"."""
        return {"number": self.number, **period_text(self)}


def period_text(plan: RoundPlan) -> dict[str, str]:
    """The period's first and last day as ISO dates, for a template to put in its
    translated wording: {"start": "2020-02-10", "end": "2020-02-16"}."""
    return {"start": plan.period_start.isoformat(), "end": plan.period_end.isoformat()}


def rounds_between(schedule: Schedule, start: datetime, end: datetime) -> list[RoundPlan]:
    """The rounds opening at or after `start` and before `end`, in order."""
    _require_aware(start, end)
    if end <= start:
        return []
    # Rounds open in period order, and none before the period holding start's local day
    # opens after start; one period earlier covers a skipped local hour.
    first = max(0, _index_on_or_before(schedule, _local_day(schedule, start)) - 1)
    found = []
    for plan in _plans_from(schedule, first):
        if plan.opens_at >= end:
            break
        if plan.opens_at >= start:
            found.append(plan)
    return found


def round_number_at(schedule: Schedule, moment: datetime) -> RoundPlan | None:
    """The round running at `moment`: opened and not yet past due; None between rounds."""
    latest = _latest_opened(schedule, moment)
    # Due times rise with the number, so no earlier round is still running either.
    if latest is None or moment > latest.due_at:
        return None
    return latest


def due_to_open(schedule: Schedule, now: datetime, already_opened: set[int]) -> list[RoundPlan]:
    """The rounds that should be open by `now` and whose numbers are not in
    `already_opened`, oldest first: after downtime, every missed round. The answer
    depends only on the arguments, so asking twice opens nothing twice."""
    latest = _latest_opened(schedule, now)
    if latest is None:
        return []
    return [
        _plan(schedule, index) for index in range(latest.number) if index + 1 not in already_opened
    ]


def validate_schedule(schedule: Schedule) -> list[Problem]:
    """Everything wrong with the schedule; an empty list if nothing is. `field` names the
    Schedule attribute at fault."""
    problems = list(_date_problems(schedule))
    if problems:  # the checks below do arithmetic on the dates
        return problems
    if schedule.ends_on is not None and schedule.ends_on < schedule.starts_on:
        problems.append(Problem(ENDS_BEFORE_STARTS, field="ends_on"))
    if schedule.kind == ScheduleKind.ONCE:
        problems.extend(_once_problems(schedule))
    else:
        problems.extend(_recurring_problems(schedule))
    return problems


# -- periods --------------------------------------------------------------------------------


def _plans_from(schedule: Schedule, first: int) -> Iterator[RoundPlan]:
    last = _last_index(schedule)
    index = first
    while last is None or index <= last:
        yield _plan(schedule, index)
        index += 1


def _latest_opened(schedule: Schedule, moment: datetime) -> RoundPlan | None:
    _require_aware(moment)
    index = _index_on_or_before(schedule, _local_day(schedule, moment))
    last = _last_index(schedule)
    if last is not None:
        index = min(index, last)
    # The period holding moment's local day may open later that day; the one before it
    # opened on an earlier day.
    for candidate in (index, index - 1):
        if candidate >= 0:
            plan = _plan(schedule, candidate)
            if plan.opens_at <= moment:
                return plan
    return None


def _plan(schedule: Schedule, index: int) -> RoundPlan:
    if schedule.kind == ScheduleKind.ONCE:
        opens_on, due_on = _once_dates(schedule)
        return RoundPlan(
            number=1,
            period_start=schedule.starts_on,
            period_end=schedule.ends_on or due_on,
            opens_at=_utc(schedule, opens_on, schedule.open_time),
            due_at=_utc(schedule, due_on, schedule.due_time),
        )
    start, end = _period(schedule, index)
    due_on = end + timedelta(days=schedule.due_offset_days)
    return RoundPlan(
        number=index + 1,
        period_start=start,
        period_end=end,
        opens_at=_utc(schedule, start, schedule.open_time),
        due_at=_utc(schedule, due_on, schedule.due_time),
    )


def _period(schedule: Schedule, index: int) -> tuple[date, date]:
    if schedule.kind == ScheduleKind.MONTHLY:
        start = _month_start(schedule.starts_on, index)
        return start, _month_start(schedule.starts_on, index + 1) - timedelta(days=1)
    days = 7 if schedule.kind == ScheduleKind.WEEKLY else 1
    start = schedule.starts_on + timedelta(days=days * index)
    return start, start + timedelta(days=days - 1)


def _month_start(starts_on: date, months: int) -> date:
    """starts_on moved on by whole months, its day clamped to the month's length (always
    counted from starts_on, never from the previous period, so it cannot drift)."""
    years, month = divmod(starts_on.month - 1 + months, 12)
    year = starts_on.year + years
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(starts_on.day, last_day))


def _index_on_or_before(schedule: Schedule, day: date) -> int:
    """The index of the last period starting on or before `day` (ignoring ends_on);
    -1 if none does."""
    start = schedule.starts_on
    if schedule.kind == ScheduleKind.ONCE:
        opens_on, _ = _once_dates(schedule)
        return 0 if day >= opens_on else -1
    if day < start:
        return -1
    if schedule.kind == ScheduleKind.MONTHLY:
        months = (day.year - start.year) * 12 + day.month - start.month
        return months if _month_start(start, months) <= day else months - 1
    days = 7 if schedule.kind == ScheduleKind.WEEKLY else 1
    return (day - start).days // days


def _last_index(schedule: Schedule) -> int | None:
    """The index of the last round; None when the schedule never ends."""
    if schedule.kind == ScheduleKind.ONCE:
        return 0
    if schedule.ends_on is None:
        return None
    return _index_on_or_before(schedule, schedule.ends_on)


def _once_dates(schedule: Schedule) -> tuple[date, date]:
    if schedule.opens_on is None or schedule.due_on is None:
        raise ValueError(ONCE_NEEDS_DATES)
    return schedule.opens_on, schedule.due_on


def _utc(schedule: Schedule, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=schedule.zone).astimezone(UTC)


def _local_day(schedule: Schedule, moment: datetime) -> date:
    return moment.astimezone(schedule.zone).date()


def _require_aware(*moments: datetime) -> None:
    # A naive datetime would be read in the server's zone, which is not the site's.
    if any(moment.utcoffset() is None for moment in moments):
        raise ValueError("schedule times must be timezone-aware")


# -- validation -----------------------------------------------------------------------------


def _date_problems(schedule: Schedule) -> Iterator[Problem]:
    for name in ("starts_on", "ends_on", "opens_on", "due_on"):
        value = getattr(schedule, name)
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            yield Problem(DATE_OUT_OF_RANGE, {"first": FIRST_YEAR, "last": LAST_YEAR}, field=name)


def _once_problems(schedule: Schedule) -> Iterator[Problem]:
    if schedule.opens_on is None or schedule.due_on is None:
        field = "opens_on" if schedule.opens_on is None else "due_on"
        yield Problem(ONCE_NEEDS_DATES, field=field)
        return
    plan = _plan(schedule, 0)
    if plan.due_at <= plan.opens_at:
        yield Problem(DUE_BEFORE_OPEN, field="due_on")


def _recurring_problems(schedule: Schedule) -> Iterator[Problem]:
    offset = schedule.due_offset_days
    if offset < 0:
        yield Problem(NEGATIVE_OFFSET, field="due_offset_days")
        return
    if offset > MAX_DUE_OFFSET_DAYS:
        yield Problem(OFFSET_TOO_LONG, {"limit": MAX_DUE_OFFSET_DAYS}, field="due_offset_days")
        return
    # Only a daily round due on its own day at an earlier time than it opens can do this.
    plan = _plan(schedule, 0)
    if plan.due_at <= plan.opens_at:
        yield Problem(DUE_BEFORE_OPEN, field="due_time")
    last = _last_index(schedule)
    if last is not None and last + 1 > MAX_ROUNDS:
        yield Problem(TOO_MANY_ROUNDS, {"count": last + 1, "limit": MAX_ROUNDS}, field="ends_on")
