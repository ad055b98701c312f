"""The form workbook's sheets and columns, the words its cells may hold, its limits, and
the problems an import reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from intranet.i18n import N_, gettext
from surveys.schema import (
    Carry,
)

SURVEY = "survey"
CHOICES = "choices"
SETTINGS = "settings"
SHEETS = (SURVEY, CHOICES, SETTINGS)
# The names export gives the sheets, for the staff who fill them in; the English names
# are accepted too. A sheet's name is part of the file format, not interface text.
SHEET_TITLES = {SURVEY: "题目", CHOICES: "选项", SETTINGS: "设置"}
SURVEY_COLUMNS = (
    "type",
    "key",
    "label",
    "hint",
    "required",
    "min",
    "max",
    "unit",
    "aggregate",
    "cumulative",
    "carry",
)
# What the carry column accepts besides the stored words, as staff write them.
CARRY_WORDS = {
    "本期新增": Carry.INCREMENT,
    "新增": Carry.INCREMENT,
    "存量": Carry.STANDING,
    "现状": Carry.STANDING,
    "沿用上期": Carry.STANDING,
    "每期重新填写": Carry.NOTHING,
    "不沿用": Carry.NOTHING,
}
CHOICES_COLUMNS = ("list_name", "value", "label")
SETTINGS_COLUMNS = ("title", "instructions", "respondent")
REQUIRED_COLUMNS = {
    SURVEY: ("type", "key", "label"),
    CHOICES: CHOICES_COLUMNS,
    SETTINGS: ("title",),
}
COLUMNS = {SURVEY: SURVEY_COLUMNS, CHOICES: CHOICES_COLUMNS, SETTINGS: SETTINGS_COLUMNS}

BEGIN_SECTION = "begin section"
END_SECTION = "end section"
BEGIN_TABLE = "begin table"
END_TABLE = "end table"
YES = "yes"
TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"", "no", "n", "false", "0"})

# Far more rows than any report form has; a bigger sheet is a mistake or an attack.
MAX_ROWS = 2_000
# Rows Excel keeps only for their formatting are read too, so stop somewhere.
MAX_PHYSICAL_ROWS = 10 * MAX_ROWS
MAX_COLUMNS = 100
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
MIN_WIDTH, MAX_WIDTH = 8, 60

# -- messages -----------------------------------------------------------------------------

NOT_XLSX = N_("This file is not an Excel workbook (.xlsx); save it as .xlsx and try again.")
TOO_LARGE = N_("This workbook is too large to be a form.")
MISSING_SHEET = N_("The sheet %(sheet)s is missing.")
MISSING_COLUMN = N_("The column %(column)s is missing from the header row.")
UNKNOWN_COLUMN = N_("Unknown column %(column)s; the columns are: %(allowed)s.")
DUPLICATE_COLUMN = N_("The column %(column)s appears more than once.")
TOO_MANY_ROWS = N_("Too many rows: at most %(count)d.")
FORMULA = N_("This cell holds a formula; type the text or number itself.")
MISSING_TYPE = N_("The type is missing.")
UNKNOWN_TYPE = N_("Unknown type %(type)s; the types are: %(allowed)s.")
TABLE_NEEDS_BEGIN = N_("A table is written as a begin table row, its columns and an end table row.")
NO_LIST_NAME = N_("A %(type)s question needs a choice list: write %(type)s <list_name>.")
LIST_NAME_NOT_ALLOWED = N_("Only choice questions take a choice list; %(type)s does not.")
UNKNOWN_LIST = N_("There is no choice list %(list)s in the choices sheet.")
OUTSIDE_SECTION = N_(
    "This row is outside any section; put it between begin section and end section."
)
SECTION_NOT_CLOSED = N_("The section %(key)s has no end section row.")
TABLE_NOT_CLOSED = N_("The table %(key)s has no end table row.")
END_WITHOUT_BEGIN = N_("%(type)s without a matching begin row.")
END_KEY_MISMATCH = N_("This %(type)s row names %(key)s, but the open one is %(open)s.")
NESTED_TABLE = N_("A table cannot hold another table.")
COLUMN_NOT_USED = N_("The column %(column)s is not used on a %(type)s row; leave it empty.")
NOT_A_NUMBER = N_("%(value)s is not a number.")
NOT_YES_NO = N_("%(value)s is not yes or no.")
UNKNOWN_AGGREGATE = N_("Unknown aggregate %(value)s; the aggregates are: %(allowed)s.")
UNKNOWN_CARRY = N_(
    "Unknown carry-over %(value)s; write increment (本期新增), standing (存量) or "
    "nothing (每期重新填写), or leave it empty."
)
UNKNOWN_RESPONDENT = N_("Unknown respondent %(value)s; write organisation or person.")
SETTINGS_ONE_ROW = N_("Only the second row of the settings sheet is read; this row is extra.")
NO_LIST_NAME_IN_CHOICES = N_("The list_name is missing.")
NO_CHOICE_VALUE = N_("The value is missing.")
NO_CHOICE_LABEL = N_("The label is missing.")
DUPLICATE_CHOICE = N_("The value %(value)s appears more than once in the list %(list)s.")


@dataclass(frozen=True)
class ImportProblem:
    """One mistake in an uploaded workbook; `row` is the row number Excel shows."""

    sheet: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)
    row: int | None = None
    column: str = ""
    column_letter: str = ""

    @property
    def cell(self) -> str:
        """Where it is, as Excel names it (survey!C5), or the sheet alone if all of it is wrong."""
        if self.row is None:
            return self.sheet
        return f"{self.sheet}!{self.column_letter}{self.row}"

    def translated(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        text = self.message % self.params if self.params else self.message
        column = f" ({self.column})" if self.column else ""
        return f"{self.cell}{column}: {text}" if self.sheet else text


class ImportProblems(Exception):
    """Every mistake found in a workbook; the import created nothing."""

    def __init__(self, problems: Sequence[ImportProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
