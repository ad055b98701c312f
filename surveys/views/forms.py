"""(to be built)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet import policy
from intranet.templating import render


async def forms(request: Request) -> Response:
    policy.require_user(request)
    return render(request, "surveys/placeholder.html")


routes = [Route("/reports/forms", forms, name="surveys:forms")]
