"""The report pages: a round's totals, a campaign's trend across rounds, and downloads.

Who sees what is surveys.policy.report_scope: those running the campaign see every row
and the totals; a secretary of a roster organisation sees only their own rows (no 合计,
subtotals or not-submitted list that would tell them about other societies); anyone else
404. The figures come from surveys.totals (computed in the database), the charts from
surveys.charts (SVG drawn here, no script), the files from surveys.export.

This module has the round report and every route; the campaign trend is
surveys.views.report_trend, the downloads and background exports
surveys.views.report_files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet.i18n import current_locale, gettext
from intranet.templating import render
from surveys import charts, export, totals
from surveys.models import Round
from surveys.policy import ReportScope
from surveys.schema import CHOICE_TYPES, FormDefinition, Question, QuestionType
from surveys.views.report_common import (
    ROUND_BODY,
    ROUND_PAGE,
    TEXT_CUT,
    TOP_BARS,
    as_number,
    include_of,
    organisation_ids,
    round_in_scope,
    total_text,
)
from surveys.views.report_files import (
    campaign_xlsx,
    export_download,
    export_status,
    round_csv,
    round_xlsx,
    start_campaign_export,
    start_round_export,
)
from surveys.views.report_trend import campaign_trend

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


async def _render_round_body(
    request: Request,
    round_: Round,
    scope: ReportScope,
    include: totals.Include,
    wanted: bool,
    ids: list[int] | None,
) -> tuple[Markup, totals.RoundTotals]:
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
    return body, result


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
    body, result = await _render_round_body(request, round_, scope, include, wanted, ids)
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
