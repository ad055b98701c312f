"""The site's indexed route table answers every path exactly as Starlette's Router would.

Each route of the site is copied with an app that only records what it was given, and
the copies are served twice: by a plain Router and by intranet.routing's IndexedRouter.
For every route, a path built from it is sent with every method the site knows and
with its trailing slash toggled; the two routers must give the same status, endpoint,
path parameters, Allow and Location.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from starlette.convertors import IntegerConvertor, PathConvertor, StringConvertor
from starlette.routing import BaseRoute, Mount, NoMatchFound, Route, Router
from starlette.types import Receive, Scope, Send

from intranet.app import create_app
from intranet.convertors import IdConvertor
from intranet.routing import IndexedRouter

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")


def recording(route: BaseRoute) -> BaseRoute:
    """A copy of the route whose app answers 200 naming the route and its parameters."""

    async def record(scope: Scope, receive: Receive, send: Send) -> None:
        body = repr((getattr(route, "name", None), scope.get("path_params"))).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    recorder = copy.copy(route)
    recorder.app = record  # type: ignore[attr-defined]
    return recorder


def site_routes() -> list[BaseRoute]:
    return [recording(route) for route in create_app().routes]


async def answer(router: Router, method: str, path: str) -> tuple[Any, ...]:
    """What the router answers: status, body, and the Allow and Location headers."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "scheme": "http",
        "server": ("testserver", 80),
    }
    await router.app(scope, receive, send)
    headers = dict(sent[0].get("headers", []))
    return (
        sent[0]["status"],
        sent[1].get("body"),
        headers.get(b"allow"),
        headers.get(b"location"),
    )


def sample_value(convertor: Any) -> Any:
    if isinstance(convertor, IdConvertor):
        return 7
    if isinstance(convertor, IntegerConvertor):
        return 3
    if isinstance(convertor, PathConvertor):
        return "a/b.css"
    assert isinstance(convertor, StringConvertor), convertor
    return "a-key"


def sample_path(route: BaseRoute) -> str:
    """A concrete path the route matches, every parameter filled with a valid value."""
    if isinstance(route, Mount):
        return route.path + "/htmx.min.js"
    assert isinstance(route, Route)
    params = {name: sample_value(c) for name, c in route.param_convertors.items()}
    return str(route.url_path_for(route.name, **params))


def toggled(path: str) -> str:
    return path.rstrip("/") if path.endswith("/") and path != "/" else path + "/"


async def test_it_resolves_every_route_and_method_as_starlette_does() -> None:
    routes = site_routes()
    flat, indexed = Router(routes), IndexedRouter(routes)
    checked = 0
    for route in routes:
        path = sample_path(route)
        for method in METHODS:
            for asked in (path, toggled(path)):
                expected = await answer(flat, method, asked)
                assert await answer(indexed, method, asked) == expected, (method, asked)
                checked += 1
        # The sample reaches its own route, not an earlier one with the same path.
        status, body, _, _ = await answer(
            indexed, next(iter(getattr(route, "methods", None) or {"GET"})), path
        )
        assert status == 200
        assert repr(getattr(route, "name", None)).encode() in body
    assert checked == len(routes) * len(METHODS) * 2


@pytest.mark.parametrize(
    "path",
    [
        "/nothing-here",
        "/reports/nothing",
        "/reports/rounds/0",
        "/reports/rounds/2147483648",
        "/reports/rounds/abc/remind",
        "/notices/007",
        "/notices/",
        "/notices//",
        "/notices/feed.atom/",
        "/static",
        "/static/",
        "/healthz\n",
        "/reports\n",
        "//",
        "/",
        "",
        "/admin/people/5/roles/6/remove/",
        "/invitation/some/code",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_it_answers_other_paths_as_starlette_does(method: str, path: str) -> None:
    routes = site_routes()
    flat, indexed = Router(routes), IndexedRouter(routes)
    assert await answer(indexed, method, path) == await answer(flat, method, path)


async def test_it_refuses_a_wrong_method_with_the_same_allow() -> None:
    routes = site_routes()
    status, _, allow, _ = await answer(IndexedRouter(routes), "DELETE", "/notices/7")
    assert status == 405
    assert allow == (await answer(Router(routes), "DELETE", "/notices/7"))[2]
    assert set(allow.decode().split(", ")) == {"GET", "HEAD"}


async def test_it_redirects_a_missing_or_extra_slash() -> None:
    indexed = IndexedRouter(site_routes())
    assert (await answer(indexed, "GET", "/notices/"))[::3] == (307, b"http://testserver/notices")
    assert (await answer(indexed, "GET", "/static"))[::3] == (307, b"http://testserver/static/")


def test_it_gives_every_named_route_the_same_path() -> None:
    app = create_app()
    flat = Router(app.routes)
    assert isinstance(app.router, IndexedRouter)
    named = [route for route in app.routes if isinstance(route, Route)]
    assert len(named) > 100
    for route in named:
        params = {name: sample_value(c) for name, c in route.param_convertors.items()}
        assert app.url_path_for(route.name, **params) == flat.url_path_for(route.name, **params)
        with pytest.raises(NoMatchFound):
            app.url_path_for(route.name, **params, unexpected=1)
    assert app.url_path_for("static", path="/site.css") == flat.url_path_for(
        "static", path="/site.css"
    )
    with pytest.raises(NoMatchFound):
        app.url_path_for("intranet:no_such_page")


async def test_it_finds_the_last_of_many_routes_among_few_candidates() -> None:
    async def endpoint(request: Any) -> Any: ...

    many = [
        Route(f"/section-{i}/items/{{item_id:id}}", endpoint, name=f"s{i}") for i in range(1000)
    ]
    last = Route("/healthz", endpoint, name="last")
    indexed = IndexedRouter([recording(route) for route in [*many, last]])
    status, body, _, _ = await answer(indexed, "GET", "/healthz")
    assert (status, body) == (200, repr(("last", {})).encode())
    # The lookup asked one route, not the 1,000 declared before it.
    assert len(indexed.candidates({"type": "http", "path": "/healthz", "root_path": ""})) == 1
    assert len(indexed.candidates({"type": "http", "path": "/section-999/items/3"})) == 1


async def test_it_answers_paths_made_of_the_sites_segments_as_starlette_does() -> None:
    routes = site_routes()
    flat, indexed = Router(routes), IndexedRouter(routes)
    words = sorted({part for route in routes for part in sample_path(route).split("/")})
    words += ["7", "0", "x", "", "\n"]
    chance = random.Random(20261206)
    for _ in range(1500):
        path = "/" + "/".join(chance.choices(words, k=chance.randint(1, 6)))
        method = chance.choice(METHODS)
        assert await answer(indexed, method, path) == await answer(flat, method, path), path


def test_it_names_a_route_inside_an_unnamed_mount_in_declaration_order() -> None:
    async def endpoint(request: Any) -> Any: ...

    routes = [
        Mount("/inner", routes=[Route("/page", endpoint, name="page")]),
        Route("/page", endpoint, name="page"),
    ]
    assert IndexedRouter(routes).url_path_for("page") == Router(routes).url_path_for("page")
    assert IndexedRouter(routes).url_path_for("page") == "/inner/page"
