"""The figures read back per question from the database's rows, and a campaign's trend
(each round's figure, the cumulative figure and the change on the previous round)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from surveys.models import Round
from surveys.schema import (
    QuestionType,
)
from surveys.totals.figures import Figures, NumberStats, json_value
from surveys.totals.values import FRACTION_DIGITS, Column, TrendPoint, shown_ratio

# -- reading the figures back ---------------------------------------------------------------


def read_answers(record: Mapping[str, Any], figures: Figures, column: Column) -> None:
    question = column.question
    key = question.key
    figures.answered[key] = int(record["answered"] or 0)
    if question.is_number:
        figures.answered[key] = count = int(record["n"] or 0)
        if count:
            figures.numbers[key] = NumberStats(
                count=count,
                sum=_decimal(record["whole"])
                + _decimal(record["fraction"]).scaleb(-FRACTION_DIGITS),
                low=_decimal(record["low"]),
                high=_decimal(record["high"]),
            )
    elif question.type == QuestionType.DATE:
        figures.low[key], figures.high[key] = record["first_day"], record["last_day"]
    items = [item for item in json_value(record["items"]) or [] if isinstance(item, list)]
    items.sort(key=lambda item: str(item[0]))
    figures.lists[key] = [str(value) for _, _, value in items]
    figures.owners[key] = [int(owner) for _, owner, _ in items]


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        # Exact: an accepted answer has at most 15 significant digits, which a double
        # keeps and its shortest repr gives back.
        return Decimal(repr(value))
    return Decimal(value)


# -- trends -------------------------------------------------------------------------------


def trend_points(
    column: Column,
    rounds: list[Round],
    found: Mapping[str | None, Figures],
    progress: Mapping[int, tuple[int, int]],
    open_in_change: bool,
) -> list[TrendPoint]:
    key, aggregate = column.question.key, column.aggregate
    integer = column.question.type == QuestionType.INTEGER
    running = NumberStats()
    previous: Any = None
    points = []
    for round_ in rounds:
        figures = found.get(str(round_.id))
        stats = figures.numbers[key] if figures else NumberStats()
        running = running.merge(stats)
        exact = stats.exact(aggregate, integer)
        reported, roster = progress.get(round_.id, (None, None))
        in_progress = reported is not None
        points.append(
            TrendPoint(
                round_number=round_.number,
                period_start=round_.period_start,
                period_end=round_.period_end,
                total=stats.value(aggregate, integer),
                cumulative=running.value(aggregate, integer),
                change=None if in_progress and not open_in_change else _change(exact, previous),
                reported=reported,
                roster=roster,
            )
        )
        previous = exact
    return points


def _change(total: Any, previous: Any) -> Decimal | None:
    """(this - previous) / previous from the exact figures, rounded once (shown_ratio);
    None when it cannot be said."""
    if total is None or previous is None or previous == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        ratio = (Decimal(total) - Decimal(previous)) / Decimal(previous)
        return shown_ratio(ratio)
