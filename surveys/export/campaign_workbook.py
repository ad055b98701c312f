"""A campaign's workbook: its cover, each round's totals, the trend, cumulative and change
sheets with their charts."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from intranet.i18n import gettext
from surveys.export.cells import header_label, local_time
from surveys.export.labels import (
    CAMPAIGN_SUBTITLE,
    CAMPAIGN_TITLE,
    CHANGE_TITLE,
    COLUMN_PERIOD,
    COLUMN_ROUND,
    COVER_EXPORTED,
    COVER_INCLUDE,
    COVER_ORGANISER,
    COVER_PERIOD,
    COVER_REPORT,
    COVER_ROUNDS,
    CUMULATIVE_TITLE,
    EXACT_AS_TEXT,
    IN_PROGRESS,
    INCLUDE_LABELS,
    LEFT_OUT_OF_CHANGE,
    NUMBER_WIDTH,
    PERIOD,
    ROUND_NUMBER,
    SHEET_CHANGE,
    SHEET_CUMULATIVE,
    SHEET_ROUND_TOTALS,
    SHEET_TREND,
    SPREADSHEET_DIGITS,
    TITLE_FONT,
    TREND_TITLE,
)
from surveys.export.round_totals import write_cover
from surveys.export.round_workbook import write_round_sheets
from surveys.export.sheet import Book, Progress, Sheet
from surveys.models import Campaign, Round
from surveys.numbers import stored_number
from surveys.schema import Aggregate, Question, QuestionType
from surveys.totals import (
    Include,
    RoundTotals,
    TrendPoint,
    campaign_trend,
    round_totals,
)

# -- a campaign ----------------------------------------------------------------------------


def write_trend_sheet(
    book: Book,
    name: str,
    title: str,
    subtitle: str,
    questions: Sequence[Question],
    trend: Mapping[str, Sequence[TrendPoint]],
    figure: str,
    *,
    chart: bool,
) -> None:
    """Rounds down, questions across: each round's total (or cumulative figure, or
    change on the previous round), with a line chart of the columns when asked."""
    sheet = book.sheet(gettext(name))
    sheet.plan([8, 26] + [NUMBER_WIDTH] * len(questions))
    last = 1 + len(questions)
    sheet.title(title, last)
    sheet.title(subtitle, last, sheet.formats.subtitle)
    sheet.headers(
        [gettext(COLUMN_ROUND), gettext(COLUMN_PERIOD)] + [header_label(q) for q in questions]
    )
    first_row = sheet.row
    points = _points_by_round(questions, trend)
    left_out: list[TrendPoint] = []  # in progress, and out of 环比
    for number, (start, end), by_key in points:
        # The round's number alone in the first column: it names the charts' points.
        sheet.string(0, gettext(ROUND_NUMBER) % {"number": number})
        period = gettext(PERIOD) % {"start": start.isoformat(), "end": end.isoformat()}
        current = next((p for p in by_key.values() if p.in_progress), None)
        if current is not None and all(p.change is None for p in by_key.values()):
            left_out.append(current)
        if current is not None:
            period = f"{period}\n{in_progress_text(current)}"
        sheet.string(1, period)
        for index, question in enumerate(questions, start=2):
            point = by_key.get(question.key)
            value = getattr(point, figure) if point is not None else None
            _trend_cell(sheet, index, question, value, figure, question.aggregate)
        sheet.next_row()
    last_row = sheet.row - 1
    if sheet.exact_text:
        sheet.note(gettext(EXACT_AS_TEXT) % {"digits": SPREADSHEET_DIGITS}, last)
    if figure == "change":
        for point in left_out:
            sheet.note(gettext(LEFT_OUT_OF_CHANGE) % {"number": point.round_number}, last)
    if chart and questions and last_row >= first_row:
        _line_chart(book, sheet, questions, first_row, last_row)
    sheet.finish(freeze_columns=2)


def in_progress_text(point: TrendPoint) -> str:
    """进行中（已报 20/34）: a round still open, and how far its reporting has got."""
    return gettext(IN_PROGRESS) % {"reported": point.reported, "roster": point.roster}


def _points_by_round(
    questions: Sequence[Question], trend: Mapping[str, Sequence[TrendPoint]]
) -> list[tuple[int, tuple[date, date], dict[str, TrendPoint]]]:
    rounds: dict[int, tuple[tuple[date, date], dict[str, TrendPoint]]] = {}
    for question in questions:
        for point in trend.get(question.key, ()):
            period = (point.period_start, point.period_end)
            rounds.setdefault(point.round_number, (period, {}))[1][question.key] = point
    return [(number, *rounds[number]) for number in sorted(rounds)]


def _trend_cell(
    sheet: Sheet, column: int, question: Question, value: Any, figure: str, aggregate: Aggregate
) -> None:
    number = stored_number(value)
    if number is None:
        sheet.blank(column)
    elif figure == "change":
        sheet.number(column, number, sheet.formats.change)
    elif aggregate == Aggregate.AVERAGE:
        sheet.number(column, number, sheet.formats.average)
    else:
        sheet.number(column, number, sheet.formats.number(question))


CHART_WIDTH, CHART_HEIGHT = 380, 270
CHARTS_ACROSS = 2
# Rows (of the default 20 pixels) a band of charts takes, and bands on a printed page.
CHART_ROWS = CHART_HEIGHT // 20 + 1
BANDS_PER_PAGE = 2


def _line_chart(
    book: Book, sheet: Sheet, questions: Sequence[Question], first_row: int, last_row: int
) -> None:
    """A small native Excel line chart per question under the table, two across: titled
    with the question and its unit, its axis in the question's number format, so no two
    units share an axis and no large series flattens the others."""
    name = sheet.name
    first = last_row + 2
    bands = -(-len(questions) // CHARTS_ACROSS)
    # The charts start on a page of their own, and no chart is split between two pages.
    sheet.worksheet.set_h_pagebreaks(
        [first + band * CHART_ROWS for band in range(0, bands, BANDS_PER_PAGE)]
    )
    for position, question in enumerate(questions):
        column = position + 2
        chart = book.workbook.add_chart({"type": "line"})
        chart.add_series(
            {
                "name": [name, sheet.header_row, column],
                "categories": [name, first_row, 0, last_row, 0],
                "values": [name, first_row, column, last_row, column],
                "marker": {"type": "circle", "size": 5},
            }
        )
        chart.set_title(
            {"name": header_label(question), "name_font": {"size": 11, "name": TITLE_FONT}}
        )
        chart.set_legend({"none": True})
        chart.set_chartarea({"border": {"none": True}})
        chart.set_y_axis(
            {
                "num_format": axis_format(question),
                "num_font": {"size": 10},
                "major_gridlines": {"visible": True},
            }
        )
        chart.set_x_axis({"num_font": {"size": 10}})
        chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
        row = first + (position // CHARTS_ACROSS) * CHART_ROWS
        offset = (position % CHARTS_ACROSS) * (CHART_WIDTH + 10)
        sheet.worksheet.insert_chart(row, 0, chart, {"x_offset": offset, "object_position": 3})


def axis_format(question: Question) -> str:
    if question.aggregate == Aggregate.AVERAGE:
        return "#,##0.00"
    return "#,##0" if question.type == QuestionType.INTEGER else "#,##0.##"


async def write_campaign_workbook(
    campaign_id: int,
    target: BinaryIO | str,
    *,
    include: Include,
    now: datetime,
    zone: ZoneInfo,
    organisation_ids: Collection[int] | None = None,
    progress: Progress | None = None,
    open_in_change: bool = False,
) -> None:
    """Write the campaign's workbook: a cover, the trend across rounds with a line
    chart per question, the cumulative figures, the change on the previous round (the
    round in progress left out unless `open_in_change`), then the latest round's
    sheets."""
    campaign = await Campaign.get(id=campaign_id).select_related("organiser", "form_version")
    trend = await campaign_trend(
        campaign_id,
        include=include,
        organisation_ids=organisation_ids,
        now=now,
        open_in_change=open_in_change,
    )
    latest = await Round.filter(campaign_id=campaign_id).order_by("-number").first()
    totals = (
        await round_totals(latest.id, include=include, organisation_ids=organisation_ids)
        if latest is not None
        else None
    )
    if progress is not None:
        progress(10)
    await asyncio.to_thread(
        build_campaign_workbook,
        target,
        campaign,
        trend,
        totals,
        include,
        now,
        zone,
        progress=progress,
    )


def build_campaign_workbook(
    target: BinaryIO | str,
    campaign: Campaign,
    trend: Mapping[str, Sequence[TrendPoint]],
    latest: RoundTotals | None,
    include: Include,
    now: datetime,
    zone: ZoneInfo,
    *,
    progress: Progress | None = None,
) -> None:
    """The campaign's workbook from figures already computed (no database)."""
    form = campaign.form_version.form_definition()
    questions = [q for q in form.questions() if q.key in trend]
    questions += [_unknown_question(key) for key in trend if form.question(key) is None]
    points = [point for series in trend.values() for point in series]
    rounds = {point.round_number for point in points}
    title = gettext(CAMPAIGN_TITLE) % {"title": campaign.title}
    lines: list[tuple[str, str | int]] = [
        (COVER_REPORT, campaign.title),
        (COVER_ORGANISER, campaign.organiser.name),
        (COVER_ROUNDS, len(rounds)),
    ]
    if points:
        start = min(point.period_start for point in points)
        end = max(point.period_end for point in points)
        period = {"start": start.isoformat(), "end": end.isoformat()}
        lines.append((COVER_PERIOD, gettext(PERIOD) % period))
    lines += [
        (COVER_INCLUDE, gettext(INCLUDE_LABELS[str(include)])),
        (COVER_EXPORTED, local_time(now, zone)),
    ]
    book = Book(target, progress)
    book.report_title = title
    write_cover(book, title, lines, stamp=campaign.organiser.name if campaign.stamp_block else None)
    subtitle = gettext(CAMPAIGN_SUBTITLE) % {
        "organiser": campaign.organiser.name,
        "include": gettext(INCLUDE_LABELS[str(include)]),
        "time": local_time(now, zone),
    }
    # 累计 only for the questions the form marks cumulative; no sheet when there are none.
    sheets = (
        (SHEET_TREND, TREND_TITLE, "total", questions),
        (SHEET_CUMULATIVE, CUMULATIVE_TITLE, "cumulative", [q for q in questions if q.cumulative]),
        (SHEET_CHANGE, CHANGE_TITLE, "change", questions),
    )
    for step, (name, sheet_title, figure, shown) in enumerate(sheets, start=1):
        if shown:
            write_trend_sheet(
                book,
                name,
                gettext(sheet_title) % {"title": campaign.title},
                subtitle,
                shown,
                trend,
                figure,
                chart=figure == "total",
            )
        book.progress(10 + step * 10)
    if latest is not None:
        write_round_sheets(
            book, latest, None, now, zone, totals_name=SHEET_ROUND_TOTALS, span=(40, 95)
        )
    book.close()
    book.progress(100)


def _unknown_question(key: str) -> Question:
    """A numeric question the campaign's form no longer has (answered under an earlier
    version): named by its key."""
    return Question(key=key, type=QuestionType.DECIMAL, label=key)
