"""Who may do what with forms, campaigns, rounds and responses. Survey views ask here.

Built on intranet.policy's roles: a role on an organisation covers its subtree.
- Forms and campaigns are run by whoever acts for their owner or organiser (its
  admins, staff and secretaries, and those above): they are the *reviewers* of the
  campaign's responses.
- An organisation's response is answered by whoever acts for that organisation: its
  *respondents*. Someone who is both (the association's staff over a society's report)
  is the reviewer: a society's answers are the society's own.
- A per-person response is answered by its person alone.
Anything a person may not see answers 404, whether or not it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from tortoise.expressions import Q

from intranet import policy
from intranet.models import Membership, Organisation
from intranet.policy import MAX_ID, not_found, require_user
from surveys import carryover
from surveys.models import Campaign, Form, Response, Round
from surveys.response_loading import load_response
from surveys.schema import FormDefinition
from surveys.states import Action, Actor, ResponseState, allowed_actions


def can_manage_form(held: list[Membership], form: Form) -> bool:
    """Edit, version, export and use a form: those acting for its owner. `form.owner` loaded."""
    return policy.can_act_for(held, form.owner)


def can_run_campaign(held: list[Membership], campaign: Campaign) -> bool:
    """Edit the campaign, open/close its rounds, track, review and remind.
    `campaign.organiser` must be loaded."""
    return policy.can_act_for(held, campaign.organiser)


def form_owners(held: list[Membership]) -> list[Organisation]:
    """The organisations a person may make forms and campaigns for."""
    return policy.issuing_organisations(held)


def organised_inside(organisations: list[Organisation], path_field: str) -> Q:
    """Rows whose organisation (by `path_field`) lies in one of these subtrees; give at
    least one organisation (none would match everything)."""
    return Q(*(Q(**{f"{path_field}__startswith": o.path}) for o in organisations), join_type="OR")


def actor_for(held: list[Membership], user_id: int | None, response: Response) -> Actor | None:
    """Whether this person reviews or answers `response`, or neither. Needs
    `response.round.campaign.organiser` and `response.organisation` loaded."""
    if can_run_campaign(held, response.round.campaign):
        return Actor.REVIEWER
    if response.organisation is not None:
        return Actor.RESPONDENT if policy.can_act_for(held, response.organisation) else None
    return Actor.RESPONDENT if user_id is not None and response.user_id == user_id else None


def can_withdraw(actor: Actor, response: Response, now: datetime) -> bool:
    """撤回: the respondent, while the report awaits review and its round is open (the
    rule itself is surveys.states'). `response.round` loaded."""
    state = ResponseState(response.state)
    return Action.WITHDRAW in allowed_actions(state, actor, round_open=response.round.is_open(now))


NO_CHANGE_STATES = frozenset({ResponseState.NOT_STARTED, ResponseState.DRAFT})


def offers_no_change(
    actor: Actor | None, response: Response, form: FormDefinition, now: datetime
) -> bool:
    """Whether "本期无变化，直接提交" is offered: to the respondent, for a report not yet
    submitted (a report returned for correction needs the correction), in an open round
    after the first, of a form whose every required question has a carry-over rule
    (surveys.carryover.allows_no_change). Whether there is an earlier report to carry
    from is for the confirmation to say. `response.round` loaded."""
    return (
        actor == Actor.RESPONDENT
        and ResponseState(response.state) in NO_CHANGE_STATES
        and response.round.number > 1
        and response.round.is_open(now)
        and carryover.allows_no_change(form)
    )


async def find_response(response_id: int) -> Response | None:
    """The response with its round, campaign, organiser, form version and organisation
    (one SELECT: surveys.response_loading)."""
    if not 0 < response_id <= MAX_ID:
        return None
    return await load_response(response_id)


@dataclass(frozen=True)
class ResponseAccess:
    held: list[Membership]
    response: Response
    actor: Actor


async def require_response(request: Request, response_id: int) -> ResponseAccess:
    """The response and this person's part in it; 404 if they have none."""
    user = require_user(request)
    held = await policy.memberships(request)
    response = await find_response(response_id)
    actor = actor_for(held, user.id, response) if response is not None else None
    if response is None or actor is None:
        raise not_found()
    return ResponseAccess(held, response, actor)


async def require_form(request: Request, form_id: int) -> tuple[list[Membership], Form]:
    require_user(request)
    held = await policy.memberships(request)
    form = (
        await Form.get_or_none(id=form_id).select_related("owner")
        if 0 < form_id <= MAX_ID
        else None
    )
    if form is None or not can_manage_form(held, form):
        raise not_found()
    return held, form


async def require_campaign(request: Request, campaign_id: int) -> tuple[list[Membership], Campaign]:
    require_user(request)
    held = await policy.memberships(request)
    campaign = (
        await Campaign.get_or_none(id=campaign_id).select_related("organiser", "form_version")
        if 0 < campaign_id <= MAX_ID
        else None
    )
    if campaign is None or not can_run_campaign(held, campaign):
        raise not_found()
    return held, campaign


async def require_round(request: Request, round_id: int) -> tuple[list[Membership], Round]:
    require_user(request)
    held = await policy.memberships(request)
    round_ = (
        await Round.get_or_none(id=round_id).select_related(
            "campaign__organiser", "campaign__form_version"
        )
        if 0 < round_id <= MAX_ID
        else None
    )
    if round_ is None or not can_run_campaign(held, round_.campaign):
        raise not_found()
    return held, round_


# -- report pages (totals and trends) ---------------------------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """Whose rows a person may see on a campaign's report pages. `organisation_ids` None:
    every row and the totals across them (those running the campaign); otherwise only
    those organisations' rows, and no figure that mixes in anyone else's."""

    organisation_ids: frozenset[int] | None

    @property
    def is_everything(self) -> bool:
        return self.organisation_ids is None


def report_scope(
    held: list[Membership], campaign: Campaign, roster: list[Organisation]
) -> ReportScope | None:
    """Staff and reviewers of the campaign see everything; a secretary (or staff) of a
    roster organisation sees the rows of the roster organisations they act for; anyone
    else nothing (None: 404). `campaign.organiser` loaded; `roster` the organisations
    with a response in the campaign."""
    if can_run_campaign(held, campaign):
        return ReportScope(None)
    own = frozenset(o.id for o in roster if policy.can_act_for(held, o))
    return ReportScope(own) if own else None


async def campaign_roster(campaign_id: int) -> list[Organisation]:
    """The organisations with a response in any round of the campaign."""
    return await Organisation.filter(survey_responses__round__campaign_id=campaign_id).distinct()


async def require_report(request: Request, campaign: Campaign | None) -> ReportScope:
    """What of `campaign`'s reports this person sees; 404 if nothing (or no campaign)."""
    require_user(request)
    held = await policy.memberships(request)
    if campaign is None:
        raise not_found()
    if can_run_campaign(held, campaign):
        return ReportScope(None)  # without reading the roster: staff see every row
    scope = report_scope(held, campaign, await campaign_roster(campaign.id))
    if scope is None:
        raise not_found()
    return scope
