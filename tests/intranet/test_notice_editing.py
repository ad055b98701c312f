"""Writing, editing and deleting notices through the form, and the issuer's list.

sec_a writes for society A, staff for the association; member_a, sec_b and outsider
must see nothing of society A's drafts and reach none of its forms.
"""

from __future__ import annotations

import datetime
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from intranet import policy
from intranet.models import AuditEvent, Membership
from intranet.notices import workflow
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    Notice,
    NoticeAddressee,
    NoticeAttachment,
    NoticeAudience,
    NoticeState,
    NoticeVersion,
)
from tests.conftest import World, post
from tests.notice_helpers import make_notice, to_organisation

LEGACY_NUMBER = "辽计会字〔2020〕第001号"

FormValues = dict[str, Any]


def notice_form(world_issuer: Any, **changes: Any) -> FormValues:
    """What the new-notice form posts, with a title and nothing else chosen."""
    data: FormValues = {
        "issuer": str(world_issuer.id),
        "numbering": "none",
        "typed_number": "",
        "title": "关于建立网上值班制度的通知",
        "addressee_line": "",
        "cc_line": "",
        "body_format": "markdown",
        "body": "请各单位建立网上值班制度，及时报送工作进展情况。",
        "signature": world_issuer.name,
        "issued_on": "",
        "category": "notice",
    }
    data.update(changes)
    return data


def browser_form(html: str, selector: str = "form.notice-form") -> FormValues:
    """The fields a browser would submit from the form, as the page shows them."""
    form = BeautifulSoup(html, "html.parser").select_one(selector)
    assert form is not None, f"no {selector} on the page"
    data: dict[str, list[str]] = {}
    for element in form.select("input, textarea, select"):
        name = element.get("name")
        if not name or element.has_attr("disabled") or name == "csrf_token":
            continue
        if element.name == "textarea":
            value = element.get_text()
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            value = str(chosen.get("value", "")) if chosen else ""
        elif element.get("type") in ("checkbox", "radio"):
            if not element.has_attr("checked"):
                continue
            value = str(element.get("value", "on"))
        else:
            value = str(element.get("value", ""))
        data.setdefault(str(name), []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}


async def post_multipart(
    client: httpx.AsyncClient, path: str, form: FormValues, *, token_from: str
) -> httpx.Response:
    """Submit a form as the notice pages do: multipart/form-data, fields only."""
    page = await client.get(token_from)
    token = BeautifulSoup(page.text, "html.parser").select_one("input[name=csrf_token]")
    assert token is not None
    fields: list[tuple[str, tuple[None, str]]] = [("csrf_token", (None, str(token["value"])))]
    for name, value in form.items():
        for one in value if isinstance(value, list) else [value]:
            fields.append((name, (None, one)))
    return await client.post(path, files=fields)


def error_text(html: str, name: str) -> str:
    element = BeautifulSoup(html, "html.parser").select_one(f"#error-{name}")
    return element.get_text(strip=True) if element else ""


async def held_by(user: Any) -> list[Membership]:
    return await Membership.filter(user=user).select_related("organisation")


async def everything() -> dict[str, list[dict[str, Any]]]:
    return {
        "notices": await Notice.all().order_by("id").values(),
        "addressees": await NoticeAddressee.all().order_by("id").values(),
        "versions": await NoticeVersion.all().order_by("id").values(),
    }


# -- creating -------------------------------------------------------------------------------


async def test_it_saves_a_draft_that_only_the_issuers_people_see(
    world: World, as_user: Any
) -> None:
    async with as_user("sec_a") as client:
        form = notice_form(world.society_a, organisations=[str(world.branch_a.id)])
        response = await post(client, "/notices/new", form, token_from="/notices/new")
        assert response.status_code == 303
        notice = await Notice.get(title="关于建立网上值班制度的通知")
        assert response.headers["location"] == f"/notices/{notice.id}/edit?done=created"
        assert notice.state == NoticeState.DRAFT
        assert notice.issuer_id == world.society_a.id
        assert notice.author_id == world.secretary_a.id
        assert "网上值班制度" in notice.body_html
        rows = await NoticeAddressee.filter(notice=notice).values(
            "role", "target", "organisation_id"
        )
        assert rows == [
            {
                "role": AddresseeRole.TO,
                "target": AddresseeTarget.ORGANISATION,
                "organisation_id": world.branch_a.id,
            }
        ]
        # Left empty, the printed line is made from the choices.
        assert notice.addressee_line == world.branch_a.name
        assert await AuditEvent.exists(action="notice.create", object_id=str(notice.id))

        issued = await client.get("/notices/issued")
        page = BeautifulSoup(issued.text, "html.parser")
        assert [a.get_text(strip=True) for a in page.select(".notice-title a")] == [notice.title]
        assert (await client.get(f"/notices/{notice.id}")).status_code == 200
        edit = await client.get(response.headers["location"])
        assert edit.status_code == 200
    for who in ("member_a", "sec_b"):
        async with as_user(who) as client:
            assert (await client.get(f"/notices/{notice.id}")).status_code == 404
            assert (await client.get(f"/notices/{notice.id}/edit")).status_code == 404
            issued = await client.get("/notices/issued")
            assert notice.title not in issued.text


@pytest.mark.parametrize("who", ["member_a", "outsider"])
async def test_it_hides_the_forms_from_people_who_act_for_nothing(
    world: World, as_user: Any, who: str
) -> None:
    async with as_user(who) as client:
        for path in ("/notices/new", "/notices/paste"):
            assert (await client.get(path)).status_code == 404
            response = await post(client, path, notice_form(world.society_a, text="关于…的通知"))
            assert response.status_code == 404
    assert await Notice.all().count() == 0


async def test_it_tells_someone_who_acts_for_nothing_why_the_issued_page_is_empty(
    world: World, as_english_user: Any
) -> None:
    await make_notice(world.society_a, "计算机学会的通知", to=[to_organisation(world.branch_a)])
    async with as_english_user("member_a") as client:
        response = await client.get("/notices/issued")
    assert response.status_code == 200
    assert "You do not act for any organisation" in response.text
    assert "计算机学会的通知" not in response.text
    assert "/notices/new" not in response.text


@pytest.mark.parametrize(
    "field, value",
    [
        ("organisations", "society_b"),  # a sibling, not inside society A
        ("organisations", "society_a"),  # the issuer itself is not "inside" it
        ("organisations", "association"),
        ("members_of", "association"),
        ("cc_organisations", "society_b"),
        ("cc_members_of", "society_b"),
        ("organisations", "not-an-id"),
        ("categories", "999999"),
    ],
)
async def test_it_refuses_addressees_the_form_did_not_offer(
    world: World, as_english_user: Any, field: str, value: str
) -> None:
    posted = str(getattr(world, value).id) if hasattr(world, value) else value
    async with as_english_user("sec_a") as client:
        response = await post(
            client, "/notices/new", notice_form(world.society_a, **{field: posted})
        )
    assert response.status_code == 400
    assert error_text(response.text, field)
    assert await Notice.all().count() == 0
    assert await NoticeAddressee.all().count() == 0


async def test_it_refuses_an_issuer_the_person_does_not_act_for(
    world: World, as_english_user: Any
) -> None:
    async with as_english_user("sec_a") as client:
        response = await post(client, "/notices/new", notice_form(world.society_b))
    assert response.status_code == 400
    assert error_text(response.text, "issuer") == "Choose an organisation from the list."
    assert await Notice.all().count() == 0


async def test_it_asks_for_a_title_in_english(world: World, as_english_user: Any) -> None:
    async with as_english_user("sec_a") as client:
        response = await post(client, "/notices/new", notice_form(world.society_a, title="  "))
    assert response.status_code == 400
    assert error_text(response.text, "title") == "This field is required."
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one(".error-summary a[href='#field-title']") is not None
    # What was typed is shown again.
    assert "网上值班制度" in page.select_one("#field-body").get_text()  # type: ignore[union-attr]
    assert await Notice.all().count() == 0


async def test_it_asks_for_a_title_in_the_default_language(world: World, as_user: Any) -> None:
    async with as_user("sec_a") as client:
        response = await post(client, "/notices/new", notice_form(world.society_a, title=""))
    assert response.status_code == 400
    assert error_text(response.text, "title")
    assert await Notice.all().count() == 0


@pytest.mark.parametrize(
    "field, value",
    [
        ("title", "长" * 201),
        ("issued_on", "2020-02-30"),
        ("issued_on", "30/01/2020"),
        ("numbering", "guess"),
        ("numbering", "prefix"),  # society A has no prefix yet
        ("body_format", "script"),
        ("category", "secret"),
    ],
)
async def test_it_refuses_bad_values_with_a_message(
    world: World, as_english_user: Any, field: str, value: str
) -> None:
    async with as_english_user("sec_a") as client:
        response = await post(
            client, "/notices/new", notice_form(world.society_a, **{field: value})
        )
    assert response.status_code == 400
    shown = field if (field, value) != ("numbering", "prefix") else "prefix"
    assert error_text(response.text, shown)
    assert await Notice.all().count() == 0


async def test_it_saves_every_field(world: World, as_user: Any) -> None:
    form = notice_form(
        world.association,
        title="关于做好新型冠状病毒感染的肺炎疫情防控工作的通知",
        organisations=[str(world.society_a.id)],
        categories=[str(world.medicine.id)],
        all_societies="1",
        members_of=[str(world.branch_a.id)],
        cc_organisations=[str(world.society_b.id)],
        addressee_line="各省级学会（协会、研究会）",
        cc_line="",
        body_format="html",
        body='<p onclick="x()">望各省级学会加紧认真贯彻落实。</p><script>alert(1)</script>',
        signature="辽宁省科学技术协会办公室",
        issued_on="2020-01-30",
        category="announcement",
        pinned="1",
        is_public="1",
    )
    async with as_user("staff") as client:
        response = await post(client, "/notices/new", form)
    assert response.status_code == 303
    notice = await Notice.get()
    assert notice.addressee_line == "各省级学会（协会、研究会）"
    assert notice.cc_line == world.society_b.name
    assert notice.body_html == "<p>望各省级学会加紧认真贯彻落实。</p>"
    assert notice.signature == "辽宁省科学技术协会办公室"
    assert notice.issued_on == datetime.date(2020, 1, 30)
    assert (notice.category, notice.pinned, notice.is_public) == ("announcement", True, True)
    assert notice.document_number is None and notice.prefix_id is None
    rows = await NoticeAddressee.filter(notice=notice).values_list("role", "target")
    assert sorted(rows) == sorted(
        [
            (AddresseeRole.TO, AddresseeTarget.ORGANISATION),
            (AddresseeRole.TO, AddresseeTarget.CATEGORY),
            (AddresseeRole.TO, AddresseeTarget.ALL_SOCIETIES),
            (AddresseeRole.TO, AddresseeTarget.MEMBERS_OF),
            (AddresseeRole.CC, AddresseeTarget.ORGANISATION),
        ]
    )


async def test_it_numbers_from_the_chosen_prefix_at_publication(world: World, as_user: Any) -> None:
    from tests.notice_helpers import prefix_for

    prefix = await prefix_for(world.association, "辽科协发")
    async with as_user("staff") as client:
        page = await client.get("/notices/new")
        form = browser_form(page.text)
        assert form["numbering"] == "prefix" and form["prefix"] == str(prefix.id)
        form["title"] = "关于开展科技志愿服务的通知"
        form["all_societies"] = "1"
        response = await post(client, "/notices/new", form)
    assert response.status_code == 303
    notice = await Notice.get()
    assert notice.prefix_id == prefix.id and notice.document_number is None
    await workflow.publish(notice, None, today=datetime.date(2020, 2, 10))
    assert notice.document_number == "辽科协发〔2020〕1号"


async def test_someone_acting_for_two_organisations_chooses_the_issuer(
    world: World, as_english_user: Any
) -> None:
    await Membership.create(user=world.secretary_a, organisation=world.society_b, role="secretary")
    async with as_english_user("sec_a") as client:
        page = BeautifulSoup((await client.get("/notices/new")).text, "html.parser")
        choices = [o["value"] for o in page.select(".notice-issuer-switch option")]
        assert choices == [str(world.society_a.id), str(world.society_b.id)]
        response = await client.get(f"/notices/new?issuer={world.society_b.id}")
        form = browser_form(response.text)
        assert form["issuer"] == str(world.society_b.id)
        assert form["signature"] == world.society_b.name
        # Society A's branch is not inside society B.
        posted = {**form, "title": "医学会通知", "organisations": str(world.branch_a.id)}
        response = await post(client, "/notices/new", posted)
        assert response.status_code == 400
        assert await Notice.all().count() == 0
        posted = {**form, "title": "医学会通知", "members_of": str(world.society_b.id)}
        assert (await post(client, "/notices/new", posted)).status_code == 303
    notice = await Notice.get()
    assert notice.issuer_id == world.society_b.id


# -- numbers typed by hand ----------------------------------------------------------------


async def test_it_keeps_a_legacy_number_exactly_as_typed(world: World, as_user: Any) -> None:
    form = notice_form(
        world.society_a,
        numbering="typed",
        typed_number=LEGACY_NUMBER,
        organisations=[str(world.branch_a.id)],
        members_of=[str(world.society_a.id), str(world.branch_a.id)],
    )
    async with as_user("sec_a") as client:
        response = await post_multipart(client, "/notices/new", form, token_from="/notices/new")
        assert response.status_code == 303
        edit = await client.get(response.headers["location"])
    notice = await Notice.get()
    assert notice.document_number == LEGACY_NUMBER
    assert notice.number_key == "辽计会字|2020|1"
    assert notice.year == 2020
    assert await NoticeAddressee.filter(notice=notice).count() == 3
    assert browser_form(edit.text)["typed_number"] == LEGACY_NUMBER


@pytest.mark.parametrize("typed", [LEGACY_NUMBER, "辽计会字〔2020〕1号", "辽计会字[2020]第1号"])
async def test_it_refuses_a_number_the_issuer_already_used(
    world: World, as_english_user: Any, typed: str
) -> None:
    await make_notice(world.society_a, "已发的通知", number=LEGACY_NUMBER)
    draft = await make_notice(world.society_a, "另一份草稿", publish=False)
    before = await everything()
    async with as_english_user("sec_a") as client:
        new = notice_form(world.society_a, numbering="typed", typed_number=typed)
        response = await post(client, "/notices/new", new)
        assert response.status_code == 400
        assert error_text(response.text, "typed_number") == workflow.DUPLICATE_NUMBER
        edit = browser_form((await client.get(f"/notices/{draft.id}/edit")).text)
        edit.update(numbering="typed", typed_number=typed)
        response = await post(client, f"/notices/{draft.id}/edit", edit)
        assert response.status_code == 400
        assert error_text(response.text, "typed_number") == workflow.DUPLICATE_NUMBER
    assert await everything() == before


async def test_another_issuer_may_use_the_same_number(world: World, as_user: Any) -> None:
    await make_notice(world.society_b, "医学会的通知", number=LEGACY_NUMBER)
    async with as_user("sec_a") as client:
        form = notice_form(world.society_a, numbering="typed", typed_number=LEGACY_NUMBER)
        response = await post(client, "/notices/new", form)
    assert response.status_code == 303


# -- editing --------------------------------------------------------------------------------


async def test_it_saves_a_draft_without_keeping_versions(world: World, as_user: Any) -> None:
    draft = await make_notice(
        world.society_a, "草稿", to=[to_organisation(world.branch_a)], publish=False
    )
    async with as_user("sec_a") as client:
        form = browser_form((await client.get(f"/notices/{draft.id}/edit")).text)
        assert form["organisations"] == str(world.branch_a.id)
        form.update(title="改过的草稿", organisations=[], members_of=str(world.society_a.id))
        response = await post(client, f"/notices/{draft.id}/edit", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/notices/{draft.id}/edit?done=updated"
    stored = await Notice.get(id=draft.id)
    assert (stored.title, stored.version, stored.state) == ("改过的草稿", 1, NoticeState.DRAFT)
    assert await NoticeVersion.all().count() == 0
    targets = await NoticeAddressee.filter(notice=draft).values_list("target", "organisation_id")
    assert targets == [(AddresseeTarget.MEMBERS_OF, world.society_a.id)]
    assert await AuditEvent.exists(action="notice.update", object_id=str(draft.id))


async def test_editing_a_published_notice_keeps_the_old_version(world: World, as_user: Any) -> None:
    notice = await make_notice(
        world.association,
        "关于开展网上值班工作的通知",
        to=[to_organisation(world.society_a)],
        prefix="辽科协发",
    )
    number = notice.document_number
    async with as_user("staff") as client:
        form = browser_form((await client.get(f"/notices/{notice.id}/edit")).text)
        assert form["numbering"] == "typed" and form["typed_number"] == number
        form.update(title="关于开展网上值班工作的补充通知", organisations=str(world.society_b.id))
        response = await post(client, f"/notices/{notice.id}/edit", form)
    assert response.status_code == 303
    stored = await Notice.get(id=notice.id)
    assert stored.title == "关于开展网上值班工作的补充通知"
    assert stored.version == 2
    assert stored.document_number == number
    assert stored.state == NoticeState.PUBLISHED
    assert stored.addressee_line == world.society_b.name
    old = await NoticeVersion.get(notice=notice)
    assert (old.version, old.title, old.document_number) == (
        1,
        "关于开展网上值班工作的通知",
        number,
    )
    # The audience follows the new addressees.
    receiving = await NoticeAudience.filter(notice=notice).values_list("organisation_id", flat=True)
    assert receiving == [world.society_b.id]
    assert await policy.is_addressed_to(await held_by(world.secretary_b), stored)
    assert not await policy.is_addressed_to(await held_by(world.secretary_a), stored)


async def test_saving_an_unchanged_published_notice_keeps_no_version(
    world: World, as_user: Any
) -> None:
    notice = await make_notice(
        world.association, to=[to_organisation(world.society_a)], prefix="辽科协发"
    )
    async with as_user("staff") as client:
        form = browser_form((await client.get(f"/notices/{notice.id}/edit")).text)
        response = await post(client, f"/notices/{notice.id}/edit", form)
    assert response.headers["location"].endswith("?done=unchanged")
    assert await NoticeVersion.all().count() == 0
    assert (await Notice.get(id=notice.id)).version == 1


@pytest.mark.parametrize("change", [{"numbering": "none"}, {"typed_number": ""}])
async def test_a_published_notice_keeps_its_number(
    world: World, as_english_user: Any, change: dict[str, str]
) -> None:
    notice = await make_notice(world.association, prefix="辽科协发")
    before = await everything()
    async with as_english_user("staff") as client:
        form = browser_form((await client.get(f"/notices/{notice.id}/edit")).text)
        form.update(change)
        response = await post(client, f"/notices/{notice.id}/edit", form)
    assert response.status_code == 400
    assert "keeps its document number" in error_text(response.text, "typed_number")
    assert await everything() == before


async def test_a_published_number_can_be_corrected(world: World, as_user: Any) -> None:
    notice = await make_notice(world.society_a, number="辽计会字〔2020〕第01号")
    async with as_user("sec_a") as client:
        form = browser_form((await client.get(f"/notices/{notice.id}/edit")).text)
        form["typed_number"] = LEGACY_NUMBER
        response = await post(client, f"/notices/{notice.id}/edit", form)
    assert response.status_code == 303
    stored = await Notice.get(id=notice.id)
    assert (stored.document_number, stored.version) == (LEGACY_NUMBER, 2)


async def test_withdrawn_notices_cannot_be_edited(world: World, as_user: Any) -> None:
    notice = await make_notice(world.society_a, to=[to_organisation(world.branch_a)])
    await workflow.withdraw(notice, None, "发错了")
    before = await everything()
    async with as_user("sec_a") as client:
        assert (await client.get(f"/notices/{notice.id}/edit")).status_code == 404
        form = notice_form(world.society_a, title="被改")
        assert (await post(client, f"/notices/{notice.id}/edit", form)).status_code == 404
        assert (await post(client, f"/notices/{notice.id}/delete")).status_code == 404
    assert await everything() == before


async def test_the_edit_page_offers_publish_and_says_what_is_missing(
    world: World, as_english_user: Any
) -> None:
    draft = await make_notice(world.society_a, publish=False)
    async with as_english_user("sec_a") as client:
        response = await client.get(f"/notices/{draft.id}/edit")
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one(f"form[action='/notices/{draft.id}/publish']") is not None
    assert page.select_one(f"form[action='/notices/{draft.id}/delete']") is not None
    assert page.select_one(f"a[href='/notices/{draft.id}']") is not None
    assert page.select_one(".notice-no-addressees") is not None
    assert page.select_one("#notice-attachments") is not None


async def test_the_edit_page_of_a_forwarding_draft_shows_the_chain(
    app: Any, world: World, as_english_user: Any
) -> None:
    original = await make_notice(
        world.association,
        "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知",
        number="辽科协发〔2020〕3号",
        to=[to_organisation(world.society_a)],
    )
    forwarding = await workflow.forward(original, world.society_a, None, app.state.storage)
    await workflow.set_typed_number(forwarding, LEGACY_NUMBER)
    await forwarding.save()
    async with as_english_user("sec_a") as client:
        response = await client.get(f"/notices/{forwarding.id}/edit")
    chain = BeautifulSoup(response.text, "html.parser").select_one(".notice-forwarding")
    assert chain is not None
    text = chain.get_text(" ", strip=True)
    assert f"{LEGACY_NUMBER} → 辽科协发〔2020〕3号" in text
    assert "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知" in text


# -- deleting -------------------------------------------------------------------------------


async def attach(app: Any, notice: Notice) -> NoticeAttachment:
    stored = await app.state.storage.save(b"%PDF-1.4\n%test\n", max_bytes=1000)
    return await NoticeAttachment.create(
        notice=notice,
        storage_key=stored.key,
        filename="附件.pdf",
        kind="pdf",
        size=stored.size,
        sha256=stored.sha256,
    )


async def test_deleting_a_draft_removes_it_and_its_files(
    app: Any, world: World, as_user: Any
) -> None:
    draft = await make_notice(world.society_a, to=[to_organisation(world.branch_a)], publish=False)
    attachment = await attach(app, draft)
    async with as_user("sec_a") as client:
        response = await post(client, f"/notices/{draft.id}/delete")
    assert response.status_code == 303
    assert response.headers["location"] == "/notices/issued?done=deleted"
    assert not await Notice.exists(id=draft.id)
    assert not await NoticeAttachment.exists(id=attachment.id)
    assert not await NoticeAddressee.exists(notice_id=draft.id)
    assert not await app.state.storage.exists(attachment.storage_key)
    assert await AuditEvent.exists(action="notice.delete", object_id=str(draft.id))


async def test_a_published_notice_is_not_deleted(app: Any, world: World, as_user: Any) -> None:
    notice = await make_notice(world.society_a, to=[to_organisation(world.branch_a)])
    attachment = await attach(app, notice)
    async with as_user("sec_a") as client:
        response = await post(client, f"/notices/{notice.id}/delete")
    assert response.status_code == 400
    assert await Notice.exists(id=notice.id)
    assert await app.state.storage.exists(attachment.storage_key)


async def test_others_cannot_delete_a_draft(app: Any, world: World, as_user: Any) -> None:
    draft = await make_notice(world.society_a, publish=False)
    attachment = await attach(app, draft)
    for who in ("member_a", "sec_b", "outsider"):
        async with as_user(who) as client:
            assert (await post(client, f"/notices/{draft.id}/delete")).status_code == 404
    assert await Notice.exists(id=draft.id)
    assert await app.state.storage.exists(attachment.storage_key)


# -- the issued list ------------------------------------------------------------------------


async def issued_titles(client: httpx.AsyncClient, query: str = "") -> list[str]:
    response = await client.get(f"/notices/issued{query}")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    return [a.get_text(strip=True) for a in page.select(".notice-title a")]


async def test_the_issued_list_shows_drafts_first_then_newest(world: World, as_user: Any) -> None:
    await make_notice(world.association, "省科协旧通知")
    await make_notice(world.society_a, "学会旧通知")
    withdrawn = await make_notice(world.society_a, "撤回的通知")
    await workflow.withdraw(withdrawn, None, "发错了")
    await make_notice(world.society_a, "学会草稿", publish=False)
    await make_notice(world.branch_a, "专委会新通知")
    await make_notice(world.society_b, "医学会通知")
    async with as_user("sec_a") as client:
        assert await issued_titles(client) == [
            "学会草稿",
            "专委会新通知",
            "撤回的通知",
            "学会旧通知",
        ]
        assert await issued_titles(client, "?state=withdrawn") == ["撤回的通知"]
        assert await issued_titles(client, "?state=draft") == ["学会草稿"]
        assert len(await issued_titles(client, "?state=nonsense")) == 4
    async with as_user("staff") as client:
        assert len(await issued_titles(client)) == 6


async def test_the_issued_filter_answers_htmx_with_the_rows_alone(
    world: World, as_user: Any
) -> None:
    await make_notice(world.society_a, "学会草稿", publish=False)
    async with as_user("sec_a") as client:
        response = await client.get("/notices/issued?state=draft", headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert "学会草稿" in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_the_issued_list_pages_by_fifty(world: World, as_user: Any) -> None:
    for i in range(51):
        await make_notice(world.society_a, f"通知{i:02d}", publish=False)
    async with as_user("sec_a") as client:
        assert len(await issued_titles(client)) == 50
        assert await issued_titles(client, "?page=2") == ["通知00"]
