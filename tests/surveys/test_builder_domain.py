"""surveys.building without HTTP: each edit returns a checked new form or changes nothing."""

from __future__ import annotations

import pytest

from surveys import building, schema
from surveys.building import EditRefused, NoSuchPart
from surveys.examples import weekly_progress_form
from surveys.schema import Choice, FormDefinition, Question, QuestionType, Section
from tests.surveys.test_builder import small_form

T = QuestionType


def test_a_new_form_may_be_empty_but_not_untitled() -> None:
    empty = building.new_form(title="周报", instructions="", respondent="organisation")
    assert [p.message for p in building.incomplete(empty)] == [schema.NO_SECTIONS]
    with pytest.raises(EditRefused) as refused:
        building.new_form(title=" ", instructions="", respondent="organisation")
    assert [p.field for p in refused.value.problems] == ["title"]


def test_an_empty_section_and_an_empty_table_are_unfinished_not_wrong() -> None:
    form = building.add_section(small_form(), key="more", title="更多")
    table = Question("list", T.TABLE, "名单", aggregate=schema.Aggregate.LIST)
    form = building.add_question(form, "more", table)
    assert [p.message for p in building.incomplete(form)] == [schema.NO_COLUMNS]
    emptied = building.remove_question(form, "list")
    assert [p.message for p in building.incomplete(emptied)] == [schema.EMPTY_SECTION]
    # Unfinished is all that is wrong with them.
    assert form.validate() == building.incomplete(form)


def test_edits_leave_the_form_they_were_given_alone() -> None:
    form = small_form()
    building.remove_section(form, "work")
    building.move_question(form, "notes", -1)
    assert form == small_form()


def test_a_question_moves_past_the_end_of_its_section_into_the_next() -> None:
    form = building.move_question(small_form(), "experts", -1)
    assert [q.key for q in form.sections[0].questions] == ["meetings", "notes", "experts"]
    assert form.sections[1].questions == ()
    # At the very top or bottom of the form it stays where it is.
    assert building.move_question(small_form(), "meetings", -1) == small_form()
    assert building.move_section(small_form(), "people", 1) == small_form()


def test_a_refused_edit_names_only_the_problems_it_brought() -> None:
    unfinished = building.add_section(small_form(), key="empty", title="空")
    with pytest.raises(EditRefused) as refused:
        building.edit_section(unfinished, "work", key="people", title="工作")
    assert [str(p) for p in refused.value.problems] == [
        "people:key: The section key people is used more than once."
    ]


def test_a_part_that_is_not_there_is_said_so() -> None:
    with pytest.raises(NoSuchPart):
        building.edit_question(small_form(), "nope", Question("nope", T.SHORT_TEXT, "无"))
    with pytest.raises(NoSuchPart):
        building.remove_column(small_form(), "experts", "nope")
    with pytest.raises(NoSuchPart):
        building.move_section(small_form(), "nope", 1)


@pytest.mark.parametrize(
    ("text", "existing", "expected"),
    [
        ("甲\n乙", (), (Choice("1", "甲"), Choice("2", "乙"))),
        ("1|甲\n乙", (), (Choice("1", "甲"), Choice("2", "乙"))),
        ("乙\n丙", (Choice("7", "乙"),), (Choice("7", "乙"), Choice("1", "丙"))),
        (" a | 甲 \n\n", (), (Choice("a", "甲"),)),
        ("|甲", (), (Choice("", "甲"),)),
    ],
)
def test_choices_are_read_one_a_line(
    text: str, existing: tuple[Choice, ...], expected: tuple[Choice, ...]
) -> None:
    assert building.parse_choices(text, existing) == expected


def test_choices_written_out_read_back_the_same() -> None:
    channels = weekly_progress_form().question("channels")
    assert channels is not None
    text = building.choices_text(channels.choices)
    assert building.parse_choices(text) == channels.choices


def test_a_choice_without_a_value_is_refused() -> None:
    fields = {"key": "pick", "label": "选", "type": "single_choice", "choices": "|甲"}
    question = building.question_from_fields(fields)
    with pytest.raises(EditRefused) as refused:
        building.add_question(small_form(), "work", question)
    assert [p.message for p in refused.value.problems] == [schema.NO_CHOICE_VALUE]


def test_changing_the_type_drops_what_the_new_type_cannot_have() -> None:
    old = Question("pick", T.SINGLE_CHOICE, "选", choices=(Choice("a", "甲"),))
    fields = {"key": "pick", "label": "选", "type": "integer", "choices": "a|甲"}
    assert building.question_from_fields(fields, old).choices == ()
    table = small_form().question("experts")
    fields = {"key": "experts", "label": "专家", "type": "short_text"}
    assert building.question_from_fields(fields, table).columns == ()


def test_generated_keys_do_not_clash() -> None:
    assert building.unused_key("q", {"q_1", "q_3"}) == "q_4"
    assert building.unused_key("q", {"q_3", "q_4"}) == "q_5"
    form = FormDefinition(title="表", sections=(Section("s", "组"),))
    form = building.add_question(form, "s", Question("", T.SHORT_TEXT, "一"))
    form = building.add_question(form, "s", Question("", T.SHORT_TEXT, "二"))
    assert [q.key for q in form.questions()] == ["q_1", "q_2"]
