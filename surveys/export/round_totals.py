"""A round's cover sheet and totals sheet: each organisation's figures and the totals,
shown as the report page shows them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from intranet.i18n import gettext
from surveys.export.cells import (
    answer_text,
    as_date,
    full_width,
    header_label,
    line_count,
    local_time,
    period_text,
    state_text,
)
from surveys.export.labels import (
    ANSWER_LINES,
    ANSWER_WIDTH,
    CHOICE_SEPARATOR,
    COLUMN_CATEGORY,
    COLUMN_NUMBER,
    COLUMN_ORGANISATION,
    COLUMN_STATE,
    COLUMN_SUBMITTED_AT,
    COVER_APPROVED,
    COVER_EXPORTED,
    COVER_INCLUDE,
    COVER_NOT_SUBMITTED,
    COVER_ORGANISER,
    COVER_PERIOD,
    COVER_REPORT,
    COVER_ROSTER,
    COVER_ROUND,
    COVER_SUBMITTED,
    EXACT_AS_TEXT,
    INCLUDE_LABELS,
    LIST_ELSEWHERE,
    LIST_LINES,
    LIST_SEPARATOR,
    LIST_WIDTH,
    NAME_WIDTH,
    NUMBER_WIDTH,
    ROUND_CONTEXT,
    ROUND_NUMBER,
    ROUND_TITLE,
    SEE_TEXTS,
    SHEET_COVER,
    SHEET_TEXTS,
    SPREADSHEET_DIGITS,
    SUBTITLE,
    SUBTOTAL,
    SUBTOTALS_OVERLAP,
    TOTAL,
    YES,
    YES_SHARE,
)
from surveys.export.sheet import Book, Sheet
from surveys.models import Round
from surveys.numbers import stored_number
from surveys.schema import TEXT_TYPES, Aggregate, Question, QuestionType
from surveys.totals import (
    UNCATEGORISED,
    OrganisationRow,
    RoundTotals,
    YesCount,
    format_percent,
    yes_count,
)

# -- a round -------------------------------------------------------------------------------


def round_title(round_: Round) -> str:
    return gettext(ROUND_TITLE) % {"title": round_.campaign.title, "number": round_.number}


def round_context(round_: Round) -> str:
    """Which round a sheet belongs to, under its title: a printed page stands alone."""
    return gettext(ROUND_CONTEXT) % {
        "title": round_.campaign.title,
        "number": round_.number,
        "period": period_text(round_),
    }


def _subtitle(totals: RoundTotals, now: datetime, zone: ZoneInfo) -> str:
    round_ = totals.round
    return gettext(SUBTITLE) % {
        "organiser": round_.campaign.organiser.name,
        "period": period_text(round_),
        "include": gettext(INCLUDE_LABELS[str(totals.include)]),
        "time": local_time(now, zone),
    }


def write_cover(
    book: Book,
    title: str,
    lines: Iterable[tuple[str, str | int]],
    *,
    name: str = SHEET_COVER,
    stamp: str | None = None,
) -> None:
    """A cover sheet: the merged title, one labelled line per fact, and the stamp and
    signature block of organisation `stamp` when given."""
    sheet = book.sheet(gettext(name))
    sheet.plan([24, 56])
    sheet.title(title, 1)
    sheet.next_row()
    for label, value in lines:
        sheet.string(0, gettext(label), sheet.formats.label)
        if isinstance(value, int):
            sheet.number(1, value, sheet.formats.cover_integer)
            sheet.fit(1, 20)
        else:
            sheet.string(1, value)
        sheet.next_row()
    if stamp is not None:
        sheet.stamp_block(stamp, 0, 1)
    sheet.finish()


def write_round_cover(book: Book, totals: RoundTotals, now: datetime, zone: ZoneInfo) -> None:
    round_ = totals.round
    write_cover(
        book,
        round_title(round_),
        [
            (COVER_REPORT, round_.campaign.title),
            (COVER_ORGANISER, round_.campaign.organiser.name),
            (COVER_ROUND, gettext(ROUND_NUMBER) % {"number": round_.number}),
            (COVER_PERIOD, period_text(round_)),
            (COVER_ROSTER, totals.roster_size),
            (COVER_SUBMITTED, totals.submitted),
            (COVER_APPROVED, totals.approved),
            (COVER_NOT_SUBMITTED, len(totals.not_submitted)),
            (COVER_INCLUDE, gettext(INCLUDE_LABELS[str(totals.include)])),
            (COVER_EXPORTED, local_time(now, zone)),
        ],
        stamp=round_.campaign.organiser.name if round_.campaign.stamp_block else None,
    )


def write_value(sheet: Sheet, column: int, question: Question, value: Any, *, total: bool) -> None:
    """One answer (or one total) in the cell its question's type calls for."""
    formats = sheet.formats
    if value is None or value == [] or value == "":
        sheet.blank(column, formats.total_text if total else formats.text)
        return
    if question.is_number and (number := stored_number(value)) is not None:
        sheet.number(column, number, formats.number(question, total=total))
        return
    if question.type == QuestionType.DATE and (day := as_date(value)) is not None:
        sheet.day(column, day, formats.total_date if total else formats.date)
        return
    format = formats.total_text if total else formats.wrap
    sheet.wrap_column(column)
    sheet.string(column, answer_text(question, value), format)


def short_answer(question: Question, value: Any, width: int, sheet_title: str) -> str:
    """A text answer as the totals sheet shows it: whole when it takes at most
    ANSWER_LINES lines of its column, else its start and a marker pointing to the
    文字内容 sheet, which has it in full."""
    text = answer_text(question, value)
    if question.type not in TEXT_TYPES or line_count(text, width) <= ANSWER_LINES:
        return text
    marker = gettext(SEE_TEXTS) % {"sheet": sheet_title}
    room = max(1, (width - 1) * (ANSWER_LINES - 1) - 2)
    start = ""
    for character in text.replace("\n", " "):
        if full_width(start + character) > room:
            break
        start += character
    return start + "\u2026" + marker


def write_aggregate(
    sheet: Sheet, column: int, question: Question, aggregate: Aggregate, value: Any
) -> None:
    """A 合计 or subtotal cell: a number for sum/min/max, two places for an average, a
    count of answers (for a yes/no question: the 是 answers), or the answers listed."""
    formats = sheet.formats
    if aggregate == Aggregate.NONE or value is None:
        sheet.blank(column, formats.total_text)
    elif question.type == QuestionType.YES_NO and isinstance(value, YesCount):
        sheet.string(column, yes_text(value), formats.total_text)
    elif aggregate == Aggregate.COUNT and (count := stored_number(value)) is not None:
        sheet.number(column, count, formats.total_integer)
    elif aggregate == Aggregate.AVERAGE and (mean := stored_number(value)) is not None:
        sheet.number(column, mean, formats.total_average)
    elif aggregate == Aggregate.LIST:
        sheet.string(column, list_total_text(question, value), formats.total_text)
    else:
        write_value(sheet, column, question, value, total=True)


def list_total_text(question: Question, value: Any, *, shortened: bool = True) -> str:
    """A list total: the answers, or, when they would take more than LIST_LINES lines of
    the column, their number and where they are (the 文字内容 sheet lists each)."""
    items = value if isinstance(value, list) else [value]
    text = LIST_SEPARATOR.join(str(item) for item in items)
    if not shortened or question.type not in TEXT_TYPES:
        return text
    if line_count(text, LIST_WIDTH) <= LIST_LINES:
        return text
    return gettext(LIST_ELSEWHERE) % {"count": len(items), "sheet": gettext(SHEET_TEXTS)}


def yes_text(count: YesCount) -> str:
    """是 N（占 x%）: the yes answers and their share of those who answered."""
    return gettext(YES_SHARE) % {
        "yes": gettext(YES),
        "count": count.yes,
        "share": format_percent(count.share),
    }


TOTALS_FIXED = (
    COLUMN_NUMBER,
    COLUMN_ORGANISATION,
    COLUMN_CATEGORY,
    COLUMN_STATE,
    COLUMN_SUBMITTED_AT,
)
# No., organisation, category, state, submitted at (month, day and time: the round's
# period is in the subtitle).
FIXED_WIDTHS = (4, NAME_WIDTH, 10, 10, 12)


def totals_widths(totals: RoundTotals, values: Iterable[Mapping[str, Any]]) -> list[int]:
    """The totals sheet's column widths, fixed before it is written: numbers a readable
    width (wider only for a figure that needs it), answers wrapped in ANSWER_WIDTH, a list
    total given up to LIST_WIDTH to fit in LIST_LINES lines."""
    widths = list(FIXED_WIDTHS)
    figures = list(values)
    for column in totals.columns:
        question = column.question
        key = question.key
        if question.is_number or column.aggregate in (Aggregate.COUNT, Aggregate.AVERAGE):
            longest = max(
                (
                    len(f"{number:,.2f}")
                    for figure in figures
                    if (number := stored_number(figure.get(key))) is not None
                ),
                default=0,
            )
            widths.append(max(NUMBER_WIDTH, longest + 3))
        elif question.type in (QuestionType.DATE, QuestionType.YES_NO):
            widths.append(NUMBER_WIDTH)
        elif column.aggregate == Aggregate.LIST:
            width = ANSWER_WIDTH
            for figure in figures:
                if figure.get(key) is None:
                    continue
                text = list_total_text(question, figure.get(key), shortened=False)
                if line_count(text, LIST_WIDTH) > LIST_LINES and question.type in TEXT_TYPES:
                    continue  # too long even then: it points to the text answers sheet
                while width < LIST_WIDTH and line_count(text, width) > LIST_LINES:
                    width += 2
            widths.append(width)
        else:
            widths.append(ANSWER_WIDTH)
    return widths


def write_totals_sheet(
    book: Book,
    totals: RoundTotals,
    rows: Iterable[OrganisationRow],
    subtotals: Sequence[tuple[str, Mapping[str, Any]]] | None,
    now: datetime,
    zone: ZoneInfo,
    *,
    name: str,
) -> None:
    """One row per roster organisation (those whose answers do not count are greyed and
    left blank), a subtotal row per category when asked, the 合计 row, and the stamp and
    signature block when the campaign has it."""
    sheet = book.sheet(name)
    fixed = len(TOTALS_FIXED)
    last = fixed + len(totals.columns) - 1
    total = shown_total(totals)
    shown_subtotals = [(c, shown_subtotal(totals, c, v)) for c, v in subtotals or ()]
    sheet.plan(totals_widths(totals, [total, *(v for _, v in shown_subtotals)]))
    sheet.title(round_title(totals.round), last)
    sheet.title(_subtitle(totals, now, zone), last, sheet.formats.subtitle)
    sheet.headers(
        [gettext(label) for label in TOTALS_FIXED]
        + [header_label(column.question) for column in totals.columns]
    )
    rows = list(rows)
    for number, row in enumerate(rows, start=1):
        _organisation_row(sheet, totals, number, row, zone)
    for category, values in shown_subtotals:
        _aggregate_row(sheet, totals, gettext(SUBTOTAL) % {"category": category}, values)
    _aggregate_row(sheet, totals, gettext(TOTAL), total)
    if shown_subtotals and any(len(r.category_names) > 1 for r in rows if r.counted):
        sheet.note(gettext(SUBTOTALS_OVERLAP), last)
    if sheet.exact_text:
        sheet.note(gettext(EXACT_AS_TEXT) % {"digits": SPREADSHEET_DIGITS}, last)
    if totals.round.campaign.stamp_block:
        sheet.stamp_block(totals.round.campaign.organiser.name, 1, fixed - 1)
    sheet.finish(freeze_columns=2)


def shown_total(totals: RoundTotals) -> dict[str, Any]:
    """The 合计 as printed: a yes/no question's as its 是 answers and their share."""
    return shown_figures(totals, totals.total, totals.choice_counts)


def shown_subtotal(totals: RoundTotals, category: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A category's subtotal as printed: a yes/no question's as the 是 answers of the
    category's counted organisations and their share, like the 合计."""
    uncategorised = gettext(UNCATEGORISED)
    rows = [
        row
        for row in totals.rows
        if row.counted
        and (
            category in row.category_names or (category == uncategorised and not row.category_names)
        )
    ]
    counts: dict[str, dict[str, int]] = {}
    for column in totals.columns:
        if column.question.type == QuestionType.YES_NO:
            answers = [row.values.get(column.question.key) for row in rows]
            counts[column.question.key] = {
                "yes": answers.count("yes"),
                "no": answers.count("no"),
            }
    return shown_figures(totals, values, counts)


def shown_figures(
    totals: RoundTotals,
    values: Mapping[str, Any],
    choice_counts: Mapping[str, Mapping[str, int]] | None,
) -> dict[str, Any]:
    shown = dict(values)
    for column in totals.columns:
        question = column.question
        if question.type != QuestionType.YES_NO or choice_counts is None:
            continue
        counts = choice_counts.get(question.key)
        if counts is not None and column.aggregate == Aggregate.COUNT:
            shown[question.key] = yes_count(counts)
    return shown


def _organisation_row(
    sheet: Sheet, totals: RoundTotals, number: int, row: OrganisationRow, zone: ZoneInfo
) -> None:
    formats = sheet.formats
    plain = formats.text if row.counted else formats.muted
    sheet.number(0, number, formats.integer)
    sheet.string(1, row.name, plain)
    sheet.string(2, CHOICE_SEPARATOR.join(row.category_names), plain)
    sheet.string(3, state_text(row), plain)
    if row.submitted_at is not None:
        sheet.moment(4, row.submitted_at, zone, formats.short_moment)
    else:
        sheet.blank(4, plain)
    texts = gettext(SHEET_TEXTS)
    for index, column in enumerate(totals.columns, start=len(TOTALS_FIXED)):
        question = column.question
        value = row.values.get(question.key) if row.counted else None
        if value is None:
            sheet.blank(index, plain)
        elif question.type in TEXT_TYPES:
            text = short_answer(question, value, sheet.width_of(index), texts)
            sheet.string(index, text, formats.wrap)
        else:
            write_value(sheet, index, question, value, total=False)
    sheet.next_row()


def _aggregate_row(
    sheet: Sheet, totals: RoundTotals, label: str, values: Mapping[str, Any]
) -> None:
    formats = sheet.formats
    sheet.blank(0, formats.total_text)
    sheet.string(1, label, formats.total_text)
    for empty in range(2, len(TOTALS_FIXED)):
        sheet.blank(empty, formats.total_text)
    for index, column in enumerate(totals.columns, start=len(TOTALS_FIXED)):
        question = column.question
        write_aggregate(sheet, index, question, column.aggregate, values.get(question.key))
    sheet.next_row()
