"""The kinds a form is made of: respondents, question types, carry-over, aggregates, and
the limits on what a form may hold."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum

from intranet.i18n import N_

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")

MAX_TITLE_CHARS = 200
MAX_INSTRUCTIONS_CHARS = 10_000
MAX_LABEL_CHARS = 500
MAX_HELP_CHARS = 2_000
MAX_UNIT_CHARS = 20
MAX_CHOICE_VALUE_CHARS = 100
MAX_CHOICE_LABEL_CHARS = 200
# Limits far beyond any count a society reports, but well inside what a spreadsheet and
# a float in a chart can show exactly.
MAX_LIMIT = Decimal(10) ** 15


class Respondent(StrEnum):
    ORGANISATION = "organisation"
    PERSON = "person"


class QuestionType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    DATE = "date"
    FILE = "file"
    TABLE = "table"


class Carry(StrEnum):
    """What a new round starts from for one question, so that "no change this round"
    means the right thing: an *increment* (本期新增) is 0 and a table of new rows is
    empty; a *standing* value (存量/现状) is last round's answer carried forward;
    *nothing* is written anew each round and is left as it is."""

    INCREMENT = "increment"
    STANDING = "standing"
    NOTHING = "nothing"

    @property
    def label(self) -> str:
        return CARRY_LABELS[self]


CARRY_LABELS = {
    Carry.INCREMENT: N_("New this round"),
    Carry.STANDING: N_("As last reported"),
    Carry.NOTHING: N_("Written each round"),
}


class Aggregate(StrEnum):
    SUM = "sum"
    AVERAGE = "average"
    MIN = "min"
    MAX = "max"
    COUNT = "count"
    LIST = "list"
    NONE = "none"


NUMBER_TYPES = frozenset({QuestionType.INTEGER, QuestionType.DECIMAL})
TEXT_TYPES = frozenset({QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT})
CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
# A table cell holds one simple answer: no file uploads and no tables within tables.
COLUMN_TYPES = frozenset(QuestionType) - {QuestionType.TABLE, QuestionType.FILE}
# Only an amount or a list of new rows can be "none new this round".
INCREMENT_TYPES = NUMBER_TYPES | {QuestionType.TABLE}
# min/max mean a value for numbers, a length for text and a number of rows for tables.
LIMITED_TYPES = NUMBER_TYPES | TEXT_TYPES | {QuestionType.TABLE}

_ALWAYS = frozenset({Aggregate.COUNT, Aggregate.NONE})
_NUMERIC = _ALWAYS | {Aggregate.SUM, Aggregate.AVERAGE, Aggregate.MIN, Aggregate.MAX}
ALLOWED_AGGREGATES: Mapping[QuestionType, frozenset[Aggregate]] = {
    QuestionType.SHORT_TEXT: _ALWAYS | {Aggregate.LIST},
    QuestionType.LONG_TEXT: _ALWAYS | {Aggregate.LIST},
    QuestionType.INTEGER: _NUMERIC,
    QuestionType.DECIMAL: _NUMERIC,
    QuestionType.SINGLE_CHOICE: _ALWAYS,
    QuestionType.MULTIPLE_CHOICE: _ALWAYS,
    QuestionType.YES_NO: _ALWAYS,
    # The earliest and the latest date are worth a column in a summary.
    QuestionType.DATE: _ALWAYS | {Aggregate.MIN, Aggregate.MAX, Aggregate.LIST},
    QuestionType.FILE: _ALWAYS,
    QuestionType.TABLE: _ALWAYS | {Aggregate.LIST},
}

DEFAULT_AGGREGATES: Mapping[QuestionType, Aggregate] = {
    QuestionType.SHORT_TEXT: Aggregate.LIST,
    QuestionType.LONG_TEXT: Aggregate.LIST,
    QuestionType.INTEGER: Aggregate.SUM,
    QuestionType.DECIMAL: Aggregate.SUM,
    QuestionType.SINGLE_CHOICE: Aggregate.COUNT,
    QuestionType.MULTIPLE_CHOICE: Aggregate.COUNT,
    QuestionType.YES_NO: Aggregate.COUNT,
    QuestionType.DATE: Aggregate.LIST,
    QuestionType.FILE: Aggregate.COUNT,
    QuestionType.TABLE: Aggregate.LIST,
}


def default_aggregate(type: QuestionType) -> Aggregate:
    """What a new question of this type shows in a summary unless told otherwise."""
    return DEFAULT_AGGREGATES[type]
