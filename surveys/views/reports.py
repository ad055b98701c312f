"""The report pages: a round's totals, a campaign's trend across rounds, and downloads.

Who sees what is surveys.policy.report_scope: those running the campaign see every row
and the totals; a secretary of a roster organisation sees only their own rows (no 合计,
subtotals or not-submitted list that would tell them about other societies); anyone else
404. The figures come from surveys.totals (computed in the database), the charts from
surveys.charts (SVG drawn here, no script), the files from surveys.export.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from intranet.forms import form_data
from intranet.i18n import current_locale, gettext, ngettext
from intranet.models import Organisation
from intranet.policy import not_found, require_user
from intranet.settings import Settings
from intranet.templating import render
from intranet.uploads import content_disposition
from surveys import charts, export, exports, policy, totals
from surveys.models import Campaign, Round
from surveys.policy import ReportScope
from surveys.schema import CHOICE_TYPES, Aggregate, FormDefinition, Question, QuestionType

ROUND_PAGE = "surveys/reports/round.html"
ROUND_BODY = "surveys/reports/_round_body.html"
TREND_PAGE = "surveys/reports/trend.html"
EXPORT_PAGE = "surveys/reports/export.html"
EXPORT_STATUS = "surveys/reports/_export_status.html"
# Past this many organisations a per-organisation chart shows the largest figures only.
TOP_BARS = 15
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_CUT = 200  # characters of a text answer shown in a table cell
CENTS = Decimal("0.01")


def now() -> datetime:
    return datetime.now(UTC)


# -- access ----------------------------------------------------------------------------------


async def round_in_scope(request: Request) -> tuple[Round, ReportScope]:
    round_id = int(request.path_params["round_id"])
    round_ = await Round.get_or_none(id=round_id).select_related(
        "campaign__organiser", "campaign__form_version"
    )
    scope = await policy.require_report(request, round_.campaign if round_ else None)
    assert round_ is not None  # require_report answered 404 otherwise
    return round_, scope


async def campaign_in_scope(request: Request) -> tuple[Campaign, ReportScope]:
    campaign_id = int(request.path_params["campaign_id"])
    campaign = await Campaign.get_or_none(id=campaign_id).select_related(
        "organiser", "form_version"
    )
    scope = await policy.require_report(request, campaign)
    assert campaign is not None
    return campaign, scope


def include_of(request: Request) -> totals.Include:
    try:
        return totals.Include(request.query_params.get("include", ""))
    except ValueError:
        return totals.Include.SUBMITTED


def organisation_ids(scope: ReportScope) -> list[int] | None:
    return None if scope.organisation_ids is None else sorted(scope.organisation_ids)


# -- the round report ------------------------------------------------------------------------


@dataclass
class ChartBlock:
    title: str
    svg: Markup
    note: str = ""


@dataclass
class Completion:
    roster: int
    submitted: int
    approved: int
    not_submitted: list[str] = field(default_factory=list)


async def round_report(request: Request) -> Response:
    round_, scope = await round_in_scope(request)
    include = include_of(request)
    wanted = request.query_params.get("subtotals") == "1" and scope.is_everything
    body, figures = await round_body(request, round_, scope, include, wanted)
    context = {
        "round": round_,
        "campaign": round_.campaign,
        "scope": scope,
        "include": include.value,
        "subtotals_wanted": wanted,
        "completion": figures,
        "body": body,
    }
    return render(request, ROUND_PAGE, context)


# The figures part of a round's report, by what it shows and what it was made from. The
# stamp changes with any response of the round saved, moved on, added or removed, so a
# kept body is never behind the answers; BODY_SECONDS bounds how long a renamed
# organisation may keep its old name there. Each worker keeps its own few.
BODY_SECONDS = 60.0
BODIES_KEPT = 32
_bodies: dict[tuple[Any, ...], tuple[float, str, Markup, Completion]] = {}


async def round_body(
    request: Request,
    round_: Round,
    scope: ReportScope,
    include: totals.Include,
    wanted: bool,
) -> tuple[Markup, Completion]:
    ids = organisation_ids(scope)
    key = (round_.id, include, wanted, None if ids is None else tuple(ids), current_locale())
    stamp = await totals.round_stamp(round_)
    kept = _bodies.get(key)
    now = time.monotonic()
    if kept is not None and kept[1] == stamp and now - kept[0] < BODY_SECONDS:
        return kept[2], kept[3]
    result = await totals.round_totals(round_.id, include=include, organisation_ids=ids)
    subtotals = await totals.category_subtotals(round_.id, include=include) if wanted else []
    context = {
        "request": request,
        "round": round_,
        "campaign": round_.campaign,
        "scope": scope,
        "include": include.value,
        "totals": result,
        "subtotals_wanted": wanted,
        "subtotals": [(c, export.shown_subtotal(result, c, v)) for c, v in subtotals],
        "completion": completion(result),
        "charts": round_charts(result),
        "cell": cell_text,
        "total_text": total_text,
        "shown_total": export.shown_total(result),
        "number": charts.format_number,
        "table_columns": table_columns(result),
        "text_questions": [c.question for c in result.columns if c.question.key in result.texts],
    }
    template = request.app.state.templates.env.get_template(ROUND_BODY)
    body = Markup(template.render(context))
    if len(_bodies) >= BODIES_KEPT:
        _bodies.pop(next(iter(_bodies)))
    figures = completion(result)
    _bodies[key] = (now, stamp, body, figures)
    return body, figures


def forget_bodies() -> None:
    """A new site starts with nothing kept (the tests build one per emptied database)."""
    _bodies.clear()


def completion(result: totals.RoundTotals) -> Completion:
    """Of the rows shown: a secretary's figures are their own rows'."""
    return Completion(
        roster=result.roster_size,
        submitted=result.submitted,
        approved=result.approved,
        not_submitted=list(result.not_submitted),
    )


def total_text(value: Any, aggregate: Aggregate | None = None) -> str:
    """A 合计 or subtotal figure (an average to two places, as in the workbook). A "list"
    total is counted here, not spelled out: the answers themselves are listed under the
    table (and in the workbook)."""
    if value is None:
        return ""
    if aggregate == Aggregate.AVERAGE:
        return figure_text(value, aggregate)
    if isinstance(value, totals.YesCount):
        return export.yes_text(value)
    if isinstance(value, list):
        return ngettext("%(num)d answer", "%(num)d answers", len(value)) % {"num": len(value)}
    number = as_number(value)
    return charts.format_number(number) if number is not None else str(value)


def figure_text(value: Any, aggregate: Aggregate | None = None) -> str:
    """A number as the tables show it; an average always with two places (1.50), the
    places it was rounded to once in surveys.totals."""
    number = as_number(value)
    if number is None:
        return "" if value is None else str(value)
    if aggregate == Aggregate.AVERAGE:
        return f"{Decimal(number).quantize(CENTS, rounding=ROUND_HALF_UP):f}"
    return charts.format_number(number)


def round_charts(result: totals.RoundTotals) -> list[ChartBlock]:
    blocks = []
    for column in result.columns:
        question = column.question
        if question.is_number:
            blocks.append(organisation_bars(result, question))
        elif question.type in CHOICE_TYPES or question.type == QuestionType.YES_NO:
            blocks.append(choice_bars(question, result.choice_counts.get(question.key, {})))
    return [b for b in blocks if b.svg]


def organisation_bars(result: totals.RoundTotals, question: Question) -> ChartBlock:
    figures = [
        charts.Bar(row.name, value)
        for row in result.rows
        if row.counted and (value := as_number(row.values.get(question.key))) is not None
    ]
    note = ""
    if len(figures) > TOP_BARS:
        note = gettext("The %(shown)d largest of %(count)d organisations.") % {
            "shown": TOP_BARS,
            "count": len(figures),
        }
        figures = sorted(figures, key=lambda b: b.value, reverse=True)[:TOP_BARS]
    svg = charts.bar_chart(figures, title=question.label, unit=question.unit)
    return ChartBlock(question.label, svg, note)


def choice_bars(question: Question, counts: dict[str, int]) -> ChartBlock:
    bars = [charts.Bar(label, counts.get(value, 0)) for value, label in choice_labels(question)]
    if not any(b.value for b in bars):
        return ChartBlock(question.label, Markup(""))
    return ChartBlock(question.label, charts.bar_chart(bars, title=question.label))


def choice_labels(question: Question) -> list[tuple[str, str]]:
    if question.type == QuestionType.YES_NO:
        return [("yes", gettext("Yes")), ("no", gettext("No"))]
    return [(c.value, c.label) for c in question.choices]


def as_number(value: object) -> int | Decimal | None:
    """A stored numeric answer (an int, or a decimal stored as text) as a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def cell_text(question: Question, value: Any) -> str:
    """A stored answer as one table cell shows it."""
    if value is None or value == "" or value == []:
        return ""
    if question.is_number:
        number = as_number(value)
        return charts.format_number(number) if number is not None else str(value)
    if question.type in CHOICE_TYPES or question.type == QuestionType.YES_NO:
        labels = dict(choice_labels(question))
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in chosen)
    if question.type == QuestionType.FILE:
        return gettext("Attached")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= TEXT_CUT else text[: TEXT_CUT - 1] + "…"


def table_columns(result: totals.RoundTotals) -> list[tuple[Question, list[Question]]]:
    """The table questions with answers, each with its columns."""
    form = FormDefinition.from_dict(result.round.campaign.form_version.definition)
    found = (form.question(key) for key in result.tables)
    return [(q, list(q.columns)) for q in found if q is not None and result.tables[q.key]]


# -- the campaign trend ----------------------------------------------------------------------


@dataclass
class Trend:
    question: Question
    points: list[totals.TrendPoint]
    svg: Markup


async def campaign_trend(request: Request) -> Response:
    campaign, scope = await campaign_in_scope(request)
    include = include_of(request)
    open_in_change = request.query_params.get("open") == "1"
    series = await totals.campaign_trend(
        campaign.id,
        include=include,
        organisation_ids=organisation_ids(scope),
        now=now(),
        open_in_change=open_in_change,
    )
    form = FormDefinition.from_dict(campaign.form_version.definition)
    trends = [trend(q, series[q.key]) for q in form.questions() if q.key in series]
    rounds = await Round.filter(campaign_id=campaign.id).order_by("-number")
    context = {
        "campaign": campaign,
        "scope": scope,
        "include": include.value,
        "trends": trends,
        "rounds": rounds,
        "number": figure_text,
        "change": change_text,
        "in_progress": export.in_progress_text,
        "open_in_change": open_in_change,
        "own_names": await own_names(scope),
    }
    return render(request, TREND_PAGE, context)


def trend(question: Question, points: list[totals.TrendPoint]) -> Trend:
    chart_points = [charts.Point(f"#{p.round_number}", as_number(p.total)) for p in points]
    svg = charts.line_chart(
        chart_points,
        title=question.label,
        x_label=gettext("Round"),
        y_label=question.unit,
    )
    return Trend(question, points, svg)


def change_text(change: Any) -> str:
    """环比 as a signed percentage, one decimal place, rounded once (totals.shown_ratio)
    exactly as the workbook shows it."""
    ratio = as_number(change)
    if ratio is None:
        return ""
    return totals.format_percent(Decimal(ratio), signed=True)


async def own_names(scope: ReportScope) -> list[str]:
    if scope.organisation_ids is None:
        return []
    found = await Organisation.filter(id__in=list(scope.organisation_ids)).order_by("path")
    return [o.name for o in found]


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
    kind: exports.Kind,
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
    path = exports.exports_dir(settings) / f"direct-{exports.new_token()}.xlsx"
    job = exports.ExportRequest(
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
        await exports.build(settings, job)
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
    kind: exports.Kind,
    target_id: int,
    filename: str,
    include: totals.Include,
    subtotals: bool,
    scope: ReportScope,
    *,
    open_in_change: bool = False,
) -> Response:
    user = require_user(request)
    token = await exports.start(
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


async def own_job(request: Request) -> tuple[str, exports.JobStatus]:
    """The job behind the token, if it is this person's and they still see its report;
    404 otherwise (whether or not the token exists)."""
    user = require_user(request)
    token = request.path_params["token"]
    job = exports.job_status(settings_of(request), token)
    if job is None or job.owner_id != user.id:
        raise not_found()
    campaign_id = job.target_id
    if job.kind == "round":
        round_ = await Round.get_or_none(id=job.target_id)
        campaign_id = round_.campaign_id if round_ else 0  # type: ignore[attr-defined]
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


def back_link(request: Request, job: exports.JobStatus) -> str:
    if job.kind == "round":
        return request.app.url_path_for("surveys:round_report", round_id=job.target_id)
    return request.app.url_path_for("surveys:campaign_trend", campaign_id=job.target_id)


async def export_download(request: Request) -> Response:
    token, job = await own_job(request)
    path = exports.file_path(settings_of(request), token)
    if job.state != exports.DONE or not path.exists():
        raise not_found()
    return FileResponse(
        path, media_type=XLSX, headers={"content-disposition": content_disposition(job.filename)}
    )


routes = [
    Route("/reports/rounds/{round_id:id}/totals", round_report, name="surveys:round_report"),
    Route(
        "/reports/rounds/{round_id:id}/totals.xlsx", round_xlsx, name="surveys:round_report_xlsx"
    ),
    Route("/reports/rounds/{round_id:id}/totals.csv", round_csv, name="surveys:round_report_csv"),
    Route(
        "/reports/campaigns/{campaign_id:id}/trend", campaign_trend, name="surveys:campaign_trend"
    ),
    Route(
        "/reports/campaigns/{campaign_id:id}/trend.xlsx",
        campaign_xlsx,
        name="surveys:campaign_trend_xlsx",
    ),
    Route(
        "/reports/rounds/{round_id:id}/exports",
        start_round_export,
        methods=["POST"],
        name="surveys:start_round_export",
    ),
    Route(
        "/reports/campaigns/{campaign_id:id}/exports",
        start_campaign_export,
        methods=["POST"],
        name="surveys:start_campaign_export",
    ),
    Route("/reports/exports/{token:str}", export_status, name="surveys:export_status"),
    Route("/reports/exports/{token:str}/download", export_download, name="surveys:export_download"),
]
