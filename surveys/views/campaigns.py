"""Campaigns, their rounds and the review of responses: the pages of the staff who run them.

Every page and step asks surveys.policy first: a campaign, round or response the person
does not run answers 404. The work itself is in surveys.tracking and surveys.state_changes;
a step done answers 303 with ?done=<key> (DONE_MESSAGES, shown by the page it leads to),
a step refused a small page saying why, with nothing changed.

This module has the campaign pages, the secretary's reminders and every route; the round
tracker and its steps are surveys.views.round_tracker, reviewing a response
surveys.views.response_review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet import audit
from intranet.form_fields import FormErrors, form_data
from intranet.i18n import gettext
from intranet.models import Category, Membership
from intranet.policy import memberships, not_found, require_user
from surveys import policy, rounds, tracking
from surveys.models import Campaign, Round
from surveys.round_calendar import ScheduleKind
from surveys.views.campaign_common import (
    EDIT_PAGE,
    campaign_done_message,
    now,
    redirect,
    render_page,
    zone,
)
from surveys.views.response_review import review_response
from surveys.views.round_tracker import (
    response_url,
    round_approve,
    round_close,
    round_extend,
    round_remind,
    round_reopen,
    round_tracker,
)

# -- campaigns ---------------------------------------------------------------------------


async def campaign_list(request: Request) -> Response:
    require_user(request)
    held = await memberships(request)
    campaigns = await tracking.campaigns_run_by(held)
    latest = await tracking.latest_rounds(campaigns)
    context = {
        "campaigns": campaigns,
        "latest": latest,
        "progress": await tracking.progress(list(latest.values()), now()),
        "can_create": bool(policy.form_owners(held)),
        "done": campaign_done_message(request),
    }
    return render_page(request, "surveys/campaigns/list.html", context)


async def campaign_create(request: Request) -> Response:
    user = require_user(request)
    held = await memberships(request)
    if not policy.form_owners(held):
        raise not_found()
    choices = await tracking.campaign_choices(held)
    if request.method == "GET":
        fields = tracking.CampaignFields(
            form_version_id=choices.versions[0].id if len(choices.versions) == 1 else None,
            organiser_id=choices.organisers[0].id if choices.organisers else None,
        )
        return edit_page(request, choices, fields, None)
    fields = tracking.CampaignFields.posted(await form_data(request))
    cleaned = tracking.clean_campaign(fields, choices, zone(request))
    if cleaned.errors:
        return edit_page(request, choices, fields, None, errors=cleaned.errors)
    campaign = await tracking.create_campaign(cleaned.values, user)
    await campaign.fetch_related("organiser")
    await audit.record(
        request, "campaign.create", target=campaign, organisation=campaign.organiser,
        summary=campaign.title,
    )  # fmt: skip
    return redirect(request, "surveys:campaign", "created", campaign_id=campaign.id)


async def campaign_edit(request: Request) -> Response:
    held, campaign = await policy.require_campaign(request, campaign_id_of(request))
    choices = await tracking.campaign_choices(held)
    locked = campaign if await tracking.has_rounds(campaign) else None
    await campaign.form_version.fetch_related("form")
    if locked is not None:
        _offer_locked_version(choices, campaign)
    if request.method == "GET":
        fields = tracking.CampaignFields.of(campaign)
        return edit_page(request, choices, fields, campaign, locked=locked is not None)
    fields = tracking.CampaignFields.posted(await form_data(request))
    cleaned = tracking.clean_campaign(fields, choices, zone(request), locked=locked)
    if cleaned.errors:
        return edit_page(
            request, choices, fields, campaign, errors=cleaned.errors, locked=locked is not None
        )
    await tracking.update_campaign(campaign, cleaned.values)
    await audit.record(
        request, "campaign.update", target=campaign, organisation=campaign.organiser,
        summary=campaign.title,
    )  # fmt: skip
    return redirect(request, "surveys:campaign", "saved", campaign_id=campaign.id)


def _offer_locked_version(choices: tracking.CampaignChoices, campaign: Campaign) -> None:
    # The version a campaign sends stays shown even when a later one exists.
    if all(v.id != campaign.form_version.id for v in choices.versions):
        choices.versions.insert(0, campaign.form_version)


def edit_page(
    request: Request,
    choices: tracking.CampaignChoices,
    fields: tracking.CampaignFields,
    campaign: Campaign | None,
    *,
    errors: FormErrors | None = None,
    locked: bool = False,
) -> Response:
    context = {
        "campaign": campaign,
        "choices": choices,
        "fields": fields,
        "errors": errors or FormErrors(),
        "kinds": [(k.value, gettext(k.label)) for k in ScheduleKind],
        "locked": locked,
    }
    return render_page(request, EDIT_PAGE, context, status_code=400 if errors else 200)


def campaign_id_of(request: Request) -> int:
    return int(request.path_params["campaign_id"])


async def campaign_page(request: Request) -> Response:
    _, campaign = await policy.require_campaign(request, campaign_id_of(request))
    await campaign.form_version.fetch_related("form")
    moment = now()
    round_list = await Round.filter(campaign_id=campaign.id).order_by("-number")
    progress = await tracking.progress(round_list, moment)
    context = {
        "campaign": campaign,
        "rounds": round_list,
        "progress": progress,
        "now": moment,
        "categories": await Category.filter(id__in=campaign.roster_categories or [0]),
        "roster_size": len(campaign.roster_organisations),
        "done": campaign_done_message(request),
    }
    return render_page(request, "surveys/campaigns/detail.html", context)


async def open_rounds(request: Request) -> Response:
    _, campaign = await policy.require_campaign(request, campaign_id_of(request))
    opened = await rounds.open_due_rounds(campaign, now(), zone=zone(request))
    for round_ in opened:
        await audit.record(
            request, "round.open", target=round_, organisation=campaign.organiser,
            summary=f"{campaign.title} #{round_.number}",
        )  # fmt: skip
    return redirect(request, "surveys:campaign", "opened", campaign_id=campaign.id, n=len(opened))


routes = [
    Route("/reports/campaigns", campaign_list, name="surveys:campaigns"),
    Route(
        "/reports/campaigns/new",
        campaign_create,
        methods=["GET", "POST"],
        name="surveys:campaign_create",
    ),
    Route("/reports/campaigns/{campaign_id:id}", campaign_page, name="surveys:campaign"),
    Route(
        "/reports/campaigns/{campaign_id:id}/edit",
        campaign_edit,
        methods=["GET", "POST"],
        name="surveys:campaign_edit",
    ),
    Route(
        "/reports/campaigns/{campaign_id:id}/open-rounds",
        open_rounds,
        methods=["POST"],
        name="surveys:campaign_open_rounds",
    ),
    Route("/reports/rounds/{round_id:id}", round_tracker, name="surveys:round"),
    Route(
        "/reports/rounds/{round_id:id}/remind",
        round_remind,
        methods=["POST"],
        name="surveys:round_remind",
    ),
    Route(
        "/reports/rounds/{round_id:id}/approve",
        round_approve,
        methods=["POST"],
        name="surveys:round_approve",
    ),
    Route(
        "/reports/rounds/{round_id:id}/close",
        round_close,
        methods=["POST"],
        name="surveys:round_close",
    ),
    Route(
        "/reports/rounds/{round_id:id}/reopen",
        round_reopen,
        methods=["POST"],
        name="surveys:round_reopen",
    ),
    Route(
        "/reports/rounds/{round_id:id}/extend",
        round_extend,
        methods=["POST"],
        name="surveys:round_extend",
    ),
    Route(
        "/reports/responses/{response_id:id}/review",
        review_response,
        methods=["POST"],
        name="surveys:review_response",
    ),
]


# -- the secretary's home page -------------------------------------------------------------


async def reminder_attention(request: Request, held: list[Membership]) -> list[dict[str, Any]]:
    """Reminders (催报) to the organisations this person answers for, while unanswered."""
    items = []
    for reminder, response_id in await tracking.reminders_for(held, now()):
        round_ = reminder.round
        items.append(
            {
                "kind": "overdue" if round_.is_overdue(now()) else "due",
                "url": response_url(request, response_id)
                or str(request.app.url_path_for("surveys:my_reports")),
                "title": gettext("%(organiser)s reminds you: %(campaign)s, round %(number)s")
                % {
                    "organiser": round_.campaign.organiser.display_short_name,
                    "campaign": round_.campaign.title,
                    "number": round_.number,
                },
                "note": gettext("due %(due)s") % {"due": local(round_.due_at, request)},
            }
        )
    return items


def local(moment: datetime, request: Request) -> str:
    return moment.astimezone(zone(request)).strftime("%Y-%m-%d %H:%M")
