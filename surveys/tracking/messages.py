"""The limits of a campaign's fields and every refusal its staff may be told."""

from __future__ import annotations

from intranet.i18n import N_, Refusal
from surveys.states import ResponseState

MAX_TITLE = 200
REMINDER_DAYS = 14
DONE_STATES = frozenset(
    {ResponseState.SUBMITTED, ResponseState.RESUBMITTED, ResponseState.APPROVED}
)
# The tracker's columns of counts, in the order a response moves through them.
TRACKER_STATES = (
    ResponseState.NOT_STARTED,
    ResponseState.DRAFT,
    ResponseState.SUBMITTED,
    ResponseState.RETURNED,
    ResponseState.RESUBMITTED,
    ResponseState.APPROVED,
)

TITLE_REQUIRED = N_("Give the campaign a title.")
TITLE_TOO_LONG = N_("At most %(count)d characters, please.")
CHOOSE_FORM = N_("Choose one of the forms offered.")
FORM_UNFINISHED = N_(
    "This form is not finished yet: open it in the form builder and fix what it lists."
)
CHOOSE_ORGANISER = N_("Choose one of the organisations you act for.")
ORGANISATION_OUTSIDE = N_("Choose organisations within the organiser's own organisation.")
CATEGORY_UNKNOWN = N_("Choose one of the categories offered.")
CATEGORIES_TOP_ONLY = N_("Only a campaign of the association can be sent to whole categories.")
ROSTER_EMPTY = N_("Choose at least one organisation or category to send the form to.")
CHOOSE_KIND = N_("Choose how often the form is filled in.")
DATE_INVALID = N_("Enter a date as YYYY-MM-DD.")
START_REQUIRED = N_("Give the date the first period starts on.")
OFFSET_INVALID = N_("Enter a whole number of days.")
REMINDER_DAYS_INVALID = N_("Enter a whole number of days from 0 to %(max)d.")
MAX_REMINDER_DAYS = 60

ROUND_ALREADY_CLOSED = N_("This round is already closed.")
ROUND_NOT_CLOSED = N_("This round is not closed.")
ROUND_NOT_OPENED = N_("This round has not opened yet.")
DUE_INVALID = N_("Enter the new deadline as a date and a time.")
DUE_NOT_LATER = N_("The new deadline must be later than now.")
DUE_NOT_EXTENDED = N_("The new deadline must be later than the current one.")


class RoundRefused(Refusal):
    """A round action its state does not allow; nothing changed."""
