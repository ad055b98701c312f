"""Checking what a secretary typed: numbers as people type them, every question type,
tables located by row and column, and the list of required questions left unanswered."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from surveys import answer_checks
from surveys.answer_checks import Problem, check_answer, missing_required, parse_number
from surveys.examples import weekly_progress_form
from surveys.schema import Choice, Question, QuestionType

T = QuestionType
FORM = weekly_progress_form()


def q(type: QuestionType, key: str = "answer", **fields: Any) -> Question:
    return Question(key=key, type=type, label=fields.pop("label", "回答"), **fields)


def weekly(key: str) -> Question:
    question = FORM.question(key)
    assert question is not None
    return question


def codes(question: Question, raw: object) -> list[str]:
    return [problem.code for problem in check_answer(question, raw).problems]


def value(question: Question, raw: object) -> Any:
    checked = check_answer(question, raw)
    assert checked.problems == [], [str(p) for p in checked.problems]
    return checked.value


# -- parse_number ---------------------------------------------------------------------------

ACCEPTED_NUMBERS = [
    ("12", 12),
    ("0", 0),
    ("-0", 0),
    ("+5", 5),
    ("-7", -7),
    ("  12  ", 12),
    ("\u300012\u3000", 12),  # full-width (ideographic) spaces around
    ("\t12\n", 12),
    ("１２３", 123),  # full-width digits
    ("－５", -5),  # full-width minus
    ("＋５", 5),  # full-width plus
    ("\u22125", -5),  # typographic minus sign
    ("1,234", 1234),
    ("1，234", 1234),  # full-width comma
    ("１，２３４", 1234),
    ("1,234,567", 1234567),
    ("1 234 567", 1234567),
    ("1\u00a0234", 1234),  # no-break space from a spreadsheet
    ("1\u3000234", 1234),
    ("007", 7),
    ("12.00", 12),  # a whole number pasted from a spreadsheet
    ("1000000000000", 10**12),
    ("-1000000000000", -(10**12)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_NUMBERS)
def test_it_accepts_integers_as_people_type_them(text: str, expected: int) -> None:
    parsed = parse_number(text, integer=True)
    assert parsed == expected and type(parsed) is int


ACCEPTED_DECIMALS = [
    ("12.50", "12.5"),
    ("12.5", "12.5"),
    ("0.1", "0.1"),
    ("-3.25", "-3.25"),
    ("－３．５", "-3.5"),  # full-width minus, digits and point
    ("１２．５０", "12.5"),
    ("1,234.56", "1234.56"),
    ("1，234．5", "1234.5"),
    ("1 234.5", "1234.5"),
    ("0.123456", "0.123456"),
    ("1.5000000", "1.5"),  # trailing zeros are not decimal places
    ("100", "100"),
    ("999999999.999999", "999999999.999999"),  # 15 significant digits
    ("1000000000000.000", "1000000000000"),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_DECIMALS)
def test_it_accepts_decimals_exactly(text: str, expected: str) -> None:
    parsed = parse_number(text, integer=False)
    assert isinstance(parsed, Decimal) and parsed == Decimal(expected)


@pytest.mark.parametrize("text", ["", " ", "\u3000", "\u3000 \t\n"])
@pytest.mark.parametrize("integer", [True, False])
def test_it_treats_only_spaces_as_no_answer(text: str, integer: bool) -> None:
    assert parse_number(text, integer=integer) is None


REFUSED_NUMBERS = [
    ("abc", "not_a_number"),
    ("12a", "not_a_number"),
    ("a12", "not_a_number"),
    ("十二", "not_a_number"),
    ("12次", "not_a_number"),
    ("1.2.3", "not_a_number"),
    ("1..2", "not_a_number"),
    (".", "not_a_number"),
    ("-", "not_a_number"),
    ("+", "not_a_number"),
    ("--5", "not_a_number"),
    ("+-5", "not_a_number"),
    ("- 5", "not_a_number"),
    ("12.", "not_a_number"),
    ("0x1F", "not_a_number"),
    ("NaN", "not_a_number"),
    ("nan", "not_a_number"),
    ("inf", "not_a_number"),
    ("-Infinity", "not_a_number"),
    ("1/2", "not_a_number"),
    ("5%", "not_a_number"),
    ("١٢", "not_a_number"),  # Arabic-Indic digits are not what the page asks for
    ("1e400", "exponent"),
    ("1e5", "exponent"),
    ("1E5", "exponent"),
    ("2.5e-3", "exponent"),
    ("-1e+10", "exponent"),
    ("12,34", "misplaced_separator"),
    ("1,2345", "misplaced_separator"),
    ("1234,567", "misplaced_separator"),
    (",123", "not_a_number"),
    ("123,", "misplaced_separator"),
    ("1,,234", "misplaced_separator"),
    ("1,234 567", "misplaced_separator"),  # two different separators
    ("12 34", "misplaced_separator"),
    ("1000000000001", "too_large"),
    ("-1000000000001", "too_large"),
    ("99999999999999999999", "too_large"),
    ("1" + "0" * 400, "too_large"),
]


@pytest.mark.parametrize(("text", "code"), REFUSED_NUMBERS)
@pytest.mark.parametrize("integer", [True, False])
def test_it_refuses_what_is_not_a_number(text: str, code: str, integer: bool) -> None:
    problem = parse_number(text, integer=integer)
    assert isinstance(problem, Problem) and problem.code == code
    assert problem.translated()


@pytest.mark.parametrize("text", ["12.5", "0.1", "1,234.5", "－３．５", "1.0000001"])
def test_it_asks_for_a_whole_number_for_integer_questions(text: str) -> None:
    problem = parse_number(text, integer=True)
    assert isinstance(problem, Problem) and problem.code == "not_whole"
    assert "whole number" in problem.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1.1234567", "too_many_decimals"),
        ("0.0000001", "too_many_decimals"),
        ("123456789012.123456", "too_many_digits"),
        ("1234567890.123456", "too_many_digits"),
    ],
)
def test_it_refuses_more_precision_than_a_report_needs(text: str, code: str) -> None:
    problem = parse_number(text, integer=False)
    assert isinstance(problem, Problem) and problem.code == code


# -- numbers against the question ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3), (" ３ ", 3), ("1,234", 1234), (0, 0), (12, 12), ("", None), (None, None)],
)
def test_it_stores_integers_as_ints(raw: object, expected: int | None) -> None:
    assert value(weekly("online_meetings"), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.50", "12.5"), ("0", "0"), ("10000", "10000"), (2.5, "2.5"), (Decimal("0.10"), "0.1")],
)
def test_it_stores_decimals_as_exact_strings(raw: object, expected: str) -> None:
    assert value(weekly("funds"), raw) == expected


@pytest.mark.parametrize(
    ("key", "raw", "code"),
    [
        ("online_meetings", "-1", "below_min"),
        ("online_meetings", "2.5", "not_whole"),
        ("online_meetings", "many", "not_a_number"),
        ("online_meetings", True, "invalid"),
        ("online_meetings", ["1"], "invalid"),
        ("online_meetings", float("nan"), "not_a_number"),
        ("online_meetings", float("inf"), "not_a_number"),
        ("online_meetings", 1e20, "exponent"),
        ("funds", "10000.01", "above_max"),
        ("funds", "-0.5", "below_min"),
        ("funds", "1e3", "exponent"),
        ("funds", "12,5", "misplaced_separator"),
    ],
)
def test_it_refuses_numbers_outside_the_question(key: str, raw: object, code: str) -> None:
    checked = check_answer(weekly(key), raw)
    assert checked.value is None and [p.code for p in checked.problems] == [code]
    assert checked.problems[0].question == key


def test_it_names_the_limit_in_the_problem() -> None:
    [problem] = check_answer(weekly("funds"), "20000").problems
    assert problem.params == {"max": "10000"}
    assert str(problem) == "funds: The value must be at most 10000."


def test_it_accepts_the_limits_themselves() -> None:
    question = q(T.DECIMAL, min=Decimal("-1.5"), max=Decimal("2.25"))
    assert value(question, "-1.5") == "-1.5" and value(question, "2.250") == "2.25"


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  张三  ", "张三"),
        ("\u3000张三\u3000", "张三"),
        ("张\n三", "张 三"),  # a pasted line break in a one-line field
        ("张三\r\n", "张三"),
        ("a\x00b", "ab"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_it_cleans_short_text(raw: object, expected: str | None) -> None:
    assert value(q(T.SHORT_TEXT), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("第一条\r\n第二条", "第一条\n第二条"),
        ("第一条\r第二条", "第一条\n第二条"),
        ("\n\n第一条\n\n第二条\n\n", "第一条\n\n第二条"),
        ("\t缩进", "缩进"),
        ("a\tb", "a\tb"),
    ],
)
def test_it_keeps_line_breaks_in_long_text(raw: str, expected: str) -> None:
    assert value(weekly("difficulties"), raw) == expected


@pytest.mark.parametrize(
    ("question", "raw", "code"),
    [
        (q(T.SHORT_TEXT, max=Decimal(5)), "一二三四五六", "too_long"),
        (q(T.SHORT_TEXT, min=Decimal(2)), "一", "too_short"),
        (q(T.SHORT_TEXT), "x" * 501, "too_long"),
        (q(T.LONG_TEXT), "x" * 20_001, "too_long"),
        (q(T.LONG_TEXT, max=Decimal(3)), "ab\r\ncd", "too_long"),
        (q(T.SHORT_TEXT), 12, "invalid"),
        (q(T.SHORT_TEXT), ["a"], "invalid"),
    ],
)
def test_it_refuses_text_of_the_wrong_length_or_shape(
    question: Question, raw: object, code: str
) -> None:
    assert codes(question, raw) == [code]


def test_it_counts_characters_after_cleaning() -> None:
    question = q(T.SHORT_TEXT, max=Decimal(2))
    assert value(question, "  张三  ") == "张三"
    assert value(q(T.LONG_TEXT, max=Decimal(3)), "a\r\nb") == "a\nb"


# -- choices ---------------------------------------------------------------------------------

COLOUR = q(T.SINGLE_CHOICE, "colour", choices=(Choice("red", "红"), Choice("blue", "蓝")))


@pytest.mark.parametrize(
    ("raw", "expected"), [("red", "red"), (" blue ", "blue"), ("", None), (None, None)]
)
def test_it_accepts_one_of_the_choices(raw: object, expected: str | None) -> None:
    assert value(COLOUR, raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("green", "not_a_choice"), ("RED", "not_a_choice"), ("红", "not_a_choice"), (1, "invalid")],
)
def test_it_refuses_anything_but_a_choice(raw: object, code: str) -> None:
    assert codes(COLOUR, raw) == [code]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["wechat"], ["wechat"]),
        ("weibo", ["weibo"]),  # one ticked box arrives as a single value
        (["website", "wechat"], ["wechat", "website"]),  # stored in the form's order
        ([" video ", ""], ["video"]),
        ([], None),
        ([""], None),
        (None, None),
    ],
)
def test_it_accepts_several_choices(raw: object, expected: list[str] | None) -> None:
    assert value(weekly("channels"), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["wechat", "fax"], ["not_a_choice"]),
        (["wechat", "wechat"], ["duplicate_choice"]),
        (["fax", "wechat", "wechat"], ["not_a_choice", "duplicate_choice"]),
        ({"wechat": True}, ["invalid"]),
        (["wechat", 3], ["invalid"]),
    ],
)
def test_it_refuses_bad_multiple_choices(raw: object, expected: list[str]) -> None:
    assert codes(weekly("channels"), raw) == expected


def test_it_counts_choices_against_min_and_max() -> None:
    question = q(
        T.MULTIPLE_CHOICE,
        choices=(Choice("a", "A"), Choice("b", "B"), Choice("c", "C")),
        min=Decimal(2),
        max=Decimal(2),
    )
    assert codes(question, ["a"]) == ["too_few_choices"]
    assert codes(question, ["a", "b", "c"]) == ["too_many_choices"]
    assert value(question, ["b", "a"]) == ["a", "b"]


# -- yes / no --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", "yes"),
        ("YES", "yes"),
        (" y ", "yes"),
        ("是", "yes"),
        ("true", "yes"),
        ("1", "yes"),
        ("１", "yes"),
        (True, "yes"),
        ("no", "no"),
        ("否", "no"),
        ("False", "no"),
        ("0", "no"),
        (False, "no"),
        ("", None),
        (None, None),
    ],
)
def test_it_accepts_yes_and_no(raw: object, expected: str | None) -> None:
    assert value(weekly("duty_roster"), raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [("maybe", "not_yes_no"), ("2", "not_yes_no"), ("是的吧", "not_yes_no"), (1, "invalid")],
)
def test_it_refuses_anything_but_yes_or_no(raw: object, code: str) -> None:
    assert codes(weekly("duty_roster"), raw) == [code]


# -- dates -----------------------------------------------------------------------------------

DATE = q(T.DATE)


@pytest.mark.parametrize(
    "raw",
    [
        "2020-02-03",
        "2020-2-3",
        " 2020-02-03 ",
        "2020/2/3",
        "2020/02/03",
        "2020.2.3",
        "2020年2月3日",
        "2020年02月03日",
        "2020 年 2 月 3 日",
        "2020年2月3",
        "２０２０年２月３日",
        "２０２０－０２－０３",
        "２０２０／２／３",
        "\u30002020-02-03\u3000",
    ],
)
def test_it_accepts_dates_as_people_write_them(raw: str) -> None:
    assert value(DATE, raw) == "2020-02-03"


def test_it_accepts_a_date_object_and_no_date() -> None:
    import datetime

    assert value(DATE, datetime.date(2020, 2, 29)) == "2020-02-29"
    assert value(DATE, "") is None and value(DATE, None) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2020-02-30", "impossible_date"),
        ("2019-02-29", "impossible_date"),
        ("2020-13-01", "impossible_date"),
        ("2020-00-10", "impossible_date"),
        ("2020年4月31日", "impossible_date"),
        ("0202-02-03", "date_out_of_range"),
        ("2202-02-03", "date_out_of_range"),
        ("20-2-3", "invalid_date"),
        ("2020-02", "invalid_date"),
        ("2020-02/03", "invalid_date"),
        ("03/02/2020", "invalid_date"),
        ("2020-02-03T10:00", "invalid_date"),
        ("yesterday", "invalid_date"),
        ("2020年2月", "invalid_date"),
        (20200203, "invalid"),
    ],
)
def test_it_refuses_what_is_not_a_real_date(raw: object, code: str) -> None:
    assert codes(DATE, raw) == [code]


# -- files -----------------------------------------------------------------------------------

FILE = q(T.FILE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3f9a0c1e", "3f9a0c1e"), (" 42 ", "42"), (42, "42"), ("", None), (None, None)],
)
def test_it_accepts_an_attachment_id(raw: object, expected: str | None) -> None:
    assert value(FILE, raw) == expected


@pytest.mark.parametrize(
    "raw", ["../etc/passwd", "a b", "<script>", "x" * 65, 0, -1, True, {"id": "1"}, ["1"]]
)
def test_it_refuses_anything_that_is_not_an_attachment_id(raw: object) -> None:
    assert codes(FILE, raw) == ["invalid_file"]


# -- tables ----------------------------------------------------------------------------------

EXPERTS = weekly("experts")
CASES = weekly("exemplary_cases")


def test_it_checks_every_cell_of_a_table() -> None:
    rows = [
        {"name": " 王教授 ", "employer": "辽宁大学", "speciality": "病毒学", "phone": ""},
        {"name": "李医生", "employer": "省人民医院"},
    ]
    assert value(EXPERTS, rows) == [
        {"name": "王教授", "employer": "辽宁大学", "speciality": "病毒学", "phone": None},
        {"name": "李医生", "employer": "省人民医院", "speciality": None, "phone": None},
    ]


def test_it_drops_empty_rows() -> None:
    rows = [
        {"name": "", "employer": "  ", "speciality": "", "phone": ""},
        {"name": "王教授", "employer": "辽宁大学"},
        {},
    ]
    assert value(EXPERTS, rows) == [
        {"name": "王教授", "employer": "辽宁大学", "speciality": None, "phone": None}
    ]


@pytest.mark.parametrize("raw", [[], [{}], [{"name": " "}], None])
def test_it_treats_a_table_without_rows_as_no_answer(raw: object) -> None:
    assert value(EXPERTS, raw) is None


def test_it_locates_table_problems_by_row_and_column() -> None:
    rows = [
        {"title": "线上义诊", "kind": "deed", "reported_on": "2020年2月3日"},
        {},  # a blank line still counts when numbering what the secretary sees
        {"title": "", "kind": "hero", "reported_on": "2020-02-30", "summary": "x" * 501},
    ]
    checked = check_answer(CASES, rows)
    assert checked.value is None
    assert [(p.question, p.row, p.column, p.code) for p in checked.problems] == [
        ("exemplary_cases", 3, "kind", "not_a_choice"),
        ("exemplary_cases", 3, "reported_on", "impossible_date"),
        ("exemplary_cases", 3, "summary", "too_long"),
    ]
    assert checked.problems[0].location == "exemplary_cases[3].kind"


def test_it_stores_cells_in_their_checked_form() -> None:
    rows = [{"title": "线上义诊", "kind": "deed", "reported_on": "２０２０/2/3"}]
    assert value(CASES, rows) == [
        {"title": "线上义诊", "kind": "deed", "reported_on": "2020-02-03", "summary": None}
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"name": "王", "employer": "大学", "mobile": "1"}], [(1, "mobile", "unknown_column")]),
        (["王教授"], [(1, "", "invalid_row")]),
        ([{"name": "王", "employer": "大学"}, None], [(2, "", "invalid_row")]),
        ([{"name": "王", "employer": "大学", "phone": "1" * 21}], [(1, "phone", "too_long")]),
    ],
)
def test_it_refuses_bad_rows(rows: list[Any], expected: list[tuple[int, str, str]]) -> None:
    found = check_answer(EXPERTS, rows).problems
    assert [(p.row, p.column, p.code) for p in found] == expected


@pytest.mark.parametrize(
    ("rows", "stored"),
    [
        ([{"name": "王教授"}], [{"name": "王教授", "employer": None, "speciality": None}]),
        ([{"phone": "123"}, {}], [{"name": None, "employer": None, "phone": "123"}]),
    ],
)
def test_it_keeps_a_half_filled_row_as_a_draft(
    rows: list[Any], stored: list[dict[str, Any]]
) -> None:
    # Completeness is for submission: the row is stored with its empty cells.
    checked = check_answer(EXPERTS, rows)
    assert checked.ok
    assert [{k: v for k, v in row.items() if k in stored[0]} for row in checked.value] == stored


def test_submission_names_the_row_and_column_of_every_empty_required_cell() -> None:
    rows = [
        {"name": "王教授", "employer": "东北大学"},
        {"name": "赵思源"},
        {"phone": "123"},
    ]
    table = check_answer(EXPERTS, rows).value
    found = [p for p in missing_required(FORM, {"experts": table}) if p.question == "experts"]
    assert [(p.question, p.row, p.column, p.code) for p in found] == [
        ("experts", 2, "employer", "required"),
        ("experts", 3, "name", "required"),
        ("experts", 3, "employer", "required"),
    ]


@pytest.mark.parametrize("raw", ["王教授", {"name": "王教授"}, 3])
def test_it_refuses_a_table_that_is_not_a_list_of_rows(raw: object) -> None:
    assert codes(EXPERTS, raw) == ["invalid"]


def test_it_counts_rows_against_min_and_max() -> None:
    table = q(T.TABLE, "people", columns=(q(T.SHORT_TEXT, "name"),), min=Decimal(2), max=Decimal(3))
    assert codes(table, [{"name": "a"}]) == ["too_few_rows"]
    assert codes(table, [{"name": n} for n in "abcd"]) == ["too_many_rows"]
    assert len(value(table, [{"name": "a"}, {}, {"name": "b"}, {}, {}, {}])) == 2
    # min applies to a table that has rows; an empty table is "no answer" for required.
    assert value(table, []) is None


def test_it_caps_tables_without_a_max() -> None:
    table = q(T.TABLE, "people", columns=(q(T.INTEGER, "n"),))
    assert codes(table, [{"n": "1"}] * (answer_checks.DEFAULT_MAX_ROWS + 1)) == ["too_many_rows"]


def test_it_checks_numbers_in_table_cells() -> None:
    table = q(T.TABLE, "meetings", columns=(q(T.DATE, "held_on"), q(T.INTEGER, "people")))
    rows = [{"held_on": "2020/2/3", "people": "１,２００"}, {"held_on": "", "people": "3.5"}]
    found = check_answer(table, rows).problems
    assert [(p.row, p.column, p.code) for p in found] == [(2, "people", "not_whole")]
    assert value(table, rows[:1]) == [{"held_on": "2020-02-03", "people": 1200}]


# -- every type ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [q.key for q in FORM.questions()])
def test_it_stores_json_for_every_question_of_the_weekly_form(key: str) -> None:
    typed: dict[str, object] = {
        "online_meetings": "３",
        "members_reached": "1,200",
        "channels": ["wechat", "video"],
        "science_items": "12",
        "science_reach": "35 000",
        "funds": "2.50",
        "experts": [{"name": "王教授", "employer": "辽宁大学"}],
        "advice_submitted": "0",
        "exemplary_cases": [{"title": "线上义诊", "reported_on": "2020年2月3日"}],
        "duty_roster": "是",
        "difficulties": "口罩短缺\r\n人手不足",
    }
    stored = value(weekly(key), typed[key])
    assert stored is not None and json.loads(json.dumps(stored)) == stored


@pytest.mark.parametrize("type", list(QuestionType))
@pytest.mark.parametrize("raw", [object(), {"a": 1}, b"12", 3.5j])
def test_it_never_raises_for_odd_values(type: QuestionType, raw: object) -> None:
    question = q(type, choices=(Choice("a", "A"),), columns=(q(T.SHORT_TEXT, "name"),))
    checked = check_answer(question, raw)
    assert checked.value is None and checked.problems and not checked.ok
    assert all(p.question == "answer" and p.translated() for p in checked.problems)


# -- required --------------------------------------------------------------------------------


def test_it_lists_every_missing_required_question_in_form_order() -> None:
    found = missing_required(FORM, {"members_reached": 10, "science_reach": 0})
    assert [p.question for p in found] == [
        "online_meetings",
        "science_items",
        "advice_submitted",
        "duty_roster",
    ]
    assert {p.code for p in found} == {"required"}
    assert all(p.row is None and p.column == "" for p in found)


@pytest.mark.parametrize("empty", [None, "", [], {}])
def test_it_counts_empty_values_as_missing(empty: object) -> None:
    found = missing_required(FORM, dict.fromkeys(_required_keys(), empty))
    assert [p.question for p in found] == _required_keys()


def test_it_counts_zero_and_no_as_answers() -> None:
    answered: dict[str, Any] = dict.fromkeys(_required_keys(), 0)
    answered["duty_roster"] = "no"
    assert missing_required(FORM, answered) == []


def test_it_ignores_optional_questions_and_unknown_answers() -> None:
    answered: dict[str, Any] = dict.fromkeys(_required_keys(), 1)
    assert missing_required(FORM, answered | {"stranger": None, "funds": None}) == []


def _required_keys() -> list[str]:
    return [question.key for question in FORM.questions() if question.required]
