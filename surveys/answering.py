"""Filling in a report: saving answers, prefilling from the last round, running totals.

Every save names the answer the page last knew for each field (its *base*). A field is
written only if what is stored still equals that base (nobody else changed it) or
already equals the new value (a repeat); otherwise the save is a conflict and nothing
is written. The check and the write are one conditional UPDATE on the response's
version, retried when only *other* fields moved on, so two saves can never silently
overwrite each other (the request is described in surveys.views.responses).

Each change writes one AnswerChange (who, when, old, new) and bumps the version; the
first save of a response that was not started moves it to draft with a ResponseEvent.
The state rules are surveys.states': a returned response stays returned while edited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet.i18n import N_, Refusal
from intranet.models import User
from surveys import carryover
from surveys.answers import CheckedAnswer, Problem, check_answer, is_answered, missing_required
from surveys.models import AnswerChange, Response, ResponseEvent, Round
from surveys.numbers import number_or_zero
from surveys.responses import CHANGED_MEANWHILE, ResponseChanged, SubmitRefused, act
from surveys.schema import FormDefinition, Question, QuestionType
from surveys.states import Action, Actor, ResponseState, transition

# Saves of other fields that may slip in between our read and our write before we give
# up and ask the person to try again; each retry costs one read.
ATTEMPTS = 5
# What earlier rounds count towards a running total.
COUNTED_STATES = (ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED)

NOTHING_TO_COPY = N_("There is no earlier round with answers to copy.")
NOTHING_REPORTED = N_(
    "There is no earlier submitted report to carry forward; fill in this round's report."
)
FILE_KEYS = ("name", "key", "size", "content_type")


class AnswersRefused(Refusal):
    """What was typed cannot be stored; `problems` says what to fix, field by field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("invalid", N_("Some answers are not valid; nothing was saved."))
        self.problems = list(problems)


@dataclass(frozen=True)
class Conflict:
    """A field someone else changed since the page loaded it: their value and ours."""

    question: Question
    theirs: Any
    mine: Any
    by: User | None = None
    at: datetime | None = None


class AnswerConflict(Refusal):
    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        super().__init__(
            "conflict", N_("Someone else changed this answer meanwhile; nothing was saved.")
        )
        self.conflicts = list(conflicts)


@dataclass
class Saved:
    response: Response
    changed: list[str] = field(default_factory=list)


# -- reading what a page sent ------------------------------------------------------------


def check_typed(question: Question, raw: object) -> CheckedAnswer:
    """check_answer, except for files: their answer is the stored file's description
    (made by the upload, never typed), or the storage key the page knew as its base."""
    if question.type != QuestionType.FILE:
        return check_answer(question, raw)
    if raw is None or raw == "" or raw == []:
        return CheckedAnswer(None)
    if isinstance(raw, Mapping) and set(raw) == set(FILE_KEYS):
        return CheckedAnswer(dict(raw))
    return check_answer(question, raw)  # a bare key: refused unless well formed


def raw_from_form(question: Question, values: list[str]) -> object:
    """One question's value as a page sends it: repeated for multiple choice, JSON text
    for a table, else a single string (None when absent)."""
    if question.type == QuestionType.MULTIPLE_CHOICE:
        return values
    if not values:
        return None
    if question.type == QuestionType.TABLE:
        text = values[0].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return "not json"  # check_answer calls it invalid
    return values[0]


def same(stored: object, checked: object) -> bool:
    return (stored if is_answered(stored) else None) == (checked if is_answered(checked) else None)


def file_key(value: object) -> str:
    return str(value.get("key", "")) if isinstance(value, Mapping) else ""


def base_matches(question: Question, stored: object, base: object) -> bool:
    """Whether `stored` is what the page knew. A file's base is its storage key."""
    if question.type == QuestionType.FILE:
        return file_key(stored) == (base if isinstance(base, str) else file_key(base))
    return same(normal(question, stored), base)


def normal(question: Question, stored: object) -> object:
    """A stored answer as check_answer would give it now (a table row written by an
    import or the demo may lack its empty cells), so comparing with what a page sent
    compares meaning, not spelling."""
    if question.type == QuestionType.FILE or not is_answered(stored):
        return stored
    checked = check_answer(question, stored)
    return checked.value if checked.ok else stored


# -- saving --------------------------------------------------------------------------------


def form_of(response: Response) -> FormDefinition:
    """The questions the response is answered against (`round.campaign.form_version` loaded)."""
    return response.round.campaign.form_version.form_definition()


def state_after_save(response: Response, now: datetime) -> ResponseState:
    """The state a save leaves; TransitionRefused if the response or round forbids it."""
    return transition(
        ResponseState(response.state),
        Action.SAVE,
        Actor.RESPONDENT,
        round_open=response.round.is_open(now),
    )


async def save_answers(
    response: Response,
    values: Mapping[str, Any],
    bases: Mapping[str, Any],
    *,
    form: FormDefinition,
    user: User | None,
    now: datetime,
) -> Saved:
    """Store checked `values` (question key to value) over `bases` (what the page knew,
    checked too); see the module's docstring. Raises TransitionRefused, AnswerConflict
    or ResponseChanged (the response kept moving on: try again)."""
    for _ in range(ATTEMPTS):
        after = state_after_save(response, now)
        stored = {
            key: normal(form.question(key), response.answers.get(key))  # type: ignore[arg-type]
            for key in values
        }
        clashes = [
            key
            for key, value in values.items()
            if not same(stored[key], value)
            and not base_matches(form.question(key), stored[key], bases.get(key))  # type: ignore[arg-type]
        ]
        if clashes:
            raise AnswerConflict(await describe_conflicts(response, form, clashes, values))
        changed = {k: v for k, v in values.items() if not same(stored[k], v)}
        if not changed:
            return Saved(response)
        if await write(response, changed, after, user=user, now=now):
            return Saved(response, list(changed))
        await reload(response)
    raise ResponseChanged("changed_meanwhile", CHANGED_MEANWHILE)


async def write(
    response: Response,
    changed: Mapping[str, Any],
    after: ResponseState,
    *,
    user: User | None,
    now: datetime,
) -> bool:
    """One conditional UPDATE on the version read, with the history rows; False (and
    nothing written) if the response moved on meanwhile."""
    before = ResponseState(response.state)
    answers = dict(response.answers)
    for key, value in changed.items():
        if is_answered(value):
            answers[key] = value
        else:
            answers.pop(key, None)
    version = response.version + 1
    async with in_transaction():
        updated = await Response.filter(id=response.id, version=response.version).update(
            answers=answers, version=version, state=after, updated_at=now
        )
        if not updated:
            return False
        history = [
            change_row(response, key, response.answers.get(key), value, user, now)
            for key, value in changed.items()
        ]
        if len(history) == 1:
            await history[0].save()
        else:
            await AnswerChange.bulk_create(history)
        if before != after:
            await ResponseEvent.create(
                response_id=response.id,
                action=Action.SAVE,
                from_state=before,
                to_state=after,
                actor=user,
            )
    response.answers, response.version, response.state = answers, version, after
    response.updated_at = now
    return True


def change_row(
    response: Response, key: str, old: Any, new: Any, user: User | None, now: datetime
) -> AnswerChange:
    row = AnswerChange(response_id=response.id, question_key=key, actor=user, created_at=now)
    # Set after construction, as JSON text: tortoise's JSONField takes a bare str for
    # JSON text, so "yes" or the decimal "12.5" would be refused or read as a float.
    row.old_value = as_json(old)
    row.new_value = as_json(new)
    return row


def as_json(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False) if is_answered(value) else None


async def reload(response: Response) -> None:
    """The stored answers, version and state, into the loaded response (whose round and
    form stay loaded)."""
    row = await Response.filter(id=response.id).values("answers", "version", "state")
    if not row:
        raise ResponseChanged("changed_meanwhile", CHANGED_MEANWHILE)
    response.answers = row[0]["answers"] or {}
    response.version = row[0]["version"]
    response.state = ResponseState(row[0]["state"])


async def describe_conflicts(
    response: Response, form: FormDefinition, keys: list[str], values: Mapping[str, Any]
) -> list[Conflict]:
    """Each clashing field with who changed it last and when (one query)."""
    changes = (
        await AnswerChange.filter(response_id=response.id, question_key__in=keys)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    latest: dict[str, AnswerChange] = {}
    for change in changes:
        latest.setdefault(change.question_key, change)
    conflicts = []
    for key in keys:
        last = latest.get(key)
        conflicts.append(
            Conflict(
                question=form.question(key),  # type: ignore[arg-type]
                theirs=response.answers.get(key),
                mine=values.get(key),
                by=last.actor if last else None,
                at=last.created_at if last else None,
            )
        )
    return conflicts


# -- per-person forms ------------------------------------------------------------------------


async def person_response(round_: Round, user: User) -> Response:
    """The person's own response in the round, made on first use; two first uses at once
    meet at the unique (round, user) and share one row."""
    found = await Response.get_or_none(round_id=round_.id, user_id=user.id)
    if found is not None:
        return found
    try:
        async with in_transaction():
            return await Response.create(round_id=round_.id, user_id=user.id)
    except IntegrityError:
        return await Response.get(round_id=round_.id, user_id=user.id)


# -- earlier rounds ------------------------------------------------------------------------------


def same_respondent(response: Response) -> dict[str, Any]:
    if response.organisation_id is not None:  # type: ignore[attr-defined]
        return {"organisation_id": response.organisation_id}  # type: ignore[attr-defined]
    return {"user_id": response.user_id}  # type: ignore[attr-defined]


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
    surveys.responses.act do."""
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


# -- files --------------------------------------------------------------------------------------


def file_answer(name: str, key: str, size: int, content_type: str) -> dict[str, Any]:
    return {"name": name, "key": key, "size": size, "content_type": content_type}


async def find_file(response: Response, key: str) -> dict[str, Any] | None:
    """The file answer with storage key `key` that this response holds or once held."""
    for value in response.answers.values():
        if file_key(value) == key:
            return dict(value)
    for old in await AnswerChange.filter(response_id=response.id).values_list(
        "old_value", flat=True
    ):
        if file_key(old) == key:
            return dict(old)  # type: ignore[call-overload]
    return None


# -- history ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeSince:
    """One answer as it was at a moment (a return) and as it is now."""

    question: Question | None
    key: str
    old: Any
    new: Any


def changed_since(
    changes: Sequence[AnswerChange], moment: datetime, form: FormDefinition
) -> list[ChangeSince]:
    """The answers that differ now from what they were at `moment`, from the response's
    changes in order; an answer changed and changed back is left out."""
    first_old: dict[str, Any] = {}
    last_new: dict[str, Any] = {}
    for change in changes:
        if change.created_at < moment:
            continue
        first_old.setdefault(change.question_key, change.old_value)
        last_new[change.question_key] = change.new_value
    return [
        ChangeSince(form.question(key), key, first_old[key], new)
        for key, new in last_new.items()
        if first_old[key] != new
    ]
