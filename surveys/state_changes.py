"""Moving a response through its states, each step recorded with who, when and why.

`act` is the one way a response changes state (see surveys.states for the rules). It
changes the row only if nobody changed it since it was read (same state and version),
so a double click, a second tab or a reviewer and a secretary acting at once get a
clear refusal instead of a lost update; the step and its ResponseEvent are written in
one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from intranet.i18n import N_, Refusal
from intranet.models import User
from surveys import carryover, notify
from surveys.answer_checks import Problem, missing_required
from surveys.models import Response, ResponseEvent
from surveys.schema import FormDefinition
from surveys.states import Action, Actor, ResponseState, clean_reason, transition

logger = logging.getLogger("huibao.notify")

CHANGED_MEANWHILE = N_(
    "This report was changed by someone else (or in another tab) since you opened it. "
    "Nothing was changed; reload it to see the latest version."
)
INCOMPLETE = N_("The report cannot be submitted yet: fix the fields listed below.")


class ResponseChanged(Refusal):
    """The response is no longer in the state or version the person acted on."""


class SubmitRefused(Refusal):
    """Submit refused because of the answers; `problems` lists every one, in form order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("incomplete", INCOMPLETE)
        self.problems = list(problems)


def submission_problems(form: FormDefinition, answers: dict[str, object]) -> list[Problem]:
    """What stops these (stored, checked) answers from being submitted."""
    return missing_required(form, answers)


async def act(
    response: Response,
    action: Action,
    *,
    actor: Actor,
    user: User | None,
    now: datetime,
    reason: str = "",
    expected_version: int | None = None,
) -> Response:
    """Take `action` on `response` (with `round` loaded; for submit also
    `round.campaign.form_version`) and return it as stored afterwards.

    Raises TransitionRefused when the rules forbid the step, SubmitRefused when required
    answers are missing, and ResponseChanged when the response moved on since it was
    read or since version `expected_version` (what the person's page showed).
    """
    if expected_version is not None and expected_version != response.version:
        raise ResponseChanged("changed_meanwhile", CHANGED_MEANWHILE)
    before = ResponseState(response.state)
    after = transition(before, action, actor, round_open=response.round.is_open(now), reason=reason)
    changes: dict[str, object] = {"state": after, "version": F("version") + 1, "updated_at": now}
    if action == Action.SUBMIT:
        form = response.round.campaign.form_version.form_definition()
        problems = submission_problems(form, response.answers)
        if problems:
            raise SubmitRefused(problems)
        last = await carryover.last_report(response)
        changes["submitted_at"] = now
        changes["unchanged"] = carryover.is_unchanged(
            form, response.answers, last[1] if last else None
        )
        if response.first_submitted_at is None:
            changes["first_submitted_at"] = now
    elif action == Action.WITHDRAW:
        changes["unchanged"] = False
    recorded_reason = clean_reason(reason) if reason.strip() else ""
    async with in_transaction():
        updated = await Response.filter(
            id=response.id, state=before, version=response.version
        ).update(**changes)
        if not updated:
            raise ResponseChanged("changed_meanwhile", CHANGED_MEANWHILE)
        await ResponseEvent.create(
            response_id=response.id,
            action=action,
            from_state=before,
            to_state=after,
            reason=recorded_reason,
            actor=user,
        )
    response.state = after
    response.version += 1
    response.updated_at = now
    if action == Action.SUBMIT:
        response.submitted_at = now
    if "unchanged" in changes:
        response.unchanged = bool(changes["unchanged"])
    if "first_submitted_at" in changes:
        response.first_submitted_at = now
    await _tell_respondent(response, action, now, recorded_reason)
    return response


async def _tell_respondent(response: Response, action: Action, now: datetime, reason: str) -> None:
    """A returned (or reopened) or approved report is told to those who answer it. The
    step is done whatever happens here: a failed notification is logged, not raised."""
    kinds = {Action.RETURN: "returned", Action.REOPEN: "returned", Action.APPROVE: "approved"}
    if action not in kinds:
        return
    try:
        await notify.response_reviewed(response, f"response.{kinds[action]}", now, reason=reason)
    except Exception:
        logger.exception("could not tell the respondent of response %s", response.id)


def is_late(response: Response) -> bool:
    """First submitted after the round's deadline (`round` loaded): a report sent on
    time, returned and resent after the deadline is not late (see was_resent)."""
    return late_at(first_submission(response), response.round.due_at)


def first_submission(response: Response) -> datetime | None:
    """When the report was first submitted (the last submission for reports stored
    before the first one was kept)."""
    return response.first_submitted_at or response.submitted_at


def late_at(first_submitted_at: datetime | None, due_at: datetime) -> bool:
    return first_submitted_at is not None and first_submitted_at > due_at


def was_resent(response: Response) -> bool:
    """Submitted again after it was returned (退回后重报)."""
    first = response.first_submitted_at
    return first is not None and response.submitted_at is not None and response.submitted_at > first


AWAITING_ANSWER = frozenset(
    {ResponseState.NOT_STARTED, ResponseState.DRAFT, ResponseState.RETURNED}
)
