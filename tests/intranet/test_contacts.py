"""A society keeps its own directory entry current; nobody else's."""

from __future__ import annotations

from intranet.models import AuditEvent, Organisation
from tests.conftest import World, post

CONTACTS = "/organisations/{}/contacts"


async def test_a_secretary_is_asked_to_complete_missing_contacts(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    async with as_user("sec_b", cookies={"huibao_lang": "en"}) as client:
        home = await client.get("/")
        assert "Complete the contact details of 辽宁省医学会" in home.text
        assert CONTACTS.format(world.society_b.id) in home.text


async def test_a_secretary_updates_the_contacts_and_the_directory_shows_them(
    world: World, as_user
) -> None:  # type: ignore[no-untyped-def]
    path = CONTACTS.format(world.society_b.id)
    async with as_user("sec_b", cookies={"huibao_lang": "en"}) as client:
        form = {
            "contact_name": "刘洋",
            "contact_phone": "024-23456000",
            "contact_email": "lnma@example.org",
            "address": "沈阳市和平区",
        }
        response = await post(client, path, form, token_from=path)
        assert response.status_code == 303
        page = await client.get(response.headers["location"])
        assert "have been saved" in page.text
        directory = await client.get("/directory?q=医学会")
        assert "刘洋" in directory.text and "024-23456000" in directory.text
        home = await client.get("/")
        assert "Complete the contact details" not in home.text
    event = await AuditEvent.get(action="organisation.contacts")
    assert event.organisation_id == world.society_b.id
    assert "刘洋" in event.summary


async def test_a_bad_email_is_explained_and_nothing_changes(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    path = CONTACTS.format(world.society_a.id)
    async with as_user("sec_a", cookies={"huibao_lang": "en"}) as client:
        response = await post(
            client,
            path,
            {"contact_name": "张三", "contact_email": "not-an-address"},
            token_from=path,
        )
        assert response.status_code == 400
        assert "Enter an e-mail address" in response.text
        assert 'value="张三"' in response.text  # what was typed is kept
        too_long = await post(client, path, {"contact_name": "名" * 65}, token_from=path)
        assert too_long.status_code == 400
    unchanged = await Organisation.get(id=world.society_a.id)
    assert unchanged.contact_name == "王秘书"


async def test_members_and_other_societies_cannot_edit(world: World, as_user) -> None:  # type: ignore[no-untyped-def]
    async with as_user("member_a") as member:
        assert (await member.get(CONTACTS.format(world.society_a.id))).status_code == 404
        directory = await member.get("/directory")
        assert "/contacts" not in directory.text
    async with as_user("sec_a") as secretary:
        assert (await secretary.get(CONTACTS.format(world.society_b.id))).status_code == 404
        # Its own entry and its branches' are linked from the directory.
        directory = await secretary.get("/directory")
        assert CONTACTS.format(world.society_a.id) in directory.text
        assert CONTACTS.format(world.branch_a.id) in directory.text
        assert CONTACTS.format(world.society_b.id) not in directory.text
