"""What the staff running a campaign do with it: set it up, watch its rounds fill in,
remind the late, approve in bulk, and close, reopen or extend a round.

No HTTP here: views parse the request, ask surveys.policy who may act, and call these.

Decisions the issue leaves open:
- A round's completion counts submitted, resubmitted and approved responses over the
  roster the round opened with (its response rows), not today's roster.
- A response is overdue when the round's deadline has passed and it still awaits an
  answer (not started, draft, or returned); a submission after the deadline is late.
- Once a campaign has opened a round, its form version, organiser and schedule kind and
  start are fixed (the rounds already numbered depend on them); the title, roster and
  end of the schedule may still change and apply to the rounds not opened yet.
- A roster names organisations inside the organiser's subtree. Categories span the
  whole tree, so only a top-level organiser (the association) may name them: a society
  must not reach the reports of societies it does not run.
- A reminder is one row per organisation and round each time staff send one; the
  secretary's home page shows those of the last REMINDER_DAYS days for rounds that
  still await their answer.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from tortoise.expressions import Q
from tortoise.functions import Count

from intranet.forms import FormErrors, clean_line, parse_id
from intranet.i18n import N_, Refusal, gettext
from intranet.models import Category, Membership, Organisation, User
from intranet.policy import acting_organisation_ids
from surveys import notify, policy
from surveys.models import (
    Campaign,
    Form,
    FormVersion,
    Response,
    Round,
    RoundReminder,
)
from surveys.responses import AWAITING_ANSWER, ResponseChanged, act, is_late, was_resent
from surveys.schedule import Schedule, ScheduleKind, validate_schedule
from surveys.states import Action, Actor, ResponseState, TransitionRefused

MAX_TITLE = 200
REMINDER_DAYS = 14
DONE_STATES = frozenset(
    {ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED}
)
# The tracker's columns of counts, in the order a response moves through them.
TRACKER_STATES = (
    ResponseState.NOT_STARTED,
    ResponseState.DRAFT,
    ResponseState.SUBMITTED,
    ResponseState.RETURNED,
    ResponseState.RESUBMITTED,
    ResponseState.APPROVED,
)

TITLE_REQUIRED = N_("Give the campaign a title.")
TITLE_TOO_LONG = N_("At most %(count)d characters, please.")
CHOOSE_FORM = N_("Choose one of the forms offered.")
FORM_UNFINISHED = N_(
    "This form is not finished yet: open it in the form builder and fix what it lists."
)
CHOOSE_ORGANISER = N_("Choose one of the organisations you act for.")
ORGANISATION_OUTSIDE = N_("Choose organisations within the organiser's own organisation.")
CATEGORY_UNKNOWN = N_("Choose one of the categories offered.")
CATEGORIES_TOP_ONLY = N_("Only a campaign of the association can be sent to whole categories.")
ROSTER_EMPTY = N_("Choose at least one organisation or category to send the form to.")
CHOOSE_KIND = N_("Choose how often the form is filled in.")
DATE_INVALID = N_("Enter a date as YYYY-MM-DD.")
START_REQUIRED = N_("Give the date the first period starts on.")
OFFSET_INVALID = N_("Enter a whole number of days.")
REMINDER_DAYS_INVALID = N_("Enter a whole number of days from 0 to %(max)d.")
MAX_REMINDER_DAYS = 60

ROUND_ALREADY_CLOSED = N_("This round is already closed.")
ROUND_NOT_CLOSED = N_("This round is not closed.")
ROUND_NOT_OPENED = N_("This round has not opened yet.")
DUE_INVALID = N_("Enter the new deadline as a date and a time.")
DUE_NOT_LATER = N_("The new deadline must be later than now.")
DUE_NOT_EXTENDED = N_("The new deadline must be later than the current one.")


class RoundRefused(Refusal):
    """A round action its state does not allow; nothing changed."""


# -- the campaign form ----------------------------------------------------------------


@dataclass
class CampaignChoices:
    """What the campaign form offers this person; posted ids outside these are refused."""

    versions: list[FormVersion]  # the latest version of each form first, `form` loaded
    organisers: list[Organisation]
    organisations: list[Organisation]  # inside any organiser's subtree
    categories: list[Category]

    def version_options(self) -> list[tuple[int, str]]:
        return [(v.id, f"{v.form.title} · v{v.number}") for v in self.versions]

    def organiser_options(self) -> list[tuple[int, str]]:
        return [(o.id, o.name) for o in self.organisers]


@dataclass
class CampaignFields:
    """The campaign form as posted (or as stored, for editing), kept to show it again."""

    title: str = ""
    form_version_id: int | None = None
    organiser_id: int | None = None
    organisation_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    schedule_kind: str = ScheduleKind.WEEKLY.value
    starts_on: str = ""
    opens_on: str = ""
    due_on: str = ""
    due_offset_days: str = "0"
    ends_on: str = ""
    remind_days_before: str = "2"
    overdue_every_days: str = "2"
    stamp_block: bool = True

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignFields:
        return cls(
            title=campaign.title,
            form_version_id=campaign.form_version_id,  # type: ignore[attr-defined]
            organiser_id=campaign.organiser_id,  # type: ignore[attr-defined]
            organisation_ids=list(campaign.roster_organisations),
            category_ids=list(campaign.roster_categories),
            schedule_kind=campaign.schedule_kind.value,
            starts_on=_iso(campaign.starts_on),
            opens_on=_iso(campaign.opens_on),
            due_on=_iso(campaign.due_on),
            due_offset_days=str(campaign.due_offset_days),
            ends_on=_iso(campaign.ends_on),
            remind_days_before=str(campaign.remind_days_before),
            overdue_every_days=str(campaign.overdue_every_days),
            stamp_block=campaign.stamp_block,
        )

    @classmethod
    def posted(cls, form: FormData) -> CampaignFields:
        return cls(
            title=clean_line(form.get("title", "")),
            form_version_id=parse_id(form.get("form_version")),
            organiser_id=parse_id(form.get("organiser")),
            organisation_ids=_ids(form.getlist("organisations")),
            category_ids=_ids(form.getlist("categories")),
            schedule_kind=clean_line(form.get("schedule_kind", "")),
            starts_on=clean_line(form.get("starts_on", ""))[:20],
            opens_on=clean_line(form.get("opens_on", ""))[:20],
            due_on=clean_line(form.get("due_on", ""))[:20],
            due_offset_days=clean_line(form.get("due_offset_days", ""))[:20],
            ends_on=clean_line(form.get("ends_on", ""))[:20],
            remind_days_before=clean_line(form.get("remind_days_before", "2"))[:20],
            overdue_every_days=clean_line(form.get("overdue_every_days", "2"))[:20],
            stamp_block=_stamp_block(form.getlist("stamp_block")),
        )


def _stamp_block(values: Sequence[Any]) -> bool:
    """The form sends "0" from a hidden field and "1" from the ticked box; a form that
    sends neither keeps the default (on)."""
    return not values or "1" in values


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _ids(values: Sequence[Any]) -> list[int]:
    return sorted({i for i in (parse_id(v) for v in values) if i is not None})


async def campaign_choices(held: list[Membership]) -> CampaignChoices:
    organisers = policy.form_owners(held)
    candidates = Form.filter(_inside(organisers, "owner__path")).select_related("owner")
    forms = [f for f in await candidates if policy.can_manage_form(held, f)] if organisers else []
    latest: dict[int, FormVersion] = {}
    for version in await FormVersion.filter(form_id__in=[f.id for f in forms]).order_by("number"):
        latest[version.form_id] = version  # type: ignore[attr-defined]
    by_id = {f.id: f for f in forms}
    versions = []
    for form_id, version in latest.items():
        version.form = by_id[form_id]
        versions.append(version)
    versions.sort(key=lambda v: v.form.title)
    organisations = await _organisations_under(organisers)
    categories = await Category.all().order_by("sort_order", "name")
    return CampaignChoices(versions, organisers, organisations, categories)


def _inside(organisations: list[Organisation], path_field: str) -> Q:
    """Rows whose organisation (by `path_field`) lies in one of these subtrees."""
    return Q(*(Q(**{f"{path_field}__startswith": o.path}) for o in organisations), join_type="OR")


async def _organisations_under(organisers: list[Organisation]) -> list[Organisation]:
    if not organisers:
        return []
    found: dict[int, Organisation] = {}
    for organiser in organisers:
        below = Organisation.filter(path__startswith=organiser.path, is_active=True)
        for organisation in await below.exclude(id=organiser.id).order_by("path"):
            found.setdefault(organisation.id, organisation)
    return sorted(found.values(), key=lambda o: o.path)


@dataclass
class CleanCampaign:
    values: dict[str, Any]
    errors: FormErrors


def clean_campaign(
    posted: CampaignFields,
    choices: CampaignChoices,
    zone: ZoneInfo,
    *,
    locked: Campaign | None = None,
) -> CleanCampaign:
    """The campaign's columns from the posted form, or every error by field name.
    `locked` is a campaign whose rounds have opened: its fixed fields are kept."""
    errors = FormErrors()
    values: dict[str, Any] = {"title": _clean_title(posted.title, errors)}
    if locked is not None:
        posted.form_version_id = locked.form_version_id  # type: ignore[attr-defined]
        posted.organiser_id = locked.organiser_id  # type: ignore[attr-defined]
        posted.schedule_kind = locked.schedule_kind.value
        posted.starts_on = _iso(locked.starts_on)
        posted.opens_on = _iso(locked.opens_on)
    version = next((v for v in choices.versions if v.id == posted.form_version_id), None)
    if locked is None and version is None:
        errors.add("form_version", gettext(CHOOSE_FORM))
    elif locked is None and version is not None and version.form_definition().validate():
        # The builder saves unfinished forms; sending one out would ask for the impossible.
        errors.add("form_version", gettext(FORM_UNFINISHED))
    organiser = next((o for o in choices.organisers if o.id == posted.organiser_id), None)
    if locked is None and organiser is None:
        errors.add("organiser", gettext(CHOOSE_ORGANISER))
    if locked is None:
        values["form_version_id"] = posted.form_version_id
        values["organiser_id"] = posted.organiser_id
    else:
        organiser = locked.organiser
    values.update(_clean_roster(posted, choices, organiser, errors))
    values.update(_clean_schedule(posted, zone, errors))
    values.update(_clean_reminders(posted, errors))
    values["stamp_block"] = posted.stamp_block
    return CleanCampaign(values, errors)


def _clean_reminders(posted: CampaignFields, errors: FormErrors) -> dict[str, int]:
    """How many days before the deadline to remind, and how often once overdue (0: no
    early reminder; a single overdue one)."""
    values = {}
    for name in ("remind_days_before", "overdue_every_days"):
        text = getattr(posted, name).strip() or "0"
        if not text.isdecimal() or int(text) > MAX_REMINDER_DAYS:
            errors.add(name, gettext(REMINDER_DAYS_INVALID) % {"max": MAX_REMINDER_DAYS})
        else:
            values[name] = int(text)
    return values


def _clean_title(title: str, errors: FormErrors) -> str:
    if not title:
        errors.add("title", gettext(TITLE_REQUIRED))
    elif len(title) > MAX_TITLE:
        errors.add("title", gettext(TITLE_TOO_LONG) % {"count": MAX_TITLE})
    return title


def _clean_roster(
    posted: CampaignFields,
    choices: CampaignChoices,
    organiser: Organisation | None,
    errors: FormErrors,
) -> dict[str, Any]:
    offered = {o.id: o for o in choices.organisations}
    chosen = [offered.get(i) for i in posted.organisation_ids]

    def inside(o: Organisation | None) -> bool:
        if o is None:
            return False
        return organiser is None or (o.id != organiser.id and o.is_within(organiser))

    if not all(inside(o) for o in chosen):
        errors.add("organisations", gettext(ORGANISATION_OUTSIDE))
    known_categories = {c.id for c in choices.categories}
    if not set(posted.category_ids) <= known_categories:
        errors.add("categories", gettext(CATEGORY_UNKNOWN))
    elif posted.category_ids and organiser is not None and organiser.depth != 0:
        errors.add("categories", gettext(CATEGORIES_TOP_ONLY))
    if not posted.organisation_ids and not posted.category_ids:
        errors.add("organisations", gettext(ROSTER_EMPTY))
    return {
        "roster_organisations": posted.organisation_ids,
        "roster_categories": posted.category_ids,
    }


def _clean_schedule(posted: CampaignFields, zone: ZoneInfo, errors: FormErrors) -> dict[str, Any]:
    try:
        kind = ScheduleKind(posted.schedule_kind)
    except ValueError:
        errors.add("schedule_kind", gettext(CHOOSE_KIND))
        return {}
    dates = {
        name: _date(getattr(posted, name), name, errors)
        for name in ("starts_on", "opens_on", "due_on", "ends_on")
    }
    offset = 0
    if kind != ScheduleKind.ONCE:
        offset = _offset(posted.due_offset_days, errors)
        if dates["starts_on"] is None and "starts_on" not in errors.by_field:
            errors.add("starts_on", gettext(START_REQUIRED))
    else:
        # A one-off round reports from its opening day unless told otherwise.
        dates["starts_on"] = dates["opens_on"] or dates["starts_on"]
    if errors.by_field.keys() & {"starts_on", "opens_on", "due_on", "ends_on", "due_offset_days"}:
        return {}
    starts_on = dates["starts_on"] or dates["due_on"] or dt.date.today()
    schedule = Schedule(
        kind=kind,
        starts_on=starts_on,
        zone=zone,
        opens_on=dates["opens_on"] if kind == ScheduleKind.ONCE else None,
        due_on=dates["due_on"] if kind == ScheduleKind.ONCE else None,
        due_offset_days=offset,
        ends_on=dates["ends_on"],
    )
    for problem in validate_schedule(schedule):
        name = "due_offset_days" if problem.field == "due_time" else problem.field
        errors.add(name or "schedule_kind", problem.translated())
    return {
        "schedule_kind": kind,
        "starts_on": schedule.starts_on,
        "opens_on": schedule.opens_on,
        "due_on": schedule.due_on,
        "due_offset_days": offset,
        "ends_on": schedule.ends_on,
    }


def _date(text: str, name: str, errors: FormErrors) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.add(name, gettext(DATE_INVALID))
        return None


def _offset(text: str, errors: FormErrors) -> int:
    number = text.strip()
    sign = -1 if number.startswith("-") else 1
    digits = number.lstrip("-") or "0"
    if not digits.isdecimal() or len(digits) > 6:
        errors.add("due_offset_days", gettext(OFFSET_INVALID))
        return 0
    return sign * int(digits)


async def create_campaign(values: dict[str, Any], user: User) -> Campaign:
    return await Campaign.create(**values, created_by=user)


async def update_campaign(campaign: Campaign, values: dict[str, Any]) -> Campaign:
    await campaign.update_from_dict(values).save()
    return campaign


async def has_rounds(campaign: Campaign) -> bool:
    return await Round.exists(campaign_id=campaign.id)


async def campaigns_run_by(held: list[Membership]) -> list[Campaign]:
    """The campaigns this person runs, newest first."""
    organisers = policy.form_owners(held)
    if not organisers:
        return []
    inside = _inside(organisers, "organiser__path")
    found = await Campaign.filter(inside).select_related("organiser").order_by("-id")
    return [c for c in found if policy.can_run_campaign(held, c)]


async def latest_rounds(campaigns: Sequence[Campaign]) -> dict[int, Round]:
    """Each campaign's round with the highest number, for the campaign list."""
    latest: dict[int, Round] = {}
    found = Round.filter(campaign_id__in=[c.id for c in campaigns]).order_by("-number")
    for round_ in await found:
        latest.setdefault(round_.campaign_id, round_)  # type: ignore[attr-defined]
    return latest


# -- completion ------------------------------------------------------------------------


@dataclass
class RoundProgress:
    roster: int = 0
    done: int = 0  # submitted, resubmitted or approved
    approved: int = 0
    awaiting: int = 0  # not started, draft or returned
    overdue: int = 0

    @property
    def rate(self) -> int:
        """Per cent done, rounded down so 199 of 200 never shows as 100%."""
        return self.done * 100 // self.roster if self.roster else 0


async def progress(rounds: Sequence[Round], now: dt.datetime) -> dict[int, RoundProgress]:
    """Each round's counts in one query."""
    found = {r.id: RoundProgress() for r in rounds}
    if not rounds:
        return found
    rows = (
        await Response.filter(round_id__in=list(found))
        .annotate(n=Count("id"))
        .group_by("round_id", "state")
        .values("round_id", "state", "n")
    )
    due = {r.id: r.is_overdue(now) for r in rounds}
    for row in rows:
        counts, state, n = found[row["round_id"]], ResponseState(row["state"]), row["n"]
        counts.roster += n
        if state in DONE_STATES:
            counts.done += n
        if state == ResponseState.APPROVED:
            counts.approved += n
        if state in AWAITING_ANSWER:
            counts.awaiting += n
            if due[row["round_id"]]:
                counts.overdue += n
    return found


# -- the round tracker -------------------------------------------------------------------


@dataclass
class TrackerRow:
    response: Response
    name: str
    state: ResponseState
    late: bool  # first submitted after the deadline
    resent: bool  # submitted again after it was returned (退回后重报)
    overdue: bool
    reminded_at: dt.datetime | None


async def tracker_rows(
    round_: Round, now: dt.datetime, *, category_id: int | None = None
) -> list[TrackerRow]:
    """The round's responses by organisation name (or person), optionally only those of
    organisations in one category."""
    responses = Response.filter(round_id=round_.id).select_related("organisation", "user")
    if category_id is not None:
        responses = responses.filter(organisation__categories__id=category_id)
    reminded: dict[int, dt.datetime] = {}
    # Reminders, automatic or by staff; the opening announcement is not one.
    sent = RoundReminder.filter(round_id=round_.id).exclude(kind=notify.ROUND_OPENED.name)
    for reminder in await sent.order_by("created_at"):
        reminded[reminder.organisation_id] = reminder.created_at  # type: ignore[attr-defined]
    overdue_now = round_.is_overdue(now)
    rows = []
    for response in await responses:
        response.round = round_
        state = ResponseState(response.state)
        organisation = response.organisation
        name = respondent_name(response)
        rows.append(
            TrackerRow(
                response=response,
                name=name,
                state=state,
                late=is_late(response),
                resent=was_resent(response),
                overdue=overdue_now and state in AWAITING_ANSWER,
                reminded_at=reminded.get(organisation.id) if organisation else None,
            )
        )
    rows.sort(
        key=lambda row: (
            row.response.organisation.path if row.response.organisation else "",
            row.name,
        )
    )
    return rows


def respondent_name(response: Response) -> str:
    """The organisation answering, or the person on a per-person form."""
    if response.organisation is not None:
        return str(response.organisation.name)
    return str(response.user.display_name) if response.user is not None else ""


def state_counts(rows: Sequence[TrackerRow]) -> list[tuple[ResponseState, int]]:
    counted = Counter(row.state for row in rows)
    return [(state, counted[state]) for state in TRACKER_STATES]


# The tracker's filters by state: what staff chase (not started, draft, overdue), review
# (submitted or resubmitted: awaiting review) and have done (returned, approved).
AWAITING_REVIEW = frozenset({ResponseState.SUBMITTED, ResponseState.RESUBMITTED})
TRACKER_FILTERS: dict[str, tuple[str, Callable[[TrackerRow], bool]]] = {
    "not_started": (N_("Not started"), lambda row: row.state == ResponseState.NOT_STARTED),
    "draft": (N_("Draft"), lambda row: row.state == ResponseState.DRAFT),
    "awaiting_review": (N_("Awaiting review"), lambda row: row.state in AWAITING_REVIEW),
    "returned": (N_("Returned"), lambda row: row.state == ResponseState.RETURNED),
    "approved": (N_("Approved"), lambda row: row.state == ResponseState.APPROVED),
    "overdue": (N_("Overdue"), lambda row: row.overdue),
}


@dataclass(frozen=True)
class StateFilter:
    key: str  # a TRACKER_FILTERS key; "" for every row
    label: str  # an English msgid
    count: int


def state_filters(rows: Sequence[TrackerRow]) -> list[StateFilter]:
    """Every row, then each filter of TRACKER_FILTERS, with how many rows it keeps."""
    return [StateFilter("", N_("All"), len(rows))] + [
        StateFilter(key, label, sum(1 for row in rows if keeps(row)))
        for key, (label, keeps) in TRACKER_FILTERS.items()
    ]


def filtered(rows: Sequence[TrackerRow], key: str) -> list[TrackerRow]:
    """The rows a filter keeps; every row for an unknown key."""
    if key not in TRACKER_FILTERS:
        return list(rows)
    keeps = TRACKER_FILTERS[key][1]
    return [row for row in rows if keeps(row)]


# -- reminders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminded:
    sent_at: dt.datetime  # names the reminder in the 催报 log (notify.reminder_key)
    organisation_ids: list[int]  # the organisations it was sent to, reached or not


async def remind(round_: Round, response_ids: Sequence[int], user: User) -> Reminded:
    """Remind the organisations of the chosen responses that still owe an answer
    (responses outside the round, per-person or already answered are left out)."""
    owing: list[int] = await Response.filter(  # type: ignore[assignment]
        round_id=round_.id,
        id__in=list(response_ids),
        organisation_id__isnull=False,
        state__in=list(AWAITING_ANSWER),
    ).values_list("organisation_id", flat=True)
    # surveys.notify records each reminder (its 催报 log row) and tells the secretaries.
    sent_at = dt.datetime.now(dt.UTC)
    sent_to = await notify.remind_round(round_, sorted(set(owing)), user, sent_at)
    return Reminded(sent_at, sent_to)


@dataclass
class ReminderOutcome:
    """What one reminder achieved, read from its rows of the 催报 log, so the message
    after sending and the log always agree."""

    reached: list[str] = field(default_factory=list)  # organisation names
    unreached: list[Organisation] = field(default_factory=list)  # nobody could be told

    @property
    def sent(self) -> int:
        return len(self.reached) + len(self.unreached)


async def reminder_outcome(round_: Round, sent_at: dt.datetime) -> ReminderOutcome:
    """The organisations a reminder sent at `sent_at` reached, and those it reached
    nobody in: no secretary (nor anyone acting for them), or only people who can neither
    sign in nor receive e-mail. Those are in tree order, to be called or given a secretary."""
    entries = await notify.reminder_log(round_.id, key=notify.reminder_key(round_.id, sent_at))
    outcome = ReminderOutcome(reached=sorted(e.organisation for e in entries if e.reached))
    missed = [e.organisation_id for e in entries if not e.reached]
    if missed:
        outcome.unreached = await Organisation.filter(id__in=missed).order_by("path")
    return outcome


async def reminders_for(
    held: list[Membership], now: dt.datetime
) -> list[tuple[RoundReminder, int]]:
    """Recent reminders to the organisations this person answers for, about rounds still
    awaiting their answer; the latest per round and organisation. `round__campaign__
    organiser` and `organisation` loaded, each with the id of the response it is about."""
    organisation_ids = acting_organisation_ids(held)
    if not organisation_ids:
        return []
    since = now - dt.timedelta(days=REMINDER_DAYS)
    reminders = (
        await RoundReminder.filter(
            organisation_id__in=organisation_ids,
            created_at__gte=since,
            kind=notify.ROUND_REMINDER.name,  # by staff; the automatic ones ring the bell
        )
        .select_related("round__campaign__organiser", "organisation")
        .order_by("-created_at")
    )
    latest: dict[tuple[int, int], RoundReminder] = {}
    for reminder in reminders:
        latest.setdefault((reminder.round_id, reminder.organisation_id), reminder)  # type: ignore[attr-defined]
    if not latest:
        return []
    owing = await Response.filter(
        round_id__in=[k[0] for k in latest],
        organisation_id__in=organisation_ids,
        state__in=list(AWAITING_ANSWER),
    ).values_list("round_id", "organisation_id", "id")
    response_ids = {(row[0], row[1]): row[2] for row in owing}
    return [(r, response_ids[key]) for key, r in latest.items() if key in response_ids]


# -- bulk approval -----------------------------------------------------------------------


@dataclass
class BulkApproval:
    approved: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # name, translated reason


async def approve_many(
    round_: Round, response_ids: Sequence[int], user: User, now: dt.datetime
) -> BulkApproval:
    """Approve each chosen response of the round that can be approved now; say why each
    other one was skipped. Ids outside the round are ignored."""
    result = BulkApproval()
    chosen = (
        await Response.filter(round_id=round_.id, id__in=list(response_ids))
        .select_related("organisation", "user")
        .order_by("id")
    )
    for response in chosen:
        response.round = round_
        name = respondent_name(response)
        try:
            await act(response, Action.APPROVE, actor=Actor.REVIEWER, user=user, now=now)
        except (TransitionRefused, ResponseChanged) as refusal:
            result.skipped.append((name, refusal.translated()))
        else:
            result.approved.append(name)
    return result


# -- closing, reopening and extending a round ------------------------------------------------


async def close_round(round_: Round, now: dt.datetime) -> None:
    if round_.opens_at > now:
        raise RoundRefused("not_opened", ROUND_NOT_OPENED)
    if round_.closed_at is not None and round_.closed_at <= now:
        raise RoundRefused("already_closed", ROUND_ALREADY_CLOSED)
    await _update(round_, closed_at=now)


async def reopen_round(round_: Round, now: dt.datetime) -> None:
    if round_.closed_at is None or round_.closed_at > now:
        raise RoundRefused("not_closed", ROUND_NOT_CLOSED)
    await _update(round_, closed_at=None)


def parse_deadline(day: str, at: str, zone: ZoneInfo) -> dt.datetime | None:
    """A deadline typed as a date and a time of day on the site's clock, in UTC."""
    try:
        moment = dt.datetime.combine(
            dt.date.fromisoformat(day), dt.time.fromisoformat(at or "23:59")
        )
    except ValueError:
        return None
    return moment.replace(tzinfo=zone).astimezone(dt.UTC)


async def extend_round(round_: Round, new_due: dt.datetime | None, now: dt.datetime) -> None:
    """Move the deadline later; a closed round is reopened only by `reopen_round`."""
    if new_due is None:
        raise RoundRefused("due_invalid", DUE_INVALID)
    if new_due <= now:
        raise RoundRefused("due_not_later", DUE_NOT_LATER)
    if new_due <= round_.due_at:
        raise RoundRefused("due_not_extended", DUE_NOT_EXTENDED)
    await _update(round_, due_at=new_due)


async def _update(round_: Round, **changes: Any) -> None:
    await Round.filter(id=round_.id).update(**changes)
    for name, value in changes.items():
        setattr(round_, name, value)
