"""Filling in reports: the secretary's list, the response page, saving and submitting.

Views parse, ask surveys.policy who the person is to the response (404 if nobody), call
surveys.answering / surveys.responses and render. The response page is one plain form:
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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise import timezone
from tortoise.expressions import Q, Subquery

from intranet import policy, uploads
from intranet.forms import form_data, parse_id
from intranet.i18n import N_, Refusal, gettext
from intranet.models import Membership, Organisation, User
from intranet.storage import StorageError
from intranet.templating import render
from surveys import answering, attention, paths
from surveys.answers import Problem, is_answered, missing_required
from surveys.models import AnswerChange, ResponseEvent, Round
from surveys.models import Response as SurveyResponse
from surveys.policy import (
    ResponseAccess,
    actor_for,
    can_withdraw,
    offers_no_change,
    require_response,
)
from surveys.responses import AWAITING_ANSWER, ResponseChanged, SubmitRefused, act
from surveys.schema import KEY_PATTERN, FormDefinition, Question, QuestionType, Respondent
from surveys.states import (
    REVIEWER_CANNOT_EDIT,
    Action,
    Actor,
    ResponseState,
    TransitionRefused,
    allowed_actions,
    is_read_only_for_respondent,
)

PAGE = "surveys/responses/response.html"
STATUS = "surveys/responses/_save_status.html"
FEEDBACK = "surveys/responses/_feedback.html"
# Submitted reports stay on the list this long after their deadline.
RECENT = timedelta(days=30)
LISTED = 200

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


async def return_reasons(response_ids: list[int]) -> dict[int, str]:
    """The reason of each response's latest return or reopen (one query)."""
    if not response_ids:
        return {}
    events = await ResponseEvent.filter(
        response_id__in=response_ids, action__in=[Action.RETURN, Action.REOPEN]
    ).order_by("created_at", "id")
    return {e.response_id: e.reason for e in events}  # type: ignore[attr-defined]


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
    values = {q.key: display(q, stored.get(q.key)) for q in form.questions()}
    if typed:
        values.update(typed)
    round_open = response.round.is_open(now)
    state = ResponseState(response.state)
    editable = is_editable(access, now)
    totals = await answering.running_totals(response, form)
    done = request.query_params.get("done", "")
    return {
        "response": response,
        "access": access,
        "round": response.round,
        "campaign": response.round.campaign,
        "form": form,
        "values": values,
        "bases": {q.key: base_text(q, stored.get(q.key)) for q in form.questions()},
        "problems": problems_by_question(form, problems or []),
        "problem_list": listed_problems(form, problems or []),
        "conflicts": {c.question.key: c for c in conflicts or []},
        "to_fill": {q.key: cells_to_fill(form, q, stored.get(q.key)) for q in form.questions()},
        "messages": messages or [],
        "done": gettext(DONE_MESSAGES[done]) if done in DONE_MESSAGES else "",
        "editable": editable,
        "can_submit": Action.SUBMIT in allowed_actions(state, access.actor, round_open=round_open),
        "can_copy": editable and response.round.number > 1,
        "can_withdraw": can_withdraw(access.actor, response, now),
        "offers_no_change": offers_no_change(access.actor, response, form, now),
        "totals": {key: answering.plain_number(total) for key, total in totals.items()},
        "totals_with_this": {
            key: answering.plain_number(total + answering.as_decimal(stored.get(key)))
            for key, total in totals.items()
        },
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


# -- saving one answer (autosave) ------------------------------------------------------------


def question_of(form: FormDefinition, request: Request) -> Question:
    key = str(request.path_params["key"])
    question = form.question(key) if KEY_PATTERN.fullmatch(key) else None
    if question is None:
        raise policy.not_found()
    return question


def bare_base(question: Question, form: FormData) -> Any:
    values = [v for v in form.getlist("base") if isinstance(v, str)]
    if question.type == QuestionType.FILE:
        return values[0] if values else ""
    return answering.raw_from_form(question, values)


async def save_answer(request: Request) -> Response:
    access = await require_response(request, response_id_of(request))
    response = access.response
    form_def = answering.form_of(response)
    question = question_of(form_def, request)
    form = await form_data(request)
    texts = [v for v in form.getlist("value") if isinstance(v, str)]
    if question.type == QuestionType.FILE:
        return Response(gettext("Files are attached with the upload button."), status_code=400)
    # No ticked box sends no value; for any other question a missing value is a broken
    # request, not a wish to clear the answer.
    if not texts and question.type != QuestionType.MULTIPLE_CHOICE:
        return Response(gettext("The request was not understood."), status_code=400)
    now = now_()
    checked = answering.check_typed(question, answering.raw_from_form(question, texts))
    base = answering.check_typed(question, bare_base(question, form))
    context: dict[str, Any] = {"question": question, "response": response}
    if not checked.ok:
        # Placed as on the full page: a table's problems say which row.
        placed = problems_by_question(form_def, checked.problems).values()
        context["errors"] = [text for texts in placed for text in texts]
        return render(request, FEEDBACK, context, status_code=422)
    if not base.ok:
        return Response(gettext("The request was not understood."), status_code=400)
    if access.actor != Actor.RESPONDENT:
        context["refusal"] = gettext(REVIEWER_CANNOT_EDIT)
        return render(request, FEEDBACK, context, status_code=409)
    try:
        saved = await answering.save_answers(
            response,
            {question.key: checked.value},
            {question.key: base.value if question.type != QuestionType.FILE else ""},
            form=form_def,
            user=policy.require_user(request),
            now=now,
        )
    except (TransitionRefused, ResponseChanged) as refusal:
        context["refusal"] = refusal.translated()
        return render(request, FEEDBACK, context, status_code=409)
    except answering.AnswerConflict as conflict:
        context["conflict"] = conflict.conflicts[0]
        context["mine_text"] = base_text(question, checked.value)
        context["theirs_text"] = base_text(question, conflict.conflicts[0].theirs)
        return render(request, FEEDBACK, context, status_code=409)
    context.update(
        to_fill=cells_to_fill(form_def, question, saved.response.answers.get(question.key)),
        saved_at=saved.response.updated_at if saved.changed else None,
        base=base_text(question, saved.response.answers.get(question.key)),
        version=saved.response.version,
    )
    reply = render(request, STATUS, context)
    reply.headers["x-response-version"] = str(saved.response.version)
    return reply


# -- saving and submitting the whole form ----------------------------------------------------


def typed_answers(
    form_def: FormDefinition, form: FormData
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the page sent for each question (raw) and its base (raw), files left out."""
    typed: dict[str, Any] = {}
    bases: dict[str, Any] = {}
    for question in form_def.questions():
        if question.type == QuestionType.FILE:
            continue
        name = f"q.{question.key}"
        if question.type == QuestionType.TABLE:
            typed[question.key] = table_rows(question, form, name)
        else:
            values = [v for v in form.getlist(name) if isinstance(v, str)]
            if not values and question.type != QuestionType.MULTIPLE_CHOICE:
                continue  # not on the page: leave it be
            typed[question.key] = answering.raw_from_form(question, values)
        base_values = [v for v in form.getlist(f"base.{question.key}") if isinstance(v, str)]
        bases[question.key] = answering.raw_from_form(question, base_values)
    return typed, bases


def table_rows(question: Question, form: FormData, name: str) -> list[dict[str, Any]]:
    """Rows from inputs named q.<key>.<row>.<column>, in row order."""
    rows: dict[int, dict[str, Any]] = {}
    prefix = name + "."
    # A row's Remove button without JavaScript asks first (remove_row); only the
    # confirmation's button (remove_row_confirmed) removes it.
    removed = form.get("remove_row_confirmed")
    for field_name in set(form.keys()):
        if not field_name.startswith(prefix):
            continue
        row_text, _, column = field_name[len(prefix) :].partition(".")
        row = parse_id(row_text)
        match = next((c for c in question.columns if c.key == column), None)
        if row is None or match is None or row > 1000 or removed == f"{question.key}.{row}":
            continue
        values = [v for v in form.getlist(field_name) if isinstance(v, str)]
        cell = (
            values if match.type == QuestionType.MULTIPLE_CHOICE else (values[0] if values else "")
        )
        rows.setdefault(row, {})[column] = cell
    return [rows[n] for n in sorted(rows)]


async def save_typed(
    request: Request, access: ResponseAccess, form: FormData
) -> tuple[answering.Saved | None, Response | None]:
    """Save every field the page sent; on refusal, the page to show instead."""
    response = access.response
    form_def = answering.form_of(response)
    typed, raw_bases = typed_answers(form_def, form)
    values: dict[str, Any] = {}
    bases: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, raw in typed.items():
        question = form_def.question(key)
        assert question is not None
        checked = answering.check_typed(question, raw)
        problems += checked.problems
        values[key] = checked.value
        base = answering.check_typed(question, raw_bases.get(key))
        bases[key] = base.value if base.ok else None
    keep = {k: typed_display(form_def.question(k), v) for k, v in typed.items()}  # type: ignore[arg-type]
    if problems:
        page = await refused_page(
            request, access, 422, typed=keep, problems=problems, messages=[gettext(NOT_SAVED)]
        )
        return None, page
    if access.actor != Actor.RESPONDENT:
        raise policy.not_found()
    try:
        saved = await answering.save_answers(
            response, values, bases, form=form_def, user=policy.require_user(request), now=now_()
        )
    except (TransitionRefused, ResponseChanged) as refusal:
        return None, await refused_page(request, access, 409, messages=[refusal.translated()])
    except answering.AnswerConflict as conflict:
        page = await refused_page(
            request,
            access,
            409,
            typed=keep,
            conflicts=conflict.conflicts,
            messages=[gettext(CONFLICTS)],
        )
        return None, page
    return saved, None


def typed_display(question: Question, raw: Any) -> Any:
    """What was typed, to show again as typed when the save was refused."""
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return list(raw) if isinstance(raw, list) else []
    if question.type == QuestionType.TABLE:
        return raw if isinstance(raw, list) else []
    return raw if isinstance(raw, str) else ""


async def save_response(request: Request) -> Response:
    """The Save button: every field at once (the page without JavaScript)."""
    access = await require_response(request, response_id_of(request))
    form = await form_data(request)
    _, refusal = await save_typed(request, access, form)
    if refusal is not None:
        return refusal
    url = response_url(request, access.response.id, "saved")
    table = form.get("add_row")  # the table's Add a row button, without JavaScript
    if isinstance(table, str) and KEY_PATTERN.fullmatch(table):
        url = response_url(request, access.response.id, anchor=f"field-{table}")
        url = url.replace("#", f"?add={table}#")
    remove = form.get("remove_row")  # a row's Remove button, without JavaScript: ask
    if isinstance(remove, str) and REMOVE_ROW.fullmatch(remove):
        key = remove.partition(".")[0]
        url = response_url(request, access.response.id, anchor=f"confirm-remove-{key}")
        url = url.replace("#", f"?remove={remove}#")
    return RedirectResponse(url, status_code=303)


async def submit_response(request: Request) -> Response:
    """Save what the page sent, then submit; refused with every missing or invalid field."""
    access = await require_response(request, response_id_of(request))
    response = access.response
    if access.actor != Actor.RESPONDENT:
        raise policy.not_found()
    form = await form_data(request)
    if not is_read_only_for_respondent(ResponseState(response.state)):
        _, refusal = await save_typed(request, access, form)
        if refusal is not None:
            return refusal
    try:
        await act(
            response,
            Action.SUBMIT,
            actor=Actor.RESPONDENT,
            user=policy.require_user(request),
            now=now_(),
            expected_version=response.version,
        )
    except SubmitRefused as refusal:
        return await refused_page(
            request, access, 422, problems=refusal.problems, messages=[refusal.translated()]
        )
    except (TransitionRefused, ResponseChanged) as refusal:
        return await refused_page(request, access, 409, messages=[refusal.translated()])
    return RedirectResponse(response_url(request, response.id, "submitted"), status_code=303)


async def prefill_response(request: Request) -> Response:
    """Start from the previous round: 复制上期内容 (copy) into the empty fields, or
    本期无新增 (carry) by each question's carry-over rule."""
    access = await require_response(request, response_id_of(request))
    if access.actor != Actor.RESPONDENT:
        raise policy.not_found()
    form = await form_data(request)
    carry = form.get("mode") == "carry"
    response = access.response
    fill = answering.apply_no_change if carry else answering.copy_previous
    try:
        await fill(
            response,
            form=answering.form_of(response),
            user=policy.require_user(request),
            now=now_(),
        )
    except Refusal as refusal:
        return await refused_page(request, access, 409, messages=[refusal.translated()])
    done = "carried" if carry else "copied"
    anchor = "submit" if carry else ""
    return RedirectResponse(response_url(request, response.id, done, anchor), status_code=303)


# -- files -------------------------------------------------------------------------------------


async def upload_file(request: Request) -> Response:
    access = await require_response(request, response_id_of(request))
    response = access.response
    form_def = answering.form_of(response)
    question = question_of(form_def, request)
    if question.type != QuestionType.FILE or access.actor != Actor.RESPONDENT:
        raise policy.not_found()
    form, parsed_here = await uploads.upload_form(request)
    storage = request.app.state.storage
    try:
        files = [
            f
            for f in form.getlist(f"file.{question.key}")
            if isinstance(f, UploadFile) and f.filename
        ]
        base = form.get(f"base.{question.key}")
        remove = form.get("remove") == "1"
        if not files and not remove:
            return await refused_page(request, access, 400, messages=[gettext(CHOOSE_FILE)])
        kept: uploads.CheckedFile | None = None
        if files:
            try:
                kept = await uploads.keep_file(
                    storage, files[0], request.app.state.settings.max_upload_bytes
                )
            except uploads.UploadRefused as refusal:
                return await refused_page(request, access, 422, messages=[refusal.translated()])
        value = (
            answering.file_answer(
                kept.filename, kept.stored.key, kept.stored.size, kept.kind.media_type
            )
            if kept
            else None
        )
        try:
            await answering.save_answers(
                response,
                {question.key: value},
                {question.key: base if isinstance(base, str) else ""},
                form=form_def,
                user=policy.require_user(request),
                now=now_(),
            )
        except (TransitionRefused, ResponseChanged, answering.AnswerConflict) as refusal:
            if kept:
                await storage.delete(kept.stored.key)
            message = (
                gettext(CONFLICTS)
                if isinstance(refusal, answering.AnswerConflict)
                else refusal.translated()
            )
            return await refused_page(request, access, 409, messages=[message])
    finally:
        if parsed_here:
            await form.close()
    done = "uploaded" if kept else "removed"
    return RedirectResponse(
        response_url(request, response.id, done, f"field-{question.key}"), status_code=303
    )


async def download_file(request: Request) -> Response:
    """A file answer, as a download, to the respondent and the campaign's reviewers."""
    access = await require_response(request, response_id_of(request))
    key = str(request.path_params["storage_key"])
    found = await answering.find_file(access.response, key)
    if found is None:
        raise policy.not_found()
    try:
        chunks = await request.app.state.storage.open(key)
    except (FileNotFoundError, StorageError):
        raise policy.not_found() from None
    return uploads.download_response(
        chunks, str(found["name"]), int(found["size"]), str(found["content_type"])
    )


# -- history -----------------------------------------------------------------------------------


async def response_history(request: Request) -> Response:
    access = await require_response(request, response_id_of(request))
    response = access.response
    form_def = answering.form_of(response)
    events = await ResponseEvent.filter(response_id=response.id).select_related("actor")
    changes = await AnswerChange.filter(response_id=response.id).select_related("actor")
    returns = [e for e in events if e.action in (Action.RETURN, Action.REOPEN)]
    since = answering.changed_since(changes, returns[-1].created_at, form_def) if returns else []
    context = {
        "response": response,
        "access": access,
        "round": response.round,
        "campaign": response.round.campaign,
        "form": form_def,
        "events": events,
        "changes": list(reversed(changes)),
        "returned": returns[-1] if returns else None,
        "since": since,
    }
    return render(request, "surveys/responses/history.html", context)


routes = [
    Route("/reports", my_reports, name="surveys:my_reports"),
    Route(
        "/reports/rounds/{round_id:int}/start",
        start_response,
        methods=["POST"],
        name="surveys:start_response",
    ),
    Route(paths.RESPONSE, show_response, name="surveys:response"),
    Route(
        "/reports/responses/{response_id:int}/save",
        save_response,
        methods=["POST"],
        name="surveys:save_response",
    ),
    Route(
        "/reports/responses/{response_id:int}/submit",
        submit_response,
        methods=["POST"],
        name="surveys:submit_response",
    ),
    Route(
        "/reports/responses/{response_id:int}/prefill",
        prefill_response,
        methods=["POST"],
        name="surveys:prefill_response",
    ),
    Route(
        "/reports/responses/{response_id:int}/answers/{key}",
        save_answer,
        methods=["POST"],
        name="surveys:save_answer",
    ),
    Route(
        "/reports/responses/{response_id:int}/files/{key}",
        upload_file,
        methods=["POST"],
        name="surveys:upload_file",
    ),
    Route(
        "/reports/responses/{response_id:int}/files/{key}/{storage_key}",
        download_file,
        name="surveys:download_file",
    ),
    Route(
        "/reports/responses/{response_id:int}/history",
        response_history,
        name="surveys:response_history",
    ),
]
