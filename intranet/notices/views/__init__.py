"""The notice pages: reading, writing, the steps that change a notice, read receipts.

The domain (who a notice is for, its numbering, its workflow) is in intranet.notices;
these modules parse the request, ask intranet.policy, make one domain call and render.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from intranet.notices.views import actions, editing, reading, receipts


def routes() -> list[BaseRoute]:
    # In this order: the first route that matches a path answers it.
    return [*actions.routes, *editing.routes, *receipts.routes, *reading.routes]
