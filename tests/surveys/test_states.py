"""The response state machine: every state × action × actor × round, by hand."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from surveys import states
from surveys.states import (
    Action,
    Actor,
    ResponseState,
    TransitionRefused,
    allowed_actions,
    clean_reason,
    is_read_only_for_respondent,
    transition,
)

NOT_STARTED = ResponseState.NOT_STARTED
DRAFT = ResponseState.DRAFT
SUBMITTED = ResponseState.SUBMITTED
RETURNED = ResponseState.RETURNED
RESUBMITTED = ResponseState.RESUBMITTED
APPROVED = ResponseState.APPROVED

SAVE, SUBMIT, RETURN, APPROVE, REOPEN, WITHDRAW = (
    Action.SAVE,
    Action.SUBMIT,
    Action.RETURN,
    Action.APPROVE,
    Action.REOPEN,
    Action.WITHDRAW,
)
RESPONDENT, REVIEWER = Actor.RESPONDENT, Actor.REVIEWER
OPEN, CLOSED = True, False

REASON = "第3题的人数与附件不符，请核对"

# Every allowed (state, action, actor, round_open) and where it leads; anything not
# listed here must be refused.
ALLOWED: dict[tuple[ResponseState, Action, Actor, bool], ResponseState] = {
    (NOT_STARTED, SAVE, RESPONDENT, OPEN): DRAFT,
    (DRAFT, SAVE, RESPONDENT, OPEN): DRAFT,
    (NOT_STARTED, SUBMIT, RESPONDENT, OPEN): SUBMITTED,
    (DRAFT, SUBMIT, RESPONDENT, OPEN): SUBMITTED,
    # A returned response can be fixed and resubmitted even after the round has closed.
    (RETURNED, SAVE, RESPONDENT, OPEN): RETURNED,
    (RETURNED, SAVE, RESPONDENT, CLOSED): RETURNED,
    (RETURNED, SUBMIT, RESPONDENT, OPEN): RESUBMITTED,
    (RETURNED, SUBMIT, RESPONDENT, CLOSED): RESUBMITTED,
    # Review goes on whether the round is open or not.
    (SUBMITTED, RETURN, REVIEWER, OPEN): RETURNED,
    (SUBMITTED, RETURN, REVIEWER, CLOSED): RETURNED,
    (RESUBMITTED, RETURN, REVIEWER, OPEN): RETURNED,
    (RESUBMITTED, RETURN, REVIEWER, CLOSED): RETURNED,
    (SUBMITTED, APPROVE, REVIEWER, OPEN): APPROVED,
    (SUBMITTED, APPROVE, REVIEWER, CLOSED): APPROVED,
    (RESUBMITTED, APPROVE, REVIEWER, OPEN): APPROVED,
    (RESUBMITTED, APPROVE, REVIEWER, CLOSED): APPROVED,
    (APPROVED, REOPEN, REVIEWER, OPEN): RETURNED,
    (APPROVED, REOPEN, REVIEWER, CLOSED): RETURNED,
    # 撤回 until reviewed: back to draft, or back to returned after a resubmission (which
    # may still be fixed after the round closed: the reviewer asked for it).
    (SUBMITTED, WITHDRAW, RESPONDENT, OPEN): DRAFT,
    (RESUBMITTED, WITHDRAW, RESPONDENT, OPEN): RETURNED,
    (RESUBMITTED, WITHDRAW, RESPONDENT, CLOSED): RETURNED,
}

EVERY_COMBINATION = list(
    itertools.product(ResponseState, Action, Actor, [OPEN, CLOSED]),
)

# Why the refusals a person is likely to meet are refused.
REFUSAL_CODES: list[tuple[ResponseState, Action, Actor, bool, str]] = [
    # Submitted and approved answers are read-only to the society.
    (SUBMITTED, SAVE, RESPONDENT, OPEN, "read_only"),
    (RESUBMITTED, SAVE, RESPONDENT, OPEN, "read_only"),
    (APPROVED, SAVE, RESPONDENT, OPEN, "read_only"),
    (SUBMITTED, SAVE, RESPONDENT, CLOSED, "read_only"),
    # Double submit, from a double click or a second tab.
    (SUBMITTED, SUBMIT, RESPONDENT, OPEN, "already_submitted"),
    (RESUBMITTED, SUBMIT, RESPONDENT, OPEN, "already_submitted"),
    (SUBMITTED, SUBMIT, RESPONDENT, CLOSED, "already_submitted"),
    (APPROVED, SUBMIT, RESPONDENT, OPEN, "already_approved"),
    # The round is closed.
    (NOT_STARTED, SAVE, RESPONDENT, CLOSED, "round_closed"),
    (DRAFT, SAVE, RESPONDENT, CLOSED, "round_closed"),
    (NOT_STARTED, SUBMIT, RESPONDENT, CLOSED, "round_closed"),
    (DRAFT, SUBMIT, RESPONDENT, CLOSED, "round_closed"),
    # Reviewers never edit a society's answers, nor submit for it.
    (DRAFT, SAVE, REVIEWER, OPEN, "reviewer_cannot_edit"),
    (SUBMITTED, SAVE, REVIEWER, OPEN, "reviewer_cannot_edit"),
    (RETURNED, SAVE, REVIEWER, OPEN, "reviewer_cannot_edit"),
    (DRAFT, SUBMIT, REVIEWER, OPEN, "respondent_only"),
    (RETURNED, SUBMIT, REVIEWER, CLOSED, "respondent_only"),
    # Respondents cannot review their own response.
    (SUBMITTED, RETURN, RESPONDENT, OPEN, "reviewer_only"),
    (SUBMITTED, APPROVE, RESPONDENT, OPEN, "reviewer_only"),
    (RESUBMITTED, APPROVE, RESPONDENT, CLOSED, "reviewer_only"),
    (APPROVED, REOPEN, RESPONDENT, OPEN, "reviewer_only"),
    # Nothing to review yet.
    (NOT_STARTED, RETURN, REVIEWER, OPEN, "not_submitted"),
    (DRAFT, RETURN, REVIEWER, OPEN, "not_submitted"),
    (NOT_STARTED, APPROVE, REVIEWER, OPEN, "not_submitted"),
    (DRAFT, APPROVE, REVIEWER, CLOSED, "not_submitted"),
    (RETURNED, RETURN, REVIEWER, OPEN, "awaiting_resubmission"),
    (RETURNED, APPROVE, REVIEWER, OPEN, "awaiting_resubmission"),
    # Approval is final except for a reopen.
    (APPROVED, APPROVE, REVIEWER, OPEN, "already_approved"),
    (APPROVED, RETURN, REVIEWER, OPEN, "already_approved"),
    (SUBMITTED, REOPEN, REVIEWER, OPEN, "not_approved"),
    (RETURNED, REOPEN, REVIEWER, OPEN, "not_approved"),
    # Withdrawing: once approved it is too late; a returned or unsent report has
    # nothing to withdraw; in a closed round it could not be sent again.
    (APPROVED, WITHDRAW, RESPONDENT, OPEN, "already_approved"),
    (RETURNED, WITHDRAW, RESPONDENT, OPEN, "returned"),
    (DRAFT, WITHDRAW, RESPONDENT, OPEN, "not_submitted"),
    (NOT_STARTED, WITHDRAW, RESPONDENT, OPEN, "not_submitted"),
    (SUBMITTED, WITHDRAW, RESPONDENT, CLOSED, "round_closed"),
    (SUBMITTED, WITHDRAW, REVIEWER, OPEN, "respondent_only"),
]

KNOWN_CODES = {
    "read_only",
    "already_submitted",
    "already_approved",
    "round_closed",
    "reviewer_cannot_edit",
    "respondent_only",
    "reviewer_only",
    "not_submitted",
    "awaiting_resubmission",
    "not_approved",
    "returned",
    "reason_required",
    "reason_too_long",
}


def ids(combination: tuple[object, ...]) -> str:
    return "-".join(
        {True: "open", False: "closed"}[part] if isinstance(part, bool) else str(part)
        for part in combination
    )


@pytest.mark.parametrize("combination", EVERY_COMBINATION, ids=ids)
def test_it_allows_exactly_the_listed_transitions(
    combination: tuple[ResponseState, Action, Actor, bool],
) -> None:
    state, action, actor, round_open = combination
    if combination in ALLOWED:
        got = transition(state, action, actor, round_open=round_open, reason=REASON)
        assert got == ALLOWED[combination]
    else:
        with pytest.raises(TransitionRefused) as refused:
            transition(state, action, actor, round_open=round_open, reason=REASON)
        assert refused.value.code in KNOWN_CODES
        assert refused.value.message


@pytest.mark.parametrize(
    ("state", "action", "actor", "round_open", "code"),
    REFUSAL_CODES,
    ids=[ids(row) for row in REFUSAL_CODES],
)
def test_it_says_why_a_transition_is_refused(
    state: ResponseState, action: Action, actor: Actor, round_open: bool, code: str
) -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(state, action, actor, round_open=round_open, reason=REASON)
    assert refused.value.code == code


def test_it_lists_interesting_refusals_only_among_refused_combinations() -> None:
    for state, action, actor, round_open, _code in REFUSAL_CODES:
        assert (state, action, actor, round_open) not in ALLOWED


@pytest.mark.parametrize("combination", EVERY_COMBINATION, ids=ids)
def test_it_offers_exactly_the_actions_transition_allows(
    combination: tuple[ResponseState, Action, Actor, bool],
) -> None:
    state, action, actor, round_open = combination
    offered = action in allowed_actions(state, actor, round_open=round_open)
    try:
        transition(state, action, actor, round_open=round_open, reason=REASON)
    except TransitionRefused:
        assert not offered
    else:
        assert offered


@pytest.mark.parametrize(
    ("state", "actor", "round_open", "buttons"),
    [
        (NOT_STARTED, RESPONDENT, OPEN, [SAVE, SUBMIT]),
        (DRAFT, RESPONDENT, OPEN, [SAVE, SUBMIT]),
        (DRAFT, RESPONDENT, CLOSED, []),
        (SUBMITTED, RESPONDENT, OPEN, [WITHDRAW]),
        (SUBMITTED, RESPONDENT, CLOSED, []),
        (RESUBMITTED, RESPONDENT, CLOSED, [WITHDRAW]),
        (RETURNED, RESPONDENT, CLOSED, [SAVE, SUBMIT]),
        (APPROVED, RESPONDENT, OPEN, []),
        (DRAFT, REVIEWER, OPEN, []),
        (SUBMITTED, REVIEWER, CLOSED, [RETURN, APPROVE]),
        (RESUBMITTED, REVIEWER, OPEN, [RETURN, APPROVE]),
        (RETURNED, REVIEWER, OPEN, []),
        (APPROVED, REVIEWER, OPEN, [REOPEN]),
    ],
)
def test_it_offers_the_buttons_each_side_needs(
    state: ResponseState, actor: Actor, round_open: bool, buttons: list[Action]
) -> None:
    assert allowed_actions(state, actor, round_open=round_open) == buttons


@pytest.mark.parametrize(
    ("state", "action"),
    [(SUBMITTED, RETURN), (RESUBMITTED, RETURN), (APPROVED, REOPEN)],
)
@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("", "reason_required"),
        ("   \n\t　", "reason_required"),  # the ideographic space too
        ("x" * (states.MAX_REASON_CHARS + 1), "reason_too_long"),
        ("  " + "长" * (states.MAX_REASON_CHARS + 1) + "  ", "reason_too_long"),
    ],
    ids=["missing", "whitespace", "too-long", "too-long-chinese"],
)
def test_it_refuses_a_return_or_reopen_without_a_proper_reason(
    state: ResponseState, action: Action, reason: str, code: str
) -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(state, action, REVIEWER, round_open=True, reason=reason)
    assert refused.value.code == code


def test_it_counts_the_reason_length_after_stripping() -> None:
    reason = "  " + "长" * states.MAX_REASON_CHARS + "\n"
    assert transition(SUBMITTED, RETURN, REVIEWER, round_open=True, reason=reason) == RETURNED
    assert clean_reason(reason) == "长" * states.MAX_REASON_CHARS


def test_it_cleans_the_reason_for_the_record() -> None:
    assert clean_reason("  请补充附件 \n") == "请补充附件"


def test_it_leaves_the_reason_optional_where_none_is_asked_for() -> None:
    assert transition(DRAFT, SUBMIT, RESPONDENT, round_open=True) == SUBMITTED
    assert transition(SUBMITTED, APPROVE, REVIEWER, round_open=True) == APPROVED
    assert transition(NOT_STARTED, SAVE, RESPONDENT, round_open=True, reason=" ") == DRAFT


def test_it_names_the_state_before_the_reason() -> None:
    # Returning a draft is wrong whatever the reason; say that, not "give a reason".
    with pytest.raises(TransitionRefused) as refused:
        transition(DRAFT, RETURN, REVIEWER, round_open=True, reason="")
    assert refused.value.code == "not_submitted"


def test_it_puts_the_limit_in_the_too_long_message() -> None:
    with pytest.raises(TransitionRefused) as refused:
        clean_reason("x" * 501)
    assert refused.value.params == {"limit": 500}
    assert "500" in str(refused.value)
    assert "500" in refused.value.translated()


@pytest.mark.parametrize(
    ("state", "read_only"),
    [
        (NOT_STARTED, False),
        (DRAFT, False),
        (SUBMITTED, True),
        (RETURNED, False),
        (RESUBMITTED, True),
        (APPROVED, True),
    ],
)
def test_it_makes_submitted_and_approved_answers_read_only(
    state: ResponseState, read_only: bool
) -> None:
    assert is_read_only_for_respondent(state) is read_only


def test_it_keeps_read_only_in_step_with_what_a_respondent_may_save() -> None:
    for state in ResponseState:
        may_save = SAVE in allowed_actions(state, RESPONDENT, round_open=True)
        assert may_save is not is_read_only_for_respondent(state)


def test_it_labels_every_state_in_english() -> None:
    assert {state: state.label for state in ResponseState} == {
        NOT_STARTED: "Not started",
        DRAFT: "Draft",
        SUBMITTED: "Submitted",
        RETURNED: "Returned",
        RESUBMITTED: "Resubmitted",
        APPROVED: "Approved",
    }
    assert all(action.label for action in Action)


def test_it_keeps_stored_values_stable() -> None:
    assert [state.value for state in ResponseState] == [
        "not_started",
        "draft",
        "submitted",
        "returned",
        "resubmitted",
        "approved",
    ]
    assert [action.value for action in Action] == [
        "save",
        "submit",
        "return",
        "approve",
        "reopen",
        "withdraw",
    ]


def test_it_writes_no_chinese_in_the_module() -> None:
    source = Path(states.__file__).read_text(encoding="utf-8")
    assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", source)
