"""The round tracker: who has reported, reminding the late, bulk approval, and closing,
reopening or extending the round."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import NoMatchFound

from intranet import audit
from intranet.form_fields import form_data, parse_id
from intranet.i18n import gettext
from intranet.models import Category
from intranet.policy import can_manage_organisation, require_user
from surveys import policy, tracking
from surveys.models import Round
from surveys.views.campaign_common import (
    NOTHING_SELECTED,
    TRACKER_PAGE,
    TRACKER_TABLE,
    campaign_done_message,
    now,
    redirect,
    refused,
    render_page,
    zone,
)

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
    reminded = await tracking.remind(round_, chosen, user, request.app.state.settings.zone)
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
