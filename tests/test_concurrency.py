"""Writes from many requests at once all succeed and are all kept (no "database is locked")."""

from __future__ import annotations

import asyncio

from intranet.models import AuditEvent, User
from tests.conftest import World, make_user, post


async def test_simultaneous_profile_saves_are_all_kept(world: World, as_user, settings) -> None:  # type: ignore[no-untyped-def]
    usernames = [f"person{n}" for n in range(12)]
    for username in usernames:
        await make_user(settings, username, username)

    async def save_profile(username: str) -> int:
        async with as_user(username) as client:
            responses = await asyncio.gather(
                *(
                    post(client, "/profile", {"display_name": f"{username}-{n}", "title": str(n)})
                    for n in range(3)
                )
            )
            return sum(r.status_code == 303 for r in responses)

    saved = await asyncio.gather(*(save_profile(u) for u in usernames))
    assert saved == [3] * len(usernames)
    for username in usernames:
        person = await User.get(username=username)
        assert person.display_name.startswith(f"{username}-")
    updates = await AuditEvent.filter(action="profile.update").count()
    assert updates == 3 * len(usernames)
