"""The form built from the rows of an imported workbook, every mistake listed by sheet,
row and column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from surveys import schema
from surveys.schema import (
    CHOICE_TYPES,
    Aggregate,
    Carry,
    Choice,
    FormDefinition,
    Problem,
    Question,
    QuestionType,
    Section,
    default_aggregate,
)
from surveys.xlsform.read import (
    Problems,
    Row,
    Sheet,
    read_choices,
    read_settings,
    read_workbook,
    sheet_names,
)
from surveys.xlsform.sheets import (
    BEGIN_SECTION,
    BEGIN_TABLE,
    CARRY_WORDS,
    CHOICES,
    COLUMN_NOT_USED,
    END_KEY_MISMATCH,
    END_SECTION,
    END_TABLE,
    END_WITHOUT_BEGIN,
    FALSE_WORDS,
    LIST_NAME_NOT_ALLOWED,
    MISSING_TYPE,
    NESTED_TABLE,
    NO_LIST_NAME,
    NOT_A_NUMBER,
    NOT_YES_NO,
    OUTSIDE_SECTION,
    SECTION_NOT_CLOSED,
    SETTINGS,
    SETTINGS_COLUMNS,
    SHEETS,
    SURVEY,
    SURVEY_COLUMNS,
    TABLE_NEEDS_BEGIN,
    TABLE_NOT_CLOSED,
    TRUE_WORDS,
    UNKNOWN_AGGREGATE,
    UNKNOWN_CARRY,
    UNKNOWN_LIST,
    UNKNOWN_TYPE,
    ImportProblems,
)


def form_from_xlsx(data: bytes) -> FormDefinition:
    """The form in an uploaded workbook. Raises ImportProblems listing every mistake."""
    problems = Problems()
    sheets = read_workbook(data, problems)
    form = _build_form(sheets, problems) if sheets is not None else None
    if problems.found or form is None:
        order = {name: index for index, kind in enumerate(SHEETS) for name in sheet_names(kind)}
        raise ImportProblems(
            sorted(
                problems.found,
                key=lambda p: (
                    order.get(p.sheet, -1),
                    p.row or 0,
                    len(p.column_letter),
                    p.column_letter,
                ),
            )
        )
    return form


# -- building the form ----------------------------------------------------------------------


@dataclass
class _SectionDraft:
    row: Row
    key: str
    title: str
    questions: list[Question] = field(default_factory=list)


@dataclass
class _TableDraft:
    row: Row
    question: Question
    columns: list[Question] = field(default_factory=list)


@dataclass
class _Builder:
    """Walks the survey rows, keeping where each section, question and column came from."""

    problems: Problems
    lists: dict[str, list[Choice]]
    sections: list[Section] = field(default_factory=list)
    rows: dict[tuple[int, ...], Row] = field(default_factory=dict)
    section: _SectionDraft | None = None
    table: _TableDraft | None = None
    # Sections and tables that lost a row to a mistake already reported; that they look
    # empty is a consequence, not a second mistake.
    lost_rows: set[tuple[int, ...]] = field(default_factory=set)

    def lose(self, row: Row, message: str, **params: object) -> None:
        self.problems.at(row, "type", message, **params)
        path: tuple[int, ...] = ()
        if self.section is not None:
            path = (len(self.sections),)
            if self.table is not None:
                path = (*path, len(self.section.questions))
        self.lost_rows.add(path)

    def take(self, row: Row) -> None:
        type = _structure_word(row)
        if type == BEGIN_SECTION:
            self.begin_section(row)
        elif type == END_SECTION:
            self.end_section(row)
        elif type == BEGIN_TABLE:
            self.begin_table(row)
        elif type == END_TABLE:
            self.end_table(row)
        else:
            self.question(row)

    def begin_section(self, row: Row) -> None:
        self.report_unclosed(table=True, section=True)
        self.close()
        for column in SURVEY_COLUMNS[3:]:
            if row.text(column).strip():
                self.problems.at(row, column, COLUMN_NOT_USED, column=column, type=BEGIN_SECTION)
        self.rows[(len(self.sections),)] = row
        self.section = _SectionDraft(row=row, key=row.text("key").strip(), title=row.text("label"))

    def end_section(self, row: Row) -> None:
        if self.section is None:
            self.problems.at(row, "type", END_WITHOUT_BEGIN, type=END_SECTION)
            return
        self.check_end_key(row, END_SECTION, self.section.key)
        self.report_unclosed(table=True, section=False)
        self.close()

    def begin_table(self, row: Row) -> None:
        if self.table is not None:
            self.lose(row, NESTED_TABLE)
        elif self.section is None:
            self.lose(row, OUTSIDE_SECTION)
        else:
            question = self.parse_question(row, QuestionType.TABLE)
            self.rows[(len(self.sections), len(self.section.questions))] = row
            self.table = _TableDraft(row=row, question=question)

    def end_table(self, row: Row) -> None:
        if self.table is None:
            self.problems.at(row, "type", END_WITHOUT_BEGIN, type=END_TABLE)
            return
        self.check_end_key(row, END_TABLE, self.table.question.key)
        self.close_table()

    def question(self, row: Row) -> None:
        type = self.parse_type(row)
        if self.section is None:
            self.lose(row, OUTSIDE_SECTION)
        elif type is not None:
            question = self.parse_question(row, *type)
            path: tuple[int, ...] = (len(self.sections), len(self.section.questions))
            if self.table is not None:
                path = (*path, len(self.table.columns))
                self.table.columns.append(question)
            else:
                self.section.questions.append(question)
            self.rows[path] = row

    def finish(self) -> list[Section]:
        self.report_unclosed(table=True, section=True)
        self.close()
        return self.sections

    def report_unclosed(self, *, table: bool, section: bool) -> None:
        if table and self.table is not None:
            self.problems.at(self.table.row, "type", TABLE_NOT_CLOSED, key=self.table.question.key)
        if section and self.section is not None:
            self.problems.at(self.section.row, "type", SECTION_NOT_CLOSED, key=self.section.key)

    def close(self) -> None:
        """Ends the open table and section, keeping what they hold."""
        self.close_table()
        if self.section is not None:
            draft = self.section
            self.sections.append(Section(draft.key, draft.title, tuple(draft.questions)))
            self.section = None

    def close_table(self) -> None:
        if self.table is not None and self.section is not None:
            table = replace(self.table.question, columns=tuple(self.table.columns))
            self.section.questions.append(table)
        self.table = None

    def check_end_key(self, row: Row, type: str, open_key: str) -> None:
        key = row.text("key").strip()
        if key and key != open_key:
            self.problems.at(row, "key", END_KEY_MISMATCH, type=type, key=key, open=open_key)

    def parse_type(self, row: Row) -> tuple[QuestionType, list[Choice]] | None:
        words = row.text("type").split()
        if not words:
            self.lose(row, MISSING_TYPE)
            return None
        allowed = ", ".join(t.value for t in QuestionType if t != QuestionType.TABLE)
        try:
            type = QuestionType(words[0].lower())
        except ValueError:
            self.lose(row, UNKNOWN_TYPE, type=words[0], allowed=allowed)
            return None
        if type == QuestionType.TABLE:
            self.lose(row, TABLE_NEEDS_BEGIN)
            return None
        list_name = " ".join(words[1:])
        if type not in CHOICE_TYPES:
            if list_name:
                self.problems.at(row, "type", LIST_NAME_NOT_ALLOWED, type=type.value)
            return type, []
        if not list_name:
            self.lose(row, NO_LIST_NAME, type=type.value)
            return None
        if list_name not in self.lists:
            self.lose(row, UNKNOWN_LIST, list=list_name)
            return None
        return type, self.lists[list_name]

    def parse_question(
        self, row: Row, type: QuestionType, choices: Sequence[Choice] = ()
    ) -> Question:
        return Question(
            key=row.text("key").strip(),
            type=type,
            label=row.text("label"),
            help=row.text("hint"),
            required=self.parse_yes_no(row, "required"),
            min=self.parse_number(row, "min"),
            max=self.parse_number(row, "max"),
            unit=row.text("unit").strip(),
            aggregate=self.parse_aggregate(row, type),
            cumulative=self.parse_yes_no(row, "cumulative"),
            choices=tuple(choices),
            carry=self.parse_carry(row),
        )

    def parse_yes_no(self, row: Row, column: str) -> bool:
        text = row.text(column).strip()
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() not in FALSE_WORDS:
            self.problems.at(row, column, NOT_YES_NO, value=text)
        return False

    def parse_number(self, row: Row, column: str) -> Decimal | None:
        text = row.text(column).strip()
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.problems.at(row, column, NOT_A_NUMBER, value=text)
            return None
        return value

    def parse_carry(self, row: Row) -> Carry | None:
        text = row.text("carry").strip()
        if not text:
            return None
        found = CARRY_WORDS.get(text) or next((c for c in Carry if c.value == text.lower()), None)
        if found is None:
            self.problems.at(row, "carry", UNKNOWN_CARRY, value=text)
        return found

    def parse_aggregate(self, row: Row, type: QuestionType) -> Aggregate:
        text = row.text("aggregate").strip()
        if not text:
            return default_aggregate(type)
        try:
            return Aggregate(text.lower())
        except ValueError:
            allowed = ", ".join(a.value for a in Aggregate)
            self.problems.at(row, "aggregate", UNKNOWN_AGGREGATE, value=text, allowed=allowed)
            return default_aggregate(type)


def _structure_word(row: Row) -> str:
    """ "begin section", also when typed as "Begin_Section"; other types are left alone."""
    return " ".join(row.text("type").replace("_", " ").split()).lower()


def _build_form(sheets: Mapping[str, Sheet | None], problems: Problems) -> FormDefinition | None:
    settings, choices, survey = sheets[SETTINGS], sheets[CHOICES], sheets[SURVEY]
    title, instructions, respondent, settings_row = read_settings(settings, problems)
    lists = read_choices(choices, problems) if choices is not None else None
    if survey is None or lists is None:
        return None
    builder = _Builder(problems=problems, lists=lists)
    for row in survey.rows:
        builder.take(row)
    form = FormDefinition(
        title=title,
        instructions=instructions,
        respondent=respondent,
        sections=tuple(builder.finish()),
    )
    for problem in form.validate():
        if not _follows_from_lost_rows(problem, builder.lost_rows):
            _report(problem, survey, settings_row, builder.rows, problems)
    return form


def _follows_from_lost_rows(problem: Problem, lost_rows: set[tuple[int, ...]]) -> bool:
    if problem.message == schema.NO_SECTIONS:
        return bool(lost_rows)
    return (
        problem.message in (schema.EMPTY_SECTION, schema.NO_COLUMNS) and problem.path in lost_rows
    )


# Which survey column holds each attribute that validate() can find fault with.
_SURVEY_COLUMN_OF = {
    "key": "key",
    "title": "label",
    "label": "label",
    "help": "hint",
    "required": "required",
    "min": "min",
    "max": "max",
    "unit": "unit",
    "aggregate": "aggregate",
    "cumulative": "cumulative",
    "carry": "carry",
}


def _report(
    problem: Problem,
    survey: Sheet,
    settings_row: Row | None,
    rows: Mapping[tuple[int, ...], Row],
    problems: Problems,
) -> None:
    params = dict(problem.params)
    if not problem.path and problem.field in SETTINGS_COLUMNS:
        if settings_row is not None:  # else the missing sheet is reported already
            problems.at(settings_row, problem.field, problem.message, **params)
    elif problem.path in rows:
        column = _SURVEY_COLUMN_OF.get(problem.field, "type")
        problems.at(rows[problem.path], column, problem.message, **params)
    else:
        problems.sheet(survey.name, problem.message, **params)
