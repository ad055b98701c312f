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

from surveys.answering.checking import (
    ATTEMPTS,
    COUNTED_STATES,
    FILE_KEYS,
    NOTHING_REPORTED,
    NOTHING_TO_COPY,
    AnswerConflict,
    AnswersRefused,
    Conflict,
    Saved,
    base_matches,
    check_typed,
    file_key,
    normal,
    raw_from_form,
    same,
)
from surveys.answering.rounds import (
    apply_no_change,
    copy_previous,
    copyable,
    previous_answers,
    running_totals,
    same_respondent,
    save_over,
    submit_no_change,
)
from surveys.answering.saving import (
    ChangeSince,
    as_json,
    changed_since,
    describe_conflicts,
    file_answer,
    find_file,
    form_of,
    person_response,
    reload,
    save_answers,
    state_after_save,
    write,
)

__all__ = [
    "ATTEMPTS",
    "COUNTED_STATES",
    "FILE_KEYS",
    "NOTHING_REPORTED",
    "NOTHING_TO_COPY",
    "AnswerConflict",
    "AnswersRefused",
    "ChangeSince",
    "Conflict",
    "Saved",
    "apply_no_change",
    "as_json",
    "base_matches",
    "changed_since",
    "check_typed",
    "copy_previous",
    "copyable",
    "describe_conflicts",
    "file_answer",
    "file_key",
    "find_file",
    "form_of",
    "normal",
    "person_response",
    "previous_answers",
    "raw_from_form",
    "reload",
    "running_totals",
    "same",
    "same_respondent",
    "save_answers",
    "save_over",
    "state_after_save",
    "submit_no_change",
    "write",
]
