"""Filling in from earlier rounds: copying the previous round's answers, reporting no change,
and the running totals of cumulative questions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from intranet.i18n import Refusal
from intranet.models import User
from surveys import carryover
from surveys.answer_checks import is_answered, missing_required
from surveys.answering.checking import (
    ATTEMPTS,
    COUNTED_STATES,
    NOTHING_REPORTED,
    NOTHING_TO_COPY,
    AnswerConflict,
    Saved,
    check_typed,
    normal,
)
from surveys.answering.saving import form_of, reload, save_answers
from surveys.models import Response
from surveys.numbers import number_or_zero
from surveys.schema import FormDefinition
from surveys.state_changes import CHANGED_MEANWHILE, ResponseChanged, SubmitRefused, act
from surveys.states import Action, Actor

# -- earlier rounds ------------------------------------------------------------------------------


def same_respondent(response: Response) -> dict[str, Any]:
    if response.organisation_id is not None:
        return {"organisation_id": response.organisation_id}
    return {"user_id": response.user_id}


async def previous_answers(response: Response) -> dict[str, Any] | None:
    """The answers of the same respondent's latest earlier round of the campaign that
    has any, or None."""
    rows = (
        await Response.filter(
            round__campaign_id=response.round.campaign_id,
            round__number__lt=response.round.number,
            **same_respondent(response),
        )
        .order_by("-round__number")
        .limit(10)
        .values_list("answers", flat=True)
    )
    return next((dict(answers) for answers in rows if answers), None)


def copyable(form: FormDefinition, earlier: Mapping[str, Any]) -> dict[str, Any]:
    """The earlier answers that still fit this form version: known keys, values that
    pass its checks (a changed choice or a tightened limit is left out)."""
    kept: dict[str, Any] = {}
    for question in form.questions():
        value = earlier.get(question.key)
        if not is_answered(value):
            continue
        checked = check_typed(question, value)
        if checked.ok and is_answered(checked.value):
            kept[question.key] = checked.value
    return kept


async def copy_previous(
    response: Response, *, form: FormDefinition, user: User | None, now: datetime
) -> Saved:
    """复制上期内容: last round's answers into the fields still empty, to edit; nothing
    already typed is overwritten."""
    earlier = await previous_answers(response)
    if earlier is None:
        raise Refusal("nothing_to_copy", NOTHING_TO_COPY)
    kept = copyable(form, earlier)

    def values(stored: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in kept.items() if not is_answered(stored.get(k))}

    return await save_over(response, values, form=form, user=user, now=now)


async def apply_no_change(
    response: Response, *, form: FormDefinition, user: User | None, now: datetime
) -> Saved:
    """本期无新增: every increment none and every standing value as in the last report
    (surveys.carryover); answers written anew each round are left as they are."""
    last = await carryover.last_report(response)
    if last is None:
        raise Refusal("nothing_reported", NOTHING_REPORTED)

    def values(stored: Mapping[str, Any]) -> dict[str, Any]:
        return carryover.no_change_answers(form, last[1], stored)

    return await save_over(response, values, form=form, user=user, now=now)


async def submit_no_change(
    response: Response, *, user: User | None, now: datetime, expected_version: int
) -> Response:
    """本期无变化，直接提交: the no-change answers, then submit, for a response still at
    `expected_version` (what the confirmation showed). Raises as save_answers and
    surveys.state_changes.act do."""
    if expected_version != response.version:
        raise ResponseChanged("changed_meanwhile", CHANGED_MEANWHILE)
    form = form_of(response)
    last = await carryover.last_report(response)
    if last is not None:  # else apply_no_change says there is nothing to carry
        problems = missing_required(
            form, carryover.no_change_answers(form, last[1], response.answers)
        )
        if problems:  # refused before anything is written
            raise SubmitRefused(problems)
    await apply_no_change(response, form=form, user=user, now=now)
    return await act(response, Action.SUBMIT, actor=Actor.RESPONDENT, user=user, now=now)


async def save_over(
    response: Response,
    values: Any,
    *,
    form: FormDefinition,
    user: User | None,
    now: datetime,
) -> Saved:
    """Save `values(stored answers)` over what is stored now, looking again if someone
    typed meanwhile."""
    for _ in range(ATTEMPTS):
        stored = response.answers
        try:
            bases = {q.key: normal(q, stored.get(q.key)) for q in form.questions()}
            return await save_answers(
                response, values(stored), bases, form=form, user=user, now=now
            )
        except AnswerConflict:
            await reload(response)  # someone typed meanwhile: look again
    raise ResponseChanged("changed_meanwhile", CHANGED_MEANWHILE)


async def running_totals(response: Response, form: FormDefinition) -> dict[str, Decimal]:
    """For each cumulative question, the sum of the respondent's earlier rounds that
    were submitted, resubmitted or approved (one query)."""
    keys = [q.key for q in form.questions() if q.cumulative]
    if not keys:
        return {}
    rows: list[dict[str, Any] | None] = await Response.filter(  # type: ignore[assignment]
        round__campaign_id=response.round.campaign_id,
        round__number__lt=response.round.number,
        state__in=COUNTED_STATES,
        **same_respondent(response),
    ).values_list("answers", flat=True)
    totals = dict.fromkeys(keys, Decimal(0))
    for answers in rows:
        for key in keys:
            totals[key] += number_or_zero((answers or {}).get(key))
    return totals
