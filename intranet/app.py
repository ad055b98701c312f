"""The application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from intranet import db, i18n
from intranet.areas import load_areas
from intranet.directory import jobs as directory_jobs
from intranet.health import HealthCheck
from intranet.i18n import N_, gettext
from intranet.memory import release_free_memory, trim_after_full_collections
from intranet.middleware import (
    AllowedHostsMiddleware,
    BodyLimitMiddleware,
    CSRFMiddleware,
    SecurityHeadersMiddleware,
    SessionMiddleware,
    visitor_locale,
)
from intranet.notices import summary_cache
from intranet.notices.attention import notice_attention
from intranet.notifications import scheduler as notification_scheduler
from intranet.notifications import send as notification_send
from intranet.notifications.email import backend_for
from intranet.routing import IndexedStarlette
from intranet.settings import Settings, load_settings
from intranet.storage import LocalStorage
from intranet.templating import is_htmx, make_templates
from intranet.urls import routes

logger = logging.getLogger("huibao")

ERROR_MESSAGES = {
    400: (N_("Bad request"), N_("The request could not be understood.")),
    403: (
        N_("Not allowed"),
        N_(
            "This page has expired or the request did not come from this site. "
            "Go back, reload the page and try again."
        ),
    ),
    404: (N_("Not found"), N_("There is no such page, or you may not see it.")),
    405: (N_("Not allowed"), N_("That action is not available here.")),
    413: (
        N_("Too large"),
        N_("What you sent is larger than the site accepts. Nothing was saved."),
    ),
    429: (N_("Too many attempts"), N_("Please wait a while and try again.")),
    500: (
        N_("Something went wrong"),
        N_(
            "The site could not complete this request. Nothing you were told was saved has "
            "been lost; please try again, and tell the administrator if it happens again."
        ),
    ),
    503: (N_("Unavailable"), N_("The site is briefly unavailable. Please try again shortly.")),
}


async def render_error(scope: Scope, status_code: int, detail: str | None = None) -> Response:
    request = Request(scope)
    if "user" not in scope:
        # Refused before the session was read (413, or a failure in the session lookup):
        # speak the language of the visitor's cookie or the site's, not the last request's.
        i18n.set_locale(visitor_locale(scope, request.app.state.settings))
    title, message = ERROR_MESSAGES.get(status_code, ERROR_MESSAGES[400])
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "errors/_error.html" if is_htmx(request) else "errors/error.html",
        {
            "status_code": status_code,
            "title": gettext(title),
            "message": detail or gettext(message),
        },
        status_code=status_code,
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (301, 302, 303, 307, 308):
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail if exc.detail and exc.detail != _default_phrase(exc.status_code) else None
    response = await render_error(request.scope, exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _default_phrase(status_code: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status_code).phrase


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Starlette:
    """Build the site. With manage_database=False the caller starts and stops the ORM
    (the in-process tests do, once for the whole run)."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if manage_database:
            await db.init(settings)
        # What start-up loaded stays for the life of the process: keep the garbage
        # collector from walking it again on every full collection, and give what
        # start-up freed back to the operating system.
        release_free_memory()
        gc.freeze()
        trim_after_full_collections()
        tasks = [asyncio.create_task(run(app)) for run in background if settings.run_scheduler]
        try:
            async with AsyncExitStack() as stack:
                for area in areas:
                    if area.lifespan is not None:
                        await stack.enter_async_context(area.lifespan(app))
                yield {}
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await directory_jobs.shutdown()  # the import worker process, if one started
            if manage_database:
                await db.close()

    # The areas built on the intranet (intranet.areas), which it never imports itself.
    areas = load_areas()
    # The intranet's own task (the e-mail outbox), then the areas'.
    background = [
        notification_scheduler.run,
        *(run for area in areas for run in area.background_tasks),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware, settings=settings, render_error=render_error),
        Middleware(AllowedHostsMiddleware, settings=settings, render_error=render_error),
        Middleware(BodyLimitMiddleware, settings=settings, render_error=render_error),
        Middleware(SessionMiddleware, settings=settings),
        Middleware(CSRFMiddleware, settings=settings, render_error=render_error),
    ]
    # Every route of the site in one table, looked up by path segment (intranet.routing).
    app = IndexedStarlette(
        debug=settings.debug,
        routes=[*(route for area in areas for route in area.routes()), *routes()],
        middleware=middleware,
        exception_handlers={HTTPException: http_exception},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.templates = make_templates(settings)
    # Async callables (request, memberships) -> list of home-page items; areas append theirs.
    app.state.attention_providers = [
        notice_attention,
        *(provider for area in areas for provider in area.attention_providers),
    ]
    app.state.storage = LocalStorage.for_settings(settings)
    app.state.email_backend = backend_for(settings)
    notification_send.configure(settings)
    app.state.health_check = HealthCheck()
    # A new site starts with nothing remembered (the tests build one per emptied database).
    summary_cache.forget_summaries()
    for area in areas:
        if area.forget_kept is not None:
            area.forget_kept()
    return app
