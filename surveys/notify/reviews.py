"""Telling the respondent that their report was returned (with why) or approved."""

from __future__ import annotations

import datetime as dt

from surveys.models import Response, Round
from surveys.notify.messages import compose, response_url
from surveys.notify.sending import deliver, recipients


async def response_reviewed(
    response: Response, kind: str, now: dt.datetime, *, reason: str = ""
) -> None:
    """Tell the respondent their report was returned (with why) or approved. The key
    names the response's version after the step, so each step is told once. The
    message names no deadline, so it needs no clock."""
    round_ = await Round.get(id=response.round_id).select_related("campaign__organiser")
    if response.organisation_id is not None:
        told = await recipients([response.organisation_id], round_.campaign.organiser)
        people = told.get(response.organisation_id, [])
    else:
        people = [response.user_id] if response.user_id is not None else []
    message = compose(kind, round_, None, response_url(response.id), reason=reason)
    key = f"response:{response.id}:{kind.removeprefix('response.')}:{response.version}"
    await deliver(people, kind=kind, key=key, message=message, now=now)
