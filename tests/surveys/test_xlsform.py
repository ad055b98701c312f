"""Report forms to and from .xlsx: the round trip, the cells written, and import mistakes."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest

from surveys import schema, xlsform
from surveys.examples import weekly_progress_form
from surveys.schema import (
    Aggregate,
    Choice,
    FormDefinition,
    Question,
    QuestionType,
    Respondent,
    Section,
)
from surveys.xlsform import ImportProblem, ImportProblems, form_from_xlsx, form_to_xlsx
from surveys.xlsform import read as xlsform_read

T = QuestionType
HEADER = list(xlsform.SURVEY_COLUMNS)
SETTINGS = [["title", "instructions", "respondent"], ["周报", "", "organisation"]]
CHOICES = [["list_name", "value", "label"], ["yn", "yes", "是"], ["yn", "no", "否"]]


def tricky_form() -> FormDefinition:
    """Text a spreadsheet would love to turn into formulas, links or numbers."""
    return FormDefinition(
        title="=1+1",
        instructions="第一行\n第二行  ",
        respondent=Respondent.PERSON,
        sections=(
            Section(
                key="main",
                title="http://x",
                questions=(
                    Question("formula", T.SHORT_TEXT, '=HYPERLINK("http://evil","点我")'),
                    Question("plus", T.LONG_TEXT, "+cmd|' /C calc'!A0", help="@SUM(A1)"),
                    Question("minus", T.DECIMAL, "-2", min=Decimal("-3.5"), max=Decimal("0.05")),
                    Question("digits", T.INTEGER, "007", unit="0123", aggregate=Aggregate.MAX),
                    Question(
                        "pick",
                        T.SINGLE_CHOICE,
                        " spaced label ",
                        choices=(Choice("1", "=2+2"), Choice("b", "http://y")),
                    ),
                ),
            ),
        ),
    )


def read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(data))


def xlsx(
    survey: list[list[object]],
    choices: list[list[object]] | None = None,
    settings: list[list[object]] | None = None,
    *,
    header: list[str] | None = None,
    leave_out: str = "",
) -> bytes:
    """A workbook as a person might type it; openpyxl turns "=..." into a formula."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    sheets = {
        "survey": [header or HEADER, *survey],
        "choices": CHOICES if choices is None else choices,
        "settings": SETTINGS if settings is None else settings,
    }
    for name, rows in sheets.items():
        if name != leave_out:
            sheet = workbook.create_sheet(name)
            for row in rows:
                sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def in_section(*rows: list[object]) -> list[list[object]]:
    return [["begin section", "main", "基本情况"], *rows, ["end section", "main"]]


def mistakes(data: bytes) -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(ImportProblems) as caught:
        form_from_xlsx(data)
    return [(p.sheet, p.row, p.column_letter, p.message) for p in caught.value.problems]


# -- round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("make", [weekly_progress_form, tricky_form])
def test_it_round_trips_without_loss(make: object) -> None:
    form = make()  # type: ignore[operator]
    imported = form_from_xlsx(form_to_xlsx(form))
    assert imported == form
    assert form_from_xlsx(form_to_xlsx(imported)) == form
    assert imported.to_dict() == form.to_dict()


def test_it_writes_the_three_sheets() -> None:
    book = read(form_to_xlsx(weekly_progress_form()))
    assert book.sheetnames == ["题目", "选项", "设置"]
    survey, choices, settings = (book[name] for name in book.sheetnames)
    assert [c.value for c in survey[1]] == HEADER
    assert [c.value for c in choices[1]] == ["list_name", "value", "label"]
    assert [c.value for c in settings[1]] == ["title", "instructions", "respondent"]
    assert [c.value for c in settings[2]][::2] == ["疫情防控工作进展周报", "organisation"]
    assert all(sheet.freeze_panes == "A2" for sheet in (survey, choices, settings))


def test_it_writes_sections_questions_and_tables_as_rows() -> None:
    survey = read(form_to_xlsx(weekly_progress_form()))["题目"]
    rows = [[cell.value for cell in row] for row in survey.iter_rows(min_row=2)]
    assert rows[0][:3] == ["begin section", "online_work", "线上工作"]
    assert rows[1] == [
        "integer",
        "online_meetings",
        "召开线上会议",
        "含视频会议、网络研讨会",
        "yes",
        "0",
        None,
        "次",
        "sum",
        "yes",
        "increment",
    ]
    assert rows[3][:2] == ["multiple_choice channels", "channels"]
    assert rows[3][10] == "standing"
    assert rows[4][:2] == ["end section", "online_work"]
    types = [row[0] for row in rows]
    begin = types.index("begin table")
    assert rows[begin][1:3] == ["experts", "储备专家名单"]
    assert [row[2] for row in rows[begin + 1 : begin + 5]] == ["姓名", "单位", "专业", "电话"]
    assert rows[begin + 5][:2] == ["end table", "experts"]
    assert "single_choice exemplary_cases.kind" in types


def test_it_lists_choices_by_list_name() -> None:
    choices = read(form_to_xlsx(weekly_progress_form()))["选项"]
    rows = [[cell.value for cell in row] for row in choices.iter_rows(min_row=2)]
    assert rows[0] == ["channels", "wechat", "微信公众号"]
    assert ["exemplary_cases.kind", "practice", "创新做法"] in rows
    assert len(rows) == 8


def test_it_writes_every_cell_as_text() -> None:
    data = form_to_xlsx(tricky_form())
    book = read(data)
    survey = book["题目"]
    assert survey["C3"].value == '=HYPERLINK("http://evil","点我")'
    assert book["设置"]["A2"].value == "=1+1"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.value is None or cell.data_type == "s", cell.coordinate
    with zipfile.ZipFile(BytesIO(data)) as archive:
        parts = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        xml = b"".join(archive.read(name) for name in parts)
        assert b"<f>" not in xml and b"<f " not in xml
        assert not any("hyperlink" in name.lower() for name in archive.namelist())


def test_it_makes_columns_wide_enough_for_chinese() -> None:
    survey = read(form_to_xlsx(weekly_progress_form()))["题目"]
    # "是否建立疫情防控值班制度" is 12 characters, 24 units wide.
    assert survey.column_dimensions["C"].width >= 24
    assert survey.column_dimensions["E"].width < 15


# -- import mistakes ------------------------------------------------------------------------


def test_it_imports_a_hand_written_sheet() -> None:
    header = ["Key", "type", "label", "min", "required"]
    survey = [
        ["main", "Begin_Section", "基本情况"],
        ["meetings", "integer", "会议", 0, True],
        [],
        ["answer", "single_choice yn", "是否", None, "no"],
        ["main", "END SECTION"],
    ]
    form = form_from_xlsx(xlsx(survey, header=header))
    meetings, answer = form.sections[0].questions
    assert meetings.min == Decimal(0) and meetings.required
    assert meetings.aggregate == Aggregate.SUM  # left blank: the type's default
    assert answer.choices == (Choice("yes", "是"), Choice("no", "否"))
    assert answer.aggregate == Aggregate.COUNT and not answer.required


def test_it_reads_the_carry_over_in_english_or_chinese_and_leaves_it_out_when_empty() -> None:
    header = ["type", "key", "label", "carry", "cumulative"]
    survey = in_section(
        ["integer", "meetings", "会议", "本期新增", "yes"],
        ["integer", "staff", "人数", "存量"],
        ["short_text", "note", "说明", "nothing"],
        ["integer", "visits", "走访", ""],
    )
    form = form_from_xlsx(xlsx(survey, header=header))
    carries = {q.key: q.carry for q in form.questions()}
    assert carries == {
        "meetings": schema.Carry.INCREMENT,
        "staff": schema.Carry.STANDING,
        "note": schema.Carry.NOTHING,
        "visits": None,
    }


def test_it_reads_a_workbook_made_before_the_carry_column() -> None:
    header = ["type", "key", "label", "cumulative"]
    form = form_from_xlsx(xlsx(in_section(["integer", "meetings", "会议", "yes"]), header=header))
    question = form.sections[0].questions[0]
    assert question.carry is None and question.carries == schema.Carry.INCREMENT


def test_it_points_at_a_carry_over_it_does_not_know_or_that_makes_no_sense() -> None:
    header = ["type", "key", "label", "carry"]
    survey = in_section(["integer", "a", "甲", "累计"], ["short_text", "b", "乙", "increment"])
    assert mistakes(xlsx(survey, header=header)) == [
        ("survey", 3, "D", xlsform.UNKNOWN_CARRY),
        ("survey", 4, "D", schema.CARRY_NOT_INCREMENT),
    ]


MISTAKES = [
    pytest.param([["number", "a", "甲"]], ("survey", 3, "A", xlsform.UNKNOWN_TYPE), id="type"),
    pytest.param([["", "a", "甲"]], ("survey", 3, "A", xlsform.MISSING_TYPE), id="no-type"),
    pytest.param([["integer", "", "甲"]], ("survey", 3, "B", schema.NO_KEY), id="no-key"),
    pytest.param([["integer", "A-1", "甲"]], ("survey", 3, "B", schema.BAD_KEY), id="bad-key"),
    pytest.param(
        [["integer", "a", "甲"], ["decimal", "a", "乙"]],
        ("survey", 4, "B", schema.DUPLICATE_KEY),
        id="duplicate-key",
    ),
    pytest.param([["integer", "a", ""]], ("survey", 3, "C", schema.NO_LABEL), id="no-label"),
    pytest.param(
        [["single_choice colours", "a", "甲"]],
        ("survey", 3, "A", xlsform.UNKNOWN_LIST),
        id="unknown-list",
    ),
    pytest.param(
        [["single_choice", "a", "甲"]], ("survey", 3, "A", xlsform.NO_LIST_NAME), id="no-list"
    ),
    pytest.param(
        [["integer yn", "a", "甲"]],
        ("survey", 3, "A", xlsform.LIST_NAME_NOT_ALLOWED),
        id="list-on-integer",
    ),
    pytest.param(
        [["integer", "a", "甲", "", "", "", "", "", "total"]],
        ("survey", 3, "I", xlsform.UNKNOWN_AGGREGATE),
        id="unknown-aggregate",
    ),
    pytest.param(
        [["short_text", "a", "甲", "", "", "", "", "", "sum"]],
        ("survey", 3, "I", schema.AGGREGATE_NOT_ALLOWED),
        id="aggregate-for-type",
    ),
    pytest.param(
        [["integer", "a", "甲", "", "", "ten"]],
        ("survey", 3, "F", xlsform.NOT_A_NUMBER),
        id="min-not-number",
    ),
    pytest.param(
        [["integer", "a", "甲", "", "", "", "NaN"]],
        ("survey", 3, "G", xlsform.NOT_A_NUMBER),
        id="max-nan",
    ),
    pytest.param(
        [["integer", "a", "甲", "", "", 9, 3]],
        ("survey", 3, "F", schema.MIN_ABOVE_MAX),
        id="min-above-max",
    ),
    pytest.param(
        [["integer", "a", "甲", "", "maybe"]],
        ("survey", 3, "E", xlsform.NOT_YES_NO),
        id="required-not-yes-no",
    ),
    pytest.param(
        [["short_text", "a", "甲", "", "", "", "", "", "", "yes"]],
        ("survey", 3, "J", schema.CUMULATIVE_NOT_NUMBER),
        id="cumulative-text",
    ),
    pytest.param(
        [["short_text", "a", "甲", "", "", "", "", "人"]],
        ("survey", 3, "H", schema.UNIT_NOT_ALLOWED),
        id="unit-on-text",
    ),
    pytest.param(
        [["integer", "a", "=1+1"]], ("survey", 3, "C", xlsform.FORMULA), id="formula-cell"
    ),
    pytest.param(
        [["table", "a", "甲"]], ("survey", 3, "A", xlsform.TABLE_NEEDS_BEGIN), id="plain-table"
    ),
    pytest.param(
        [["begin table", "t", "表"], ["end table", "t"]],
        ("survey", 3, "A", schema.NO_COLUMNS),
        id="table-without-columns",
    ),
    pytest.param(
        [["begin table", "t", "表"], ["file", "cv", "简历"], ["end table", "t"]],
        ("survey", 4, "A", schema.COLUMN_TYPE_NOT_ALLOWED),
        id="file-in-table",
    ),
    pytest.param(
        [["begin table", "t", "表"], ["begin table", "u", "表"], ["end table", "t"]],
        ("survey", 4, "A", xlsform.NESTED_TABLE),
        id="nested-table",
    ),
    pytest.param(
        [["begin table", "t", "表"], ["integer", "n", "数"]],
        ("survey", 3, "A", xlsform.TABLE_NOT_CLOSED),
        id="table-not-closed",
    ),
    pytest.param(
        [["integer", "a", "甲"], ["end table"]],
        ("survey", 4, "A", xlsform.END_WITHOUT_BEGIN),
        id="end-without-begin",
    ),
]


@pytest.mark.parametrize(("rows", "expected"), MISTAKES)
def test_it_reports_the_mistake_by_sheet_row_and_column(
    rows: list[list[object]], expected: tuple[str, int, str, str]
) -> None:
    assert mistakes(xlsx(in_section(*rows))) == [expected]


def test_it_reports_a_question_outside_any_section() -> None:
    survey = [["integer", "a", "甲"], *in_section(["integer", "b", "乙"])]
    assert mistakes(xlsx(survey)) == [("survey", 2, "A", xlsform.OUTSIDE_SECTION)]


def test_it_reports_a_section_that_is_never_closed() -> None:
    survey = [["begin section", "main", "基本"], ["integer", "a", "甲"]]
    assert mistakes(xlsx(survey)) == [("survey", 2, "A", xlsform.SECTION_NOT_CLOSED)]


def test_it_reports_a_mismatched_end() -> None:
    survey = [["begin section", "main", "基本"], ["integer", "a", "甲"], ["end section", "other"]]
    assert mistakes(xlsx(survey)) == [("survey", 4, "B", xlsform.END_KEY_MISMATCH)]


def test_it_reports_settings_and_choices_mistakes() -> None:
    settings = [["title", "respondent"], ["", "everyone"], ["extra"]]
    choices = [
        ["list_name", "value", "label"],
        ["yn", "yes", "是"],
        ["yn", "yes", "对"],
        ["", "no", "否"],
        ["yn", "", "否"],
        ["yn", "no", ""],
    ]
    survey = in_section(["single_choice yn", "a", "甲"])
    assert mistakes(xlsx(survey, choices, settings)) == [
        ("choices", 3, "B", xlsform.DUPLICATE_CHOICE),
        ("choices", 4, "A", xlsform.NO_LIST_NAME_IN_CHOICES),
        ("choices", 5, "B", xlsform.NO_CHOICE_VALUE),
        ("choices", 6, "C", xlsform.NO_CHOICE_LABEL),
        ("settings", 2, "A", schema.NO_TITLE),
        ("settings", 2, "B", xlsform.UNKNOWN_RESPONDENT),
        ("settings", 3, "A", xlsform.SETTINGS_ONE_ROW),
    ]


def test_it_reports_every_mistake_in_one_file() -> None:
    survey = in_section(
        ["integer", "meetings", "会议", "", "", "ten"],
        ["number", "reach", "人数"],
        ["integer", "meetings", "会议"],
        ["single_choice colours", "colour", "颜色"],
        ["integer", "", "无键", "", "", "", "", "", "total"],
    )
    found = mistakes(xlsx(survey))
    assert found == [
        ("survey", 3, "F", xlsform.NOT_A_NUMBER),
        ("survey", 4, "A", xlsform.UNKNOWN_TYPE),
        ("survey", 5, "B", schema.DUPLICATE_KEY),
        ("survey", 6, "A", xlsform.UNKNOWN_LIST),
        ("survey", 7, "B", schema.NO_KEY),
        ("survey", 7, "I", xlsform.UNKNOWN_AGGREGATE),
    ]


def test_it_describes_mistakes_with_their_cell() -> None:
    with pytest.raises(ImportProblems) as caught:
        form_from_xlsx(xlsx(in_section(["integer", "a", "甲", "", "", "ten"])))
    [problem] = caught.value.problems
    assert problem.cell == "survey!F3" and problem.column == "min"
    assert str(problem) == "survey!F3 (min): ten is not a number."
    assert str(caught.value) == str(problem)


@pytest.mark.parametrize(
    ("sheet", "title"), [("survey", "题目"), ("choices", "选项"), ("settings", "设置")]
)
def test_it_reports_a_missing_sheet_by_both_its_names(sheet: str, title: str) -> None:
    with pytest.raises(ImportProblems) as caught:
        form_from_xlsx(xlsx(in_section(["integer", "a", "甲"]), leave_out=sheet))
    missing = [p for p in caught.value.problems if p.message == xlsform.MISSING_SHEET]
    assert [(p.sheet, p.row, p.params) for p in missing] == [
        (title, None, {"sheet": f"{title} ({sheet})"})
    ]


@pytest.mark.parametrize(
    "names",
    [
        {"survey": "题目", "choices": "选项", "settings": "设置"},
        {"survey": " Survey", "choices": "选项", "settings": "Settings "},
    ],
    ids=["chinese", "mixed"],
)
def test_it_reads_the_sheets_by_their_chinese_or_english_names(names: dict[str, str]) -> None:
    book = openpyxl.load_workbook(BytesIO(xlsx(in_section(["integer", "a", "甲"]))))
    for english, title in names.items():
        book[english].title = title
    buffer = BytesIO()
    book.save(buffer)
    form = form_from_xlsx(buffer.getvalue())
    assert [q.key for q in form.questions()] == ["a"]
    assert form.title == "周报"


def test_problems_name_the_sheet_as_the_workbook_does() -> None:
    data = xlsx(in_section(["integer", "A-1", "甲"]))
    assert ("survey", 3, "B", schema.BAD_KEY) in mistakes(data)
    book = openpyxl.load_workbook(BytesIO(data))
    book["survey"].title = "题目"
    buffer = BytesIO()
    book.save(buffer)
    assert ("题目", 3, "B", schema.BAD_KEY) in mistakes(buffer.getvalue())


def test_it_reports_header_mistakes() -> None:
    header = ["type", "label", "colour", "label"]
    assert mistakes(xlsx(in_section(), header=header)) == [
        ("survey", 1, "", xlsform.MISSING_COLUMN),
        ("survey", 1, "C", xlsform.UNKNOWN_COLUMN),
        ("survey", 1, "D", xlsform.DUPLICATE_COLUMN),
    ]


def test_it_refuses_an_empty_survey_sheet() -> None:
    assert mistakes(xlsx([])) == [("survey", None, "", schema.NO_SECTIONS)]


def test_it_refuses_a_survey_sheet_without_a_header() -> None:
    found = mistakes(xlsx([], header=[""]))
    assert found == [("survey", 1, "", xlsform.MISSING_COLUMN)] * 3


def _zip_without_workbook() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param("姓名,单位\n".encode(), id="csv"),
        pytest.param(b"%PDF-1.7\n", id="pdf"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, id="old-xls"),
        pytest.param(_zip_without_workbook(), id="zip"),
        pytest.param(form_to_xlsx(weekly_progress_form())[:3000], id="truncated"),
    ],
)
def test_it_refuses_a_file_that_is_not_an_xlsx(data: bytes) -> None:
    with pytest.raises(ImportProblems) as caught:
        form_from_xlsx(data)
    assert caught.value.problems == [ImportProblem(sheet="", message=xlsform.NOT_XLSX)]
    assert "not an Excel workbook (.xlsx)" in str(caught.value)


def test_it_refuses_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsform_read, "MAX_ROWS", 3)
    rows = [["integer", f"q{n}", "题"] for n in range(5)]
    assert ("survey", None, "", xlsform.TOO_MANY_ROWS) in mistakes(xlsx(in_section(*rows)))
