"""Document number prefixes (机关代字): kept by the people who act for the organisation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup

from intranet.models import AuditEvent
from intranet.notices.models import DocumentPrefix, NumberSequence
from tests.conftest import World, post
from tests.intranet.test_notice_editing import error_text
from tests.notice_helpers import make_notice, prefix_for


def prefixes_path(organisation: Any) -> str:
    return f"/organisations/{organisation.id}/prefixes"


async def prefix_table(client: Any, organisation: Any) -> list[tuple[str, bool]]:
    response = await client.get(prefixes_path(organisation))
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    return [
        (
            row.select_one(".notice-prefix-text").get_text(strip=True),
            row.select_one(".notice-prefix-default") is not None,
        )
        for row in page.select("tr.notice-prefix")
    ]


async def stored(organisation: Any) -> list[tuple[str, bool]]:
    rows = await DocumentPrefix.filter(organisation=organisation).order_by("text")
    return [(row.text, row.is_default) for row in rows]


async def test_it_adds_prefixes_and_the_first_is_the_default(world: World, as_user: Any) -> None:
    path = prefixes_path(world.society_a)
    async with as_user("sec_a") as client:
        for text in ("辽计会字", "辽计会发"):
            response = await post(client, path, {"action": "add", "text": text}, token_from=path)
            assert response.status_code == 303
            assert response.headers["location"] == f"{path}?done=prefix_added"
        assert await prefix_table(client, world.society_a) == [
            ("辽计会字", True),
            ("辽计会发", False),
        ]
    assert await stored(world.society_a) == [("辽计会发", False), ("辽计会字", True)]
    assert await AuditEvent.filter(action="prefix.create").count() == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("辽计会字", "This organisation already has this prefix."),
        ("", "Use 1 to 20 Chinese characters, for example 辽科协发."),
        ("LNCS", "Use 1 to 20 Chinese characters, for example 辽科协发."),
        ("辽计会〔", "Use 1 to 20 Chinese characters, for example 辽科协发."),
        ("辽" * 21, "Use 1 to 20 Chinese characters, for example 辽科协发."),
    ],
)
async def test_it_refuses_a_duplicate_or_malformed_prefix(
    world: World, as_english_user: Any, text: str, message: str
) -> None:
    await prefix_for(world.society_a, "辽计会字")
    path = prefixes_path(world.society_a)
    async with as_english_user("sec_a") as client:
        response = await post(client, path, {"action": "add", "text": text}, token_from=path)
    assert response.status_code == 400
    assert error_text(response.text, "text") == message
    assert await stored(world.society_a) == [("辽计会字", True)]


async def test_another_organisation_may_have_the_same_prefix(world: World, as_user: Any) -> None:
    await prefix_for(world.society_b, "辽医会字")
    path = prefixes_path(world.society_a)
    async with as_user("sec_a") as client:
        response = await post(client, path, {"action": "add", "text": "辽医会字"}, token_from=path)
    assert response.status_code == 303


async def test_it_makes_another_prefix_the_default(world: World, as_user: Any) -> None:
    await prefix_for(world.society_a, "辽计会字")
    other = await DocumentPrefix.create(organisation=world.society_a, text="辽计会发")
    path = prefixes_path(world.society_a)
    async with as_user("sec_a") as client:
        form = {"action": "default", "prefix": str(other.id)}
        response = await post(client, path, form, token_from=path)
        assert response.headers["location"] == f"{path}?done=prefix_default"
        # The form for a new notice now numbers from it.
        page = BeautifulSoup((await client.get("/notices/new")).text, "html.parser")
    assert await stored(world.society_a) == [("辽计会发", True), ("辽计会字", False)]
    chosen = page.select_one("select[name=prefix] option[selected]")
    assert chosen is not None and chosen.get_text(strip=True) == "辽计会发"


async def test_it_deletes_an_unused_prefix(world: World, as_user: Any) -> None:
    first = await prefix_for(world.society_a, "辽计会字")
    second = await DocumentPrefix.create(organisation=world.society_a, text="辽计会发")
    path = prefixes_path(world.society_a)
    async with as_user("sec_a") as client:
        response = await post(
            client, path, {"action": "delete", "prefix": str(first.id)}, token_from=path
        )
    assert response.headers["location"] == f"{path}?done=prefix_deleted"
    # The default went with it, so the one left takes over.
    assert await stored(world.society_a) == [("辽计会发", True)]
    assert await DocumentPrefix.get(id=second.id)


async def test_it_keeps_a_prefix_that_notices_use(world: World, as_english_user: Any) -> None:
    await make_notice(world.society_a, prefix="辽计会字", issued_on=datetime.date(2020, 2, 3))
    prefix = await DocumentPrefix.get(organisation=world.society_a)
    path = prefixes_path(world.society_a)
    async with as_english_user("sec_a") as client:
        page = await client.get(path)
        assert "2020: no. 1" in page.text  # the last number given out that year
        form = {"action": "delete", "prefix": str(prefix.id)}
        response = await post(client, path, form, token_from=path)
    assert response.status_code == 400
    assert "cannot be deleted" in error_text(response.text, "prefix")
    assert await DocumentPrefix.exists(id=prefix.id)
    assert await NumberSequence.get(prefix=prefix, year=2020)


async def test_it_keeps_a_prefix_a_draft_is_numbered_from(
    world: World, as_english_user: Any
) -> None:
    await make_notice(world.society_a, prefix="辽计会字", publish=False)
    prefix = await DocumentPrefix.get(organisation=world.society_a)
    path = prefixes_path(world.society_a)
    async with as_english_user("sec_a") as client:
        form = {"action": "delete", "prefix": str(prefix.id)}
        response = await post(client, path, form, token_from=path)
    assert response.status_code == 400
    assert await DocumentPrefix.exists(id=prefix.id)


async def test_it_refuses_another_organisations_prefix_id(
    world: World, as_english_user: Any
) -> None:
    theirs = await prefix_for(world.society_b, "辽医会字")
    path = prefixes_path(world.society_a)
    async with as_english_user("sec_a") as client:
        for action in ("delete", "default"):
            form = {"action": action, "prefix": str(theirs.id)}
            response = await post(client, path, form, token_from=path)
            assert response.status_code == 400
    assert await stored(world.society_b) == [("辽医会字", True)]


@pytest.mark.parametrize("who", ["sec_a", "member_a", "outsider", "sec_b"])
async def test_people_who_do_not_act_for_it_get_404(world: World, as_user: Any, who: str) -> None:
    await prefix_for(world.association, "辽科协发")
    prefix = await DocumentPrefix.get()
    path = prefixes_path(world.association if who != "sec_b" else world.society_a)
    async with as_user(who) as client:
        assert (await client.get(path)).status_code == 404
        for form in (
            {"action": "add", "text": "篡改"},
            {"action": "delete", "prefix": str(prefix.id)},
            {"action": "default", "prefix": str(prefix.id)},
        ):
            assert (await post(client, path, form)).status_code == 404
    assert await stored(world.association) == [("辽科协发", True)]
    assert not await DocumentPrefix.exists(text="篡改")


async def test_sec_a_cannot_reach_society_b_prefixes(world: World, as_user: Any) -> None:
    async with as_user("sec_a") as client:
        assert (await client.get(prefixes_path(world.society_b))).status_code == 404
        assert (await client.get("/organisations/999999/prefixes")).status_code == 404
        assert (await client.get("/organisations/99999999999/prefixes")).status_code == 404
    async with as_user("staff") as client:  # the association's staff act for society B
        assert (await client.get(prefixes_path(world.society_b))).status_code == 200


async def test_the_issued_page_and_the_form_link_to_the_prefixes(
    world: World, as_user: Any
) -> None:
    path = prefixes_path(world.society_a)
    async with as_user("sec_a") as client:
        for page in ("/notices/issued", "/notices/new"):
            html = BeautifulSoup((await client.get(page)).text, "html.parser")
            assert html.select_one(f"a[href='{path}']") is not None, page
