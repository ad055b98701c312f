"""The response page: a report's questions with their answers, problems and conflicts.

Views parse, ask surveys.policy who the person is to the response (404 if nobody), call
surveys.answering and render; the saving views (surveys.views.response_saving) answer
with this page when a whole-form save needs the person's attention."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise import timezone

from intranet.form_fields import done_message
from intranet.i18n import N_, gettext
from intranet.templating import render
from surveys import answering
from surveys.answer_checks import Problem, is_answered, missing_required
from surveys.models import ResponseEvent
from surveys.numbers import number_or_zero, plain_number
from surveys.policy import (
    ResponseAccess,
    can_withdraw,
    offers_no_change,
    require_response,
)
from surveys.schema import KEY_PATTERN, FormDefinition, Question, QuestionType
from surveys.states import (
    Action,
    Actor,
    ResponseState,
    allowed_actions,
)

PAGE = "surveys/responses/response.html"
STATUS = "surveys/responses/_save_status.html"
FEEDBACK = "surveys/responses/_feedback.html"
# Submitted reports stay on the list this long after their deadline.

DONE_MESSAGES = {
    "saved": N_("Your answers have been saved."),
    "submitted": N_("The report has been submitted. Thank you."),
    "copied": N_(
        "Last round's answers have been copied into the empty fields. Change the figures "
        "and lists of new items to this round's before you submit."
    ),
    "carried": N_(
        "Nothing new this round: new figures are 0, lists of new items are empty and "
        "standing values are as last reported. Check them, then submit."
    ),
    "withdrawn": N_("The report has been withdrawn. Change it and submit it again."),
    "uploaded": N_("The file has been attached."),
    "removed": N_("The file has been removed."),
    # After "approve and next" / "return and next" on the previous report.
    "approve_next": N_("The previous report has been approved. Here is the next one to review."),
    "return_next": N_(
        "The previous report has been returned with your reason. Here is the next one to review."
    ),
}
NOT_SAVED = N_("Nothing was saved: fix the fields marked below.")
CONFLICTS = N_("Someone else changed these answers since you opened the page. Nothing was saved.")
CHOOSE_FILE = N_("Choose a file to attach.")
# A table row as a Remove button names it: <question key>.<row index>.
REMOVE_ROW = re.compile(KEY_PATTERN.pattern + r"\.[0-9]{1,4}")


def response_id_of(request: Request) -> int:
    return int(request.path_params["response_id"])


def response_url(request: Request, response_id: int, done: str = "", anchor: str = "") -> str:
    url = str(request.app.url_path_for("surveys:response", response_id=response_id))
    return url + (f"?done={done}" if done else "") + (f"#{anchor}" if anchor else "")


def now_() -> datetime:
    return timezone.now()


# -- the response page -----------------------------------------------------------------------


def display(question: Question, value: Any) -> Any:
    """A stored answer as the page's inputs show it."""
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return list(value) if isinstance(value, list) else []
    if question.type == QuestionType.TABLE:
        rows = value if isinstance(value, list) else []
        return [{c.key: display(c, row.get(c.key)) for c in question.columns} for row in rows]
    if question.type == QuestionType.FILE:
        return value if isinstance(value, dict) else None
    return "" if value is None else str(value)


def base_text(question: Question, value: Any) -> list[str]:
    """The base hidden input(s) for a stored answer: same encoding as the page sends."""
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return list(value) if isinstance(value, list) else []
    if question.type == QuestionType.TABLE:
        return [json.dumps(value, ensure_ascii=False)] if is_answered(value) else [""]
    if question.type == QuestionType.FILE:
        return [answering.file_key(value)]
    return ["" if value is None else str(value)]


def cell_place(form: FormDefinition, problem: Problem) -> str:
    """Where in a table a problem is, in the secretary's words: row and column
    (第4行「单位」), or "" for a question that is not a table."""
    if problem.row is None:
        return ""
    if not problem.column:
        return gettext("Row %(row)d") % {"row": problem.row}
    table = form.question(problem.question)
    column = next((c for c in table.columns if c.key == problem.column), None) if table else None
    label = column.label if column else problem.column
    return gettext("Row %(row)d, %(column)s") % {"row": problem.row, "column": label}


def problems_by_question(form: FormDefinition, problems: list[Problem]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in problems:
        text = problem.translated()
        if where := cell_place(form, problem):
            text = f"{where}: {text}"
        found.setdefault(problem.question, []).append(text)
    return found


def listed_problems(form: FormDefinition, problems: list[Problem]) -> list[dict[str, str]]:
    """The page's list of problems: each with its question, place and message."""
    listed = []
    for problem in problems:
        question = form.question(problem.question)
        label = question.label if question else problem.question
        where = cell_place(form, problem)
        listed.append(
            {
                "question": problem.question,
                "where": f"{label} {where}" if where else label,
                "message": problem.translated(),
            }
        )
    return listed


def cells_to_fill(form: FormDefinition, question: Question, value: Any) -> list[str]:
    """The empty required cells of a saved table, to fill in before submitting."""
    if question.type != QuestionType.TABLE:
        return []
    missing = missing_required(form, {question.key: value})
    return [cell_place(form, p) for p in missing if p.row is not None]


def is_editable(access: ResponseAccess, now: datetime) -> bool:
    response = access.response
    allowed = allowed_actions(
        ResponseState(response.state), access.actor, round_open=response.round.is_open(now)
    )
    return Action.SAVE in allowed


def answers_context(
    form: FormDefinition,
    stored: dict[str, Any],
    typed: dict[str, Any] | None,
    problems: list[Problem] | None,
    conflicts: list[answering.Conflict] | None,
) -> dict[str, Any]:
    """The page's answers as shown, their bases, problems, conflicts and cells to fill."""
    values = {q.key: display(q, stored.get(q.key)) for q in form.questions()}
    if typed:
        values.update(typed)
    return {
        "form": form,
        "values": values,
        "bases": {q.key: base_text(q, stored.get(q.key)) for q in form.questions()},
        "problems": problems_by_question(form, problems or []),
        "problem_list": listed_problems(form, problems or []),
        "conflicts": {c.question.key: c for c in conflicts or []},
        "to_fill": {q.key: cells_to_fill(form, q, stored.get(q.key)) for q in form.questions()},
    }


def totals_context(totals: dict[str, Decimal], stored: dict[str, Any]) -> dict[str, Any]:
    """The running totals of the other responses, without and with this one."""
    return {
        "totals": {key: plain_number(total) for key, total in totals.items()},
        "totals_with_this": {
            key: plain_number(total + number_or_zero(stored.get(key)))
            for key, total in totals.items()
        },
    }


async def page_context(
    request: Request,
    access: ResponseAccess,
    *,
    typed: dict[str, Any] | None = None,
    problems: list[Problem] | None = None,
    conflicts: list[answering.Conflict] | None = None,
    messages: list[str] | None = None,
) -> dict[str, Any]:
    response = access.response
    now = now_()
    form = answering.form_of(response)
    stored = response.answers
    round_open = response.round.is_open(now)
    state = ResponseState(response.state)
    editable = is_editable(access, now)
    totals = await answering.running_totals(response, form)
    return {
        "response": response,
        "access": access,
        "round": response.round,
        "campaign": response.round.campaign,
        **answers_context(form, stored, typed, problems, conflicts),
        "messages": messages or [],
        "done": done_message(request, DONE_MESSAGES),
        "editable": editable,
        "can_submit": Action.SUBMIT in allowed_actions(state, access.actor, round_open=round_open),
        "can_copy": editable and response.round.number > 1,
        "can_withdraw": can_withdraw(access.actor, response, now),
        "offers_no_change": offers_no_change(access.actor, response, form, now),
        **totals_context(totals, stored),
        "review_actions": allowed_actions(state, Actor.REVIEWER, round_open=round_open)
        if access.actor == Actor.REVIEWER
        else [],
        "now": now,
        "overdue": response.round.is_overdue(now),
        "returned_reason": (await return_reasons([response.id])).get(response.id, "")
        if state == ResponseState.RETURNED
        else "",
    }


async def show_response(request: Request) -> Response:
    access = await require_response(request, response_id_of(request))
    return render(request, PAGE, await page_context(request, access))


async def refused_page(
    request: Request, access: ResponseAccess, status_code: int, **extra: Any
) -> Response:
    return render(
        request, PAGE, await page_context(request, access, **extra), status_code=status_code
    )


async def return_reasons(response_ids: list[int]) -> dict[int, str]:
    """The reason of each response's latest return or reopen (one query)."""
    if not response_ids:
        return {}
    events = await ResponseEvent.filter(
        response_id__in=response_ids, action__in=[Action.RETURN, Action.REOPEN]
    ).order_by("created_at", "id")
    return {e.response_id: e.reason for e in events}
