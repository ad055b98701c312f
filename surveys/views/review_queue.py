"""The review queue (待审核): the reports awaiting the person's review, oldest first,
optionally one round's; each opens the response page, whose review panel goes on to
the next one (surveys.views.campaigns.review_response)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet.form_fields import done_message, parse_id
from intranet.i18n import N_
from intranet.policy import memberships, require_user
from intranet.templating import render
from surveys import review

DONE_MESSAGES = {
    "approve": N_("The response has been approved. Nothing else awaits your review."),
    "return": N_(
        "The response has been returned to the respondent. Nothing else awaits your review."
    ),
}


async def review_queue(request: Request) -> Response:
    require_user(request)
    held = await memberships(request)
    rounds = await review.rounds_waiting(held)
    round_id = parse_id(request.query_params.get("round"))
    if all(line.round.id != round_id for line in rounds):
        round_id = None  # a round with nothing waiting, or not theirs: the whole queue
    context = {
        "rounds": rounds,
        "round_id": round_id,
        "total": sum(line.count for line in rounds),
        "responses": await review.queue(held, round_id=round_id),
        "done": done_message(request, DONE_MESSAGES),
    }
    return render(
        request, "surveys/review/queue.html", context, partial="surveys/review/_queue.html"
    )


routes = [Route("/reports/review", review_queue, name="surveys:review_queue")]
