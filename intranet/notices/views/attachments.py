"""A notice's attachments: adding files to a draft or a published notice, removing one.

Attachments are streamed into storage under a random key and then judged by what was
stored (intranet.uploads); a refused file is deleted before the answer goes out, so a
refusal leaves no row and no file behind. Several files go up together or not at all.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet import audit, policy, uploads
from intranet.convertors import MAX_ID
from intranet.i18n import N_, gettext
from intranet.models import Membership, User
from intranet.notices import workflow
from intranet.notices.models import Notice, NoticeAttachment
from intranet.notices.views.actions import (
    DONE_MESSAGES,
    notice_id_of,
    redirect_to,
    refused,
    translated,
)
from intranet.storage import Storage
from intranet.templating import is_htmx, render

ATTACHMENTS_PARTIAL = "intranet/notices/_attachments_editor.html"

WITHDRAWN_UNCHANGEABLE = N_("A withdrawn notice can no longer be changed.")
FORWARDED_ATTACHMENT = N_("This attachment is part of the forwarded notice and cannot be removed.")
CHANGED_MEANWHILE = N_(
    "Someone else changed this notice at the same moment. Nothing was changed; please try again."
)


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
    checked, messages = await keep_and_attach(request, storage, notice, user, files)
    if messages:
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


async def keep_and_attach(
    request: Request, storage: Storage, notice: Notice, user: User, files: list[UploadFile]
) -> tuple[list[uploads.CheckedFile], list[str]]:
    """Keep every file and attach them all, or (with the reasons) keep none of them."""
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
    return checked, messages


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
        "/notices/{notice_id:id}/attachments",
        upload_attachments,
        methods=["POST"],
        name="intranet:notice_attachment_upload",
    ),
    Route(
        "/notices/{notice_id:id}/attachments/{attachment_id:id}/delete",
        delete_attachment,
        methods=["POST"],
        name="intranet:notice_attachment_delete",
    ),
]
