"""Paste-in through the site: the two real notices come back as a filled-in form to check,
and nothing is saved until that form is submitted."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from intranet.models import Organisation
from intranet.notices.models import AddresseeTarget, Notice, NoticeAddressee, NumberSequence
from tests.conftest import World, post
from tests.intranet.test_notice_editing import browser_form, error_text
from tests.intranet.test_notice_paste import FORWARDING, ORGDEPT, hard_wrap, read_fixture
from tests.notice_helpers import ALL_SOCIETIES, make_notice, prefix_for

FORWARDING_TITLE = "关于转发省科协《做好新型冠状病毒感染的肺炎疫情防控工作》的通知"
FORWARDED_TITLE = "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知"
ORGDEPT_TITLE = "关于在打赢疫情防控阻击战中进一步发挥专业技术人才作用的通知"


async def pasted(as_user: Any, who: str, text: str, **extra: str) -> tuple[int, str]:
    """Paste `text` into the paste page as `who`, with the issuer the page offers first,
    sent as multipart/form-data as the page's form is."""
    async with as_user(who) as client:
        page = await client.get("/notices/paste")
        form = {**browser_form(page.text, "form.notice-paste-form"), "text": text, **extra}
        token = csrf_from(page.text)
        fields = [(name, (None, value)) for name, value in {**form, "csrf_token": token}.items()]
        response = await client.post("/notices/paste", files=fields)
    return response.status_code, response.text


def csrf_from(html: str) -> str:
    field = BeautifulSoup(html, "html.parser").select_one("input[name=csrf_token]")
    assert field is not None
    return str(field["value"])


def report(html: str) -> str:
    section = BeautifulSoup(html, "html.parser").select_one(".notice-paste-report")
    return section.get_text(" ", strip=True) if section else ""


async def test_the_paste_page_offers_a_text_box(world: World, as_user: Any) -> None:
    async with as_user("sec_a") as client:
        response = await client.get("/notices/paste")
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("textarea[name=text]") is not None
    assert page.select_one("input[name=issuer]")["value"] == str(world.society_a.id)  # type: ignore[index]


async def test_it_fills_the_form_from_the_forwarding_notice(
    world: World, as_english_user: Any
) -> None:
    status, html = await pasted(as_english_user, "sec_a", read_fixture(FORWARDING))
    assert status == 200
    form = browser_form(html)
    assert form["issuer"] == str(world.society_a.id)
    assert form["numbering"] == "typed"
    assert form["typed_number"] == "辽计会字〔2020〕第001号"
    assert form["title"] == FORWARDING_TITLE
    assert form["addressee_line"] == "各会员单位及个人会员"
    # 各会员单位及个人会员: everyone under the issuing society.
    assert form["members_of"] == str(world.society_a.id)
    assert "organisations" not in form
    assert form["body_format"] == "markdown"
    paragraphs = form["body"].split("\n\n")
    assert paragraphs[0].startswith("当前，全国人民正在与新型冠状病毒")
    assert paragraphs[2].endswith("保障人民群众身体健康和生命安全！")
    # No signature or date of its own in this paste: the issuer signs, no date.
    assert form["signature"] == world.society_a.name
    assert form["issued_on"] == ""
    said = report(html)
    assert "Could not find in the text: Signature, Date." in said
    assert "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知(辽科协发〔2020〕3号)" in said
    assert f"This notice forwards 辽科协发〔2020〕3号 {FORWARDED_TITLE}." in said
    # The original is not here to forward, so its text is kept in the body.
    assert f"## {FORWARDED_TITLE}" in form["body"]
    assert "各省级学会（协会、研究会）：" in form["body"]
    assert "一、提高政治站位，发挥学会党组织战斗堡垒作用" in form["body"]
    assert form["body"].rstrip().endswith("2020年1月30日")
    assert BeautifulSoup(html, "html.parser").select_one("form.notice-form")["action"] == (  # type: ignore[index]
        "/notices/new"
    )
    assert await Notice.all().count() == 0


async def test_it_offers_to_forward_the_original_when_it_is_here(
    world: World, as_english_user: Any
) -> None:
    original = await make_notice(
        world.association, FORWARDED_TITLE, number="辽科协发〔2020〕3号", to=[ALL_SOCIETIES]
    )
    status, html = await pasted(as_english_user, "sec_a", read_fixture(FORWARDING))
    assert status == 200
    link = BeautifulSoup(html, "html.parser").select_one(
        f"a[href='/notices/{original.id}/forward']"
    )
    assert link is not None
    body = browser_form(html)["body"]
    assert "当前，全国人民正在与新型冠状病毒" in body
    assert f"## {FORWARDED_TITLE}" not in body


async def test_it_does_not_offer_a_notice_the_person_cannot_read(
    world: World, as_english_user: Any
) -> None:
    # Published, but addressed to nobody society A's secretary acts for.
    await make_notice(world.association, FORWARDED_TITLE, number="辽科协发〔2020〕3号")
    status, html = await pasted(as_english_user, "sec_a", read_fixture(FORWARDING))
    assert status == 200
    assert "/forward" not in html
    assert f"## {FORWARDED_TITLE}" in browser_form(html)["body"]


async def test_it_fills_the_form_from_the_orgdept_notice(world: World, as_user: Any) -> None:
    status, html = await pasted(as_user, "staff", read_fixture(ORGDEPT))
    assert status == 200
    form = browser_form(html)
    assert form["typed_number"] == "科大组织部〔2020〕6号"
    assert form["title"] == ORGDEPT_TITLE
    assert form["addressee_line"] == "各分党委、党总支、直属党支部"
    # Signed by another organisation: the association signs, and the page says so.
    assert form["signature"] == world.association.name
    warning = BeautifulSoup(html, "html.parser").select_one(".notice-paste-signature")
    assert warning is not None and "中共辽宁科技大学委员会组织部" in warning.get_text()
    assert form["issued_on"] == ""
    paragraphs = form["body"].split("\n\n")
    assert len(paragraphs) == 7
    assert paragraphs[1] == "一、组织引导专业技术人才积极投身疫情防控阻击战"
    assert "当好党和人民“爱心员”" in form["body"]
    # None of these names is an organisation here: no box ticked, and the page says so.
    assert not {"organisations", "categories", "all_societies", "members_of"} & set(form)
    assert "直属党支部" in report(html)


@pytest.mark.parametrize("width", [17, 14])
@pytest.mark.parametrize("name", [FORWARDING, ORGDEPT])
async def test_it_reads_text_mangled_by_a_pdf(
    world: World, as_user: Any, name: str, width: int
) -> None:
    _status, clean = await pasted(as_user, "staff", read_fixture(name))
    status, mangled = await pasted(as_user, "staff", hard_wrap(read_fixture(name), width=width))
    assert status == 200
    for field in ("typed_number", "title", "addressee_line", "signature", "issued_on"):
        assert browser_form(mangled)[field] == browser_form(clean)[field]
    assert browser_form(mangled)["title"] in (FORWARDING_TITLE, ORGDEPT_TITLE)


async def test_it_says_what_it_could_not_find(world: World, as_english_user: Any) -> None:
    status, html = await pasted(as_english_user, "sec_a", "hello world\nthis is not a notice")
    assert status == 200
    assert (
        "Could not find in the text: Document number, Title, Addressees, Body, Signature, Date."
        in report(html)
    )
    form = browser_form(html)
    assert form["title"] == ""
    assert form["signature"] == world.society_a.name
    assert await Notice.all().count() == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Paste the text of a notice first."),
        (" \n\u3000\n", "Paste the text of a notice first."),
        ("通" * 200_001, "The text is too long: at most 200000 characters, please."),
    ],
)
async def test_it_refuses_an_empty_or_huge_paste(
    world: World, as_english_user: Any, text: str, message: str
) -> None:
    status, html = await pasted(as_english_user, "sec_a", text)
    assert status == 400
    assert error_text(html, "text") == message
    assert await Notice.all().count() == 0


async def test_it_refuses_an_issuer_the_person_does_not_act_for(
    world: World, as_english_user: Any
) -> None:
    status, html = await pasted(
        as_english_user, "sec_a", read_fixture(ORGDEPT), issuer=str(world.society_b.id)
    )
    assert status == 400
    assert error_text(html, "issuer")


async def test_it_ticks_the_addressees_it_recognises(world: World, as_user: Any) -> None:
    text = "\n".join(
        [
            "辽宁省科学技术协会文件",
            "辽科协发〔2020〕5号",
            "关于开展科技志愿服务的通知",
            "辽宁省计算机学会、各医药卫生类学会、各省级学会（协会、研究会）：",
            "　　请各学会认真组织，按时报送。",
            "辽宁省科学技术协会",
            "2020年2月10日",
            "抄送：医学会，中国科协办公厅。",
        ]
    )
    status, html = await pasted(as_user, "staff", text)
    assert status == 200
    form = browser_form(html)
    assert form["organisations"] == str(world.society_a.id)
    assert form["categories"] == str(world.medicine.id)
    assert form["all_societies"] == "1"
    assert form["cc_organisations"] == str(world.society_b.id)  # by its short name
    assert form["cc_line"] == "医学会、中国科协办公厅"
    assert form["issued_on"] == "2020-02-10"
    assert form["signature"] == "辽宁省科学技术协会"


async def test_the_checked_form_saves_the_pasted_notice(world: World, as_user: Any) -> None:
    async with as_user("sec_a") as client:
        paste = {"text": read_fixture(FORWARDING), "issuer": str(world.society_a.id)}
        response = await post(client, "/notices/paste", paste)
        form = browser_form(response.text)
        response = await post(client, "/notices/new", form)
    assert response.status_code == 303
    notice = await Notice.get()
    assert notice.document_number == "辽计会字〔2020〕第001号"
    assert notice.title == FORWARDING_TITLE
    assert notice.addressee_line == "各会员单位及个人会员"
    assert "保障人民群众身体健康和生命安全！" in notice.body_html
    assert "<h2>" in notice.body_html  # the forwarded notice kept under its heading
    rows = await NoticeAddressee.filter(notice=notice).values_list("target", "organisation_id")
    assert rows == [(AddresseeTarget.MEMBERS_OF, world.society_a.id)]


# -- a number is never invented ------------------------------------------------------------

# Made up for these tests: a society's notice with no 文号, signed by the society.
UNNUMBERED = "\n".join(
    [
        "关于推荐2021年度优秀学会工作者的通知",
        "各专业委员会：",
        "　　请各专业委员会于6月30日前推荐一名优秀学会工作者，填写推荐表后报学会秘书处。",
        "　　特此通知。",
        "辽宁省计算机学会",
        "2021年6月1日",
    ]
)


async def saved_from_paste(as_user: Any, issuer: Organisation, text: str, **changes: str) -> Notice:
    """As society A's secretary: paste, take the form as the page fills it (with
    `changes`), save the draft."""
    async with as_user("sec_a") as client:
        response = await post(client, "/notices/paste", {"text": text, "issuer": str(issuer.id)})
        assert response.status_code == 200
        form = {**browser_form(response.text), **changes}
        response = await post(client, "/notices/new", form)
    assert response.status_code == 303, response.text
    return await Notice.get(id=int(response.headers["location"].split("/")[2]))


async def test_a_notice_without_a_number_is_not_numbered_automatically(
    world: World, as_english_user: Any
) -> None:
    await prefix_for(world.society_a, "辽计会字")
    status, html = await pasted(as_english_user, "sec_a", UNNUMBERED)
    assert status == 200
    form = browser_form(html)
    assert form["numbering"] == "none"
    assert form["typed_number"] == ""
    page = BeautifulSoup(html, "html.parser")
    said = page.select_one(".notice-paste-number-off")
    assert said is not None and "automatic numbering is off" in said.get_text()
    assert page.select_one("#field-numbering .notice-paste-no-number") is not None


async def test_publishing_a_pasted_notice_without_a_number_invents_none(
    world: World, as_user: Any
) -> None:
    await prefix_for(world.society_a, "辽计会字")
    draft = await saved_from_paste(
        as_user, world.society_a, UNNUMBERED, organisations=str(world.branch_a.id)
    )
    async with as_user("sec_a") as client:
        page = await client.get(f"/notices/{draft.id}/edit")
        assert BeautifulSoup(page.text, "html.parser").select_one(".notice-unnumbered") is not None
        response = await post(client, f"/notices/{draft.id}/publish")
    assert response.status_code == 303
    published = await Notice.get(id=draft.id)
    assert published.is_published
    assert published.document_number is None
    assert await NumberSequence.all().count() == 0  # nothing taken from the prefix


async def test_a_number_is_given_when_automatic_numbering_is_chosen(
    world: World, as_user: Any
) -> None:
    prefix = await prefix_for(world.society_a, "辽计会字")
    draft = await saved_from_paste(
        as_user,
        world.society_a,
        UNNUMBERED,
        organisations=str(world.branch_a.id),
        numbering="prefix",
        prefix=str(prefix.id),
    )
    async with as_user("sec_a") as client:
        assert (await post(client, f"/notices/{draft.id}/publish")).status_code == 303
    assert (await Notice.get(id=draft.id)).document_number == "辽计会字〔2021〕1号"


async def test_typed_by_hand_but_left_empty_says_what_to_do(
    world: World, as_english_user: Any
) -> None:
    async with as_english_user("sec_a") as client:
        paste = {"text": UNNUMBERED, "issuer": str(world.society_a.id)}
        response = await post(client, "/notices/paste", paste)
        form = {**browser_form(response.text), "numbering": "typed"}
        response = await post(client, "/notices/new", form)
    assert response.status_code == 400
    assert error_text(response.text, "typed_number") == (
        "Type the document number, or choose another way."
    )
    assert await Notice.all().count() == 0


# -- 落款 follows the issuer ------------------------------------------------------------------

# Made up: the association's notice, which a society secretary pastes to pass it on.
ASSOCIATION_SIGNED = "\n".join(
    [
        "辽宁省科学技术协会",
        "辽科协发〔2021〕27号",
        "关于开展2021年全国科技工作者日活动的通知",
        "各省级学会：",
        "　　请各学会结合实际组织开展系列活动，并于5月20日前报送活动安排。",
        "辽宁省科学技术协会",
        "2021年5月8日",
    ]
)


async def test_a_secretary_pasting_the_associations_notice_signs_as_the_society(
    world: World, as_english_user: Any
) -> None:
    status, html = await pasted(as_english_user, "sec_a", ASSOCIATION_SIGNED)
    assert status == 200
    assert browser_form(html)["signature"] == world.society_a.name
    page = BeautifulSoup(html, "html.parser")
    warning = page.select_one(".notice-paste-signature")
    assert warning is not None
    assert "辽宁省科学技术协会" in warning.get_text()
    # The person decides: the pasted signature is one of the field's suggestions.
    offered = [o["value"] for o in page.select("#suggestions-signature option")]
    assert offered == [world.society_a.name, "辽宁省科学技术协会"]


@pytest.mark.parametrize(
    "signed, kept",
    [
        ("辽宁省科学技术协会", True),
        ("辽宁省 科学技术协会", True),
        ("省科协", True),  # its short name
        ("辽宁省科学技术协会办公室", True),  # its own office
        ("辽宁省计算机学会", False),  # a society inside it is someone else
        ("中国科学技术协会", False),
    ],
)
async def test_a_pasted_signature_is_kept_only_when_it_is_the_issuer(
    world: World, as_user: Any, signed: str, kept: bool
) -> None:
    text = ASSOCIATION_SIGNED.replace("辽宁省科学技术协会\n2021", f"{signed}\n2021")
    status, html = await pasted(as_user, "staff", text)
    assert status == 200
    signature = browser_form(html)["signature"]
    warning = BeautifulSoup(html, "html.parser").select_one(".notice-paste-signature")
    if kept:
        assert signature == "".join(signed.split()) and warning is None
    else:
        assert signature == world.association.name and warning is not None


# -- stray spaces next to brackets ------------------------------------------------------------


async def test_an_addressee_with_a_stray_space_in_its_brackets_is_ticked(
    world: World, as_user: Any
) -> None:
    county = await Organisation.create_under(world.association, name="省直管县（市）科协")
    text = ASSOCIATION_SIGNED.replace("各省级学会：", "各省级学会、省直管县( 市)科协：")
    status, html = await pasted(as_user, "staff", text)
    assert status == 200
    form = browser_form(html)
    assert form["organisations"] == str(county.id)
    assert form["all_societies"] == "1"
    assert form["addressee_line"] == "各省级学会、省直管县(市)科协"
