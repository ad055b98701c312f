"""What a save is made of: the answers a page sent, read and checked against the base the
page last knew, and the refusals and conflicts a save can end in."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intranet.i18n import N_, Refusal
from intranet.models import User
from surveys.answer_checks import CheckedAnswer, Problem, check_answer, is_answered
from surveys.models import Response
from surveys.schema import Question, QuestionType
from surveys.states import ResponseState

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
