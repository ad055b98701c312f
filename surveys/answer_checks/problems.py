"""What every check of an answer shares: the limits, the messages, and the Problem and
CheckedAnswer a check returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from intranet.i18n import N_, gettext
from surveys.schema import Question, QuestionType

# -- limits ----------------------------------------------------------------------------------

# Far beyond any count or sum of money a society reports, and small enough that every
# accepted number (with at most 15 significant digits) survives a float in a chart or a
# spreadsheet cell exactly.
MAX_MAGNITUDE = Decimal(10) ** 12
MAX_SIGNIFICANT_DIGITS = 15
MAX_DECIMAL_PLACES = 6
# Used when the form sets no max: a pasted document should be refused, not stored.
DEFAULT_MAX_CHARS = {QuestionType.SHORT_TEXT: 500, QuestionType.LONG_TEXT: 20_000}
DEFAULT_MAX_ROWS = 1_000
# Years outside this range are typing slips (0202, 20200), not report dates.
MIN_YEAR = 1900
MAX_YEAR = 2100

# -- messages --------------------------------------------------------------------------------

REQUIRED = N_("This question needs an answer.")
INVALID = N_("This answer is not in a form that can be saved.")
NOT_A_NUMBER = N_("Enter a number, e.g. 12 or 1,234.")
EXPONENT = N_("Write the number out in full, without an exponent.")
MISPLACED_SEPARATOR = N_(
    "Thousands separators go between groups of three digits, e.g. 1,234,567; "
    "use a point for decimals."
)
NOT_WHOLE = N_("Enter a whole number, without decimals.")
TOO_MANY_DECIMALS = N_("Use at most %(count)d decimal places.")
TOO_MANY_DIGITS = N_("The number has too many digits: at most %(count)d.")
TOO_LARGE = N_("The number is too large: at most %(limit)s either side of zero.")
BELOW_MIN = N_("The value must be at least %(min)s.")
ABOVE_MAX = N_("The value must be at most %(max)s.")
TOO_SHORT = N_("Write at least %(count)d characters.")
TOO_LONG = N_("Write at most %(count)d characters; this has %(length)d.")
NOT_A_CHOICE = N_("%(value)s is not one of the choices.")
DUPLICATE_CHOICE = N_("%(value)s is chosen more than once.")
TOO_FEW_CHOICES = N_("Choose at least %(count)d.")
TOO_MANY_CHOICES = N_("Choose at most %(count)d.")
NOT_YES_NO = N_("Answer yes or no.")
INVALID_DATE = N_("Enter a date such as 2020-02-03.")
IMPOSSIBLE_DATE = N_("There is no such date: %(value)s.")
DATE_OUT_OF_RANGE = N_("The year must be between %(min)d and %(max)d.")
INVALID_ROW = N_("Row %(row)d is not in a form that can be saved.")
UNKNOWN_COLUMN = N_("The table has no column %(column)s.")
TOO_FEW_ROWS = N_("Fill in at least %(count)d rows.")
TOO_MANY_ROWS = N_("Fill in at most %(count)d rows.")
INVALID_FILE = N_("The attached file is not recognised; upload it again.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an answer, placed so the page can show it beside the field.

    `code` is stable for code and tests ("not_whole", "above_max", ...); `message` is an
    English msgid with %(name)s placeholders filled from `params`, translated only where
    it is shown. `row` (counted from 1, as the secretary sees the rows) and `column` are
    set for a cell of a table question.
    """

    question: str
    code: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    row: int | None = None
    column: str = ""

    @property
    def location(self) -> str:
        if self.row is None:
            return self.question
        return f"{self.question}[{self.row}]" + (f".{self.column}" if self.column else "")

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        return f"{self.location}: {text}"


@dataclass(frozen=True)
class CheckedAnswer:
    """An answer as it will be stored (None for no answer) and what is wrong with it.

    When there are problems `value` is None: an invalid answer is never stored as if it
    were valid, and the page keeps showing what was typed so nothing is lost.
    """

    value: Any
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _problem(code: str, message: str, **params: object) -> Problem:
    # The question key is stamped on by check_answer(), which knows it.
    return Problem(question="", code=code, message=message, params=params)


def _refused(question: Question, *problems: Problem) -> CheckedAnswer:
    return CheckedAnswer(None, [replace(p, question=question.key) for p in problems])
