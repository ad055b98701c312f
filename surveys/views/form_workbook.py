"""Report forms for staff: a form imported from an .xlsx workbook (new, or as a new
version) and exported as one."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intranet import audit, uploads
from intranet.form_fields import form_data
from intranet.i18n import gettext
from surveys import building
from surveys.policy import require_form
from surveys.schema import (
    FormDefinition,
)
from surveys.views.form_builder import builder_page, form_id_of, require_version
from surveys.views.form_common import (
    CHOOSE_OWNER,
    IMPORT_TOO_LARGE,
    MAX_IMPORT_BYTES,
    NO_FILE,
    NOT_XLSX,
    XLSX_MEDIA_TYPE,
    builder_url,
)
from surveys.views.form_list import chosen_owner, created, list_page, require_maker
from surveys.xlsform import ImportProblems, form_from_xlsx, form_to_xlsx

# -- .xlsx ---------------------------------------------------------------------------------


class UploadProblem(Exception):
    def __init__(self, message: str):
        self.message = message


async def read_workbook(form: FormData) -> FormDefinition:
    """The form in the uploaded workbook. Raises UploadProblem or ImportProblems."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UploadProblem(gettext(NO_FILE))
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        limit = f"{MAX_IMPORT_BYTES / (1024 * 1024):g}"
        raise UploadProblem(gettext(IMPORT_TOO_LARGE) % {"limit": limit})
    try:
        kind = uploads.check_attachment_file(upload.filename, data)
    except uploads.UploadRefused as refused:
        raise UploadProblem(f"{refused.translated()} {gettext(NOT_XLSX)}") from None
    if kind is not uploads.AttachmentKind.XLSX:
        raise UploadProblem(gettext(NOT_XLSX))
    return form_from_xlsx(data)


def import_failure(error: UploadProblem | ImportProblems) -> dict[str, Any]:
    if isinstance(error, UploadProblem):
        return {"import_message": error.message, "import_problems": []}
    return {"import_message": "", "import_problems": error.problems}


async def import_form(request: Request) -> Response:
    held = await require_maker(request)
    form = await form_data(request)
    owner = chosen_owner(held, form.get("owner"))
    try:
        if owner is None:
            raise UploadProblem(gettext(CHOOSE_OWNER))
        definition = await read_workbook(form)
    except (UploadProblem, ImportProblems) as error:
        return await list_page(request, held, 422, **import_failure(error))
    return await created(request, owner, definition, "form.import")


async def import_version(request: Request) -> Response:
    form_record = (await require_form(request, form_id_of(request)))[1]
    form = await form_data(request)
    try:
        definition = await read_workbook(form)
    except (UploadProblem, ImportProblems) as error:
        return await builder_page(request, form_record, status_code=422, **import_failure(error))
    saved = await building.save_definition(
        form_record, lambda _: definition, new_version=bool(form.get("new_version"))
    )
    await audit.record(
        request,
        "form.import",
        target=form_record,
        organisation=form_record.owner,
        summary=f"{definition.title} v{saved.version.number}",
    )
    done = "new_version" if saved.made_new_version else "imported"
    return RedirectResponse(builder_url(request, form_record.id, done), status_code=303)


async def export_xlsx(request: Request) -> Response:
    form, version = await require_version(request)
    body = form_to_xlsx(version.form_definition())
    name = f"{version.form_definition().title or form.title}-v{version.number}.xlsx"
    return Response(
        body,
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "content-disposition": uploads.content_disposition(name),
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
        },
    )
