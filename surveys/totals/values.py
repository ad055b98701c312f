"""What the totals functions answer: a round's rows and 合计, yes/no counts, trend points,
and a ratio shown as a percentage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import Any

from intranet.i18n import N_
from surveys.models import Round
from surveys.schema import (
    CHOICE_TYPES,
    Aggregate,
    FormDefinition,
    Question,
    QuestionType,
)
from surveys.states import ResponseState

UNCATEGORISED = N_("Uncategorised")
CHOICE_COUNTED_TYPES = CHOICE_TYPES | {QuestionType.YES_NO}
YES_NO_VALUES = ("yes", "no")
DONE_STATES = frozenset(
    {ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED}
)
FRACTION_DIGITS = 9  # SQLite: the fraction of a decimal is summed as an integer of 1e-9
CENTS = Decimal("0.01")


class Include(StrEnum):
    APPROVED = "approved"  # approved only
    SUBMITTED = "submitted"  # submitted, resubmitted and approved (default)

    @property
    def states(self) -> frozenset[ResponseState]:
        return frozenset({ResponseState.APPROVED}) if self == Include.APPROVED else DONE_STATES


@dataclass(frozen=True)
class Column:
    """One column of the totals table."""

    question: Question  # a top-level, non-table question
    aggregate: Aggregate  # what the 合计 row does (question.aggregate)


@dataclass
class OrganisationRow:
    organisation_id: int
    name: str
    category_names: list[str]
    state: ResponseState  # of its response
    counted: bool  # whether its answers count under `include`
    submitted_at: datetime | None  # the last submission
    late: bool  # first submitted after the deadline
    values: dict[str, Any]  # question key -> stored value (answered only, and only if counted)
    unchanged: bool = False  # submitted as "no change" (surveys.carryover)
    resent: bool = False  # submitted again after it was returned (退回后重报)


@dataclass
class RoundTotals:
    round: Round  # campaign, form_version, organiser loaded
    include: Include
    columns: list[Column]  # form order
    rows: list[OrganisationRow]  # every roster organisation, by tree path
    total: dict[str, Any]  # key -> 合计 (no key for aggregate "none")
    choice_counts: dict[str, dict[str, int]]  # key -> choice value -> count
    texts: dict[str, list[tuple[str, str]]]  # key -> [(organisation name, text)]
    tables: dict[str, list[tuple[str, dict[str, Any]]]]  # table key -> [(organisation name, row)]
    roster_size: int
    submitted: int
    approved: int
    not_submitted: list[str]  # names


@dataclass(frozen=True)
class YesCount:
    """A yes/no question's 合计: its 是 answers and how many answered."""

    yes: int
    answered: int

    @property
    def share(self) -> Decimal | None:
        """The exact share of 是 among the answers (rounded only when shown)."""
        if not self.answered:
            return None
        with localcontext() as context:
            context.prec = 60
            return Decimal(self.yes) / Decimal(self.answered)


def yes_count(counts: Mapping[str, int]) -> YesCount:
    yes, no = int(counts.get("yes", 0)), int(counts.get("no", 0))
    return YesCount(yes=yes, answered=yes + no)


PERCENT_PLACES = Decimal("0.001")


def shown_ratio(ratio: Decimal | None) -> Decimal | None:
    """A ratio as a person is shown it: to a tenth of a percent, rounded once, half away
    from zero (四舍五入). The page, the workbook and the CSV all show this value."""
    if ratio is None:
        return None
    return ratio.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def format_percent(ratio: Decimal | None, *, signed: bool = False) -> str:
    """12.3% (or +12.3% when `signed`) from a ratio, rounded once by shown_ratio."""
    shown = shown_ratio(ratio)
    if shown is None:
        return ""
    percent = (shown * 100).quantize(Decimal("0.1"))
    sign = "+" if signed and percent > 0 else ""
    return f"{sign}{percent}%"


@dataclass
class TrendPoint:
    round_number: int
    period_start: date
    period_end: date
    total: Any
    cumulative: Any
    change: Any  # on the previous round (环比): a ratio Decimal rounded once, or None
    # For a round still in progress (open, before its deadline, not everyone reported):
    # how many have reported of how many asked. Its 环比 is left out unless asked for.
    reported: int | None = None
    roster: int | None = None

    @property
    def in_progress(self) -> bool:
        return self.reported is not None


def table_columns(form: FormDefinition) -> list[Column]:
    """The columns of the totals table: every top-level question but tables, in form order."""
    return [
        Column(question=q, aggregate=q.aggregate)
        for q in form.questions()
        if q.type != QuestionType.TABLE
    ]
