"""Campaign and round pages — what they share: the ?done= messages, the templates, the
redirect after a step and the refusal page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intranet.form_fields import done_message, parse_id
from intranet.i18n import N_, ngettext
from intranet.templating import render
from surveys.states import Action

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
