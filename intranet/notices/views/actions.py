"""Notices: the steps that change one (publish, withdraw, forward) and its attachments.

Only the issuer's people take these steps (policy.require_managed_notice); anyone else
gets 404. A step the notice's state does not allow is refused with a 400 page that says
why, and nothing changes. A step done answers 303 with ?done=<key> (see DONE_MESSAGES,
shown by the page it leads to).

Attachments are streamed into storage under a random key and then judged by what was
stored (intranet.uploads); a refused file is deleted before the answer goes out, so a
refusal leaves no row and no file behind. Several files go up together or not at all.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet import audit, policy, uploads
from intranet.forms import FormErrors, form_data, parse_id, take_line
from intranet.i18n import N_, gettext
from intranet.models import Membership, User
from intranet.notices import workflow
from intranet.notices.models import Notice, NoticeAddressee, NoticeAttachment
from intranet.storage import Storage
from intranet.templating import is_htmx, render

MAX_REASON_LENGTH = 500  # Notice.withdrawn_reason
MAX_ID = 2**31 - 1

ATTACHMENTS_PARTIAL = "intranet/notices/_attachments_editor.html"
REFUSED_PAGE = "intranet/notices/action_refused.html"

# Shown by the edit page after the redirect from these steps (the query string carries
# only the key); "published" and "withdrawn" lead to the notice's page, which has its own.
DONE_MESSAGES = {
    "forwarded": N_(
        "A draft forwarding the notice has been made. Check it, add addressees, then publish it."
    ),
    "attached": N_("The attachment has been added."),
    "attachment_removed": N_("The attachment has been removed."),
}

NO_ADDRESSEES = N_("Add at least one addressee, or make the notice public, before publishing it.")
WITHDRAWN_UNCHANGEABLE = N_("A withdrawn notice can no longer be changed.")
FORWARDED_ATTACHMENT = N_("This attachment is part of the forwarded notice and cannot be removed.")
CHANGED_MEANWHILE = N_(
    "Someone else changed this notice at the same moment. Nothing was changed; please try again."
)


def redirect_to(request: Request, route: str, notice_id: int, done: str) -> Response:
    url = request.app.url_path_for(route, notice_id=notice_id)
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def refused(
    request: Request,
    notice: Notice,
    title: str,
    messages: list[str],
    *,
    edit_link: bool = False,
    back_to_edit: bool = False,
    **extra: Any,
) -> Response:
    """The small page that says why a step was not taken; nothing has changed."""
    context = {
        "notice": notice,
        "title": title,
        "messages": messages,
        "edit_link": edit_link,
        "back_to_edit": back_to_edit,
        **extra,
    }
    return render(request, REFUSED_PAGE, context, status_code=400)


def notice_id_of(request: Request) -> int:
    return int(request.path_params["notice_id"])


# -- publishing and withdrawing ---------------------------------------------------------


async def publish(request: Request) -> Response:
    _, notice = await policy.require_managed_notice(request, notice_id_of(request))
    user = policy.require_user(request)
    title = gettext("The notice was not published")
    if not notice.is_draft:
        return refused(request, notice, title, [gettext("Only a draft can be published.")])
    if not notice.is_public and not await NoticeAddressee.exists(notice_id=notice.id):
        return refused(request, notice, title, [gettext(NO_ADDRESSEES)], edit_link=True)
    try:
        await workflow.publish(notice, user, request=request)
    except (workflow.DuplicateNumber, workflow.AddresseesOutOfReach) as error:
        message, edit_link = error.message, True
    except workflow.WorkflowError as error:  # published by a second click meanwhile
        message, edit_link = error.message, False
    except IntegrityError:
        # The number was typed into another of the issuer's notices at the same moment.
        message, edit_link = workflow.DUPLICATE_NUMBER, True
    else:
        return redirect_to(request, "intranet:notice", notice.id, "published")
    # The failed attempt may have set a number on this copy only: show the notice as kept.
    kept = await Notice.get(id=notice.id)
    return refused(request, kept, title, [gettext(message)], edit_link=edit_link)


async def withdraw(request: Request) -> Response:
    _, notice = await policy.require_managed_notice(request, notice_id_of(request))
    user = policy.require_user(request)
    title = gettext("The notice was not withdrawn")
    if not notice.is_published:
        message = gettext("Only a published notice can be withdrawn.")
        return refused(request, notice, title, [message])
    form = await form_data(request)
    errors = FormErrors()
    reason = take_line(form, "reason", errors, max_length=MAX_REASON_LENGTH)
    if not reason:
        errors.add("reason", gettext("Give the reason for withdrawing the notice."))
    if errors:
        return refused(
            request, notice, title, [], withdraw_errors=errors, reason=reason[:MAX_REASON_LENGTH]
        )
    await workflow.withdraw(notice, user, reason, request=request)
    return redirect_to(request, "intranet:notice", notice.id, "withdrawn")


# -- forwarding -------------------------------------------------------------------------


async def forward(request: Request) -> Response:
    """A draft of one's own organisation with the notice, as it reads now, attached."""
    user = policy.require_user(request)
    held, original = await policy.require_readable_notice(request, notice_id_of(request))
    if not await policy.can_forward_notice(held, original):
        raise policy.not_found()
    organisations = policy.issuing_organisations(held)
    context: dict[str, Any] = {
        "original": original,
        "attachments": await NoticeAttachment.filter(notice_id=original.id),
        "organisation_options": [(o.id, o.name) for o in organisations],
        "selected": organisations[0].id if len(organisations) == 1 else "",
        "errors": FormErrors(),
    }
    if request.method == "GET":
        return render(request, "intranet/notices/forward.html", context)
    form = await form_data(request)
    chosen = parse_id(form.get("organisation"))
    organisation = next((o for o in organisations if o.id == chosen), None)
    if organisation is None:
        context["errors"].add(
            "organisation", gettext("Choose one of the organisations you act for.")
        )
        context["selected"] = ""
        return render(request, "intranet/notices/forward.html", context, status_code=400)
    storage: Storage = request.app.state.storage
    draft = await workflow.forward(original, organisation, user, storage, request=request)
    return redirect_to(request, "intranet:notice_edit", draft.id, "forwarded")


# -- attachments ------------------------------------------------------------------------


def wants_partial(request: Request) -> bool:
    # Boosted forms want a whole page; only the editor's own hx-post wants the partial.
    return is_htmx(request) and request.headers.get("hx-boosted") != "true"


async def attachments_editor(
    request: Request, notice: Notice, *, status_code: int = 200, **extra: Any
) -> Response:
    context = {
        "notice": notice,
        "attachments": await NoticeAttachment.filter(notice_id=notice.id),
        **extra,
    }
    response = render(request, ATTACHMENTS_PARTIAL, context, status_code=status_code)
    response.headers.append("vary", "HX-Request")
    return response


async def refused_attachments(
    request: Request, notice: Notice, title: str, messages: list[str]
) -> Response:
    """In place of the editor for htmx, else a small page leading back to the edit page."""
    if wants_partial(request):
        return await attachments_editor(request, notice, status_code=400, upload_errors=messages)
    response = refused(request, notice, title, messages, back_to_edit=True)
    response.headers.append("vary", "HX-Request")
    return response


async def editable_notice(request: Request) -> tuple[list[Membership], Notice, Response | None]:
    """The notice if this person may change it; a refusal for a withdrawn one."""
    held, notice = await policy.require_managed_notice(request, notice_id_of(request))
    if policy.can_edit_notice(held, notice):
        return held, notice, None
    title = gettext("The attachments were not changed")
    return held, notice, refused(request, notice, title, [gettext(WITHDRAWN_UNCHANGEABLE)])


def chosen_files(form: FormData) -> list[UploadFile]:
    # A file input left empty still sends a part, with no file name.
    return [
        value
        for value in form.getlist("file")
        if isinstance(value, UploadFile) and value.filename is not None and value.filename != ""
    ]


async def upload_attachments(request: Request) -> Response:
    _, notice, refusal = await editable_notice(request)
    if refusal is not None:
        return refusal
    user = policy.require_user(request)
    form, parsed_here = await uploads.upload_form(request)
    try:
        return await attach_files(request, notice, user, chosen_files(form))
    finally:
        if parsed_here:
            await form.close()


async def attach_files(
    request: Request, notice: Notice, user: User, files: list[UploadFile]
) -> Response:
    title = gettext("Nothing was attached")
    if not files:
        return await refused_attachments(
            request, notice, title, [gettext("Choose a file to attach.")]
        )
    if len(files) > uploads.MAX_FILES:
        message = gettext("At most %(count)d files at a time, please.") % {
            "count": uploads.MAX_FILES
        }
        return await refused_attachments(request, notice, title, [message])
    storage: Storage = request.app.state.storage
    max_bytes = request.app.state.settings.max_upload_bytes
    checked: list[uploads.CheckedFile] = []
    messages: list[str] = []
    try:
        for upload in files:
            try:
                checked.append(await uploads.keep_file(storage, upload, max_bytes))
            except uploads.UploadRefused as refusal:
                messages.append(refusal.translated())
        if not messages and not await add_attachments(notice, checked, user):
            messages.append(gettext(CHANGED_MEANWHILE))
    except BaseException:
        await forget(storage, checked)
        raise
    if messages:
        await forget(storage, checked)
        return await refused_attachments(request, notice, title, messages)
    await audit.record(
        request,
        "notice.attach",
        actor=user,
        target=notice,
        organisation=notice.issuer,
        summary=", ".join(item.filename for item in checked),
    )
    if wants_partial(request):
        return await attachments_editor(
            request, notice, attachments_done=translated(DONE_MESSAGES, "attached")
        )
    return redirect_to(request, "intranet:notice_edit", notice.id, "attached")


async def forget(storage: Storage, checked: list[uploads.CheckedFile]) -> None:
    for item in checked:
        await storage.delete(item.stored.key)


async def add_attachments(notice: Notice, checked: list[uploads.CheckedFile], user: User) -> bool:
    """The rows for the stored files, after the notice's own; False if a concurrent edit
    of the published notice got in the way (then nothing is added)."""
    try:
        async with in_transaction():
            await begin_change(notice, user)
            positions: list[int] = await NoticeAttachment.filter(notice_id=notice.id).values_list(
                "position", flat=True
            )  # type: ignore[assignment]
            position = max(positions, default=-1) + 1
            for offset, item in enumerate(checked):
                await NoticeAttachment.create(
                    notice=notice,
                    storage_key=item.stored.key,
                    filename=item.filename,
                    kind=item.kind.value,
                    size=item.stored.size,
                    sha256=item.stored.sha256,
                    position=position + offset,
                    uploaded_by=user,
                )
            await end_change(notice)
    except IntegrityError:
        return False
    return True


async def hold(notice: Notice) -> None:
    """Inside a transaction: make a concurrent change of the same notice wait its turn
    (PostgreSQL; SQLite writes one at a time anyway)."""
    await Notice.select_for_update().filter(id=notice.id).first()


async def begin_change(notice: Notice, user: User) -> None:
    """Inside a transaction: hold the notice, and keep a published one's version first,
    so its history records the attachments it had."""
    await hold(notice)
    if notice.is_published:
        await workflow.keep_version(notice, user)


async def end_change(notice: Notice) -> None:
    fields = ["version", "updated_at"] if notice.is_published else ["updated_at"]
    await notice.save(update_fields=fields)


async def delete_attachment(request: Request) -> Response:
    _, notice, refusal = await editable_notice(request)
    attachment_id = int(request.path_params["attachment_id"])
    attachment = (
        await NoticeAttachment.get_or_none(id=attachment_id, notice_id=notice.id)
        if attachment_id <= MAX_ID
        else None
    )
    if attachment is None:
        raise policy.not_found()
    if refusal is not None:
        return refusal
    user = policy.require_user(request)
    title = gettext("The attachment was not removed")
    if attachment.from_forwarded:
        return refused(request, notice, title, [gettext(FORWARDED_ATTACHMENT)], back_to_edit=True)
    try:
        removed = await remove_attachment(notice, attachment, user)
    except IntegrityError:
        return refused(request, notice, title, [gettext(CHANGED_MEANWHILE)], back_to_edit=True)
    if removed:
        # After the commit: a row never points at a file that is gone.
        storage: Storage = request.app.state.storage
        await storage.delete(attachment.storage_key)
        await audit.record(
            request,
            "notice.detach",
            actor=user,
            target=notice,
            organisation=notice.issuer,
            summary=attachment.filename,
        )
    if wants_partial(request):
        done = translated(DONE_MESSAGES, "attachment_removed")
        return await attachments_editor(request, notice, attachments_done=done)
    return redirect_to(request, "intranet:notice_edit", notice.id, "attachment_removed")


async def remove_attachment(notice: Notice, attachment: NoticeAttachment, user: User) -> bool:
    """False if it was already gone (a second click)."""
    async with in_transaction():
        await hold(notice)
        if not await NoticeAttachment.exists(id=attachment.id):
            return False
        if notice.is_published:
            await workflow.keep_version(notice, user)
        await NoticeAttachment.filter(id=attachment.id).delete()
        await end_change(notice)
    return True


routes = [
    Route(
        "/notices/{notice_id:int}/publish",
        publish,
        methods=["POST"],
        name="intranet:notice_publish",
    ),
    Route(
        "/notices/{notice_id:int}/withdraw",
        withdraw,
        methods=["POST"],
        name="intranet:notice_withdraw",
    ),
    Route(
        "/notices/{notice_id:int}/forward",
        forward,
        methods=["GET", "POST"],
        name="intranet:notice_forward",
    ),
    Route(
        "/notices/{notice_id:int}/attachments",
        upload_attachments,
        methods=["POST"],
        name="intranet:notice_attachment_upload",
    ),
    Route(
        "/notices/{notice_id:int}/attachments/{attachment_id:int}/delete",
        delete_attachment,
        methods=["POST"],
        name="intranet:notice_attachment_delete",
    ),
]


def translated(messages: dict[str, str], key: str) -> str:
    """One of the messages above in the reader's language (the key itself is not text)."""
    return gettext(messages[key])
