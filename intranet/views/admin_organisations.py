"""Admin: organisations (built out separately)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet import policy
from intranet.templating import render


async def index(request: Request) -> Response:
    await policy.require_admin(request)
    return render(request, "intranet/home.html", {"memberships": [], "attention": []})


routes = [Route("/admin/organisations", index, name="intranet:admin_organisations")]
