"""Home, health check and the organisation directory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.expressions import Q

from intranet import policy
from intranet.forms import clean_line
from intranet.models import Category, Organisation
from intranet.templating import render

DIRECTORY_PAGE_SIZE = 50


async def database_answers() -> bool:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:
        return False
    return True


class LiveCheck:
    """Runs the health check's query, shared by the requests waiting for it.

    A request that arrives while a query is running waits for the next one, which starts
    only after that one is done: every answer comes from a query issued after the request
    came in (nothing is cached), but many probes at once do not each queue their own query
    behind the connection's lock.
    """

    def __init__(self, check: Callable[[], Awaitable[bool]]) -> None:
        self.check = check
        self.loop: asyncio.AbstractEventLoop | None = None
        self.next: asyncio.Future[bool] | None = None
        self.runner: asyncio.Task[None] | None = None

    async def __call__(self) -> bool:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (tests start several): start afresh
            self.loop, self.next, self.runner = loop, None, None
        if self.next is None:
            self.next = loop.create_future()
        if self.runner is None:
            self.runner = loop.create_task(self.run())
        return await asyncio.shield(self.next)

    async def run(self) -> None:
        waiting: asyncio.Future[bool] | None = None
        try:
            while self.next is not None:
                waiting, self.next = self.next, None
                waiting.set_result(await self.check())
        except BaseException:  # cancelled at shutdown: let no waiter hang
            for future in (waiting, self.next):
                if future is not None:
                    future.cancel()
            self.next = None
            raise
        finally:
            self.runner = None


database_check = LiveCheck(database_answers)


async def healthz(request: Request) -> Response:
    if not await database_check():
        return PlainTextResponse("database unreachable", status_code=503)
    return PlainTextResponse("ok")


async def home(request: Request) -> Response:
    policy.require_user(request)
    held = await policy.memberships(request)
    attention = await attention_items(request, held)
    return render(request, "intranet/home.html", {"memberships": held, "attention": attention})


async def attention_items(request: Request, held: list) -> list[dict]:
    """What needs this person's attention. Later areas (notices, reports) add to it."""
    items: list[dict] = []
    for provider in request.app.state.attention_providers:
        items.extend(await provider(request, held))
    return items


async def directory(request: Request) -> Response:
    policy.require_user(request)
    query = clean_line(request.query_params.get("q", ""))[:50]
    category_id = request.query_params.get("category", "")
    organisations = Organisation.filter(is_active=True)
    if query:
        organisations = organisations.filter(
            Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code__icontains=query)
        )
    if category_id.isdigit():
        organisations = organisations.filter(categories__id=int(category_id))
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    total = await organisations.count()
    rows = (
        await organisations.order_by("path")
        .offset((page - 1) * DIRECTORY_PAGE_SIZE)
        .limit(DIRECTORY_PAGE_SIZE)
        .prefetch_related("categories")
    )
    context = {
        "organisations": rows,
        "categories": await Category.all(),
        "q": query,
        "category_id": int(category_id) if category_id.isdigit() else None,
        "page": page,
        "pages": max(1, -(-total // DIRECTORY_PAGE_SIZE)),
        "total": total,
    }
    return render(
        request, "intranet/directory.html", context, partial="intranet/_directory_rows.html"
    )


routes = [
    Route("/", home, name="intranet:home"),
    Route("/healthz", healthz, name="intranet:healthz"),
    Route("/directory", directory, name="intranet:directory"),
]
