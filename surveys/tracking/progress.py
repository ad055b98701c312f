"""How a round is filling in: its completion, the tracker's rows, state counts and filters."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tortoise.functions import Count

from intranet.i18n import N_
from surveys import notify
from surveys.models import (
    Response,
    Round,
    RoundReminder,
)
from surveys.state_changes import AWAITING_ANSWER, is_late, was_resent
from surveys.states import ResponseState
from surveys.tracking.messages import DONE_STATES, TRACKER_STATES

# -- completion ------------------------------------------------------------------------


@dataclass
class RoundProgress:
    roster: int = 0
    done: int = 0  # submitted, resubmitted or approved
    approved: int = 0
    awaiting: int = 0  # not started, draft or returned
    overdue: int = 0

    @property
    def rate(self) -> int:
        """Per cent done, rounded down so 199 of 200 never shows as 100%."""
        return self.done * 100 // self.roster if self.roster else 0


async def progress(rounds: Sequence[Round], now: dt.datetime) -> dict[int, RoundProgress]:
    """Each round's counts in one query."""
    found = {r.id: RoundProgress() for r in rounds}
    if not rounds:
        return found
    rows = (
        await Response.filter(round_id__in=list(found))
        .annotate(n=Count("id"))
        .group_by("round_id", "state")
        .values("round_id", "state", "n")
    )
    due = {r.id: r.is_overdue(now) for r in rounds}
    for row in rows:
        counts, state, n = found[row["round_id"]], ResponseState(row["state"]), row["n"]
        counts.roster += n
        if state in DONE_STATES:
            counts.done += n
        if state == ResponseState.APPROVED:
            counts.approved += n
        if state in AWAITING_ANSWER:
            counts.awaiting += n
            if due[row["round_id"]]:
                counts.overdue += n
    return found


# -- the round tracker -------------------------------------------------------------------


@dataclass
class TrackerRow:
    response: Response
    name: str
    state: ResponseState
    late: bool  # first submitted after the deadline
    resent: bool  # submitted again after it was returned (退回后重报)
    overdue: bool
    reminded_at: dt.datetime | None


async def tracker_rows(
    round_: Round, now: dt.datetime, *, category_id: int | None = None
) -> list[TrackerRow]:
    """The round's responses by organisation name (or person), optionally only those of
    organisations in one category."""
    responses = Response.filter(round_id=round_.id).select_related("organisation", "user")
    if category_id is not None:
        responses = responses.filter(organisation__categories__id=category_id)
    reminded: dict[int, dt.datetime] = {}
    # Reminders, automatic or by staff; the opening announcement is not one.
    sent = RoundReminder.filter(round_id=round_.id).exclude(kind=notify.ROUND_OPENED.name)
    for reminder in await sent.order_by("created_at"):
        reminded[reminder.organisation_id] = reminder.created_at
    overdue_now = round_.is_overdue(now)
    rows = []
    for response in await responses:
        response.round = round_
        state = ResponseState(response.state)
        organisation = response.organisation
        name = respondent_name(response)
        rows.append(
            TrackerRow(
                response=response,
                name=name,
                state=state,
                late=is_late(response),
                resent=was_resent(response),
                overdue=overdue_now and state in AWAITING_ANSWER,
                reminded_at=reminded.get(organisation.id) if organisation else None,
            )
        )
    rows.sort(
        key=lambda row: (
            row.response.organisation.path if row.response.organisation else "",
            row.name,
        )
    )
    return rows


def respondent_name(response: Response) -> str:
    """The organisation answering, or the person on a per-person form."""
    if response.organisation is not None:
        return str(response.organisation.name)
    return str(response.user.display_name) if response.user is not None else ""


def state_counts(rows: Sequence[TrackerRow]) -> list[tuple[ResponseState, int]]:
    counted = Counter(row.state for row in rows)
    return [(state, counted[state]) for state in TRACKER_STATES]


# The tracker's filters by state: what staff chase (not started, draft, overdue), review
# (submitted or resubmitted: awaiting review) and have done (returned, approved).
AWAITING_REVIEW = frozenset({ResponseState.SUBMITTED, ResponseState.RESUBMITTED})
TRACKER_FILTERS: dict[str, tuple[str, Callable[[TrackerRow], bool]]] = {
    "not_started": (N_("Not started"), lambda row: row.state == ResponseState.NOT_STARTED),
    "draft": (N_("Draft"), lambda row: row.state == ResponseState.DRAFT),
    "awaiting_review": (N_("Awaiting review"), lambda row: row.state in AWAITING_REVIEW),
    "returned": (N_("Returned"), lambda row: row.state == ResponseState.RETURNED),
    "approved": (N_("Approved"), lambda row: row.state == ResponseState.APPROVED),
    "overdue": (N_("Overdue"), lambda row: row.overdue),
}


@dataclass(frozen=True)
class StateFilter:
    key: str  # a TRACKER_FILTERS key; "" for every row
    label: str  # an English msgid
    count: int


def state_filters(rows: Sequence[TrackerRow]) -> list[StateFilter]:
    """Every row, then each filter of TRACKER_FILTERS, with how many rows it keeps."""
    return [StateFilter("", N_("All"), len(rows))] + [
        StateFilter(key, label, sum(1 for row in rows if keeps(row)))
        for key, (label, keeps) in TRACKER_FILTERS.items()
    ]


def filtered(rows: Sequence[TrackerRow], key: str) -> list[TrackerRow]:
    """The rows a filter keeps; every row for an unknown key."""
    if key not in TRACKER_FILTERS:
        return list(rows)
    keeps = TRACKER_FILTERS[key][1]
    return [row for row in rows if keeps(row)]
