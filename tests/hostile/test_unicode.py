"""Unicode tricks in what people type: direction overrides, zero-width characters, the
same name composed (NFC) or decomposed (NFD), look-alike letters, and line breaks where
an e-mail header would take them.

What the site does, and these tests hold it to: one-line fields are stored in NFC with
control and direction-override characters taken out (intranet.form_fields.clean_line), so a
name typed in NFD is the NFC name and searches typed in NFD find it; usernames compare
by NFKC and case (ＡＢＣ is abc). Zero-width characters are kept (a zero-width joiner is
part of some names and emoji) but shown as the characters they are, inside their own
element. Full-width digits in number answers are tested in tests/surveys/test_answer_checks.py
and tests/surveys/test_autosave.py.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from intranet.models import Organisation, User
from intranet.notifications.models import EmailMessage
from intranet.notifications.send import deliver_due
from surveys import tracking
from surveys.models import FormVersion, Response
from surveys.schema import FormDefinition, Question, QuestionType, Section
from surveys.xlsform import form_to_xlsx
from tests.conftest import PASSWORD, World, csrf_token, login, make_user, new_client, post
from tests.helpers import soup
from tests.hostile.payloads import (
    CONTROL,
    HEADER_INJECTION,
    HOMOGLYPHS,
    NFC_NAME,
    NFD_NAME,
    RTL_FILENAME,
    RTL_NAME,
    RTL_OVERRIDE,
    ZERO_WIDTH_NAME,
)
from tests.intranet.test_notifications import backend, free_port, smtp_server
from tests.notice_helpers import make_notice, to_organisation
from tests.survey_helpers import make_campaign, open_round, response_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM = FormDefinition(
    title="工作情况",
    sections=(
        Section(
            key="main",
            title="情况",
            questions=(
                Question(key="story", type=QuestionType.SHORT_TEXT, label="简述"),
                Question(key="note", type=QuestionType.LONG_TEXT, label="详情"),
            ),
        ),
    ),
)
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


# -- direction overrides and zero-width characters --------------------------------------------


async def test_a_direction_override_is_taken_out_of_a_name(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {"display_name": RTL_NAME, "email": ""})
    assert response.status_code == 303
    person = await User.get(username="member_a")
    assert person.display_name == RTL_NAME.replace(RTL_OVERRIDE, "")
    assert not BIDI_CONTROLS & set(person.display_name)


async def test_a_direction_override_is_taken_out_of_an_organisation_name(
    world: World, as_user: Any
) -> None:
    async with as_user("admin") as admin:
        response = await post(
            admin,
            "/admin/organisations/new",
            {
                "name": RTL_NAME,
                "short_name": f"短{RTL_OVERRIDE}名",
                "kind": "society",
                "parent": str(world.association.id),
            },
            token_from="/admin/organisations/new",
        )
        assert response.status_code == 303, response.text[:500]
        created = await Organisation.get(name=RTL_NAME.replace(RTL_OVERRIDE, ""))
        assert created.short_name == "短名"
        directory = await admin.get("/directory")
    assert RTL_OVERRIDE not in directory.text


async def test_zero_width_characters_are_kept_and_shown_as_typed(
    world: World, member: httpx.AsyncClient
) -> None:
    response = await post(member, "/profile", {"display_name": ZERO_WIDTH_NAME, "email": ""})
    assert response.status_code == 303
    assert (await User.get(username="member_a")).display_name == ZERO_WIDTH_NAME
    page = soup(await member.get("/profile"))
    field = page.select_one("#field-display_name")
    assert field is not None and field["value"] == ZERO_WIDTH_NAME
    # Shown in the header as the name itself, within its own element.
    assert any(
        element.get_text(strip=True) == ZERO_WIDTH_NAME
        for element in page.find_all(True)
        if not element.find(True)
    )


# -- composed and decomposed ---------------------------------------------------------------


async def test_a_name_typed_decomposed_is_stored_composed(member: httpx.AsyncClient) -> None:
    response = await post(member, "/profile", {"display_name": NFD_NAME, "email": ""})
    assert response.status_code == 303
    assert (await User.get(username="member_a")).display_name == NFC_NAME


async def test_searches_typed_decomposed_find_the_composed_name(
    world: World, as_user: Any, settings: Any
) -> None:
    world.society_b.name = f"{NFC_NAME}学会"
    await world.society_b.save()
    person = await make_user(settings, "zoe", NFC_NAME)
    await person.memberships.create(organisation=world.society_b, role="member")
    await make_notice(
        world.association, f"关于{NFC_NAME}的通知", to=[to_organisation(world.society_b)]
    )
    async with as_user("admin") as admin:
        directory = await admin.get("/directory", params={"q": NFD_NAME})
        people = await admin.get("/admin/people", params={"q": NFD_NAME})
        notices = await admin.get("/notices", params={"q": NFD_NAME})
    assert f"{NFC_NAME}学会" in soup(directory).get_text()
    assert NFC_NAME in soup(people).get_text()
    assert f"关于{NFC_NAME}的通知" in soup(notices).get_text()


@pytest.mark.parametrize(
    "typed",
    [
        unicodedata.normalize("NFD", "Zoé"),
        unicodedata.normalize("NFC", "ZOÉ"),
        "Ｚｏé",  # full-width letters
    ],
)
async def test_a_username_signs_in_however_it_is_composed(
    world: World, as_user: Any, app: Any, typed: str
) -> None:
    async with as_user("admin") as admin:
        created = await post(
            admin,
            "/admin/people/new",
            {
                "username": unicodedata.normalize("NFC", "zoé"),
                "display_name": "佐伊",
                "organisation": str(world.society_a.id),
                "role": "member",
                "password": PASSWORD,
            },
            token_from="/admin/people/new",
        )
        assert created.status_code == 303, created.text[:500]
    async with new_client(app) as visitor:
        assert (await login(visitor, typed)).status_code == 303


async def test_a_look_alike_username_is_another_account(world: World, app: Any) -> None:
    """Cyrillic а is not Latin a: 'аdmin' is no way into 'admin'."""
    async with new_client(app) as visitor:
        response = await login(visitor, HOMOGLYPHS["admin"])
    assert response.status_code != 303


# -- line breaks in what reaches an e-mail header ---------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "sec@example.org\r\nBcc: victim@example.com",
        "sec@example.org, victim@example.com",
        "sec@example.org victim@example.com",
        "<victim@example.com>sec@example.org",
    ],
)
async def test_a_list_of_addresses_is_not_an_e_mail_address(
    member: httpx.AsyncClient, address: str
) -> None:
    response = await post(member, "/profile", {"display_name": "会员", "email": address})
    assert response.status_code == 400
    assert (await User.get(username="member_a")).email == ""


async def test_line_breaks_in_titles_and_names_never_reach_a_mail_header(
    world: World, settings: Any
) -> None:
    """Text from before the forms cleaned it (or written by a script) still makes one
    subject line and one recipient."""
    world.secretary_a.email = "sec_a@example.org"
    world.secretary_a.display_name = HEADER_INJECTION[:64]
    await world.secretary_a.save()
    world.staff.display_name = HEADER_INJECTION[:64]
    await world.staff.save()
    campaign = await make_campaign(world.association, [world.society_a], title=HEADER_INJECTION)
    round_ = await open_round(campaign)
    response = await response_of(round_, world.society_a)
    staff = await User.get(id=world.staff.id)
    assert await tracking.remind(round_, [response.id], staff, settings.zone)
    await make_notice(world.association, HEADER_INJECTION, to=[to_organisation(world.society_a)])
    assert await EmailMessage.filter(to_address="sec_a@example.org").count() >= 1
    port = free_port()
    with smtp_server(port) as inbox:
        await deliver_due(_far_future(), backend(port))
    assert inbox.recipients()
    assert set(inbox.recipients()) == {"sec_a@example.org"}
    for _, message in inbox.received:
        assert message["Bcc"] is None and message["X-Injected"] is None
        subject = str(message["Subject"])
        assert "\r" not in subject and "\n" not in subject


async def test_an_address_with_a_line_break_sends_to_nobody_else(world: World) -> None:
    world.secretary_a.email = "sec_a@example.org\r\nBcc: victim@example.com"
    await world.secretary_a.save()
    await make_notice(world.association, "会议通知", to=[to_organisation(world.society_a)])
    port = free_port()
    with smtp_server(port) as inbox:
        await deliver_due(_far_future(), backend(port))
    assert "victim@example.com" not in inbox.recipients()
    assert all(message["Bcc"] is None for _, message in inbox.received)


def _far_future() -> datetime:
    """A moment by which every queued mail is due."""
    return datetime.now(UTC) + timedelta(minutes=1)


# -- control characters and NUL in answers ---------------------------------------------------


@pytest.mark.parametrize("typed", CONTROL, ids=range(len(CONTROL)))
async def test_control_characters_in_an_answer_are_stored_cleanly_or_refused(
    world: World, as_user: Any, typed: str
) -> None:
    """On both databases: PostgreSQL refuses NUL in text and JSON outright, so it must
    never get that far."""
    campaign = await make_campaign(world.association, [world.society_a], FORM)
    round_ = await open_round(campaign)
    response = await response_of(round_, world.society_a)
    async with as_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{response.id}")
        saved = await c.post(
            f"/reports/responses/{response.id}/answers/note",
            data={"value": typed, "base": ""},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        assert saved.status_code in (200, 422), saved.text[:300]
        token = await csrf_token(c, f"/reports/responses/{response.id}")
        whole = await c.post(
            f"/reports/responses/{response.id}/save",
            data={"csrf_token": token, "story": typed, "note": typed},
        )
        assert whole.status_code in (200, 303, 409, 422), whole.text[:300]
    answers = (await Response.get(id=response.id)).answers
    for key in ("story", "note"):
        assert "\x00" not in str(answers.get(key, ""))


async def test_a_direction_override_is_taken_out_of_an_answer(world: World, as_user: Any) -> None:
    campaign = await make_campaign(world.association, [world.society_a], FORM)
    round_ = await open_round(campaign)
    response = await response_of(round_, world.society_a)
    async with as_user("sec_a") as c:
        token = await csrf_token(c, f"/reports/responses/{response.id}")
        saved = await c.post(
            f"/reports/responses/{response.id}/answers/story",
            data={"value": RTL_FILENAME, "base": ""},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        assert saved.status_code == 200, saved.text[:300]
    stored = (await Response.get(id=response.id)).answers["story"]
    assert stored == RTL_FILENAME.replace(RTL_OVERRIDE, "")


async def test_a_direction_override_is_taken_out_of_an_imported_form(
    world: World, as_user: Any
) -> None:
    """The .xlsx import keeps text as typed, like the builder: without the characters
    the builder's fields take out."""
    label = f"上报材料{RTL_OVERRIDE}fdp.exe"
    hostile = FormDefinition(
        title=f"表{RTL_OVERRIDE}单",
        sections=(
            Section(
                key="main",
                title="情况",
                questions=(
                    Question(key="story", type=QuestionType.SHORT_TEXT, label=label,
                             help=f"说明{RTL_OVERRIDE}"),
                ),
            ),
        ),
    )  # fmt: skip
    async with as_user("sec_a") as c:
        token = await csrf_token(c, "/reports/forms")
        imported = await c.post(
            "/reports/forms/import",
            data={"csrf_token": token, "owner": str(world.society_a.id)},
            files={"file": ("表单.xlsx", form_to_xlsx(hostile), XLSX)},
        )
        assert imported.status_code == 303, imported.text[:500]
    version = await FormVersion.filter(form__owner_id=world.society_a.id).order_by("-id").first()
    assert version is not None
    definition = version.form_definition()
    assert definition.title == "表单"
    question = definition.sections[0].questions[0]
    assert question.label == "上报材料fdp.exe"
    assert question.help == "说明"
