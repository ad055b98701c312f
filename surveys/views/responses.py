"""Filling in reports: the secretary's list and the routes of every response page.

Views parse, ask surveys.policy who the person is to the response (404 if nobody), call
surveys.answering / surveys.state_changes and render. The response page is one plain form:
its Save and Submit buttons work without JavaScript (every field is sent with the
answer the page knew, its *base*), and htmx saves each field as it is typed through
`save_answer`:

    POST /reports/responses/{id}/answers/{key}   value=…  base=…  version=…
    200  saved (or a repeat): the save-status partial, the field's new base and the
         form's version out of band, and the header X-Response-Version
    409  the field changed elsewhere since `base` (who, when, their value and ours),
         or the response is read-only or its round closed; nothing saved
    422  the value is not acceptable (the inline error); nothing saved

`value` is repeated for multiple choice and is JSON text for a table; `base` is the
answer as the page last knew it, in the same form (empty for none).

The pages are in surveys.views.response_page, saving and submitting in
surveys.views.response_saving, attachments and history in surveys.views.response_files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.expressions import Q, Subquery

from intranet import policy
from intranet.form_fields import parse_id
from intranet.models import Membership, Organisation, User
from intranet.templating import render
from surveys import answering, attention, paths
from surveys.models import Response as SurveyResponse
from surveys.models import Round
from surveys.policy import (
    actor_for,
)
from surveys.schema import Respondent
from surveys.state_changes import AWAITING_ANSWER
from surveys.states import (
    Actor,
    ResponseState,
)
from surveys.views.response_files import download_file, response_history, upload_file
from surveys.views.response_page import now_, response_url, return_reasons, show_response
from surveys.views.response_saving import (
    prefill_response,
    save_answer,
    save_response,
    submit_response,
)

RECENT = timedelta(days=30)
LISTED = 200


# -- my reports ------------------------------------------------------------------------------


def answered_for(held: list[Membership]) -> Q | None:
    """Responses of the organisations this person acts for (their subtrees)."""
    paths = policy.acting_paths(held)
    if not paths:
        return None
    return Q(*[Q(organisation__path__startswith=p) for p in paths], join_type=Q.OR)


async def my_responses(held: list[Membership], user: User, now: datetime) -> list[SurveyResponse]:
    """The responses this person answers (not those they review) in rounds that have
    opened: those still awaiting an answer, and the rest from recent rounds."""
    mine = Q(user_id=user.id)
    theirs = answered_for(held)
    wanted = Q(mine, theirs, join_type=Q.OR) if theirs is not None else mine
    awaiting = Q(state__in=list(AWAITING_ANSWER))
    recent = Q(round__due_at__gte=now - RECENT)
    rows = (
        await SurveyResponse.filter(wanted, Q(awaiting, recent, join_type=Q.OR))
        .filter(round__opens_at__lte=now)
        .select_related(
            "round__campaign__organiser", "round__campaign__form_version", "organisation"
        )
        .order_by("round__due_at", "id")
        .limit(LISTED)
    )
    return [r for r in rows if actor_for(held, user.id, r) == Actor.RESPONDENT]


@dataclass(frozen=True)
class ListedReport:
    response: SurveyResponse
    group: str  # returned / overdue / due / done
    reason: str = ""
    no_change: bool = False  # may be sent as "no change" in two taps


async def my_reports(request: Request) -> Response:
    user = policy.require_user(request)
    held = await policy.memberships(request)
    now = now_()
    responses = await my_responses(held, user, now)
    reasons = await return_reasons([r.id for r in responses if r.state == ResponseState.RETURNED])
    unchanged = await attention.no_change_offered(responses, now)
    groups: dict[str, list[ListedReport]] = {"returned": [], "overdue": [], "due": [], "done": []}
    for response in responses:
        state = ResponseState(response.state)
        if state == ResponseState.RETURNED:
            groups["returned"].append(
                ListedReport(response, "returned", reasons.get(response.id, ""))
            )
        elif state in AWAITING_ANSWER:
            late = response.round.is_overdue(now)
            group = "overdue" if late else "due"
            groups[group].append(ListedReport(response, group, no_change=response.id in unchanged))
        else:
            groups["done"].append(ListedReport(response, "done"))
    groups["done"].sort(key=lambda item: item.response.round.due_at, reverse=True)
    person_rounds = await open_person_rounds(held, user, now)
    context = {"groups": groups, "now": now, "person_rounds": person_rounds}
    return render(request, "surveys/responses/my_reports.html", context)


async def open_person_rounds(held: list[Membership], user: User, now: datetime) -> list[Round]:
    """Open rounds of per-person forms sent to an organisation this person belongs to,
    that they have not started yet."""
    if not held:
        return []
    rounds = (
        await Round.filter(
            Q(closed_at__isnull=True) | Q(closed_at__gt=now),
            opens_at__lte=now,
            campaign__form_version__form__respondent=Respondent.PERSON,
        )
        .exclude(id__in=Subquery(SurveyResponse.filter(user_id=user.id).values("round_id")))
        .select_related("campaign")
        .limit(50)
    )
    categories = (
        await my_categories(held) if any(r.campaign.roster_categories for r in rounds) else set()
    )
    return [r for r in rounds if is_on_roster(held, r, categories)]


async def my_categories(held: list[Membership]) -> set[int]:
    """The categories of the organisations this person belongs to (one query)."""
    ids: list[int] = await Organisation.filter(  # type: ignore[assignment]
        id__in=[m.organisation.id for m in held]
    ).values_list("categories__id", flat=True)
    return {i for i in ids if i is not None}


def is_on_roster(held: list[Membership], round_: Round, categories: set[int]) -> bool:
    """Whether the round's roster names an organisation this person belongs to (or one
    above it), or one of its categories."""
    named = set(round_.campaign.roster_organisations)
    if categories & set(round_.campaign.roster_categories):
        return True
    return any({m.organisation.id, *m.organisation.ancestor_ids} & named for m in held)


async def start_response(request: Request) -> Response:
    """A person's own response to a per-person form, made on first use."""
    user = policy.require_user(request)
    held = await policy.memberships(request)
    round_id = parse_id(str(request.path_params["round_id"]))
    round_ = (
        await Round.get_or_none(id=round_id).select_related("campaign__form_version__form")
        if round_id
        else None
    )
    if (
        round_ is None
        or round_.campaign.form_version.form.respondent != Respondent.PERSON
        or not is_on_roster(held, round_, await my_categories(held))
        or not round_.is_open(now_())
    ):
        raise policy.not_found()
    response = await answering.person_response(round_, user)
    return RedirectResponse(response_url(request, response.id), status_code=303)


routes = [
    Route("/reports", my_reports, name="surveys:my_reports"),
    Route(
        "/reports/rounds/{round_id:id}/start",
        start_response,
        methods=["POST"],
        name="surveys:start_response",
    ),
    Route(paths.RESPONSE, show_response, name="surveys:response"),
    Route(
        "/reports/responses/{response_id:id}/save",
        save_response,
        methods=["POST"],
        name="surveys:save_response",
    ),
    Route(
        "/reports/responses/{response_id:id}/submit",
        submit_response,
        methods=["POST"],
        name="surveys:submit_response",
    ),
    Route(
        "/reports/responses/{response_id:id}/prefill",
        prefill_response,
        methods=["POST"],
        name="surveys:prefill_response",
    ),
    Route(
        "/reports/responses/{response_id:id}/answers/{key}",
        save_answer,
        methods=["POST"],
        name="surveys:save_answer",
    ),
    Route(
        "/reports/responses/{response_id:id}/files/{key}",
        upload_file,
        methods=["POST"],
        name="surveys:upload_file",
    ),
    Route(
        "/reports/responses/{response_id:id}/files/{key}/{storage_key}",
        download_file,
        name="surveys:download_file",
    ),
    Route(
        "/reports/responses/{response_id:id}/history",
        response_history,
        name="surveys:response_history",
    ),
]
