"""The round's 催报 log, and the link a round's notifications carry.

A notification about a round goes to the secretaries of many organisations at once, so
its link cannot name one response: it names the round, and `my_round` sends each person
on to their own organisation's response (or to their reports when they answer for
several, or none any more).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intranet.models import Organisation
from intranet.policy import MAX_ID, can_act_for, memberships, not_found, require_user
from intranet.templating import render
from surveys import notify, paths, policy
from surveys.models import Response as SurveyResponse


async def round_reminders(request: Request) -> Response:
    _, round_ = await policy.require_round(request, int(request.path_params["round_id"]))
    context = {
        "round": round_,
        "campaign": round_.campaign,
        "entries": await notify.reminder_log(round_.id),
    }
    return render(request, "surveys/rounds/reminders.html", context)


async def my_round(request: Request) -> Response:
    user = require_user(request)
    held = await memberships(request)
    round_id = int(request.path_params["round_id"])
    if round_id > MAX_ID:
        raise not_found()  # no row has such an id; the database would refuse to look
    found = await SurveyResponse.filter(round_id=round_id).select_related("organisation")
    mine = [
        r
        for r in found
        if (isinstance(r.organisation, Organisation) and can_act_for(held, r.organisation))
        or r.user_id == user.id
    ]
    if not mine:
        raise not_found()  # nothing of theirs in this round: say nothing of it
    if len(mine) == 1:
        return RedirectResponse(paths.response(mine[0].id), status_code=303)
    return RedirectResponse(request.app.url_path_for("surveys:my_reports"), status_code=303)


routes = [
    Route(
        "/reports/rounds/{round_id:id}/reminders", round_reminders, name="surveys:round_reminders"
    ),
    Route(paths.MY_ROUND, my_round, name="surveys:my_round"),
]
