"""Saving answers: one conditional UPDATE per save on the response's version, retried when
only other fields moved on; per-person responses, file answers and the history of changes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet.models import User
from surveys.answer_checks import is_answered
from surveys.answering.checking import (
    ATTEMPTS,
    AnswerConflict,
    Conflict,
    Saved,
    base_matches,
    file_key,
    normal,
    same,
)
from surveys.models import AnswerChange, Response, ResponseEvent, Round
from surveys.schema import FormDefinition, Question
from surveys.state_changes import CHANGED_MEANWHILE, ResponseChanged
from surveys.states import Action, Actor, ResponseState, transition

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
