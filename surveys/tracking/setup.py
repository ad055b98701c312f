"""Setting up a campaign: the form's choices, the posted fields checked, the campaign made
or changed, and the campaigns and latest rounds a person runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from tortoise.expressions import Q

from intranet.form_fields import FormErrors, clean_line, parse_id
from intranet.i18n import gettext
from intranet.models import Category, Membership, Organisation, User
from surveys import policy
from surveys.models import (
    Campaign,
    Form,
    FormVersion,
    Round,
)
from surveys.round_calendar import Schedule, ScheduleKind, validate_schedule
from surveys.tracking.messages import (
    CATEGORIES_TOP_ONLY,
    CATEGORY_UNKNOWN,
    CHOOSE_FORM,
    CHOOSE_KIND,
    CHOOSE_ORGANISER,
    DATE_INVALID,
    FORM_UNFINISHED,
    MAX_REMINDER_DAYS,
    MAX_TITLE,
    OFFSET_INVALID,
    ORGANISATION_OUTSIDE,
    REMINDER_DAYS_INVALID,
    ROSTER_EMPTY,
    START_REQUIRED,
    TITLE_REQUIRED,
    TITLE_TOO_LONG,
)

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
            form_version_id=campaign.form_version_id,
            organiser_id=campaign.organiser_id,
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
        latest[version.form_id] = version
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
        posted.form_version_id = locked.form_version_id
        posted.organiser_id = locked.organiser_id
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
        latest.setdefault(round_.campaign_id, round_)
    return latest
