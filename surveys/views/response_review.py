"""Reviewing a response: approve, return with a reason, or reopen, and on to the next one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intranet.form_fields import clean_text, form_data, parse_id
from intranet.i18n import gettext
from intranet.models import Membership, User
from intranet.policy import require_user
from surveys import policy, review
from surveys.models import Response as SurveyResponse
from surveys.state_changes import ResponseChanged, act
from surveys.states import Action, Actor, TransitionRefused
from surveys.views.campaign_common import (
    CHOOSE_ACTION,
    NEXT_ACTIONS,
    NOT_REVIEWER,
    REVIEW_ACTIONS,
    now,
    refused,
)
from surveys.views.round_tracker import response_url

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
