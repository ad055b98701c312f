"""What "no change this round" means for a report, question by question.

Each question declares what a new round starts from (surveys.schema.Carry): an
*increment* (本期新增) is 0, or no rows for a table of new items; a *standing* value
(存量/现状) is the answer of the last report carried forward; *nothing* is written anew
and is left as the draft has it. So a "no change" report never counts last round's
increments twice, and its 累计 grows by exactly 0.

"Last report" is the same respondent's latest earlier round that was submitted (or
resubmitted, or approved): what the association was last told, and what running totals
count. A draft or a returned report of an earlier round was never told.

A form *allows* a no-change report (the two-tap "本期无变化，直接提交") when no question
needs writing anew: every required question is answered by its rule (an increment
number that may be 0, a standing value), so only optional free text may be left empty.
A standing value that the last report left empty still makes the report incomplete;
submitting then refuses with the usual list of what is missing.

Pure rules plus one query; no HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from surveys.answer_checks import check_answer, is_answered
from surveys.models import Response
from surveys.schema import Carry, FormDefinition, Question, QuestionType
from surveys.states import ResponseState

REPORTED_STATES = (ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED)


def needs_writing_anew(question: Question) -> bool:
    """Whether a no-change report cannot answer this required question by its rule."""
    if not question.required:
        return False
    carry = question.carries
    if carry == Carry.NOTHING:
        return True
    if carry == Carry.INCREMENT:
        # No new rows is an empty table, which a required table refuses; a number whose
        # limits leave out 0 cannot be "none new".
        if question.type == QuestionType.TABLE:
            return True
        low, high = question.min, question.max
        return (low is not None and low > 0) or (high is not None and high < 0)
    return False


def allows_no_change(form: FormDefinition) -> bool:
    """Whether a report of this form may be sent as "no change" without being opened."""
    return not any(needs_writing_anew(q) for q in form.questions())


def zero(question: Question) -> Any:
    """An increment question's "none new this round", as it is stored."""
    if question.type == QuestionType.TABLE or not question.is_number:
        return None
    return check_answer(question, "0").value


def carried(question: Question, value: object) -> Any:
    """A standing answer of the last report, if it still fits this form version (a
    changed choice or a tightened limit leaves it out)."""
    if not is_answered(value):
        return None
    if question.type == QuestionType.FILE:
        return dict(value) if isinstance(value, Mapping) else None
    checked = check_answer(question, value)
    return checked.value if checked.ok else None


def no_change_answers(
    form: FormDefinition, last: Mapping[str, Any], current: Mapping[str, Any]
) -> dict[str, Any]:
    """Every question's answer in a no-change report: increments none, standing values
    from `last` (the last report's answers), the rest as `current` (the draft) has them."""
    answers: dict[str, Any] = {}
    for question in form.questions():
        carry = question.carries
        if carry == Carry.INCREMENT:
            answers[question.key] = zero(question)
        elif carry == Carry.STANDING:
            answers[question.key] = carried(question, last.get(question.key))
        else:
            answers[question.key] = current.get(question.key)
    return answers


def is_unchanged(
    form: FormDefinition, answers: Mapping[str, Any], last: Mapping[str, Any] | None
) -> bool:
    """Whether `answers` say "no change since the last report": every increment none and
    every standing value as last reported (free text written anew aside)."""
    if last is None or all(q.carries == Carry.NOTHING for q in form.questions()):
        return False  # nothing to compare: a report written anew is never "no change"
    expected = no_change_answers(form, last, answers)
    return all(same_answer(answers.get(key), value) for key, value in expected.items())


def same_answer(stored: object, expected: object) -> bool:
    """Whether a stored answer says what `expected` does (3 and "3" alike)."""
    if not is_answered(expected):
        return not is_answered(stored)
    if isinstance(expected, int | str) and isinstance(stored, int | str):
        try:
            return Decimal(str(stored)) == Decimal(str(expected))
        except ArithmeticError:
            return stored == expected
    return stored == expected


async def reported_before(responses: Sequence[Response]) -> set[int]:
    """The ids of those `responses` (`round` loaded) whose respondent reported in an
    earlier round of the same campaign (one query)."""
    if not responses:
        return set()
    campaigns = {r.round.campaign_id for r in responses}
    earlier = await Response.filter(
        round__campaign_id__in=list(campaigns),
        round__number__lt=max(r.round.number for r in responses),
        state__in=REPORTED_STATES,
        organisation_id__in=[r.organisation_id for r in responses if r.organisation_id],
    ).values("round__campaign_id", "round__number", "organisation_id")
    first: dict[tuple[int, int | None], int] = {}
    for row in earlier:
        key = (row["round__campaign_id"], row["organisation_id"])
        first[key] = min(first.get(key, row["round__number"]), row["round__number"])
    return {
        r.id
        for r in responses
        if first.get((r.round.campaign_id, r.organisation_id), r.round.number) < r.round.number
    }


async def last_report(response: Response) -> tuple[int, dict[str, Any]] | None:
    """The round number and answers of the same respondent's latest earlier report
    (`round` loaded), or None if there is none."""
    whose: dict[str, int | None]
    if response.organisation_id is not None:
        whose = {"organisation_id": response.organisation_id}
    else:
        whose = {"user_id": response.user_id}
    row = (
        await Response.filter(
            round__campaign_id=response.round.campaign_id,
            round__number__lt=response.round.number,
            state__in=REPORTED_STATES,
            **whose,
        )
        .order_by("-round__number")
        .first()
        .values("round__number", "answers")
    )
    if row is None:
        return None
    return int(row["round__number"]), dict(row["answers"] or {})
