"""The campaign trend page: each number question's total per round, its cumulative figure
and its change on the previous round, with a line chart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from intranet.i18n import gettext
from intranet.models import Organisation
from intranet.templating import render
from surveys import charts, export, totals
from surveys.models import Round
from surveys.policy import ReportScope
from surveys.schema import FormDefinition, Question
from surveys.views.report_common import (
    TREND_PAGE,
    as_number,
    campaign_in_scope,
    figure_text,
    include_of,
    now,
    organisation_ids,
)

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
