"""Making report forms, campaigns, rounds and responses in tests, without the pages.

    # A weekly campaign of the weekly form (or any FormDefinition) to two societies,
    # its round 1 open since an hour ago and due in two days, and society A's response
    # loaded as the pages load it (round, campaign, organiser and form version).
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(campaign)
    response = await response_of(round_, world.society_a)

`open_round` creates the round and one response per roster organisation directly (any
number, dates and answers you like); `open_due_rounds` is surveys.rounds' own way for
tests of the schedule. Answers given to `open_round` are stored as checked values,
as a save would store them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from tortoise import timezone

from intranet.models import Organisation, User
from surveys.answering import check_typed
from surveys.examples import weekly_progress_form
from surveys.models import Campaign, Form, FormVersion, Response, Round
from surveys.round_calendar import ScheduleKind
from surveys.schema import FormDefinition, Respondent
from surveys.states import ResponseState

FIRST_PERIOD = date(2020, 2, 10)  # a Monday


async def make_form_version(
    owner: Organisation, definition: FormDefinition | None = None, *, frozen: bool = True
) -> FormVersion:
    """Version 1 of a form owned by `owner`: the weekly progress report unless told."""
    definition = definition or weekly_progress_form()
    form = await Form.create(title=definition.title, respondent=definition.respondent, owner=owner)
    return await FormVersion.create(
        form=form, number=1, definition=definition.to_dict(), frozen=frozen
    )


async def make_campaign(
    organiser: Organisation,
    roster: list[Organisation],
    definition: FormDefinition | None = None,
    *,
    title: str = "",
) -> Campaign:
    """A weekly campaign of `organiser` sending a new form to the `roster` organisations."""
    version = await make_form_version(organiser, definition)
    return await Campaign.create(
        title=title or version.definition["title"],
        form_version=version,
        organiser=organiser,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=FIRST_PERIOD,
        due_offset_days=2,
        roster_organisations=[o.id for o in roster],
    )


async def open_round(
    campaign: Campaign,
    number: int = 1,
    *,
    opens_at: datetime | None = None,
    due_at: datetime | None = None,
    closed_at: datetime | None = None,
    answers: Mapping[int, Mapping[str, Any]] | None = None,
    states: Mapping[int, ResponseState] | None = None,
) -> Round:
    """Round `number` of `campaign` with a response for each roster organisation (none
    for a per-person form).

    By default it opened an hour ago and is due in two days. `answers` and `states`
    map an organisation id to its response's stored answers and state.
    """
    now = timezone.now()
    start = FIRST_PERIOD + timedelta(days=7 * (number - 1))
    round_ = await Round.create(
        campaign=campaign,
        number=number,
        period_start=start,
        period_end=start + timedelta(days=6),
        opens_at=opens_at or now - timedelta(hours=1),
        due_at=due_at or now + timedelta(days=2),
        closed_at=closed_at,
    )
    version = await FormVersion.get(id=campaign.form_version_id)
    if version.definition.get("respondent") == Respondent.PERSON:
        return round_  # a person's response is made when they first answer
    form = FormDefinition.from_dict(version.definition)
    for organisation_id in campaign.roster_organisations:
        state = (states or {}).get(organisation_id, ResponseState.NOT_STARTED)
        await Response.create(
            round=round_,
            organisation_id=organisation_id,
            answers=as_stored(form, (answers or {}).get(organisation_id, {})),
            state=state,
            version=0 if state == ResponseState.NOT_STARTED else 1,
            submitted_at=now if state != ResponseState.NOT_STARTED else None,
        )
    return round_


def as_stored(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers as a save stores them (checked); keys the form lacks are kept as
    given, to test what happens to them."""
    stored = dict(answers)
    for key, value in answers.items():
        question = form.question(key)
        if question is not None:
            checked = check_typed(question, value)
            assert checked.ok, checked.problems
            stored[key] = checked.value
    return stored


async def response_of(
    round_: Round, organisation: Organisation | None = None, user: User | None = None
) -> Response:
    """The organisation's (or person's) response in the round, loaded as the pages load it."""
    found = Response.filter(round_id=round_.id)
    found = (
        found.filter(organisation_id=organisation.id)
        if organisation
        else found.filter(user_id=user.id)
    )  # type: ignore[union-attr]
    return await found.select_related(
        "round__campaign__organiser", "round__campaign__form_version", "organisation"
    ).get()


def weekly_answers(**overrides: Any) -> dict[str, Any]:
    """A complete, valid set of answers to the weekly form, as stored."""
    return {
        "online_meetings": 3,
        "members_reached": 120,
        "science_items": 5,
        "science_reach": 2000,
        "advice_submitted": 1,
        "duty_roster": "yes",
        **overrides,
    }
