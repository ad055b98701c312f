"""What the home page's "needs your attention" box says about reports.

For whoever reviews reports: each round with reports awaiting their review (待审核) and
how many, leading to that round's review queue (surveys.review).

For whoever fills in reports: the responses returned for correction, then those
overdue or still due in open rounds, soonest deadline first, each with its deadline
and linking to its page; one query (the responses with their rounds and campaigns),
and one more to offer "本期无变化，直接提交" where the form allows it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from tortoise import timezone
from tortoise.expressions import Q

from intranet import policy
from intranet.i18n import gettext, ngettext
from intranet.models import Membership
from surveys import carryover, review
from surveys.models import Response
from surveys.policy import actor_for, offers_no_change
from surveys.state_changes import AWAITING_ANSWER
from surveys.states import Actor, ResponseState

SHOWN = 6
# Responses looked at: enough for one secretary's societies several times over.
LOOKED_AT = 100


async def report_attention(request: Request, held: list[Membership]) -> list[dict[str, Any]]:
    user = request.scope.get("user")
    if user is None:
        return []
    paths = policy.acting_paths(held)
    mine = Q(user_id=user.id)
    if paths:
        mine = Q(mine, *[Q(organisation__path__startswith=p) for p in paths], join_type=Q.OR)
    now = timezone.now()
    rows = (
        await Response.filter(mine, state__in=list(AWAITING_ANSWER))
        .filter(round__opens_at__lte=now)
        .filter(
            Q(round__closed_at__isnull=True)
            | Q(round__closed_at__gt=now)
            | Q(state=ResponseState.RETURNED)
        )
        .select_related(
            "round__campaign__organiser", "round__campaign__form_version", "organisation"
        )
        .order_by("round__due_at", "id")
        .limit(LOOKED_AT)
    )
    rows = [r for r in rows if actor_for(held, user.id, r) == Actor.RESPONDENT]
    returned = [r for r in rows if r.state == ResponseState.RETURNED]
    others = [r for r in rows if r.state != ResponseState.RETURNED]
    zone = request.app.state.settings.zone
    items = [returned_item(request, r, zone) for r in returned]
    unchanged = await no_change_offered(others[:SHOWN], now)
    items += [due_item(request, r, zone, now, r.id in unchanged) for r in others]
    return items[:SHOWN]


async def no_change_offered(responses: list[Response], now: Any) -> set[int]:
    """Those of `responses` that may be sent as "no change" in two taps: the form
    allows it (surveys.policy) and there is an earlier report to carry forward."""
    forms: dict[int, Any] = {}
    offered = []
    for response in responses:
        version = response.round.campaign.form_version
        if version.id not in forms:
            forms[version.id] = version.form_definition()
        if offers_no_change(Actor.RESPONDENT, response, forms[version.id], now):
            offered.append(response)
    return await carryover.reported_before(offered)


def title(response: Response) -> str:
    round_ = response.round
    text = f"{round_.campaign.title} · " + gettext("Round %(number)d") % {"number": round_.number}
    if response.organisation is not None:
        text += f" · {response.organisation.short_name or response.organisation.name}"
    return text


def url(request: Request, response: Response) -> str:
    return str(request.app.url_path_for("surveys:response", response_id=response.id))


def due_item(
    request: Request, response: Response, zone: Any, now: Any, no_change: bool = False
) -> dict[str, Any]:
    deadline = response.round.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    overdue = response.round.is_overdue(now)
    note = (gettext("overdue since %(time)s") if overdue else gettext("due %(time)s")) % {
        "time": deadline
    }
    item: dict[str, Any] = {
        "kind": "report overdue" if overdue else "report",
        "url": url(request, response),
        "title": title(response),
        "note": note,
    }
    if no_change:
        item["action"] = {
            "url": str(
                request.app.url_path_for("surveys:confirm_no_change", response_id=response.id)
            ),
            "label": gettext("No change this round: submit directly"),
            "kind": "attention-no-change",
        }
    return item


def returned_item(request: Request, response: Response, zone: Any) -> dict[str, Any]:
    return {
        "kind": "report returned overdue",
        "url": url(request, response),
        "title": title(response),
        "note": gettext("returned for correction"),
    }


async def review_attention(request: Request, held: list[Membership]) -> list[dict[str, Any]]:
    """For whoever reviews reports: each round with reports awaiting their review (待审核),
    with how many, leading to the review queue of that round."""
    queue = str(request.app.url_path_for("surveys:review_queue"))
    items = []
    for line in await review.rounds_waiting(held):
        round_ = line.round
        items.append(
            {
                "kind": "review",
                "url": f"{queue}?round={round_.id}",
                "title": gettext("Awaiting review: %(campaign)s, round %(number)d")
                % {"campaign": round_.campaign.title, "number": round_.number},
                "note": ngettext("%(num)d report", "%(num)d reports", line.count)
                % {"num": line.count},
            }
        )
    return items
