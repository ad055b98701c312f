"""Every POST route refuses a request it cannot tell came from its own page.

For each route of the table that takes POST, aimed at real things, and sent by someone
who may use it: without a CSRF token, with a wrong one, with another session's, with a
visitor's from before sign-in, and with the right one but marked by the browser as sent
from another site. Each answers 403 and no row changes. The same body with the right
token is then not refused, so the 403s are the token's doing.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import World
from tests.hostile.routes import (
    NOBODY,
    changed_tables,
    fill,
    named_routes,
    route_names,
    signed_in,
    snapshot,
    stop_exports,
    targets,
    token_of,
    who_may_use,
)

# What any of the site's forms might carry, so that the refusal is not merely a
# missing field's.
BODY = {"title": "被篡改", "name": "被篡改", "value": "1", "locale": "en", "next": "/"}


async def attempts(
    client: httpx.AsyncClient, path: str, right: str, others: list[str]
) -> dict[str, httpx.Response]:
    sent = {
        "no token": await client.post(path, data=BODY),
        "wrong token": await client.post(path, data={**BODY, "csrf_token": "0" * 64}),
        "wrong header": await client.post(path, data=BODY, headers={"X-CSRF-Token": "00ff"}),
        "cross-site": await client.post(
            path, data={**BODY, "csrf_token": right}, headers={"Sec-Fetch-Site": "cross-site"}
        ),
        "same-site": await client.post(
            path, headers={"Sec-Fetch-Site": "same-site", "X-CSRF-Token": right}, data=BODY
        ),
    }
    for index, other in enumerate(others):
        sent[f"another session's token {index}"] = await client.post(
            path, data={**BODY, "csrf_token": other}
        )
        sent[f"another session's header {index}"] = await client.post(
            path, data=BODY, headers={"X-CSRF-Token": other}
        )
    return sent


@pytest.mark.parametrize("name", route_names("POST"))
async def test_it_refuses_a_post_without_this_sessions_token(app, world: World, name: str) -> None:  # type: ignore[no-untyped-def]
    route = named_routes(app).get(name)
    assert route is not None, f"{name} is no longer a route"
    path = fill(route, await targets(app, world))
    client = await signed_in(app, who_may_use(name))
    other = await signed_in(app, NOBODY)
    visitor = await signed_in(app, "anonymous")
    try:
        right = await token_of(client)
        others = [await token_of(other), await token_of(visitor)]
        assert right not in others
        before = await snapshot()
        refused = {
            how: response.status_code
            for how, response in (await attempts(client, path, right, others)).items()
            if response.status_code != 403
        }
        assert refused == {}, f"POST {path} was not refused"
        assert changed_tables(before, await snapshot()) == []
        # The visitor's own token works for the visitor, who is signed in nowhere.
        anonymous = await visitor.post(path, data=BODY, headers={"Sec-Fetch-Site": "cross-site"})
        assert anonymous.status_code == 403
        # With the right token the person reaches the route's own code (which the fuzzing
        # of tests/hostile/test_fuzz_posts.py relies on): no refusal, no 404.
        allowed = await client.post(path, data={**BODY, "csrf_token": right})
        assert allowed.status_code not in (403, 404, 405), f"POST {path}: {allowed.status_code}"
    finally:
        for c in (client, other, visitor):
            await c.aclose()
        await stop_exports()
