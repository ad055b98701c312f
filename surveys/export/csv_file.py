"""A round's totals as CSV (UTF-8 with a BOM, formula-safe) for other programs."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from intranet.i18n import gettext
from surveys.export.cells import answer_text, header_label, local_time, state_text
from surveys.export.labels import CHOICE_SEPARATOR, LIST_SEPARATOR, TOTAL
from surveys.export.round_totals import TOTALS_FIXED, shown_total, yes_text
from surveys.numbers import plain_number, stored_number
from surveys.schema import Aggregate, Question
from surveys.totals import (
    Include,
    RoundTotals,
    YesCount,
    round_totals,
)

# -- CSV -----------------------------------------------------------------------------------

# A spreadsheet opening a CSV runs cells that start with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_text(text: str) -> str:
    """User text made inert for a spreadsheet opening the CSV: a leading apostrophe
    before anything that would start a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_value(question: Question, value: Any, aggregate: Aggregate | None = None) -> str:
    if value is None or aggregate == Aggregate.NONE:
        return ""
    if aggregate in (Aggregate.COUNT, Aggregate.AVERAGE) or question.is_number:
        number = stored_number(value)
        if number is not None:
            return plain_number(number)
    if aggregate == Aggregate.LIST:
        items = value if isinstance(value, list) else [value]
        return csv_text(LIST_SEPARATOR.join(str(item) for item in items))
    return csv_text(answer_text(question, value))


def _csv_line(cells: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def csv_lines(totals: RoundTotals, zone: ZoneInfo | None = None) -> Iterable[bytes]:
    """The totals table as CSV lines: a header, one line per organisation, 合计."""
    fixed = [gettext(label) for label in TOTALS_FIXED]
    yield BOM.encode("utf-8") + _csv_line(
        fixed + [csv_text(header_label(c.question)) for c in totals.columns]
    )
    for number, row in enumerate(totals.rows, start=1):
        state = state_text(row)
        submitted = (
            local_time(row.submitted_at, zone)
            if row.submitted_at and zone
            else (row.submitted_at.isoformat() if row.submitted_at else "")
        )
        values = [
            csv_value(c.question, row.values.get(c.question.key)) if row.counted else ""
            for c in totals.columns
        ]
        yield _csv_line(
            [
                str(number),
                csv_text(row.name),
                csv_text(CHOICE_SEPARATOR.join(row.category_names)),
                state,
                submitted,
                *values,
            ]
        )
    shown = shown_total(totals)
    totals_cells = [
        csv_text(yes_text(value))
        if isinstance(value := shown.get(c.question.key), YesCount)
        else csv_value(c.question, value, c.aggregate)
        for c in totals.columns
    ]
    yield _csv_line(["", gettext(TOTAL), "", "", "", *totals_cells])


async def round_csv(
    round_id: int,
    *,
    include: Include,
    organisation_ids: Collection[int] | None = None,
    zone: ZoneInfo | None = None,
) -> AsyncIterator[bytes]:
    """The round's totals table as UTF-8 CSV with a byte order mark (so Excel reads
    the Chinese right), line by line."""
    totals = await round_totals(round_id, include=include, organisation_ids=organisation_ids)
    for line in csv_lines(totals, zone):
        yield line
