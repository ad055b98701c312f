"""What can be wrong with a form definition: the messages, and the Problem that places one
in the form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from intranet.i18n import N_, gettext

# -- messages -----------------------------------------------------------------------------

NO_TITLE = N_("The form needs a title.")
TOO_LONG = N_("%(field)s is too long: at most %(count)d characters.")
NO_SECTIONS = N_("The form has no questions.")
NO_KEY = N_("A key is required.")
BAD_KEY = N_(
    "The key %(key)s is not allowed: use lower-case letters, digits and _, "
    "start with a letter, at most 40 characters."
)
DUPLICATE_SECTION_KEY = N_("The section key %(key)s is used more than once.")
DUPLICATE_KEY = N_("The key %(key)s is used more than once.")
DUPLICATE_COLUMN_KEY = N_("The column key %(key)s is used more than once in this table.")
NO_SECTION_TITLE = N_("The section needs a title.")
EMPTY_SECTION = N_("The section %(key)s has no questions.")
NO_LABEL = N_("The question needs a label.")
NO_CHOICES = N_("A %(type)s question needs at least one choice.")
CHOICES_NOT_ALLOWED = N_("Only choice questions have choices; this one is %(type)s.")
NO_CHOICE_VALUE = N_("Every choice needs a value.")
BAD_CHOICE_VALUE = N_("The choice value %(value)s must not start or end with a space.")
DUPLICATE_CHOICE = N_("The choice value %(value)s is used more than once.")
NO_CHOICE_LABEL = N_("The choice %(value)s needs a label.")
NO_COLUMNS = N_("A table needs at least one column.")
COLUMNS_NOT_ALLOWED = N_("Only tables have columns; this question is %(type)s.")
COLUMN_TYPE_NOT_ALLOWED = N_("A table column cannot be %(type)s.")
LIMIT_NOT_ALLOWED = N_("%(field)s applies only to numbers, text and tables, not to %(type)s.")
LIMIT_NOT_FINITE = N_("%(field)s must be a finite number.")
LIMIT_TOO_LARGE = N_("%(field)s is too large.")
LIMIT_NOT_WHOLE = N_("%(field)s must be a whole number for %(type)s.")
LIMIT_NEGATIVE = N_("%(field)s cannot be negative for %(type)s.")
MIN_ABOVE_MAX = N_("min (%(min)s) is greater than max (%(max)s).")
UNIT_NOT_ALLOWED = N_("Only numbers have a unit; this question is %(type)s.")
AGGREGATE_NOT_ALLOWED = N_(
    "A %(type)s question cannot be summed up as %(aggregate)s; use one of: %(allowed)s."
)
CUMULATIVE_NOT_NUMBER = N_("Only number questions can be cumulative; this one is %(type)s.")
CUMULATIVE_IN_TABLE = N_("A table column cannot be cumulative.")
CARRY_NOT_INCREMENT = N_(
    "Only numbers and tables can count what is new this round; this question is %(type)s."
)
CARRY_CUMULATIVE = N_(
    "A cumulative question adds every round to the running total, so each round's answer "
    "must be what is new that round (increment)."
)
CARRY_IN_TABLE = N_("A table column has no carry-over of its own; set it on the table.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form.

    `message` is an English msgid with %(name)s placeholders filled from `params`.
    `path` holds the positions (section, question, column) so that a spreadsheet import
    can point at the row even when keys are missing or repeated; `field` names the
    attribute at fault ("key", "min", "aggregate", ...).
    """

    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    path: tuple[int, ...] = ()
    section: str = ""
    question: str = ""
    column: str = ""
    field: str = ""

    @property
    def location(self) -> str:
        parts = [self.section, self.question, self.column]
        where = "/".join(part for part in parts if part)
        return f"{where}:{self.field}" if self.field else where

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        return f"{self.location}: {text}" if self.location else text


@dataclass(frozen=True)
class _Where:
    """Where a question sits, to stamp on the problems found in it."""

    path: tuple[int, ...]
    section: str
    question: str = ""
    column: str = ""

    def problem(self, message: str, at: str = "", **params: object) -> Problem:
        return Problem(
            message=message,
            params=params,
            path=self.path,
            section=self.section,
            question=self.question,
            column=self.column,
            field=at,
        )
