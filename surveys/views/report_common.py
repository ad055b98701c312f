"""Report pages — what they share: the templates, who sees which round or campaign, and
which responses count."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

from intranet.i18n import ngettext
from surveys import charts, export, policy, totals
from surveys.models import Campaign, Round
from surveys.policy import ReportScope
from surveys.schema import Aggregate

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
