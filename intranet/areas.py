"""The areas built on the intranet, and what each adds to the site.

The intranet never imports an area: `load_areas()` imports each module named in AREAS
(the only `import_module` of the intranet) and takes its `area`, an `Area` value that
says everything the area adds: routes, database models, menu links, stylesheets and
scripts, home-page items, background tasks, `huibao` commands, demo data and the hooks
the site calls at start, at shutdown and from cron. The site (intranet.app), the
database set-up (intranet.db), the command line (intranet.cli), the demo
(intranet.demo) and the templates (intranet.templating, base.html) read the areas from
here, and from nowhere else.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import import_module
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute

from intranet.models import Membership, Organisation
from intranet.settings import Settings

# Each names a module whose `area` is an Area. The only place the intranet names one.
AREAS: tuple[str, ...] = ("surveys.area",)

# Async callables (request, memberships) -> the home page's items for this person.
AttentionProvider = Callable[[Request, list[Membership]], Awaitable[list[dict[str, Any]]]]
# Run for the life of the site (when HUIBAO_SCHEDULER is on), cancelled at shutdown.
BackgroundTask = Callable[[Starlette], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class NavLink:
    """A link in the site's menu: a route name and its label (marked with N_, translated
    when shown), shown to whoever `shown_to` accepts (everyone signed in when None)."""

    route: str
    label: str
    shown_to: Callable[[list[Membership]], bool] | None = None

    def is_shown_to(self, held: list[Membership]) -> bool:
        return self.shown_to is None or self.shown_to(held)


@dataclass(frozen=True)
class Command:
    """A `huibao` subcommand. `arguments` adds its options to the parser; `run` does
    the work and returns the exit status (raise intranet.cli.CommandError to fail)."""

    name: str
    help: str
    description: str
    run: Callable[[Settings, argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None


@dataclass(frozen=True)
class Area:
    """What one area adds to the site; see the module docstring."""

    name: str
    routes: Callable[[], list[BaseRoute]]
    # The Tortoise app: its label, its models modules and its migrations package.
    models: tuple[str, ...] = ()
    migrations: str | None = None
    nav_links: tuple[NavLink, ...] = ()
    stylesheets: tuple[str, ...] = ()  # under static/
    scripts: tuple[str, ...] = ()  # under static/, loaded with defer
    attention_providers: tuple[AttentionProvider, ...] = ()
    background_tasks: tuple[BackgroundTask, ...] = ()
    commands: tuple[Command, ...] = ()
    # Entered at start-up, left at shutdown.
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None
    # The area's demo data, after the intranet's (organisations by name).
    load_demo: Callable[[Settings, dict[str, Organisation]], Awaitable[None]] | None = None
    # One pass of the area's scheduled work, for `huibao send-due` (cron); returns a
    # count to print, or None.
    send_due: Callable[[datetime, Settings], Awaitable[int | None]] | None = None
    # Forget what the area keeps between requests (a new site starts with nothing).
    forget_kept: Callable[[], None] | None = None

    @property
    def tortoise_app(self) -> dict[str, Any] | None:
        if not self.models:
            return None
        return {"models": list(self.models), "migrations": self.migrations}


@cache
def load_areas() -> tuple[Area, ...]:
    """The areas of AREAS, imported once."""
    areas = []
    for name in AREAS:
        area = import_module(name).area
        if not isinstance(area, Area):
            raise TypeError(f"{name}.area is not an intranet.areas.Area")
        areas.append(area)
    return tuple(areas)
