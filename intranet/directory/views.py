"""Admin pages for the directory workbook, and the page where an invited person sets a
password.

Upload → preview → confirm: the upload starts a background job (jobs.py) that reads the
file and compares it with the database; its page shows the progress, then the preview;
confirming starts the same job's second half, which writes everything in one transaction.
A job belongs to the admin who started it: anyone else's token answers 404.
"""

from __future__ import annotations

import io
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intranet import accounts, audit, policy
from intranet.directory import codes, export, invitations, jobs, plan
from intranet.directory.apply import Actor
from intranet.form_fields import FormErrors, form_data
from intranet.i18n import gettext
from intranet.middleware import SESSION_COOKIE, cookie_header
from intranet.security import MAX_PASSWORD_LENGTH, hash_password, password_problem
from intranet.templating import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = (".xlsx", ".csv")
PAGE = "intranet/directory/index.html"
JOB_PAGE = "intranet/directory/job.html"
JOB_PARTIAL = "intranet/directory/_job.html"


def settings_of(request: Request) -> Any:
    return request.app.state.settings


def download(data: bytes, filename: str, ascii_name: str) -> Response:
    from urllib.parse import quote

    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        data,
        media_type=XLSX,
        headers={"content-disposition": disposition, "cache-control": "no-store"},
    )


# -- the page, the template, the export ----------------------------------------------------


async def index(request: Request, *, error: str = "", status_code: int = 200) -> Response:
    await policy.require_admin(request)
    context = {"error": error, "max_mb": settings_of(request).max_upload_mb}
    return render(request, PAGE, context, status_code=status_code)


async def template(request: Request) -> Response:
    await policy.require_admin(request)
    buffer = io.BytesIO()
    await export.write_template(buffer)
    return download(buffer.getvalue(), "名录导入模板.xlsx", "directory-template.xlsx")


async def export_file(request: Request) -> Response:
    held = await policy.require_admin(request)
    scope = plan.scope_for(held, policy.require_user(request).id)
    buffer = io.BytesIO()
    await export.export_directory(buffer, scope)
    return download(buffer.getvalue(), "名录.xlsx", "directory.xlsx")


# -- upload, preview, confirm ---------------------------------------------------------------


async def upload(request: Request) -> Response:
    held = await policy.require_admin(request)
    user = policy.require_user(request)
    form = await form_data(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await index(request, error=gettext("Choose a file to upload."), status_code=400)
    name = file.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    if not name.lower().endswith(ACCEPTED):
        return await index(
            request,
            error=gettext("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."),
            status_code=400,
        )
    limit = settings_of(request).max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit or not data:
        message = (
            gettext("The file is empty.")
            if not data
            else gettext("The file is larger than %(count)d MB.")
            % {"count": settings_of(request).max_upload_mb}
        )
        return await index(request, error=message, status_code=400)
    token = await jobs.start_preview(
        settings_of(request),
        owner_id=user.id,
        filename=name,
        data=data,
        scope=plan.scope_for(held, user.id),
    )
    url = request.app.url_path_for("intranet:admin_directory_job", token=token)
    return RedirectResponse(url, status_code=303)


async def own_job(request: Request) -> tuple[str, jobs.JobStatus]:
    await policy.require_admin(request)
    user = policy.require_user(request)
    token = request.path_params["token"]
    job = jobs.job_status(settings_of(request), token)
    if job is None or job.owner_id != user.id:
        raise policy.not_found()
    return token, job


async def job_page(request: Request) -> Response:
    token, job = await own_job(request)
    context = {"token": token, "job": job, "limit": plan.SHOWN_ENTRIES}
    response = render(request, JOB_PAGE, context, partial=JOB_PARTIAL)
    response.headers["cache-control"] = "no-store"
    return response


async def confirm(request: Request) -> Response:
    token, job = await own_job(request)
    form = await form_data(request)
    url = request.app.url_path_for("intranet:admin_directory_job", token=token)
    problems = job.preview.get("problems", [])
    if job.state != jobs.PREVIEWED or problems:
        return RedirectResponse(url, status_code=303)
    user = policy.require_user(request)
    actor = Actor(
        user.id,
        user.display_name or user.username,
        request.scope.get("huibao.client_ip", ""),
    )
    jobs.start_apply(
        settings_of(request), token, actor=actor, deactivate=form.get("deactivate") == "1"
    )
    return RedirectResponse(url, status_code=303)


async def code_sheet(request: Request) -> Response:
    token, job = await own_job(request)
    if job.state != jobs.APPLIED or not job.need_codes:
        raise policy.not_found()
    settings = settings_of(request)
    if not jobs.take_codes(settings, token):
        context = {"token": token, "job": job, "limit": plan.SHOWN_ENTRIES, "codes_again": True}
        return render(request, JOB_PAGE, context, status_code=410)
    buffer = io.BytesIO()
    await codes.write_code_sheet(
        buffer, job.need_codes, days=settings.invitation_days, zone=settings.zone
    )
    await audit.record(
        request, "invitation.codes", summary=f"{len(job.need_codes)} 人的一次性邀请码已下载"
    )
    return download(buffer.getvalue(), "一次性邀请码.xlsx", "invitation-codes.xlsx")


# -- the invited person ---------------------------------------------------------------------


async def enter_code(request: Request) -> Response:
    """Where a person types the code they were sent by SMS or WeChat."""
    if request.method == "GET":
        return render(request, "intranet/directory/enter_code.html", {"error": ""})
    form = await form_data(request)
    typed = form.get("code", "")
    code = invitations.normalise_code(typed if isinstance(typed, str) else "")
    if await invitations.find_usable(code) is None:
        error = gettext(
            "This code does not work. Check it, or ask your administrator for a new one."
        )
        return render(
            request, "intranet/directory/enter_code.html", {"error": error}, status_code=400
        )
    url = request.app.url_path_for("intranet:invitation", code=code)
    return RedirectResponse(url, status_code=303)


async def accept(request: Request) -> Response:
    code = request.path_params["code"][:64]
    invitation = await invitations.find_usable(code)
    if invitation is None:
        response = render(
            request, "intranet/directory/invitation.html", {"invitation": None}, status_code=410
        )
        response.headers["referrer-policy"] = "no-referrer"
        return response
    person = invitation.user
    errors = FormErrors()
    if request.method == "POST":
        form = await form_data(request)
        new, again = form.get("new_password", ""), form.get("confirm_password", "")
        if not isinstance(new, str) or not new:
            errors.add("new_password", gettext("Enter a new password."))
        elif problem := password_problem(new[: MAX_PASSWORD_LENGTH + 1], person.username):
            errors.add("new_password", gettext(problem))
        elif new != again:
            errors.add("confirm_password", gettext("The two new passwords are not the same."))
        if not errors:
            return await set_password(request, invitation, str(new))
    context = {"invitation": invitation, "person": person, "errors": errors}
    response = render(
        request,
        "intranet/directory/invitation.html",
        context,
        status_code=400 if errors else 200,
    )
    response.headers["cache-control"] = "no-store"
    response.headers["referrer-policy"] = "no-referrer"
    return response


async def set_password(request: Request, invitation: Any, password: str) -> Response:
    import asyncio

    settings = settings_of(request)
    person = invitation.user
    password_hash = await asyncio.to_thread(hash_password, settings, password)
    if not await invitations.redeem(invitation, password_hash):
        return render(
            request, "intranet/directory/invitation.html", {"invitation": None}, status_code=410
        )
    await accounts.end_all_sessions(person)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await accounts.end_session(previous)
    ip = request.scope.get("huibao.client_ip", "")
    token = await accounts.start_session(
        settings, person, ip, request.headers.get("user-agent", "")
    )
    await audit.record(
        request, "invitation.accept", target=person, actor=person, summary=person.username
    )
    response = RedirectResponse("/", status_code=303)
    response.headers.append(
        "set-cookie",
        cookie_header(
            SESSION_COOKIE,
            token,
            secure=request.scope.get("huibao.https", False),
            max_age=None,  # not "kept signed in": the cookie ends with the browser
        ),
    )
    return response


routes = [
    Route("/admin/directory", index, name="intranet:admin_directory"),
    Route("/admin/directory/template.xlsx", template, name="intranet:admin_directory_template"),
    Route("/admin/directory/export.xlsx", export_file, name="intranet:admin_directory_export"),
    Route(
        "/admin/directory/import",
        upload,
        methods=["POST"],
        name="intranet:admin_directory_import",
    ),
    Route("/admin/directory/jobs/{token}", job_page, name="intranet:admin_directory_job"),
    Route(
        "/admin/directory/jobs/{token}/confirm",
        confirm,
        methods=["POST"],
        name="intranet:admin_directory_confirm",
    ),
    Route(
        "/admin/directory/jobs/{token}/codes",
        code_sheet,
        methods=["POST"],
        name="intranet:admin_directory_codes",
    ),
    Route("/invitation", enter_code, methods=["GET", "POST"], name="intranet:invitation_code"),
    Route("/invitation/{code}", accept, methods=["GET", "POST"], name="intranet:invitation"),
]
