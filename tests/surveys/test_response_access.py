"""Who may read, save, submit, download and see the history of a response: the society's
secretary answers; the association's staff review (read only); anyone else gets 404."""

from __future__ import annotations

import pytest

from surveys.models import Response
from surveys.states import ResponseState
from tests.conftest import World, csrf_token
from tests.survey_helpers import make_campaign, open_round, response_of, weekly_answers

FILE = "a" * 32


async def society_a_response(world: World) -> Response:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b])
    round_ = await open_round(campaign)
    return await response_of(round_, world.society_a)


@pytest.mark.parametrize("username", ["sec_b", "member_a", "outsider"])
async def test_others_get_404_everywhere(world: World, as_user, username: str) -> None:
    response = await society_a_response(world)
    base = f"/reports/responses/{response.id}"
    async with as_user(username) as c:
        token = await csrf_token(c, "/profile")
        headers = {"X-CSRF-Token": token}
        assert (await c.get(base)).status_code == 404
        assert (await c.get(base + "/history")).status_code == 404
        assert (await c.get(f"{base}/files/report_file/{FILE}")).status_code == 404
        for path in ("/answers/online_meetings", "/save", "/submit", "/prefill", "/files/x"):
            reply = await c.post(base + path, data={"value": "3"}, headers=headers)
            assert reply.status_code == 404, path
        listing = await c.get("/reports")
        assert f'{base}"' not in listing.text
    assert (await Response.get(id=response.id)).version == 0


async def test_staff_review_but_do_not_edit(world: World, as_user) -> None:
    response = await society_a_response(world)
    base = f"/reports/responses/{response.id}"
    async with as_user("staff") as c:
        page = await c.get(base)
        assert page.status_code == 200
        assert 'id="input-online_meetings"' not in page.text  # read-only
        token = await csrf_token(c, base)
        reply = await c.post(
            base + "/answers/online_meetings",
            data={"value": "3", "base": ""},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        assert reply.status_code == 409
        submit = await c.post(base + "/submit", data={"csrf_token": token})
        assert submit.status_code == 404
    assert (await Response.get(id=response.id)).version == 0


async def test_the_secretary_cannot_edit_what_is_submitted(world: World, as_user) -> None:
    campaign = await make_campaign(world.association, [world.society_a])
    round_ = await open_round(
        campaign,
        states={world.society_a.id: ResponseState.SUBMITTED},
        answers={world.society_a.id: weekly_answers()},
    )
    response = await response_of(round_, world.society_a)
    async with as_user("sec_a") as c:
        page = await c.get(f"/reports/responses/{response.id}")
        assert page.status_code == 200
        assert 'id="input-online_meetings"' not in page.text
        token = await csrf_token(c, f"/reports/responses/{response.id}")
        again = await c.post(f"/reports/responses/{response.id}/submit", data={"csrf_token": token})
    assert again.status_code == 409  # already submitted, told kindly
    assert (await Response.get(id=response.id)).state == ResponseState.SUBMITTED
