"""A response's attached files (upload and download) and its history of changes."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intranet import policy, uploads
from intranet.i18n import gettext
from intranet.storage import StorageError
from intranet.templating import render
from surveys import answering
from surveys.models import AnswerChange, ResponseEvent
from surveys.policy import ResponseAccess, require_response
from surveys.schema import FormDefinition, Question, QuestionType
from surveys.state_changes import ResponseChanged
from surveys.states import (
    Action,
    Actor,
    TransitionRefused,
)
from surveys.views.response_page import (
    CHOOSE_FILE,
    CONFLICTS,
    now_,
    refused_page,
    response_id_of,
    response_url,
)
from surveys.views.response_saving import question_of

# -- files -------------------------------------------------------------------------------------


def _chosen_files(form: FormData, key: str) -> list[UploadFile]:
    return [f for f in form.getlist(f"file.{key}") if isinstance(f, UploadFile) and f.filename]


async def _save_file_answer(
    request: Request,
    access: ResponseAccess,
    form_def: FormDefinition,
    question: Question,
    kept: uploads.CheckedFile | None,
    base: object,
) -> Response | None:
    """Saves the file answer (or its removal); a refusal page if it was refused."""
    value = (
        answering.file_answer(
            kept.filename, kept.stored.key, kept.stored.size, kept.kind.media_type
        )
        if kept
        else None
    )
    try:
        await answering.save_answers(
            access.response,
            {question.key: value},
            {question.key: base if isinstance(base, str) else ""},
            form=form_def,
            user=policy.require_user(request),
            now=now_(),
        )
    except (TransitionRefused, ResponseChanged, answering.AnswerConflict) as refusal:
        if kept:
            await request.app.state.storage.delete(kept.stored.key)
        message = (
            gettext(CONFLICTS)
            if isinstance(refusal, answering.AnswerConflict)
            else refusal.translated()
        )
        return await refused_page(request, access, 409, messages=[message])
    return None


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
        files = _chosen_files(form, question.key)
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
        base = form.get(f"base.{question.key}")
        refused = await _save_file_answer(request, access, form_def, question, kept, base)
        if refused is not None:
            return refused
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
