"""The site's route table: routes found by their literal path segments, not one by one.

Starlette's Router tries every route in turn, so a request for a route declared late
costs a regular-expression match per route before it (about 30 µs for the last of the
site's ~120). `IndexedRouter` answers exactly as that Router does but asks only the
routes that can match: an index keyed by the path's first segment, then the second,
as long as the routes' paths begin with literal text (`/reports/rounds/{round_id:id}`
is found under "reports", then "rounds"). A route whose segment at some depth is a
parameter (which may hold a "/", with the `path` convertor) stays a candidate for
every path below that point, in its place. Among the candidates, taken in declaration
order, the first full match wins and else the first partial one (405 with Allow),
redirect_slashes looks the other path up the same way, and `url_path_for` asks only
the routes of that name (plus mounts, whose children may have it).

The index holds only Starlette's own Route, WebSocketRoute and Mount, whose paths it
knows how they match; any other route is a candidate for every path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import URL, URLPath
from starlette.responses import RedirectResponse
from starlette.routing import (
    BaseRoute,
    Match,
    Mount,
    NoMatchFound,
    Route,
    Router,
    WebSocketRoute,
    get_route_path,
)
from starlette.types import Receive, Scope, Send

# The key of a path that has no segment at the depth looked at ("/reports" at depth 1).
_END = "\0end"


def _literal_segments(route: BaseRoute) -> tuple[list[str], bool] | None:
    """The segments of a route's path up to its first parameter, and whether the path
    ends there (no parameter at all); None for a route the index must not judge."""
    if type(route) in (Route, WebSocketRoute):
        path: str = route.path  # type: ignore[attr-defined]
    elif type(route) is Mount:
        path = route.path + "/{path}"  # a mount matches its path, "/" and anything
    else:
        return None
    segments = path[1:].split("/")
    for depth, segment in enumerate(segments):
        if "{" in segment:
            return segments[:depth], False
    return segments, True


class _Node:
    """The candidates for the paths that share the segments looked at so far."""

    __slots__ = ("candidates", "children", "depth", "fallback")

    def __init__(self, entries: list[tuple[BaseRoute, tuple[list[str], bool] | None]], depth: int):
        self.depth = depth
        self.candidates = [route for route, _ in entries]
        self.children: dict[str, _Node] = {}
        # The routes that need this segment to be one text, and those that take any.
        keyed = {key for _, literal in entries if (key := _key(literal, depth)) is not None}
        self.fallback = [route for route, literal in entries if _key(literal, depth) is None]
        for key in keyed:
            chosen = [entry for entry in entries if _key(entry[1], depth) in (key, None)]
            self.children[key] = _Node(chosen, depth + 1)

    def lookup(self, segments: list[str]) -> list[BaseRoute]:
        node = self
        while node.children:
            depth = node.depth
            if depth < len(segments):
                segment = segments[depth]
                if depth == len(segments) - 1 and segment.endswith("\n"):
                    # A route's regex ends with "$", which also matches before a final newline.
                    segment = segment[:-1]
            else:
                segment = _END
            child = node.children.get(segment)
            if child is None:
                return node.fallback
            node = child
        return node.candidates


def _key(literal: tuple[list[str], bool] | None, depth: int) -> str | None:
    """The index key of a route at `depth`, or None if it is a candidate whatever the
    path holds there."""
    if literal is None:
        return None
    segments, whole = literal
    if depth < len(segments):
        return segments[depth]
    return _END if whole and depth == len(segments) else None


class IndexedRouter(Router):
    """Starlette's Router, answering the same, in time independent of the route count.
    Assigning `routes` rebuilds the index."""

    @property  # type: ignore[override]
    def routes(self) -> list[BaseRoute]:
        return self._routes

    @routes.setter
    def routes(self, routes: Sequence[BaseRoute]) -> None:
        self._routes = list(routes)
        self._index = _Node([(route, _literal_segments(route)) for route in self._routes], 0)
        named: dict[str, list[int]] = {}
        unnamed: list[int] = []
        for position, route in enumerate(self._routes):
            if type(route) in (Route, WebSocketRoute):
                named.setdefault(route.name, []).append(position)  # type: ignore[attr-defined]
            else:
                unnamed.append(position)
        self._others = [self._routes[position] for position in unnamed]
        self._by_name = {
            name: [self._routes[p] for p in sorted(positions + unnamed)]
            for name, positions in named.items()
        }

    def candidates(self, scope: Scope) -> list[BaseRoute]:
        """The routes that may match this scope, in declaration order."""
        return self._index.lookup(get_route_path(scope)[1:].split("/"))

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self._by_name.get(name, self._others):
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Router.app with the candidates in place of every route.
        assert scope["type"] in ("http", "websocket", "lifespan")
        if "router" not in scope:
            scope["router"] = self
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
            return
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.candidates(scope):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is not None:
            route, child_scope = partial
            scope["route"] = route
            scope.update(child_scope)
            await route.handle(scope, receive, send)
            return
        if await self._redirect_slashes(scope, receive, send):
            return
        await self.default(scope, receive, send)

    async def _redirect_slashes(self, scope: Scope, receive: Receive, send: Send) -> bool:
        route_path = get_route_path(scope)
        if scope["type"] != "http" or not self.redirect_slashes or route_path == "/":
            return False
        redirect_scope = dict(scope)
        if route_path.endswith("/"):
            redirect_scope["path"] = redirect_scope["path"].rstrip("/")
        else:
            redirect_scope["path"] = redirect_scope["path"] + "/"
        for route in self.candidates(redirect_scope):
            match, _ = route.matches(redirect_scope)
            if match is not Match.NONE:
                response = RedirectResponse(url=str(URL(scope=redirect_scope)))
                await response(scope, receive, send)
                return True
        return False


class IndexedStarlette(Starlette):
    """Starlette served by an IndexedRouter; `routes` and everything else as Starlette's."""

    def __init__(self, *, routes: Sequence[BaseRoute] = (), **options: Any) -> None:
        super().__init__(routes=routes, **options)
        self.router = IndexedRouter(routes, lifespan=options.get("lifespan"))
