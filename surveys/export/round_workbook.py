"""A round's workbook: the totals, table, text, choice, not-submitted and reminder sheets."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from intranet.i18n import gettext
from surveys.export.cells import header_label
from surveys.export.labels import (
    AUTOMATIC,
    CHANNELS,
    CHOICE_SEPARATOR,
    COLUMN_ANSWER,
    COLUMN_CATEGORY,
    COLUMN_CHANNEL,
    COLUMN_CHOICE,
    COLUMN_COUNT,
    COLUMN_HOW,
    COLUMN_KIND,
    COLUMN_NUMBER,
    COLUMN_ORGANISATION,
    COLUMN_QUESTION,
    COLUMN_RECIPIENTS,
    COLUMN_SENT_AT,
    COLUMN_SENT_BY,
    COLUMN_STATE,
    LIST_SEPARATOR,
    MANUAL,
    NO,
    RECIPIENT_READ,
    RECIPIENT_UNREAD,
    SHEET_CHOICES,
    SHEET_NOT_SUBMITTED,
    SHEET_REMINDERS,
    SHEET_TEXTS,
    SHEET_TOTALS,
    YES,
)
from surveys.export.round_totals import (
    round_context,
    round_title,
    write_round_cover,
    write_totals_sheet,
    write_value,
)
from surveys.export.sheet import Book, Progress
from surveys.notify import ReminderEntry, reminder_log
from surveys.schema import FormDefinition, Question, QuestionType
from surveys.states import ResponseState
from surveys.totals import (
    Include,
    OrganisationRow,
    RoundTotals,
    category_subtotals,
    round_totals,
)


def write_table_sheet(
    book: Book, question: Question, rows: Iterable[tuple[str, Mapping[str, Any]]], context: str
) -> None:
    """A table question's rows from every organisation, with an organisation column."""
    sheet = book.sheet(question.label)
    last = len(question.columns)
    sheet.title(question.label, last)
    sheet.title(context, last, sheet.formats.subtitle)
    sheet.headers([gettext(COLUMN_ORGANISATION)] + [header_label(c) for c in question.columns])
    for organisation, cells in rows:
        sheet.string(0, organisation)
        for index, column in enumerate(question.columns, start=1):
            write_value(sheet, index, column, cells.get(column.key), total=False)
        sheet.next_row()
    sheet.finish()


def write_texts_sheet(
    book: Book, form: FormDefinition, texts: Mapping[str, Sequence[tuple[str, str]]], context: str
) -> None:
    """Every text answer, question by question in form order."""
    sheet = book.sheet(gettext(SHEET_TEXTS))
    sheet.plan([20, 22, 70])
    sheet.title(gettext(SHEET_TEXTS), 2)
    sheet.title(context, 2, sheet.formats.subtitle)
    sheet.headers([gettext(COLUMN_QUESTION), gettext(COLUMN_ORGANISATION), gettext(COLUMN_ANSWER)])
    sheet.wrap_column(0)
    sheet.wrap_column(2)
    for question in form.questions():
        for organisation, text in texts.get(question.key, ()):
            sheet.string(0, question.label, sheet.formats.wrap)
            sheet.string(1, organisation)
            sheet.string(2, text, sheet.formats.wrap)
            sheet.next_row()
    sheet.finish(freeze_columns=0)


def write_choices_sheet(
    book: Book, form: FormDefinition, counts: Mapping[str, Mapping[str, int]], context: str
) -> None:
    """How many organisations chose each option, question by question."""
    sheet = book.sheet(gettext(SHEET_CHOICES))
    sheet.title(gettext(SHEET_CHOICES), 2)
    sheet.title(context, 2, sheet.formats.subtitle)
    sheet.headers([gettext(COLUMN_QUESTION), gettext(COLUMN_CHOICE), gettext(COLUMN_COUNT)])
    sheet.wrap_column(0)
    for question in form.questions():
        if question.key not in counts:
            continue
        for value, count in _choice_lines(question, counts[question.key]):
            sheet.string(0, question.label, sheet.formats.wrap)
            sheet.string(1, value)
            sheet.number(2, count, sheet.formats.integer)
            sheet.next_row()
    sheet.finish(freeze_columns=0)


def _choice_lines(question: Question, counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Each option by its label, in the form's order, including those nobody chose."""
    if question.type == QuestionType.YES_NO:
        options = [("yes", gettext(YES)), ("no", gettext(NO))]
    else:
        options = [(choice.value, choice.label) for choice in question.choices]
    known = {value for value, _ in options}
    options += [(value, value) for value in counts if value not in known]
    return [(label, int(counts.get(value, 0))) for value, label in options]


def write_not_submitted_sheet(
    book: Book, rows: Iterable[OrganisationRow], names: Collection[str], context: str
) -> None:
    """The roster organisations that have not submitted, with how far they got."""
    sheet = book.sheet(gettext(SHEET_NOT_SUBMITTED))
    sheet.title(gettext(SHEET_NOT_SUBMITTED), 3)
    sheet.title(context, 3, sheet.formats.subtitle)
    sheet.headers(
        [gettext(c) for c in (COLUMN_NUMBER, COLUMN_ORGANISATION, COLUMN_CATEGORY, COLUMN_STATE)]
    )
    missing = set(names)
    number = 0
    for row in rows:
        if row.name not in missing:
            continue
        number += 1
        sheet.number(0, number, sheet.formats.integer)
        sheet.string(1, row.name)
        sheet.string(2, CHOICE_SEPARATOR.join(row.category_names))
        sheet.string(3, gettext(ResponseState(row.state).label))
        sheet.next_row()
    sheet.finish(freeze_columns=2)


def write_round_sheets(
    book: Book,
    totals: RoundTotals,
    subtotals: Sequence[tuple[str, Mapping[str, Any]]] | None,
    now: datetime,
    zone: ZoneInfo,
    *,
    totals_name: str = SHEET_TOTALS,
    reminders: Sequence[ReminderEntry] | None = None,
    span: tuple[int, int] = (10, 95),
) -> None:
    """The totals sheet, then a sheet per table question, the text answers, the choice
    counts, the organisations that have not submitted and (when given) the 催报 log.
    Progress is told from span[0] to span[1] percent as the sheets are written."""
    form = totals.round.campaign.form_version.form_definition()
    context = round_context(totals.round)
    start, end = span
    book.progress(start)
    write_totals_sheet(
        book,
        totals,
        totals.rows,
        subtotals,
        now,
        zone,
        name=gettext(totals_name) % {"number": totals.round.number},
    )
    # The totals sheet is most of the work: half the span.
    book.progress(start + (end - start) // 2)
    for question in form.questions():
        if question.type == QuestionType.TABLE and totals.tables.get(question.key):
            write_table_sheet(book, question, totals.tables[question.key], context)
    if any(totals.texts.get(q.key) for q in form.questions()):
        write_texts_sheet(book, form, totals.texts, context)
    book.progress(start + (end - start) * 3 // 4)
    if totals.choice_counts:
        write_choices_sheet(book, form, totals.choice_counts, context)
    if totals.not_submitted:
        write_not_submitted_sheet(book, totals.rows, totals.not_submitted, context)
    if reminders:
        write_reminders_sheet(book, reminders, zone, context)
    book.progress(end)


def write_reminders_sheet(
    book: Book, entries: Iterable[ReminderEntry], zone: ZoneInfo, context: str
) -> None:
    """The 催报 log: who was reminded when and how, newest first, and whether each
    person has read it. Names are user text: strings only."""
    sheet = book.sheet(gettext(SHEET_REMINDERS))
    labels = (
        COLUMN_SENT_AT,
        COLUMN_ORGANISATION,
        COLUMN_KIND,
        COLUMN_HOW,
        COLUMN_SENT_BY,
        COLUMN_CHANNEL,
        COLUMN_RECIPIENTS,
    )
    sheet.title(gettext(SHEET_REMINDERS), len(labels) - 1)
    sheet.title(context, len(labels) - 1, sheet.formats.subtitle)
    sheet.headers([gettext(label) for label in labels])
    sheet.wrap_column(6)
    for entry in entries:
        sheet.moment(0, entry.sent_at, zone)
        sheet.string(1, entry.organisation)
        sheet.string(2, entry.kind_label)
        sheet.string(3, gettext(AUTOMATIC if entry.automatic else MANUAL))
        sheet.string(4, entry.sent_by)
        channel = CHANNELS.get(entry.channel)
        sheet.string(5, gettext(channel) if channel else entry.channel)
        sheet.string(6, recipients_text(entry), sheet.formats.wrap)
        sheet.next_row()
    sheet.finish(freeze_columns=2)


def recipients_text(entry: ReminderEntry) -> str:
    """Each person reminded, and whether they have opened it."""
    return LIST_SEPARATOR.join(
        gettext(RECIPIENT_READ if person.read_at else RECIPIENT_UNREAD) % {"name": person.name}
        for person in entry.recipients
    )


def build_round_workbook(
    target: BinaryIO | str,
    totals: RoundTotals,
    subtotals: Sequence[tuple[str, Mapping[str, Any]]] | None,
    now: datetime,
    zone: ZoneInfo,
    *,
    reminders: Sequence[ReminderEntry] | None = None,
    progress: Progress | None = None,
) -> None:
    """The round's workbook from figures already computed (no database)."""
    book = Book(target, progress)
    book.report_title = round_title(totals.round)
    write_round_cover(book, totals, now, zone)
    write_round_sheets(book, totals, subtotals, now, zone, reminders=reminders)
    book.close()
    book.progress(100)


async def write_round_workbook(
    round_id: int,
    target: BinaryIO | str,
    *,
    include: Include,
    subtotals: bool,
    now: datetime,
    zone: ZoneInfo,
    organisation_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the round's workbook to `target` (a path or a binary file open for writing).

    `organisation_ids` limits it to those organisations (a secretary's own society); the
    催报 log sheet is for those who see the whole round only (it names every society)."""
    totals = await round_totals(round_id, include=include, organisation_ids=organisation_ids)
    everything = organisation_ids is None
    by_category = (
        await category_subtotals(round_id, include=include) if subtotals and everything else None
    )
    reminders = await reminder_log(round_id) if everything else None
    if progress is not None:
        progress(10)
    # Writing is CPU work: in a thread, so an event loop goes on serving pages (the
    # thread copies the context, so the sheets are in the caller's language). The site
    # runs this in its export process (surveys.export.jobs), never on its own loop.
    await asyncio.to_thread(
        build_round_workbook,
        target,
        totals,
        by_category,
        now,
        zone,
        reminders=reminders,
        progress=progress,
    )
