"""The review queue: every report awaiting a person's review, across the rounds they run.

No HTTP here: views ask surveys.policy who may act and call these.

Decisions the issue leaves open:
- A report awaits review while it is submitted or resubmitted; the queue shows the ones
  of every campaign the person runs (surveys.policy.can_run_campaign), oldest
  submission first, so the report that has waited longest is reviewed first.
- "Next" after approving or returning a report is the oldest one still waiting in the
  same round, then the oldest anywhere in the queue: a reviewer works through one
  round's reports before moving on to the next round.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from intranet.models import Membership
from surveys import policy
from surveys.models import Response, Round
from surveys.states import ResponseState

AWAITING_REVIEW = (ResponseState.SUBMITTED, ResponseState.RESUBMITTED)


@dataclass(frozen=True)
class RoundWaiting:
    """One round's reports awaiting review: the home page's and the queue's per-round line."""

    round: Round  # campaign__organiser loaded
    count: int


def _waiting(held: list[Membership], round_id: int | None = None):  # type: ignore[no-untyped-def]
    """The awaiting responses of campaigns organised inside the person's organisations
    (narrowed further by `policy.can_run_campaign` on the rows found)."""
    organisers = policy.form_owners(held)
    found = Response.filter(
        policy.organised_inside(organisers, "round__campaign__organiser__path"),
        state__in=list(AWAITING_REVIEW),
    )
    return found.filter(round_id=round_id) if round_id is not None else found


async def rounds_waiting(held: list[Membership]) -> list[RoundWaiting]:
    """The rounds with reports awaiting this person's review and how many each, the round
    whose oldest report has waited longest first. Two queries however many reports."""
    if not policy.form_owners(held):
        return []
    rows = await _waiting(held).order_by("submitted_at", "id").values_list("round_id", flat=True)
    counts: Counter[int] = Counter(rows)  # type: ignore[arg-type]
    if not counts:
        return []
    order = list(dict.fromkeys(rows))  # type: ignore[arg-type]
    found = await Round.filter(id__in=order).select_related("campaign__organiser")
    by_id = {r.id: r for r in found if policy.can_run_campaign(held, r.campaign)}
    return [RoundWaiting(by_id[i], counts[i]) for i in order if i in by_id]


async def queue(held: list[Membership], *, round_id: int | None = None) -> list[Response]:
    """The reports awaiting this person's review (in one round, if given), oldest
    submission first; `round__campaign__organiser`, `organisation` and `user` loaded."""
    if not policy.form_owners(held):
        return []
    found = (
        await _waiting(held, round_id)
        .select_related("round__campaign__organiser", "organisation", "user")
        .order_by("submitted_at", "id")
    )
    return [r for r in found if policy.can_run_campaign(held, r.round.campaign)]


async def next_after(held: list[Membership], reviewed: Response) -> Response | None:
    """The report to review after `reviewed`: the oldest still waiting in its round, or
    else the oldest waiting anywhere; None when the queue is empty."""
    round_id = reviewed.round_id
    for candidates in (await queue(held, round_id=round_id), await queue(held)):
        rest = [r for r in candidates if r.id != reviewed.id]
        if rest:
            return rest[0]
    return None
