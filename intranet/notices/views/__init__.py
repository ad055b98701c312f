"""The notice pages: reading, writing, the steps that change a notice, read receipts.

The domain (who a notice is for, its numbering, its workflow) is in intranet.notices;
these modules parse the request, ask intranet.policy, make one domain call and render.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from intranet.notices.views import (
    actions,
    attachments,
    document,
    editing,
    feed,
    listing,
    paste,
    prefixes,
    receipts,
)


def routes() -> list[BaseRoute]:
    return [
        *actions.routes,
        *attachments.routes,
        *editing.routes,
        *paste.routes,
        *prefixes.routes,
        *receipts.routes,
        *listing.routes,
        *feed.routes,
        *document.routes,
    ]
