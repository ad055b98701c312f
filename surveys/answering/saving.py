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
from intranet.sql import Sql
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
    """One conditional UPDATE on the version read, with the history rows, at once;
    False (and nothing written) if the response moved on meanwhile. Written by hand (the
    ORM's statements cost more to build than to run); the values are converted by the
    models' own fields, so the rows are as the ORM would write them. On PostgreSQL a save
    that leaves the state as it was is one statement; otherwise one transaction."""
    before = ResponseState(response.state)
    answers = dict(response.answers)
    for key, value in changed.items():
        if is_answered(value):
            answers[key] = value
        else:
            answers.pop(key, None)
    saving = Saving(response, changed, answers, after, user, now)
    if before == after and Sql().postgres:
        written = await saving.in_one_statement()
    else:
        written = await saving.in_transaction(before)
    if written:
        response.answers, response.state = answers, after
        response.version, response.updated_at = saving.version, now
    return written


@dataclass(frozen=True)
class Saving:
    """The statements of one save: the response's conditional UPDATE and its history."""

    response: Response
    changed: Mapping[str, Any]
    answers: dict[str, Any]
    after: ResponseState
    user: User | None
    now: datetime

    @property
    def version(self) -> int:
        return self.response.version + 1

    def update(self, sql: Sql) -> str:
        """The UPDATE on the version read, returning the id if it matched."""
        fields = Response._meta.fields_map
        return (
            f'UPDATE {Sql.table(Response)} SET "answers" = '
            f"{sql.param(fields['answers'].to_db_value(self.answers, Response))}, "
            f'"version" = {sql.param(self.version)}, '
            f'"state" = {sql.param(fields["state"].to_db_value(self.after, Response))}, '
            f'"updated_at" = {sql.param(self.now)} WHERE "id" = {sql.param(self.response.id)} '
            f'AND "version" = {sql.param(self.response.version)} RETURNING "id"'
        )

    def history(self) -> list[tuple[str, str | None, str | None]]:
        """Each changed answer's key, old and new value as JSON text."""
        old = self.response.answers
        return [(k, as_json(old.get(k)), as_json(v)) for k, v in self.changed.items()]

    async def in_transaction(self, before: ResponseState) -> bool:
        async with in_transaction() as connection:
            sql = Sql(connection)
            if not await sql.rows(self.update(sql)):
                return False
            sql = Sql(connection)
            actor = self.user.id if self.user is not None else None
            rows = [sql.params((*row, self.now, actor, self.response.id)) for row in self.history()]
            await sql.execute(
                f"INSERT INTO {Sql.table(AnswerChange)} ({HISTORY_COLUMNS}) VALUES "
                + ", ".join(f"({row})" for row in rows)
            )
            if before != self.after:
                await ResponseEvent.create(
                    response_id=self.response.id,
                    action=Action.SAVE,
                    from_state=before,
                    to_state=self.after,
                    actor=self.user,
                    using_db=connection,
                )
        return True

    async def in_one_statement(self) -> bool:
        """PostgreSQL: the UPDATE and the history's INSERT as one statement, which is
        atomic by itself; the history rows in the order of `changed`."""
        sql = Sql()
        update = self.update(sql)
        stamp, actor = (
            sql.param(self.now),
            sql.param(self.user.id if self.user is not None else None),
        )
        rows = ", ".join(
            f"({sql.param(n)}::integer, {sql.params(row)})" for n, row in enumerate(self.history())
        )
        inserted = await sql.rows(
            f"WITH updated AS ({update}) INSERT INTO {Sql.table(AnswerChange)} "
            f'({HISTORY_COLUMNS}) SELECT v."key", v."old"::jsonb, v."new"::jsonb, '
            f'{stamp}::timestamptz, {actor}::integer, updated."id" FROM updated, '
            f'(VALUES {rows}) AS v("n", "key", "old", "new") ORDER BY v."n" RETURNING "id"'
        )
        return bool(inserted)


HISTORY_COLUMNS = (
    '"question_key", "old_value", "new_value", "created_at", "actor_id", "response_id"'
)


def as_json(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False) if is_answered(value) else None


async def reload(response: Response) -> None:
    """The stored answers, version and state, into the loaded response (whose round and
    form stay loaded)."""
    sql = Sql()
    rows = await sql.rows(
        f'SELECT "answers", "version", "state" FROM {Sql.table(Response)} '
        f'WHERE "id" = {sql.param(response.id)}'
    )
    if not rows:
        raise ResponseChanged("changed_meanwhile", CHANGED_MEANWHILE)
    answers = Response._meta.fields_map["answers"].to_python_value(rows[0]["answers"])
    response.answers = answers or {}
    response.version = rows[0]["version"]
    response.state = ResponseState(rows[0]["state"])


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
