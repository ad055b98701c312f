"""Saving a response: one answer as it is typed (autosave), the whole form, submitting it
and starting it from the previous round's answers."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intranet import policy
from intranet.form_fields import form_data, parse_id
from intranet.i18n import Refusal, gettext
from intranet.templating import render
from surveys import answering
from surveys.answer_checks import Problem
from surveys.policy import (
    ResponseAccess,
    require_response,
)
from surveys.schema import KEY_PATTERN, FormDefinition, Question, QuestionType
from surveys.state_changes import ResponseChanged, SubmitRefused, act
from surveys.states import (
    REVIEWER_CANNOT_EDIT,
    Action,
    Actor,
    ResponseState,
    TransitionRefused,
    is_read_only_for_respondent,
)
from surveys.views.response_page import (
    CONFLICTS,
    FEEDBACK,
    NOT_SAVED,
    REMOVE_ROW,
    STATUS,
    base_text,
    cells_to_fill,
    now_,
    problems_by_question,
    refused_page,
    response_id_of,
    response_url,
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
    return await _save_one(request, form_def, question, checked.value, base.value, context)


async def _save_one(
    request: Request,
    form_def: FormDefinition,
    question: Question,
    value: Any,
    base: Any,
    context: dict[str, Any],
) -> Response:
    """Saves one checked answer; the status line, or the feedback saying why not."""
    response = context["response"]
    try:
        saved = await answering.save_answers(
            response,
            {question.key: value},
            {question.key: base if question.type != QuestionType.FILE else ""},
            form=form_def,
            user=policy.require_user(request),
            now=now_(),
        )
    except (TransitionRefused, ResponseChanged) as refusal:
        context["refusal"] = refusal.translated()
        return render(request, FEEDBACK, context, status_code=409)
    except answering.AnswerConflict as conflict:
        context["conflict"] = conflict.conflicts[0]
        context["mine_text"] = base_text(question, value)
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


def checked_typed(
    form_def: FormDefinition, typed: dict[str, Any], raw_bases: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """Each typed answer and its base, checked; the problems found."""
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
    return values, bases, problems


async def save_typed(
    request: Request, access: ResponseAccess, form: FormData
) -> tuple[answering.Saved | None, Response | None]:
    """Save every field the page sent; on refusal, the page to show instead."""
    response = access.response
    form_def = answering.form_of(response)
    typed, raw_bases = typed_answers(form_def, form)
    values, bases, problems = checked_typed(form_def, typed, raw_bases)
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
