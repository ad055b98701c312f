"""The session lookup every signed-in request makes reads the session, its person and
their roles in one hand-written statement; what it gives must be what the ORM gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise import timezone
from tortoise.models import Model

from intranet.accounts import live_session, start_session
from intranet.models import Membership, Role, User, UserSession
from intranet.settings import Settings
from tests.conftest import World


def values_of(instance: Model) -> dict[str, Any]:
    """Every column's value as the model holds it, with its type and time zone."""
    meta = instance._meta
    names = [meta.fields_db_projection_reverse[column] for column in meta.db_fields]
    return {
        name: (value, type(value), getattr(value, "tzinfo", None))
        for name in names
        for value in [getattr(instance, name)]
    }


async def test_it_reads_what_the_orm_reads(world: World, settings: Settings) -> None:
    await Membership.create(user=world.admin, organisation=world.society_b, role=Role.SECRETARY)
    world.admin.locale = "en"
    world.admin.password_changed_at = timezone.now() - timedelta(days=3)
    await world.admin.save()
    token = await start_session(settings, world.admin, "127.0.0.1", "Firefox", remember=True)

    found = await live_session(token, timezone.now())

    assert found is not None
    session, held = found
    expected = await UserSession.filter(user=world.admin).select_related("user").get()
    assert values_of(session) == values_of(expected)
    assert values_of(session.user) == values_of(expected.user)
    roles = await Membership.filter(user=world.admin).select_related("organisation")
    assert [m.id for m in held] == sorted(m.id for m in roles)
    by_id = {m.id: m for m in roles}
    for membership in held:
        assert values_of(membership) == values_of(by_id[membership.id])
        assert values_of(membership.organisation) == values_of(by_id[membership.id].organisation)
    assert [m.role for m in held] == [Role.ADMIN, Role.SECRETARY]


async def test_a_person_without_roles_has_an_empty_list(world: World, settings: Settings) -> None:
    token = await start_session(settings, world.outsider, "127.0.0.1", "Firefox")

    found = await live_session(token, timezone.now())

    assert found is not None
    session, held = found
    assert session.user.username == "outsider"
    assert held == []


async def test_an_expired_or_unknown_session_is_nobody(world: World, settings: Settings) -> None:
    token = await start_session(settings, world.member_a, "127.0.0.1", "Firefox")
    session = await UserSession.get(user=world.member_a)

    assert await live_session("not-a-token", timezone.now()) is None
    assert await live_session(token, session.expires_at) is None
    assert await live_session(token, session.expires_at - timedelta(seconds=1)) is not None


async def test_the_person_is_read_afresh_on_every_request(world: World, settings: Settings) -> None:
    token = await start_session(settings, world.member_a, "127.0.0.1", "Firefox")
    await User.filter(id=world.member_a.id).update(display_name="改名后的会员")
    await Membership.filter(user=world.member_a).update(role=Role.SECRETARY)

    found = await live_session(token, timezone.now())

    assert found is not None
    session, held = found
    assert session.user.display_name == "改名后的会员"
    assert [m.role for m in held] == [Role.SECRETARY]
