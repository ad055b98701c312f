"""The life of a report response: which actions move it from which state to which.

Pure rules, no database and no HTTP: views ask `allowed_actions` which buttons to show
and call `transition` before changing a response; whatever stores the response records
who did it, when and the reason (see `clean_reason`).

    not_started --save--> draft --save--> draft
    not_started / draft --submit--> submitted
    submitted / resubmitted --return (reason)--> returned --save--> returned
    returned --submit--> resubmitted
    submitted / resubmitted --approve--> approved
    approved --reopen (reason)--> returned
    submitted --withdraw--> draft
    resubmitted --withdraw--> returned

Who may act. The *respondent* is whoever answers for the response: the secretary or
staff acting for the organisation, or the person themself on a per-person form; only
they save and submit. The *reviewer* is the association's staff or admin running the
campaign; only they return, approve and reopen, and they never save answers, so a
society's report never changes behind its back (a reviewer who wants a change returns
the response with a reason). Which of the two a signed-in person is for a given response
is for intranet.policy to say, not this module.

Decisions the issue leaves open:
- A closed round refuses save and submit of a response that was never returned, but
  review goes on: staff may still return, approve and reopen after the deadline.
- A response returned by a reviewer may be saved and resubmitted even when its round is
  closed: the reviewer asked for the fix, so the deadline must not block it.
- Approval is final for the respondent. Staff may `reopen` an approved response, with a
  reason, which sends it back to `returned` for the society to correct.
- Submitting what is already submitted is refused with its own code,
  `already_submitted`, so a double click or a second tab can be told kindly that there
  is nothing more to do.
- A respondent may withdraw a submission until it is reviewed: a submitted
  response goes back to draft, a resubmitted one back to returned (the reviewer's
  reason still stands, and a returned response may be fixed after the deadline). Once
  approved, or while returned or not submitted, there is nothing to withdraw. A
  submission in a closed round is not withdrawn: it could not be sent again.
- When several things are wrong, the refusal names the first of: the wrong kind of
  actor, the response's state, the closed round, the reason. A reason is read only by
  `return` and `reopen` and ignored by the other actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from intranet.i18n import N_, Refusal

MAX_REASON_CHARS = 500


class ResponseState(StrEnum):
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    ResponseState.NOT_STARTED: N_("Not started"),
    ResponseState.DRAFT: N_("Draft"),
    ResponseState.SUBMITTED: N_("Submitted"),
    ResponseState.RETURNED: N_("Returned"),
    ResponseState.RESUBMITTED: N_("Resubmitted"),
    ResponseState.APPROVED: N_("Approved"),
}


class Action(StrEnum):
    SAVE = "save"
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.SAVE: N_("Save"),
    Action.SUBMIT: N_("Submit"),
    Action.RETURN: N_("Return"),
    Action.APPROVE: N_("Approve"),
    Action.REOPEN: N_("Reopen"),
    Action.WITHDRAW: N_("Withdraw"),
}


class Actor(StrEnum):
    RESPONDENT = "respondent"
    REVIEWER = "reviewer"


# Respondents cannot change these; a return (or a reopen) gives the response back.
READ_ONLY_STATES = frozenset(
    {ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED}
)
AWAITING_REVIEW = frozenset({ResponseState.SUBMITTED, ResponseState.RESUBMITTED})

ACTOR_OF: Mapping[Action, Actor] = {
    Action.SAVE: Actor.RESPONDENT,
    Action.SUBMIT: Actor.RESPONDENT,
    Action.RETURN: Actor.REVIEWER,
    Action.APPROVE: Actor.REVIEWER,
    Action.REOPEN: Actor.REVIEWER,
    Action.WITHDRAW: Actor.RESPONDENT,
}
NEEDS_REASON = frozenset({Action.RETURN, Action.REOPEN})
NEEDS_OPEN_ROUND = frozenset({Action.SAVE, Action.SUBMIT, Action.WITHDRAW})
# What a returned response may still do after the round closed: the reviewer asked.
AFTER_CLOSING = frozenset({ResponseState.RETURNED, ResponseState.RESUBMITTED})

NEXT_STATE: Mapping[tuple[ResponseState, Action], ResponseState] = {
    (ResponseState.NOT_STARTED, Action.SAVE): ResponseState.DRAFT,
    (ResponseState.DRAFT, Action.SAVE): ResponseState.DRAFT,
    (ResponseState.NOT_STARTED, Action.SUBMIT): ResponseState.SUBMITTED,
    (ResponseState.DRAFT, Action.SUBMIT): ResponseState.SUBMITTED,
    (ResponseState.SUBMITTED, Action.RETURN): ResponseState.RETURNED,
    (ResponseState.RESUBMITTED, Action.RETURN): ResponseState.RETURNED,
    (ResponseState.RETURNED, Action.SAVE): ResponseState.RETURNED,
    (ResponseState.RETURNED, Action.SUBMIT): ResponseState.RESUBMITTED,
    (ResponseState.SUBMITTED, Action.APPROVE): ResponseState.APPROVED,
    (ResponseState.RESUBMITTED, Action.APPROVE): ResponseState.APPROVED,
    (ResponseState.APPROVED, Action.REOPEN): ResponseState.RETURNED,
    (ResponseState.SUBMITTED, Action.WITHDRAW): ResponseState.DRAFT,
    (ResponseState.RESUBMITTED, Action.WITHDRAW): ResponseState.RETURNED,
}

REVIEWER_ONLY = N_("Only the staff running the campaign can return, approve or reopen a response.")
RESPONDENT_ONLY = N_("Only the respondent can submit a response.")
WITHDRAW_RESPONDENT_ONLY = N_("Only the respondent can withdraw a response.")
WITHDRAW_APPROVED = N_(
    "This report has already been approved and can no longer be withdrawn. If it needs "
    "a change, ask the staff running the campaign to reopen it."
)
WITHDRAW_NOT_SUBMITTED = N_("This report has not been submitted, so there is nothing to withdraw.")
WITHDRAW_RETURNED = N_(
    "This report was returned for correction and is already yours to change; there is "
    "nothing to withdraw."
)
WITHDRAW_ROUND_CLOSED = N_(
    "The round is closed: a withdrawn report could not be submitted again, so it stays "
    "submitted. Ask the staff running the campaign to return it if it needs a change."
)
REVIEWER_CANNOT_EDIT = N_(
    "Reviewers cannot change a respondent's answers; return the response with a reason instead."
)
READ_ONLY = N_("Submitted answers are read-only until the response is returned.")
ALREADY_SUBMITTED = N_("This response has already been submitted; nothing more is needed.")
ALREADY_APPROVED = N_("This response has already been approved.")
NOT_SUBMITTED = N_("This response has not been submitted yet.")
AWAITING_RESUBMISSION = N_("This response was returned and has not been submitted again yet.")
NOT_APPROVED = N_("Only an approved response can be reopened.")
ROUND_CLOSED = N_("The round is closed; answers can no longer be saved or submitted.")
REASON_REQUIRED = N_("Please give a reason.")
REASON_TOO_LONG = N_("The reason is too long: at most %(limit)s characters.")


class TransitionRefused(Refusal):
    """An action the response's state, the actor or the round does not allow.

    `code` is stable, for code and tests to tell refusals apart; `message` is an English
    msgid, translated where it is shown (see `translated`).
    """


def is_read_only_for_respondent(state: ResponseState) -> bool:
    """Whether the respondent may not change the answers, whatever the round's dates."""
    return state in READ_ONLY_STATES


def clean_reason(reason: str) -> str:
    """The reason for a return or a reopen as it should be recorded: stripped, present,
    and at most MAX_REASON_CHARS long."""
    reason = reason.strip()
    if not reason:
        raise TransitionRefused("reason_required", REASON_REQUIRED)
    if len(reason) > MAX_REASON_CHARS:
        raise TransitionRefused("reason_too_long", REASON_TOO_LONG, {"limit": MAX_REASON_CHARS})
    return reason


def transition(
    state: ResponseState,
    action: Action,
    actor: Actor,
    *,
    round_open: bool,
    reason: str = "",
) -> ResponseState:
    """The state `action` by `actor` leads to, or TransitionRefused saying why not."""
    refusal = _refusal(state, action, actor, round_open=round_open)
    if refusal is not None:
        raise refusal
    if action in NEEDS_REASON:
        clean_reason(reason)
    return NEXT_STATE[state, action]


def allowed_actions(state: ResponseState, actor: Actor, *, round_open: bool) -> list[Action]:
    """The actions `actor` may take now, in Action's order: the buttons to show. Those in
    NEEDS_REASON still need a reason from the form."""
    return [a for a in Action if _refusal(state, a, actor, round_open=round_open) is None]


def _refusal(
    state: ResponseState, action: Action, actor: Actor, *, round_open: bool
) -> TransitionRefused | None:
    if actor != ACTOR_OF[action]:
        return _wrong_actor(action)
    if (state, action) not in NEXT_STATE:
        return _wrong_state(state, action)
    # A returned response may be fixed after the deadline: the reviewer asked for it.
    if action in NEEDS_OPEN_ROUND and not round_open and state not in AFTER_CLOSING:
        if action == Action.WITHDRAW:
            return TransitionRefused("round_closed", WITHDRAW_ROUND_CLOSED)
        return TransitionRefused("round_closed", ROUND_CLOSED)
    return None


def _wrong_actor(action: Action) -> TransitionRefused:
    if action == Action.WITHDRAW:
        return TransitionRefused("respondent_only", WITHDRAW_RESPONDENT_ONLY)
    if action == Action.SAVE:
        return TransitionRefused("reviewer_cannot_edit", REVIEWER_CANNOT_EDIT)
    if action == Action.SUBMIT:
        return TransitionRefused("respondent_only", RESPONDENT_ONLY)
    return TransitionRefused("reviewer_only", REVIEWER_ONLY)


def _wrong_state(state: ResponseState, action: Action) -> TransitionRefused:
    if action == Action.WITHDRAW:
        if state == ResponseState.APPROVED:
            return TransitionRefused("already_approved", WITHDRAW_APPROVED)
        if state == ResponseState.RETURNED:
            return TransitionRefused("returned", WITHDRAW_RETURNED)
        return TransitionRefused("not_submitted", WITHDRAW_NOT_SUBMITTED)
    if action == Action.REOPEN:
        return TransitionRefused("not_approved", NOT_APPROVED)
    if action == Action.SAVE:
        return TransitionRefused("read_only", READ_ONLY)
    if state == ResponseState.APPROVED:
        return TransitionRefused("already_approved", ALREADY_APPROVED)
    if action == Action.SUBMIT:  # submitted or resubmitted
        return TransitionRefused("already_submitted", ALREADY_SUBMITTED)
    if state == ResponseState.RETURNED:
        return TransitionRefused("awaiting_resubmission", AWAITING_RESUBMISSION)
    return TransitionRefused("not_submitted", NOT_SUBMITTED)
