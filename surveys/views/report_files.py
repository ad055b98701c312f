"""Report downloads: a round's or a campaign's workbook and a round's CSV, written at once
or, when large, by the background export pool with a status page."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from intranet.form_fields import form_data
from intranet.i18n import current_locale
from intranet.policy import not_found, require_user
from intranet.settings import Settings
from intranet.templating import render
from intranet.uploads import content_disposition
from surveys import export, policy, totals
from surveys.export import jobs as export_jobs
from surveys.models import Campaign, Round
from surveys.policy import ReportScope
from surveys.views.report_common import (
    EXPORT_PAGE,
    EXPORT_STATUS,
    XLSX,
    campaign_in_scope,
    include_of,
    now,
    organisation_ids,
    round_in_scope,
)

# -- downloads -------------------------------------------------------------------------------
# The files hold what the page shows: every row for those running the campaign, a
# secretary's own rows for a secretary.


def zone(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.settings.zone


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def scope_ids(scope: ReportScope) -> tuple[int, ...] | None:
    return None if scope.organisation_ids is None else tuple(sorted(scope.organisation_ids))


async def round_xlsx(request: Request) -> Response:
    """The round's workbook, built in the export process and sent when written."""
    round_, scope = await round_in_scope(request)
    subtotals = request.query_params.get("subtotals") == "1" and scope.is_everything
    filename = export.workbook_filename(round_.campaign.title, round_.number)
    return await workbook_response(
        request, "round", round_.id, filename, include_of(request), subtotals, scope
    )


async def campaign_xlsx(request: Request) -> Response:
    campaign, scope = await campaign_in_scope(request)
    filename = export.workbook_filename(campaign.title, None)
    open_in_change = request.query_params.get("open") == "1"
    return await workbook_response(
        request,
        "campaign",
        campaign.id,
        filename,
        include_of(request),
        False,
        scope,
        open_in_change=open_in_change,
    )


async def round_csv(request: Request) -> Response:
    round_, scope = await round_in_scope(request)
    filename = export.workbook_filename(round_.campaign.title, round_.number, ".csv")
    rows = export.round_csv(
        round_.id, include=include_of(request), organisation_ids=organisation_ids(scope),
        zone=zone(request),
    )  # fmt: skip
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": content_disposition(filename)},
    )


async def workbook_response(
    request: Request,
    kind: export_jobs.Kind,
    target_id: int,
    filename: str,
    include: totals.Include,
    subtotals: bool,
    scope: ReportScope,
    *,
    open_in_change: bool = False,
) -> Response:
    """Has the export process write the workbook to a file, sends it, and deletes it
    once sent. Never written on the event loop: pages go on being served meanwhile."""
    settings = settings_of(request)
    path = export_jobs.exports_dir(settings) / f"direct-{export_jobs.new_token()}.xlsx"
    job = export_jobs.ExportRequest(
        kind=kind,
        target_id=target_id,
        include=include.value,
        subtotals=subtotals,
        organisation_ids=scope_ids(scope),
        now=now(),
        locale=current_locale(),
        path=str(path),
        open_in_change=open_in_change,
    )
    try:
        await export_jobs.build(settings, job)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=XLSX,
        headers={"content-disposition": content_disposition(filename)},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


# -- background exports ----------------------------------------------------------------------
# For big workbooks (every campaign, and rounds past a few hundred organisations) the
# pages offer "prepare in the background": the job runs in the export process, a status
# page shows its progress (htmx polls it) and then a download link for the person who
# asked, as long as they may still see that report.


async def start_round_export(request: Request) -> Response:
    round_, scope = await round_in_scope(request)
    form = await form_data(request)
    try:
        include = totals.Include(str(form.get("include", "")))
    except ValueError:
        include = totals.Include.SUBMITTED
    subtotals = form.get("subtotals") == "1" and scope.is_everything
    return await start_export(
        request,
        "round",
        round_.id,
        export.workbook_filename(round_.campaign.title, round_.number),
        include,
        subtotals,
        scope,
    )


async def start_campaign_export(request: Request) -> Response:
    campaign, scope = await campaign_in_scope(request)
    form = await form_data(request)
    try:
        include = totals.Include(str(form.get("include", "")))
    except ValueError:
        include = totals.Include.SUBMITTED
    filename = export.workbook_filename(campaign.title, None)
    open_in_change = form.get("open") == "1"
    return await start_export(
        request,
        "campaign",
        campaign.id,
        filename,
        include,
        False,
        scope,
        open_in_change=open_in_change,
    )


async def start_export(
    request: Request,
    kind: export_jobs.Kind,
    target_id: int,
    filename: str,
    include: totals.Include,
    subtotals: bool,
    scope: ReportScope,
    *,
    open_in_change: bool = False,
) -> Response:
    user = require_user(request)
    token = await export_jobs.start(
        settings_of(request),
        owner_id=user.id,
        kind=kind,
        target_id=target_id,
        filename=filename,
        include=include.value,
        subtotals=subtotals,
        organisation_ids=scope_ids(scope),
        open_in_change=open_in_change,
    )
    # A path, not a URL: the redirect never names a host (the Host header could be anyone's).
    status = request.app.url_path_for("surveys:export_status", token=token)
    return RedirectResponse(status, 303)


async def own_job(request: Request) -> tuple[str, export_jobs.JobStatus]:
    """The job behind the token, if it is this person's and they still see its report;
    404 otherwise (whether or not the token exists)."""
    user = require_user(request)
    token = request.path_params["token"]
    job = export_jobs.job_status(settings_of(request), token)
    if job is None or job.owner_id != user.id:
        raise not_found()
    campaign_id = job.target_id
    if job.kind == "round":
        round_ = await Round.get_or_none(id=job.target_id)
        campaign_id = round_.campaign_id if round_ else 0
    campaign = await Campaign.get_or_none(id=campaign_id).select_related("organiser")
    scope = await policy.require_report(request, campaign)
    if not still_sees(scope, job.organisation_ids):
        raise not_found()  # they no longer see every row the file holds
    return token, job


def still_sees(scope: ReportScope, held: list[int] | None) -> bool:
    if scope.organisation_ids is None:
        return True
    return held is not None and set(held) <= scope.organisation_ids


async def export_status(request: Request) -> Response:
    token, job = await own_job(request)
    context = {"token": token, "job": job, "back": back_link(request, job)}
    return render(request, EXPORT_PAGE, context, partial=EXPORT_STATUS)


def back_link(request: Request, job: export_jobs.JobStatus) -> str:
    if job.kind == "round":
        return request.app.url_path_for("surveys:round_report", round_id=job.target_id)
    return request.app.url_path_for("surveys:campaign_trend", campaign_id=job.target_id)


async def export_download(request: Request) -> Response:
    token, job = await own_job(request)
    path = export_jobs.file_path(settings_of(request), token)
    if job.state != export_jobs.DONE or not path.exists():
        raise not_found()
    return FileResponse(
        path, media_type=XLSX, headers={"content-disposition": content_disposition(job.filename)}
    )
