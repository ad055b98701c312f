"""Campaigns, their rounds and the review of responses: the pages of the staff who run them.

Every page and step asks surveys.policy first: a campaign, round or response the person
does not run answers 404. The work itself is in surveys.tracking and surveys.responses;
a step done answers 303 with ?done=<key> (DONE_MESSAGES, shown by the page it leads to),
a step refused a small page saying why, with nothing changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import NoMatchFound, Route

from intranet import audit
from intranet.forms import FormErrors, clean_text, done_message, form_data, parse_id
from intranet.i18n import N_, gettext, ngettext
from intranet.models import Category, Membership, User
from intranet.policy import can_manage_organisation, memberships, not_found, require_user
from intranet.templating import render
from surveys import policy, review, rounds, tracking
from surveys.models import Campaign, Round
from surveys.models import Response as SurveyResponse
from surveys.responses import ResponseChanged, act
from surveys.schedule import ScheduleKind
from surveys.states import Action, Actor, TransitionRefused

DONE_MESSAGES = {
    "created": N_("The campaign has been created. Its rounds open on schedule."),
    "saved": N_("The campaign has been saved."),
    "closed": N_("The round has been closed; answers can no longer be saved or submitted."),
    "reopened": N_("The round has been reopened."),
    "extended": N_("The deadline has been moved."),
    "approved": N_("The selected responses have been approved."),
    "return": N_("The response has been returned to the respondent."),
    "approve": N_("The response has been approved."),
    "reopen": N_("The response has been reopened and returned to the respondent."),
}
NOTHING_SELECTED = N_("Select at least one organisation first.")
NOT_REVIEWER = N_("Only the staff running the campaign can review this response.")
REVIEW_ACTIONS = {Action.RETURN, Action.APPROVE, Action.REOPEN}
NEXT_ACTIONS = {Action.RETURN, Action.APPROVE}  # the review panel's "... and next" buttons
CHOOSE_ACTION = N_("Choose approve, return or reopen.")

EDIT_PAGE = "surveys/campaigns/edit.html"
TRACKER_PAGE = "surveys/rounds/tracker.html"
TRACKER_TABLE = "surveys/rounds/_table.html"
REFUSED_PAGE = "surveys/rounds/refused.html"


def now() -> datetime:
    return datetime.now(UTC)


def zone(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.settings.zone


def campaign_done_message(request: Request) -> str:
    """The ?done= message, with the count of rounds opened said in words."""
    key = request.query_params.get("done", "")
    if key == "opened":
        count = parse_id(request.query_params.get("n")) or 0
        return ngettext(
            "%(num)d round has been opened.", "%(num)d rounds have been opened.", count
        ) % {"num": count}
    if key == "reminded":
        return ""  # the tracker's reminder outcome says what happened
    return done_message(request, DONE_MESSAGES)


def redirect(request: Request, route: str, done: str, **params: Any) -> Response:
    path_params = {k: v for k, v in params.items() if k.endswith("_id")}
    query = {"done": done, **{k: v for k, v in params.items() if not k.endswith("_id")}}
    url = request.app.url_path_for(route, **path_params)
    return RedirectResponse(f"{url}?{urlencode(query)}", status_code=303)


def refused(request: Request, title: str, messages: list[str], back: str, status: int) -> Response:
    context = {"title": title, "messages": messages, "back": back}
    return render_page(request, REFUSED_PAGE, context, status_code=status)


def render_page(request: Request, name: str, context: dict[str, Any], **kwargs: Any) -> Response:
    return render(request, name, context, **kwargs)


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


# -- the round tracker -------------------------------------------------------------------


def round_id_of(request: Request) -> int:
    return int(request.path_params["round_id"])


async def round_tracker(request: Request) -> Response:
    held, round_ = await policy.require_round(request, round_id_of(request))
    moment = now()
    categories = await Category.all().order_by("sort_order", "name")
    category_id = parse_id(request.query_params.get("category"))
    if category_id is not None and all(c.id != category_id for c in categories):
        category_id = None
    state = request.query_params.get("state", "")
    if state not in tracking.TRACKER_FILTERS:
        state = ""
    rows = await tracking.tracker_rows(round_, moment, category_id=category_id)
    reminded = await reminder_outcome(request, round_)
    unreached = reminded.unreached if reminded is not None else []
    context = {
        "round": round_,
        "campaign": round_.campaign,
        "rows": tracking.filtered(rows, state),
        "filters": tracking.state_filters(rows),
        "state": state,
        "filter_url": filter_url(request, round_.id, category_id),
        "categories": categories,
        "category_id": category_id,
        "now": moment,
        "is_open": round_.is_open(moment),
        "is_closed": round_.closed_at is not None and round_.closed_at <= moment,
        "done": campaign_done_message(request),
        "reminded": reminded,
        # Admins of an organisation nobody could be told in give it a secretary.
        "may_assign": {o.id for o in unreached if can_manage_organisation(held, o)},
        "response_url": response_url,
    }
    return render_page(request, TRACKER_PAGE, context, partial=TRACKER_TABLE)


def filter_url(request: Request, round_id: int, category_id: int | None):  # type: ignore[no-untyped-def]
    """The tracker's URL showing one state filter (key "" for every row), in the category."""
    base = request.app.url_path_for("surveys:round", round_id=round_id)

    def url(key: str) -> str:
        query = {"category": category_id or "", "state": key}
        shown = urlencode({name: value for name, value in query.items() if value})
        return f"{base}?{shown}" if shown else str(base)

    return url


def response_url(request: Request, response_id: int) -> str:
    """The response's own page (the respondents' area); the round's tracker until it exists."""
    try:
        return str(request.app.url_path_for("surveys:response", response_id=response_id))
    except NoMatchFound:
        return ""


async def selected_ids(request: Request) -> list[int]:
    form = await form_data(request)
    return sorted({i for i in (parse_id(v) for v in form.getlist("response")) if i is not None})


async def round_remind(request: Request) -> Response:
    _, round_ = await policy.require_round(request, round_id_of(request))
    user = require_user(request)
    chosen = await selected_ids(request)
    back = str(request.app.url_path_for("surveys:round", round_id=round_.id))
    if not chosen:
        return refused(request, gettext("No reminder sent"), [gettext(NOTHING_SELECTED)], back, 400)
    reminded = await tracking.remind(round_, chosen, user)
    await audit.record(
        request, "round.remind", target=round_, organisation=round_.campaign.organiser,
        summary=f"{round_.campaign.title} #{round_.number}: {len(reminded.organisation_ids)}",
    )  # fmt: skip
    # The tracker reads what the reminder achieved from its rows of the 催报 log.
    sent = reminded.sent_at.isoformat()
    return redirect(request, "surveys:round", "reminded", round_id=round_.id, sent=sent)


async def reminder_outcome(request: Request, round_: Round) -> tracking.ReminderOutcome | None:
    """After 催报: what the reminder named by ?sent= achieved; None on any other visit."""
    if request.query_params.get("done") != "reminded":
        return None
    try:
        sent_at = datetime.fromisoformat(request.query_params.get("sent", "")[:40])
    except ValueError:
        return None
    return await tracking.reminder_outcome(round_, sent_at)


async def round_approve(request: Request) -> Response:
    _, round_ = await policy.require_round(request, round_id_of(request))
    user = require_user(request)
    chosen = await selected_ids(request)
    back = str(request.app.url_path_for("surveys:round", round_id=round_.id))
    title = gettext("Approving the selected responses")
    if not chosen:
        return refused(request, title, [gettext(NOTHING_SELECTED)], back, 400)
    result = await tracking.approve_many(round_, chosen, user, now())
    if not result.skipped:
        return redirect(request, "surveys:round", "approved", round_id=round_.id)
    context = {"title": title, "result": result, "back": back, "round": round_}
    return render_page(request, "surveys/rounds/approved.html", context)


async def round_close(request: Request) -> Response:
    return await _round_step(request, "closed", gettext("The round was not closed"))


async def round_reopen(request: Request) -> Response:
    return await _round_step(request, "reopened", gettext("The round was not reopened"))


async def round_extend(request: Request) -> Response:
    return await _round_step(request, "extended", gettext("The deadline was not moved"))


async def _round_step(request: Request, done: str, title: str) -> Response:
    _, round_ = await policy.require_round(request, round_id_of(request))
    moment = now()
    before = round_.due_at
    try:
        if done == "closed":
            await tracking.close_round(round_, moment)
        elif done == "reopened":
            await tracking.reopen_round(round_, moment)
        else:
            form = await form_data(request)
            new_due = tracking.parse_deadline(
                str(form.get("due_date", ""))[:20], str(form.get("due_time", ""))[:8], zone(request)
            )
            await tracking.extend_round(round_, new_due, moment)
    except tracking.RoundRefused as refusal:
        back = str(request.app.url_path_for("surveys:round", round_id=round_.id))
        return refused(request, title, [refusal.translated()], back, 409)
    summary = f"{round_.campaign.title} #{round_.number}"
    if done == "extended":
        summary += f": {before.isoformat()} -> {round_.due_at.isoformat()}"
    await audit.record(
        request, f"round.{done}", target=round_, organisation=round_.campaign.organiser,
        summary=summary,
    )  # fmt: skip
    return redirect(request, "surveys:round", done, round_id=round_.id)


# -- review ---------------------------------------------------------------------------


async def review_response(request: Request) -> Response:
    access = await policy.require_response(request, int(request.path_params["response_id"]))
    user: User = require_user(request)
    response = access.response
    back = response_url(request, response.id) or str(
        request.app.url_path_for("surveys:round", round_id=response.round.id)
    )
    title = gettext("The response was not changed")
    if access.actor != Actor.REVIEWER:
        return refused(request, title, [gettext(NOT_REVIEWER)], back, 403)
    form = await form_data(request)
    action = review_action(form.get("action"))
    if action is None:
        return refused(request, title, [gettext(CHOOSE_ACTION)], back, 400)
    try:
        # act() checks the reason after the actor and the state, so the refusal names
        # the first thing wrong.
        await act(
            response, action, actor=Actor.REVIEWER, user=user, now=now(),
            reason=clean_text(form.get("reason", "")),
            expected_version=posted_version(form.get("version")),
        )  # fmt: skip
    except TransitionRefused as refusal:
        return refused(request, title, [refusal.translated()], back, 400)
    except ResponseChanged as refusal:
        return refused(request, title, [refusal.translated()], back, 409)
    if form.get("then") == "next" and action in NEXT_ACTIONS:
        return await review_next(request, access.held, response, action)
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}done={action.value}", status_code=303)


async def review_next(
    request: Request, held: list[Membership], reviewed: SurveyResponse, action: Action
) -> Response:
    """After "approve and next" / "return and next": the next report awaiting review,
    saying what became of the last one; the queue, saying so, when none is left."""
    following = await review.next_after(held, reviewed)
    if following is None:
        queue = request.app.url_path_for("surveys:review_queue")
        return RedirectResponse(f"{queue}?done={action.value}", status_code=303)
    url = response_url(request, following.id)
    return RedirectResponse(f"{url}?done={action.value}_next", status_code=303)


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


def review_action(value: object) -> Action | None:
    try:
        action = Action(str(value))
    except ValueError:
        return None
    return action if action in REVIEW_ACTIONS else None


def posted_version(value: object) -> int:
    """The version the reviewer's page showed; anything unreadable counts as stale."""
    version = parse_id(value)
    return -1 if version is None else version


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
