"""Every route of the site, as explicit lists owned by each area."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from intranet.directory import views as directory
from intranet.notices import views as notices
from intranet.notifications import views as notifications
from intranet.templating import STATIC_DIR
from intranet.views import (
    accounts,
    admin_audit,
    admin_organisations,
    admin_people,
    site,
)


def routes() -> list[BaseRoute]:
    return [
        *site.routes,
        *accounts.routes,
        *admin_organisations.routes,
        *admin_people.routes,
        *admin_audit.routes,
        *directory.routes,
        *notices.routes(),
        *notifications.routes,
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
