"""The notice form without HTTP: reading posted values, matching pasted addressee names,
and filling the form from a paste (intranet.notices.notice_form)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from starlette.datastructures import FormData

from intranet.form_fields import FormErrors
from intranet.i18n import use_locale
from intranet.models import Category
from intranet.notices import workflow
from intranet.notices.models import BodyFormat, Notice, NoticeCategory
from intranet.notices.notice_form import (
    Addressees,
    FormOptions,
    Numbering,
    apply_values,
    built_line,
    forwarded_markdown,
    match_addressees,
    new_values,
    pasted_form,
    read_values,
    values_of,
)
from intranet.notices.paste import parse_notice
from tests.conftest import World
from tests.intranet.test_notice_paste import FORWARDING, ORGDEPT, read_fixture
from tests.notice_helpers import make_notice, prefix_for, to_category, to_organisation


def posted(*extra: tuple[str, str], **changes: str) -> FormData:
    fields = {
        "numbering": "none",
        "typed_number": "",
        "title": "关于开展科技志愿服务的通知",
        "addressee_line": "",
        "cc_line": "",
        "body_format": "markdown",
        "body": "请各学会认真组织，按时报送。",
        "signature": "辽宁省科学技术协会",
        "issued_on": "",
        "category": "notice",
    }
    fields.update(changes)
    return FormData([*fields.items(), *extra])


def read(options: FormOptions, form: FormData, notice: Notice | None = None) -> Any:
    errors = FormErrors()
    with use_locale("en"):
        values = read_values(form, options, errors, notice=notice)
    return values, errors.by_field


async def test_it_offers_what_lies_inside_the_issuer(world: World) -> None:
    inactive = await world.society_b.create_under(
        world.society_b, name="已撤销的分会", is_active=False
    )
    options = await FormOptions.load(world.association)
    assert [o.id for o in options.organisations] == [
        world.society_a.id,
        world.branch_a.id,
        world.society_b.id,
    ]
    assert inactive.id not in [o.id for o in options.members_of]
    assert options.members_of[0].id == world.association.id
    assert [options.indent(o) for o in options.organisations] == [1, 2, 1]
    society = await FormOptions.load(world.society_a)
    assert [o.id for o in society.organisations] == [world.branch_a.id]
    assert [o.id for o in society.members_of] == [world.society_a.id, world.branch_a.id]


async def test_it_reads_a_complete_form(world: World) -> None:
    options = await FormOptions.load(world.association)
    form = posted(
        ("organisations", str(world.society_a.id)),
        ("organisations", str(world.society_a.id)),  # twice is once
        ("categories", str(world.medicine.id)),
        ("all_societies", "1"),
        ("cc_members_of", str(world.branch_a.id)),
        ("pinned", "1"),
        title="  关于开展科技志愿服务的通知 ",
        issued_on="2020-02-10",
        category="announcement",
        body_format="html",
    )
    values, errors = read(options, form)
    assert errors == {}
    assert values.title == "关于开展科技志愿服务的通知"
    assert values.to == Addressees([world.society_a.id], [world.medicine.id], True, [])
    assert values.cc == Addressees([], [], False, [world.branch_a.id])
    assert values.issued_on_date == datetime.date(2020, 2, 10)
    assert (values.category, values.body_format) == (NoticeCategory.ANNOUNCEMENT, BodyFormat.HTML)
    assert (values.pinned, values.is_public) == (True, False)


@pytest.mark.parametrize(
    "field, bad",
    [
        ("organisations", "association"),
        ("organisations", "society_b"),
        ("members_of", "association"),
        ("cc_organisations", "society_b"),
        ("categories", "0"),
        ("cc_categories", "1e3"),
        ("members_of", "-1"),
    ],
)
async def test_it_refuses_ids_it_did_not_offer(world: World, field: str, bad: str) -> None:
    options = await FormOptions.load(world.society_a)
    value = str(getattr(world, bad).id) if hasattr(world, bad) else bad
    _values, errors = read(options, posted((field, value)))
    assert field in errors


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("", None),
        ("2020-01-30", datetime.date(2020, 1, 30)),
        ("2020-02-30", "error"),
        ("2020-1-30", "error"),
        ("20200130", "error"),
        ("2020年1月30日", "error"),
    ],
)
async def test_it_reads_the_date(world: World, typed: str, expected: Any) -> None:
    options = await FormOptions.load(world.society_a)
    values, errors = read(options, posted(issued_on=typed))
    if expected == "error":
        assert errors["issued_on"] == "Enter the date as YYYY-MM-DD, for example 2020-01-30."
    else:
        assert "issued_on" not in errors and values.issued_on_date == expected


async def test_it_needs_a_prefix_of_the_issuer_to_number_from(world: World) -> None:
    ours = await prefix_for(world.society_a, "辽计会字")
    theirs = await prefix_for(world.society_b, "辽医会字")
    options = await FormOptions.load(world.society_a)
    values, errors = read(options, posted(numbering="prefix", prefix=str(ours.id)))
    assert errors == {} and values.prefix_id == ours.id
    _values, errors = read(options, posted(numbering="prefix", prefix=str(theirs.id)))
    assert errors == {"prefix": "Choose a prefix from the list."}
    _values, errors = read(options, posted(numbering="typed", typed_number=" "))
    assert errors == {"typed_number": "Type the document number, or choose another way."}


async def test_a_published_notice_is_not_renumbered_or_unnumbered(world: World) -> None:
    prefix = await prefix_for(world.society_a, "辽计会字")
    notice = await make_notice(world.society_a, prefix="辽计会字")
    options = await FormOptions.load(world.society_a)
    _values, errors = read(options, posted(numbering="prefix", prefix=str(prefix.id)), notice)
    assert "numbering" in errors
    _values, errors = read(options, posted(numbering="none"), notice)
    assert "typed_number" in errors
    typed = posted(numbering="typed", typed_number=notice.document_number or "")
    assert read(options, typed, notice)[1] == {}


async def test_a_published_notice_without_a_number_may_stay_so(world: World) -> None:
    notice = await make_notice(world.society_a, category=NoticeCategory.NEWS)
    options = await FormOptions.load(world.society_a)
    assert read(options, posted(numbering="none"), notice)[1] == {}


async def test_it_shows_an_existing_notice_as_it_was_written(world: World) -> None:
    notice = await make_notice(
        world.association,
        to=[to_organisation(world.society_a), to_category(world.medicine)],
        number="辽科协发〔2020〕3号",
        publish=False,
        issued_on=datetime.date(2020, 1, 30),
    )
    options = await FormOptions.load(world.association)
    values = await values_of(notice, options)
    assert (values.numbering, values.typed_number) == (Numbering.TYPED, "辽科协发〔2020〕3号")
    assert values.to == Addressees([world.society_a.id], [world.medicine.id], False, [])
    assert values.issued_on == "2020-01-30"
    assert values.body == "各学会：\n\n请做好网上值班工作。"


async def test_it_applies_values_and_refuses_a_used_number(world: World) -> None:
    await make_notice(world.society_a, number="辽计会字〔2020〕第001号")
    options = await FormOptions.load(world.society_a)
    values, errors = read(
        options,
        posted(
            ("organisations", str(world.branch_a.id)),
            numbering="typed",
            typed_number="辽计会字〔2020〕第002号",
        ),
    )
    assert errors == {}
    notice = Notice(issuer=world.society_a, title="")
    await apply_values(notice, values, options)
    assert notice.document_number == "辽计会字〔2020〕第002号"
    assert notice.number_key == "辽计会字|2020|2"
    assert notice.addressee_line == world.branch_a.name
    assert "按时报送" in notice.body_html and "按时报送" in notice.search_text
    values.typed_number = "辽计会字〔2020〕1号"
    with pytest.raises(workflow.DuplicateNumber):
        await apply_values(notice, values, options)


async def test_it_prints_the_addressee_line_from_the_choices(world: World) -> None:
    options = await FormOptions.load(world.association)
    chosen = Addressees([world.society_b.id], [world.medicine.id], True, [world.society_a.id])
    assert (
        built_line(chosen, options)
        == "辽宁省医学会、各医药卫生类学会、各学会、辽宁省计算机学会全体会员"
    )
    assert built_line(Addressees(), options) == ""


@pytest.mark.parametrize(
    "name, kind",
    [
        ("辽宁省计算机学会", "organisation"),
        ("计算机学会", "organisation"),  # the short name
        ("辽宁省计算机学会人工智能专业委员会", "organisation"),
        ("医药卫生类", "category"),
        ("医药卫生类学会", "category"),
        ("各医药卫生类学会", "category"),
        ("各医药卫生类学会（协会、研究会）", "category"),
        ("各学会", "all societies"),
        ("各省级学会", "all societies"),
        ("省级学会", "all societies"),
        ("各省级学会（协会、研究会）", "all societies"),
        ("各会员单位及个人会员", "members"),
        ("中国科协办公厅", None),
        ("各分党委", None),
    ],
)
async def test_it_matches_pasted_addressee_names(world: World, name: str, kind: str | None) -> None:
    options = await FormOptions.load(world.association)
    found, unmatched = match_addressees([name], options)
    organisation = world.branch_a if name.endswith("委员会") else world.society_a
    expected = {
        "organisation": Addressees(organisation_ids=[organisation.id]),
        "category": Addressees(category_ids=[world.medicine.id]),
        "all societies": Addressees(all_societies=True),
        "members": Addressees(members_of_ids=[world.association.id]),
        None: Addressees(),
    }[kind]
    assert found == expected
    assert unmatched == ([name] if kind is None else [])


async def test_it_matches_only_organisations_inside_the_issuer(world: World) -> None:
    options = await FormOptions.load(world.society_a)
    found, unmatched = match_addressees(["辽宁省医学会", "人工智能专业委员会"], options)
    assert found == Addressees()
    assert unmatched == ["辽宁省医学会", "人工智能专业委员会"]


async def test_a_second_category_is_told_apart(world: World) -> None:
    science = await Category.create(name="理科类")
    options = await FormOptions.load(world.association)
    found, _ = match_addressees(["各理科类学会", "医药卫生类学会"], options)
    assert found.category_ids == [science.id, world.medicine.id]


async def test_it_fills_the_form_from_the_forwarding_fixture(world: World) -> None:
    options = await FormOptions.load(world.society_a)
    with use_locale("en"):
        filled = pasted_form(parse_notice(read_fixture(FORWARDING)), options)
    values = filled.values
    assert (values.numbering, values.typed_number) == (Numbering.TYPED, "辽计会字〔2020〕第001号")
    assert values.title == "关于转发省科协《做好新型冠状病毒感染的肺炎疫情防控工作》的通知"
    assert values.addressee_line == "各会员单位及个人会员"
    assert values.to == Addressees(members_of_ids=[world.society_a.id])
    assert values.body.count("\n\n") == 2
    assert values.signature == world.society_a.name  # none in the paste: the default stays
    assert values.issued_on == ""
    assert filled.missing == ["Signature", "Date"]
    assert filled.attachments == [
        "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知(辽科协发〔2020〕3号)"
    ]
    assert filled.forwarded is not None and filled.forwarded.number is not None
    assert filled.forwarded.number.text == "辽科协发〔2020〕3号"


async def test_it_fills_the_form_from_the_orgdept_fixture(world: World) -> None:
    options = await FormOptions.load(world.association)
    with use_locale("en"):
        filled = pasted_form(parse_notice(read_fixture(ORGDEPT)), options)
    assert filled.values.typed_number == "科大组织部〔2020〕6号"
    assert filled.values.addressee_line == "各分党委、党总支、直属党支部"
    # Signed by another organisation: the issuer signs, and the form says who signed it.
    assert filled.values.signature == world.association.name
    assert filled.other_signature == "中共辽宁科技大学委员会组织部"
    assert filled.unmatched == ["各分党委", "党总支", "直属党支部"]
    assert filled.missing == ["Date"]
    assert filled.forwarded is None


async def test_nothing_recognisable_leaves_the_defaults(world: World) -> None:
    options = await FormOptions.load(world.society_a)
    with use_locale("en"):
        filled = pasted_form(parse_notice("!!!@@@###"), options)
    assert filled.values == new_values(options)
    assert filled.missing == ["Document number", "Title", "Addressees", "Body", "Signature", "Date"]


def test_it_keeps_the_forwarded_notice_as_markdown() -> None:
    forwarded = parse_notice(read_fixture(FORWARDING)).forwarded
    assert forwarded is not None
    text = forwarded_markdown(forwarded)
    parts = text.split("\n\n")
    assert parts[0] == "## 关于做好新型冠状病毒感染的肺炎疫情防控工作的通知"
    assert parts[1] == "辽科协发〔2020〕3号"
    assert parts[2] == "各省级学会（协会、研究会）："
    assert parts[-2] == "望各省级学会加紧认真贯彻落实。"
    assert parts[-1] == "辽宁省科学技术协会办公室  \n2020年1月30日"
