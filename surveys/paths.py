"""The surveys area's route path templates, named once (see intranet.paths).

The views declare their routes with these constants; notifications and the scheduler,
which have no request, fill them in to build the links they send.
"""

from __future__ import annotations

from intranet.paths import fill

RESPONSE = "/reports/responses/{response_id:id}"
MY_ROUND = "/reports/rounds/{round_id:id}/mine"


def response(response_id: int) -> str:
    return fill(RESPONSE, response_id=response_id)


def my_round(round_id: int) -> str:
    return fill(MY_ROUND, round_id=round_id)
