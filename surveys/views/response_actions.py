"""A respondent's steps besides filling in: 撤回 (withdraw a submission) and
"本期无变化，直接提交" (submit a no-change report after one confirmation).

Both are plain forms (POST, then 303 to the report page), so they work without
JavaScript. The confirmation is a page of its own that lists every answer the report
will be sent with, worked out by surveys.carryover from the last report; its button
names the version it showed, so a report typed in meanwhile is not sent unseen.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intranet import policy
from intranet.form_fields import form_data, parse_id
from intranet.i18n import N_, Refusal, gettext
from intranet.templating import render
from surveys import answering, carryover
from surveys.answer_checks import is_answered as answered
from surveys.answer_checks import missing_required
from surveys.policy import ResponseAccess, offers_no_change, require_response
from surveys.schema import Carry
from surveys.state_changes import ResponseChanged, SubmitRefused, act
from surveys.states import Action, Actor, TransitionRefused
from surveys.views.response_page import (
    display,
    now_,
    refused_page,
    response_id_of,
    response_url,
)

NOT_OFFERED = N_(
    "This report cannot be sent as “no change” from here: open it to fill it in and submit it."
)


async def withdraw_response(request: Request) -> Response:
    """撤回: a submitted report back to draft (a resubmitted one back to returned)."""
    access = await require_response(request, response_id_of(request))
    form = await form_data(request)
    version = parse_id(str(form.get("version", "")))
    try:
        await act(
            access.response,
            Action.WITHDRAW,
            actor=access.actor,
            user=policy.require_user(request),
            now=now_(),
            expected_version=version if version is not None else -1,
        )
    except (TransitionRefused, ResponseChanged) as refusal:
        return await refused_page(request, access, 409, messages=[refusal.translated()])
    return RedirectResponse(response_url(request, access.response.id, "withdrawn"), status_code=303)


async def no_change_context(access: ResponseAccess) -> dict[str, Any]:
    """What a no-change report would hold, question by question, and what stops it."""
    response = access.response
    form = answering.form_of(response)
    last = await carryover.last_report(response)
    answers = carryover.no_change_answers(form, last[1] if last else {}, response.answers)
    offered = offers_no_change(access.actor, response, form, now_())
    problems = missing_required(form, answers) if last is not None else []
    return {
        "response": response,
        "round": response.round,
        "campaign": response.round.campaign,
        "form": form,
        "last_round": last[0] if last else None,
        "rows": [
            (question, question.carries, display(question, answers.get(question.key)))
            for question in form.questions()
        ],
        "carry": Carry,
        "problems": problems,
        "ready": offered and last is not None and not problems,
        "offered": offered,
        # Answers the draft already has that the no-change report replaces.
        "replaced": [
            question
            for question in form.questions()
            if answered(response.answers.get(question.key))
            and not carryover.same_answer(
                response.answers.get(question.key), answers.get(question.key)
            )
        ],
    }


async def confirm_no_change(request: Request) -> Response:
    """The confirmation: every answer the no-change report will be sent with."""
    access = await require_response(request, response_id_of(request))
    if access.actor != Actor.RESPONDENT:
        raise policy.not_found()
    context = await no_change_context(access)
    return render(request, "surveys/responses/no_change.html", context)


async def submit_no_change(request: Request) -> Response:
    access = await require_response(request, response_id_of(request))
    if access.actor != Actor.RESPONDENT:
        raise policy.not_found()
    form = await form_data(request)
    version = parse_id(str(form.get("version", "")))
    response = access.response
    if not offers_no_change(access.actor, response, answering.form_of(response), now_()):
        return await refused_page(request, access, 409, messages=[gettext(NOT_OFFERED)])
    try:
        await answering.submit_no_change(
            response,
            user=policy.require_user(request),
            now=now_(),
            expected_version=version if version is not None else -1,
        )
    except SubmitRefused as refusal:
        return await refused_page(
            request, access, 422, problems=refusal.problems, messages=[refusal.translated()]
        )
    except (Refusal, answering.AnswerConflict) as refusal:
        return await refused_page(request, access, 409, messages=[refusal.translated()])
    return RedirectResponse(response_url(request, response.id, "submitted"), status_code=303)


routes = [
    Route(
        "/reports/responses/{response_id:id}/withdraw",
        withdraw_response,
        methods=["POST"],
        name="surveys:withdraw_response",
    ),
    Route(
        "/reports/responses/{response_id:id}/no-change",
        confirm_no_change,
        name="surveys:confirm_no_change",
    ),
    Route(
        "/reports/responses/{response_id:id}/no-change",
        submit_no_change,
        methods=["POST"],
        name="surveys:submit_no_change",
    ),
]
