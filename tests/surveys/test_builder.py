"""The form builder through HTTP: every step, refusals that change nothing, htmx partials."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from surveys import building
from surveys.examples import weekly_progress_form
from surveys.models import Form, FormVersion
from surveys.schema import (
    Aggregate,
    Carry,
    Choice,
    FormDefinition,
    Question,
    QuestionType,
    Section,
)
from tests.conftest import World, post
from tests.helpers import soup

T = QuestionType
HX = {"HX-Request": "true"}


def small_form() -> FormDefinition:
    return FormDefinition(
        title="学会周报",
        sections=(
            Section(
                key="work",
                title="工作",
                questions=(
                    Question("meetings", T.INTEGER, "会议", min=Decimal(0), unit="次"),
                    Question("notes", T.LONG_TEXT, "说明"),
                ),
            ),
            Section(
                key="people",
                title="人员",
                questions=(
                    Question(
                        "experts",
                        T.TABLE,
                        "专家",
                        aggregate=Aggregate.LIST,
                        columns=(
                            Question("name", T.SHORT_TEXT, "姓名", aggregate=Aggregate.LIST),
                            Question("phone", T.SHORT_TEXT, "电话", aggregate=Aggregate.LIST),
                        ),
                    ),
                ),
            ),
        ),
    )


async def make_form(world: World, definition: FormDefinition | None = None) -> Form:
    return await building.create_form(world.society_a.id, definition or small_form())


async def latest(form: Form) -> FormDefinition:
    return (await building.latest_version(form.id)).form_definition()


def question_fields(**values: str) -> dict[str, str]:
    return {"type": "short_text", "label": "新问题", "key": "", **values}


async def send(
    client: httpx.AsyncClient, form: Form, path: str, data: dict[str, str], htmx: bool = False
) -> httpx.Response:
    url = f"/reports/forms/{form.id}{path}"
    return await post(
        client, url, data, token_from=f"/reports/forms/{form.id}", headers=HX if htmx else {}
    )


@pytest.fixture
async def sec_a(world: World, as_user: Any) -> Any:
    async with as_user("sec_a") as client:
        yield client


# -- the list and new forms ------------------------------------------------------------------


async def test_it_lists_the_forms_of_own_organisations_only(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    mine = await make_form(world)
    await building.create_form(world.society_b.id, replace_title(small_form(), "医学会表"))
    page = await sec_a.get("/reports/forms")
    assert page.status_code == 200
    rows = soup(page).select("table.form-list tbody tr")
    assert [row.select_one("a").text for row in rows] == [mine.title]
    assert rows[0].select("td")[3].text.strip() == "3"  # questions in the latest version
    ids = [tag["id"] for tag in soup(page).select("[id]")]
    assert len(ids) == len(set(ids))


def replace_title(definition: FormDefinition, title: str) -> FormDefinition:
    from dataclasses import replace

    return replace(definition, title=title)


async def test_it_creates_a_form_and_opens_the_builder(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    response = await post(
        sec_a,
        "/reports/forms/new",
        {
            "title": "会员建言",
            "instructions": "请填写",
            "respondent": "person",
            "owner": str(world.society_a.id),
        },
        token_from="/reports/forms",
    )
    assert response.status_code == 303
    form = await Form.get(title="会员建言")
    assert response.headers["location"].startswith(f"/reports/forms/{form.id}")
    assert form.owner_id == world.society_a.id
    assert (await latest(form)).respondent == "person"
    builder = await sec_a.get(response.headers["location"])
    assert builder.status_code == 200
    assert soup(builder).select_one("#form-readiness .builder-incomplete")


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "respondent": "organisation"},
        {"title": "表", "respondent": "everyone"},
        {"title": "表", "respondent": "organisation", "owner": "bad"},
    ],
)
async def test_it_refuses_a_new_form_without_what_it_needs(
    world: World, sec_a: httpx.AsyncClient, data: dict[str, str]
) -> None:
    data = {"owner": str(world.society_a.id), **data}
    response = await post(sec_a, "/reports/forms/new", data, token_from="/reports/forms")
    assert response.status_code == 422
    assert soup(response).select(".builder-problems li")
    assert await Form.all().count() == 0


async def test_it_refuses_an_owner_the_person_does_not_act_for(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    data = {"title": "表", "respondent": "organisation", "owner": str(world.society_b.id)}
    response = await post(sec_a, "/reports/forms/new", data, token_from="/reports/forms")
    assert response.status_code == 422
    assert await Form.all().count() == 0


async def test_it_creates_a_form_from_the_example(world: World, sec_a: httpx.AsyncClient) -> None:
    data = {"owner": str(world.society_a.id)}
    response = await post(sec_a, "/reports/forms/example", data, token_from="/reports/forms")
    assert response.status_code == 303
    form = await Form.get()
    assert await latest(form) == weekly_progress_form()


async def test_it_names_the_date_type_and_keeps_keys_behind_advanced(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    page = soup(await sec_a.get(f"/reports/forms/{form.id}"))
    types = {o["value"]: o.text for o in page.select("#new-question-work-type option")}
    assert types["date"] == "日期"
    # Every key field waits inside an "Advanced" disclosure that is closed.
    keys = page.select("input[name=key]")
    assert keys and all(k.find_parent("details", class_="builder-advanced") for k in keys)
    for key in keys:
        advanced = key.find_parent("details", class_="builder-advanced")
        assert advanced.select_one("summary").text.strip() == "高级"
        assert not advanced.has_attr("open")
    # The keys shown beside titles are marked to stay hidden until asked for.
    shown = [c.text for c in page.select("code")]
    assert "work" in shown and "meetings" in shown
    assert all("builder-key" in c["class"] for c in page.select("code"))
    assert page.select_one("details.builder-show-keys > summary").text.strip() == "高级"


async def test_a_refused_key_opens_its_advanced_disclosure(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = question_fields(key="Bad Key", label="标签")
    response = await send(sec_a, form, "/sections/work/questions", data, htmx=True)
    key = soup(response).select_one("#new-question-work-key")
    assert key.find_parent("details", class_="builder-advanced").has_attr("open")


# -- sections -----------------------------------------------------------------------------


async def test_it_adds_renames_moves_and_removes_sections(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    response = await send(sec_a, form, "/sections", {"title": "宣传", "key": "publicity"})
    assert response.status_code == 303
    assert [s.key for s in (await latest(form)).sections] == ["work", "people", "publicity"]
    await send(sec_a, form, "/sections/publicity/up", {})
    assert [s.key for s in (await latest(form)).sections] == ["work", "publicity", "people"]
    await send(sec_a, form, "/sections/publicity/edit", {"title": "科普", "key": "science"})
    assert (await latest(form)).sections[1] == Section("science", "科普")
    await send(sec_a, form, "/sections/science/remove", {})
    assert [s.key for s in (await latest(form)).sections] == ["work", "people"]


async def test_it_makes_a_section_key_when_none_is_given(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await send(sec_a, form, "/sections", {"title": "宣传", "key": ""})
    assert (await latest(form)).sections[-1].key == "section_3"


async def test_it_answers_htmx_with_the_sections_partial(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    response = await send(sec_a, form, "/sections/people/up", {}, htmx=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    page = soup(response)
    assert page.select_one("html") is None
    assert [s["id"] for s in page.select("#form-sections > section.builder-section")] == [
        "section-people",
        "section-work",
    ]
    assert page.select_one("#form-readiness")["hx-swap-oob"] == "true"


# -- questions ------------------------------------------------------------------------------


async def test_it_adds_a_question_with_all_its_settings(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = question_fields(
        key="funds",
        label="经费",
        type="decimal",
        help="本周",
        required="on",
        min="０",
        max="1,000.5",
        unit="万元",
        aggregate="average",
        cumulative="on",
    )
    response = await send(sec_a, form, "/sections/work/questions", data)
    assert response.status_code == 303
    assert (await latest(form)).question("funds") == Question(
        key="funds",
        type=T.DECIMAL,
        label="经费",
        help="本周",
        required=True,
        min=Decimal(0),
        max=Decimal("1000.5"),
        unit="万元",
        aggregate=Aggregate.AVERAGE,
        cumulative=True,
    )


async def test_it_answers_htmx_with_the_section_partial(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = question_fields(key="city", label="城市")
    response = await send(sec_a, form, "/sections/work/questions", data, htmx=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    page = soup(response)
    assert page.select_one("html") is None
    section = page.select_one("section#section-work")
    assert [li["id"] for li in section.select("li.builder-question")] == [
        "question-meetings",
        "question-notes",
        "question-city",
    ]
    # Ready for the next question, empty.
    assert section.select_one("details#new-question-work")["open"] is not None
    assert section.select_one("#new-question-work-label")["value"] == ""


async def test_it_gives_a_new_question_a_key_and_its_type_s_aggregate(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await send(sec_a, form, "/sections/work/questions", question_fields(type="integer"))
    added = (await latest(form)).sections[0].questions[-1]
    assert (added.key, added.aggregate) == ("q_4", Aggregate.SUM)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "Bad Key"}, "The key Bad Key is not allowed"),
        ({"key": "notes"}, "The key notes is used more than once."),
        ({"key": "experts"}, "The key experts is used more than once."),
        ({"type": "integer", "min": "10", "max": "2"}, "min (10) is greater than max (2)."),
        ({"type": "integer", "min": "abc"}, "min is not a number: abc"),
        ({"label": ""}, "The question needs a label."),
        ({"type": "single_choice"}, "A single_choice question needs at least one choice."),
        ({"type": "short_text", "unit": "次"}, "Only numbers have a unit"),
        ({"type": "short_text", "aggregate": "sum"}, "cannot be summed up as sum"),
        ({"type": "nonsense"}, "Choose a question type."),
        ({"type": "integer", "min": "1.5"}, "min must be a whole number for integer."),
        ({"type": "integer", "carry": "sometimes"}, "Choose what a new round starts from."),
        ({"type": "short_text", "carry": "increment"}, "Only numbers and tables can count"),
        (
            {"type": "integer", "cumulative": "on", "carry": "standing"},
            "must be what is new that round",
        ),
    ],
)
async def test_it_refuses_a_wrong_question_and_saves_nothing(
    world: World, as_english_user: Any, fields: dict[str, str], message: str
) -> None:
    form = await make_form(world)
    async with as_english_user("sec_a") as client:
        response = await send(client, form, "/sections/work/questions", question_fields(**fields))
    assert response.status_code == 422
    problems = [li.text for li in soup(response).select("#new-question-work .builder-problems li")]
    assert any(message in text for text in problems), problems
    assert soup(response).select_one("#new-question-work")["open"] is not None
    assert await latest(form) == small_form()
    assert await FormVersion.filter(form_id=form.id).count() == 1


async def test_a_refusal_shows_in_chinese_and_keeps_what_was_typed(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = question_fields(key="Bad Key", label="我输入的标签")
    response = await send(sec_a, form, "/sections/work/questions", data, htmx=True)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("html") is None
    assert "Bad Key" in page.select_one(".builder-problems li").text
    assert "key" not in page.select_one(".builder-problems li").text.split("Bad Key")[0].lower()
    assert page.select_one("#new-question-work-label")["value"] == "我输入的标签"
    assert page.select_one("#new-question-work-key")["aria-invalid"] == "true"


async def test_it_offers_and_keeps_what_a_new_round_starts_from(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = question_fields(key="staff", label="专职人员", type="integer", carry="standing")
    assert (await send(sec_a, form, "/sections/work/questions", data)).status_code == 303
    assert (await latest(form)).question("staff").carry == Carry.STANDING  # type: ignore[union-attr]
    page = soup(await sec_a.get(f"/reports/forms/{form.id}"))
    select = page.select_one("#question-staff-carry")
    assert select is not None
    assert select.select_one("option[selected]")["value"] == "standing"
    offered = [o.get_text(strip=True) for o in select.select("option")]
    assert offered[1:] == [
        "本期新增（无变化填0）",
        "存量/现状（无变化沿用上期）",
        "每期重新填写",
    ]
    # A table's columns have no carry-over of their own.
    assert page.select_one("[id^=new-column-][id$=-carry]") is None


async def test_it_edits_a_question_and_its_key(world: World, sec_a: httpx.AsyncClient) -> None:
    form = await make_form(world)
    data = question_fields(key="meetings_held", label="召开会议", type="integer", min="0")
    response = await send(sec_a, form, "/questions/meetings/edit", data, htmx=True)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("li#question-meetings_held")
    definition = await latest(form)
    assert definition.question("meetings") is None
    edited = definition.question("meetings_held")
    assert edited is not None
    assert (edited.label, edited.unit, edited.aggregate) == ("召开会议", "", Aggregate.SUM)


async def test_a_refused_edit_answers_htmx_with_the_question_as_typed(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = question_fields(key="Bad Key", label="改过", type="integer", min="5", max="1")
    response = await send(sec_a, form, "/questions/meetings/edit", data, htmx=True)
    assert response.status_code == 422
    page = soup(response)
    item = page.select_one("li#question-meetings")
    assert item.select_one("details.builder-edit")["open"] is not None
    assert len(item.select(".builder-problems li")) == 2  # the key, and min above max
    assert item.select_one("#question-meetings-label")["value"] == "改过"
    assert await latest(form) == small_form()


async def test_an_edit_with_the_key_left_empty_keeps_the_key(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await send(
        sec_a, form, "/questions/notes/edit", question_fields(label="备注", type="long_text")
    )
    await send(sec_a, form, "/questions/experts/columns/name/edit", question_fields(label="名字"))
    await send(sec_a, form, "/sections/work/edit", {"title": "本周工作", "key": ""})
    definition = await latest(form)
    assert [q.key for q in definition.questions()] == ["meetings", "notes", "experts"]
    assert definition.question("notes").label == "备注"  # type: ignore[union-attr]
    assert definition.question("experts").columns[0].label == "名字"  # type: ignore[union-attr]
    assert definition.sections[0].key == "work"


async def test_it_reads_choices_with_and_without_values(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    choices = "wx|微信\n微博\n\n  网站  "
    data = question_fields(key="channels", type="multiple_choice", label="渠道", choices=choices)
    await send(sec_a, form, "/sections/work/questions", data)
    added = (await latest(form)).question("channels")
    assert added is not None
    assert added.choices == (Choice("wx", "微信"), Choice("1", "微博"), Choice("2", "网站"))
    # Labels typed again keep their values, so earlier answers keep their meaning.
    data["choices"] = "网站\n微博\n抖音"
    await send(sec_a, form, "/questions/channels/edit", data)
    edited = (await latest(form)).question("channels")
    assert edited is not None
    assert edited.choices == (Choice("2", "网站"), Choice("1", "微博"), Choice("3", "抖音"))


async def test_it_moves_questions_within_and_across_sections(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    await send(sec_a, form, "/questions/notes/up", {})
    assert [q.key for q in (await latest(form)).sections[0].questions] == ["notes", "meetings"]
    await send(sec_a, form, "/questions/meetings/down", {})
    definition = await latest(form)
    assert [q.key for q in definition.sections[0].questions] == ["notes"]
    assert [q.key for q in definition.sections[1].questions] == ["meetings", "experts"]


async def test_it_removes_a_question(world: World, sec_a: httpx.AsyncClient) -> None:
    form = await make_form(world)
    response = await send(sec_a, form, "/questions/notes/remove", {}, htmx=True)
    assert response.status_code == 200
    assert soup(response).select_one("#question-notes") is None
    assert (await latest(form)).question("notes") is None


async def test_a_question_no_longer_there_is_said_so(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    response = await send(sec_a, form, "/questions/gone/edit", question_fields(key="gone"))
    assert response.status_code == 409
    assert await latest(form) == small_form()


async def test_an_unknown_step_is_not_found(world: World, sec_a: httpx.AsyncClient) -> None:
    form = await make_form(world)
    assert (await send(sec_a, form, "/questions/notes/explode", {})).status_code == 404


# -- table columns ------------------------------------------------------------------------


async def test_it_adds_edits_moves_and_removes_table_columns(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    column = question_fields(key="employer", label="单位", required="on")
    response = await send(sec_a, form, "/questions/experts/columns", column, htmx=True)
    assert response.status_code == 200
    assert soup(response).select_one("li#question-experts #column-experts-employer")

    def keys(definition: FormDefinition) -> list[str]:
        table = definition.question("experts")
        assert table is not None
        return [c.key for c in table.columns]

    assert keys(await latest(form)) == ["name", "phone", "employer"]
    await send(sec_a, form, "/questions/experts/columns/employer/up", {})
    assert keys(await latest(form)) == ["name", "employer", "phone"]
    await send(
        sec_a,
        form,
        "/questions/experts/columns/phone/edit",
        question_fields(key="tel", label="手机"),
    )
    assert keys(await latest(form)) == ["name", "employer", "tel"]
    await send(sec_a, form, "/questions/experts/columns/name/remove", {})
    assert keys(await latest(form)) == ["employer", "tel"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "name"}, "The column key name is used more than once in this table."),
        ({"type": "table"}, "A table column cannot be table."),
        ({"type": "file"}, "A table column cannot be file."),
        ({"type": "integer", "cumulative": "on"}, "A table column cannot be cumulative."),
    ],
)
async def test_it_refuses_a_wrong_column(
    world: World, as_english_user: Any, fields: dict[str, str], message: str
) -> None:
    form = await make_form(world)
    async with as_english_user("sec_a") as client:
        response = await send(client, form, "/questions/experts/columns", question_fields(**fields))
    assert response.status_code == 422
    assert message in soup(response).select_one("#new-column-experts .builder-problems").text
    assert await latest(form) == small_form()


async def test_a_table_keeps_its_columns_when_its_question_is_edited(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world)
    data = question_fields(key="experts", type="table", label="专家名单", max="50")
    await send(sec_a, form, "/questions/experts/edit", data)
    table = (await latest(form)).question("experts")
    assert table is not None
    assert (table.label, table.max, len(table.columns)) == ("专家名单", Decimal(50), 2)


# -- settings ---------------------------------------------------------------------------------


async def test_it_edits_the_title_and_instructions(world: World, sec_a: httpx.AsyncClient) -> None:
    form = await make_form(world)
    data = {"title": "新标题", "instructions": "第一行\n第二行", "respondent": "person"}
    response = await send(sec_a, form, "/settings", data, htmx=True)
    assert response.status_code == 200
    assert soup(response).select_one("#form-settings h2").text == "新标题"
    definition = await latest(form)
    assert (definition.title, definition.instructions) == ("新标题", "第一行\n第二行")
    assert (await Form.get(id=form.id)).title == "新标题"


async def test_it_refuses_an_empty_title(world: World, sec_a: httpx.AsyncClient) -> None:
    form = await make_form(world)
    response = await send(sec_a, form, "/settings", {"title": "", "respondent": "organisation"})
    assert response.status_code == 422
    assert soup(response).select_one("#form-settings .builder-problems")
    assert await latest(form) == small_form()


# -- pages ------------------------------------------------------------------------------------


async def test_the_builder_shows_every_question_with_its_edit_form(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world, weekly_progress_form())
    page = soup(await sec_a.get(f"/reports/forms/{form.id}"))
    keys = [li["id"].removeprefix("question-") for li in page.select("li.builder-question")]
    assert keys == [q.key for q in weekly_progress_form().questions()]
    edit = page.select_one("#question-funds details.builder-edit form")
    assert edit["hx-post"] == edit["action"] == f"/reports/forms/{form.id}/questions/funds/edit"
    assert edit["hx-target"] == "#question-funds"
    assert edit.select_one("select[name=type] option[selected]")["value"] == "decimal"
    assert page.select_one("#form-readiness .builder-incomplete") is None
    ids = [tag["id"] for tag in page.select("[id]")]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    labelled = {label["for"] for label in page.select("label[for]")}
    assert labelled <= set(ids)


async def test_the_preview_shows_the_form_as_the_respondent_sees_it(
    world: World, sec_a: httpx.AsyncClient
) -> None:
    form = await make_form(world, weekly_progress_form())
    for path in (
        f"/reports/forms/{form.id}/preview",
        f"/reports/forms/{form.id}/versions/1/preview",
    ):
        page = soup(await sec_a.get(path))
        fields = [div["id"].removeprefix("field-") for div in page.select("div.q")]
        assert fields == [q.key for q in weekly_progress_form().questions()]
        assert page.select_one("#field-experts table.q-table th").text.startswith("姓名")
        assert page.select("[hx-post]") == []  # nothing in a preview saves


async def test_a_missing_version_is_not_found(world: World, sec_a: httpx.AsyncClient) -> None:
    form = await make_form(world)
    for path in ("/versions/2", "/versions/2/preview", "/versions/2/export.xlsx", "/versions/0"):
        assert (await sec_a.get(f"/reports/forms/{form.id}{path}")).status_code == 404
