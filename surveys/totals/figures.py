"""What the database sums up for each question and group, and the 合计 made of those sums."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from surveys.schema import (
    Aggregate,
    Question,
    QuestionType,
)
from surveys.totals.values import (
    CENTS,
    CHOICE_COUNTED_TYPES,
    YES_NO_VALUES,
    Column,
    OrganisationRow,
)

# -- figures: what the database sums up, and the 合计 made of them ----------------------


@dataclass
class NumberStats:
    """Count, exact sum, lowest and highest of one number question's answers."""

    count: int = 0
    sum: Decimal = Decimal(0)
    low: Decimal | None = None
    high: Decimal | None = None

    def merge(self, other: NumberStats) -> NumberStats:
        lows = [v for v in (self.low, other.low) if v is not None]
        highs = [v for v in (self.high, other.high) if v is not None]
        return NumberStats(
            count=self.count + other.count,
            sum=self.sum + other.sum,
            low=min(lows) if lows else None,
            high=max(highs) if highs else None,
        )

    def to_json(self) -> list[Any]:
        return [self.count, str(self.sum), _text(self.low), _text(self.high)]

    @classmethod
    def from_json(cls, stored: list[Any]) -> NumberStats:
        count, total, low, high = stored
        return cls(count=count, sum=Decimal(total), low=_number(low), high=_number(high))

    def exact(self, aggregate: Aggregate, integer: bool) -> Any:
        """The figure before any rounding (an average to 60 digits): what 环比 is
        worked out from, so that it is rounded once only."""
        if aggregate == Aggregate.AVERAGE and self.count:
            with localcontext() as context:
                context.prec = 60
                return self.sum / self.count
        return self.value(aggregate, integer)

    def value(self, aggregate: Aggregate, integer: bool) -> Any:
        if aggregate == Aggregate.COUNT:
            return self.count
        if not self.count:
            return None
        if aggregate == Aggregate.AVERAGE:
            with localcontext() as context:
                context.prec = 60
                return (self.sum / self.count).quantize(CENTS, rounding=ROUND_HALF_UP)
        number = {Aggregate.SUM: self.sum, Aggregate.MIN: self.low, Aggregate.MAX: self.high}.get(
            aggregate
        )
        if number is None:
            return None
        return int(number) if integer else _tidy(number)


def _text(number: Decimal | None) -> str | None:
    return None if number is None else str(number)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _tidy(number: Decimal) -> Decimal:
    """The decimal without trailing zeros and never in exponent form (12.5, 100)."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


@dataclass
class Figures:
    """What one group (a round, a category, a subtree) adds up to, per question key."""

    roster: int = 0
    counted: int = 0
    answered: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, NumberStats] = field(default_factory=dict)
    low: dict[str, Any] = field(default_factory=dict)
    high: dict[str, Any] = field(default_factory=dict)
    options: dict[str, dict[str, int]] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    owners: dict[str, list[int]] = field(default_factory=dict)  # whose each listed answer is

    @classmethod
    def empty(cls, columns: Iterable[Column]) -> Figures:
        figures = cls()
        for column in columns:
            question = column.question
            figures.answered[question.key] = 0
            if question.is_number:
                figures.numbers[question.key] = NumberStats()
            if question.type in CHOICE_COUNTED_TYPES:
                figures.options[question.key] = dict.fromkeys(_options(question), 0)
            figures.lists[question.key] = []
            figures.owners[question.key] = []
        return figures

    def numbers_json(self) -> dict[str, Any]:
        """As stored in RoundFigures.numbers: decimals as their exact text."""
        return {
            "roster": self.roster,
            "counted": self.counted,
            "numbers": {key: stats.to_json() for key, stats in self.numbers.items()},
        }

    def rest_json(self) -> dict[str, Any]:
        """As stored in RoundFigures.figures: what numbers_json leaves out."""
        return {
            "answered": self.answered,
            "low": self.low,
            "high": self.high,
            "options": self.options,
            "lists": self.lists,
            "owners": self.owners,
        }

    @classmethod
    def from_json(cls, numbers: Mapping[str, Any], stored: Mapping[str, Any] | None) -> Figures:
        """Read back stored figures: the number questions' alone when `stored` is None."""
        figures = cls(
            roster=numbers["roster"],
            counted=numbers["counted"],
            numbers={k: NumberStats.from_json(v) for k, v in numbers["numbers"].items()},
        )
        if stored is None:
            return figures
        return replace(
            figures,
            answered=dict(stored["answered"]),
            low=dict(stored["low"]),
            high=dict(stored["high"]),
            options={k: dict(v) for k, v in stored["options"].items()},
            lists={k: list(v) for k, v in stored["lists"].items()},
            owners={k: list(v) for k, v in stored["owners"].items()},
        )

    def in_row_order(self, rows: list[OrganisationRow]) -> None:
        """Put each listed answer in the order of `rows` (the tree order now), whatever
        the order was when the figures were stored."""
        position = {row.organisation_id: index for index, row in enumerate(rows)}
        for key, owners in self.owners.items():
            pairs = sorted(zip(owners, self.lists[key], strict=True), key=lambda p: position[p[0]])
            self.owners[key] = [owner for owner, _ in pairs]
            self.lists[key] = [value for _, value in pairs]

    def total(self, columns: Iterable[Column]) -> dict[str, Any]:
        """The 合计 row: key -> the figure its aggregate asks for (none: no key)."""
        return {c.question.key: self._figure(c) for c in columns if c.aggregate != Aggregate.NONE}

    def _figure(self, column: Column) -> Any:
        key, aggregate = column.question.key, column.aggregate
        if column.question.is_number:
            integer = column.question.type == QuestionType.INTEGER
            return self.numbers[key].value(aggregate, integer)
        if aggregate == Aggregate.COUNT:
            return self.answered[key]
        if aggregate == Aggregate.LIST:
            return self.lists[key]
        if aggregate == Aggregate.MIN:
            return self.low.get(key)
        if aggregate == Aggregate.MAX:
            return self.high.get(key)
        return None  # an aggregate the question's type does not allow


def _options(question: Question) -> list[str]:
    if question.type == QuestionType.YES_NO:
        return list(YES_NO_VALUES)
    return [choice.value for choice in question.choices]


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value
