"""The `{name:id}` path convertor: only the ids a row can have reach a view."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from intranet.convertors import MAX_ID


async def echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(repr(request.path_params["thing_id"]))


def client() -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/things/{thing_id:id}", echo, name="thing")])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_an_id_in_the_column_s_range_reaches_the_view_as_an_int() -> None:
    async with client() as http:
        for text in ["1", "42", "999999999", "1000000000", "2147483646", str(MAX_ID)]:
            response = await http.get(f"/things/{text}")
            assert (response.status_code, response.text) == (200, text)


async def test_an_id_no_row_can_have_is_not_found_by_routing() -> None:
    huge = ["2147483648", "2147483650", "2200000000", "9999999999", "9223372036854775808"]
    async with client() as http:
        for text in ["0", "007", "-1", "1.0", "x", *huge]:
            assert (await http.get(f"/things/{text}")).status_code == 404, text


def test_links_are_built_only_for_ids_a_row_can_have() -> None:
    app = Starlette(routes=[Route("/things/{thing_id:id}", echo, name="thing")])
    assert app.url_path_for("thing", thing_id=MAX_ID) == f"/things/{MAX_ID}"
    try:
        app.url_path_for("thing", thing_id=MAX_ID + 1)
    except AssertionError:
        return
    raise AssertionError("a link to an id beyond the column's range was built")
