"""What the staff running a campaign do with it: set it up, watch its rounds fill in,
remind the late, approve in bulk, and close, reopen or extend a round.

No HTTP here: views parse the request, ask surveys.policy who may act, and call these.

Decisions the issue leaves open:
- A round's completion counts submitted, resubmitted and approved responses over the
  roster the round opened with (its response rows), not today's roster.
- A response is overdue when the round's deadline has passed and it still awaits an
  answer (not started, draft, or returned); a submission after the deadline is late.
- Once a campaign has opened a round, its form version, organiser and schedule kind and
  start are fixed (the rounds already numbered depend on them); the title, roster and
  end of the schedule may still change and apply to the rounds not opened yet.
- A roster names organisations inside the organiser's subtree. Categories span the
  whole tree, so only a top-level organiser (the association) may name them: a society
  must not reach the reports of societies it does not run.
- A reminder is one row per organisation and round each time staff send one; the
  secretary's home page shows those of the last REMINDER_DAYS days for rounds that
  still await their answer.

The package, by part of the work:

- messages: the limits and every refusal a campaign's staff may be told;
- setup: the campaign form read and checked, campaigns made and changed, the lists;
- progress: a round's completion and its tracker rows and filters;
- actions: reminders, bulk approval, and closing, reopening or extending a round.
"""

from surveys.tracking.actions import BulkApproval as BulkApproval
from surveys.tracking.actions import Reminded as Reminded
from surveys.tracking.actions import ReminderOutcome as ReminderOutcome
from surveys.tracking.actions import approve_many as approve_many
from surveys.tracking.actions import close_round as close_round
from surveys.tracking.actions import extend_round as extend_round
from surveys.tracking.actions import parse_deadline as parse_deadline
from surveys.tracking.actions import remind as remind
from surveys.tracking.actions import reminder_outcome as reminder_outcome
from surveys.tracking.actions import reminders_for as reminders_for
from surveys.tracking.actions import reopen_round as reopen_round
from surveys.tracking.messages import CATEGORIES_TOP_ONLY as CATEGORIES_TOP_ONLY
from surveys.tracking.messages import CATEGORY_UNKNOWN as CATEGORY_UNKNOWN
from surveys.tracking.messages import CHOOSE_FORM as CHOOSE_FORM
from surveys.tracking.messages import CHOOSE_KIND as CHOOSE_KIND
from surveys.tracking.messages import CHOOSE_ORGANISER as CHOOSE_ORGANISER
from surveys.tracking.messages import DATE_INVALID as DATE_INVALID
from surveys.tracking.messages import DONE_STATES as DONE_STATES
from surveys.tracking.messages import DUE_INVALID as DUE_INVALID
from surveys.tracking.messages import DUE_NOT_EXTENDED as DUE_NOT_EXTENDED
from surveys.tracking.messages import DUE_NOT_LATER as DUE_NOT_LATER
from surveys.tracking.messages import FORM_UNFINISHED as FORM_UNFINISHED
from surveys.tracking.messages import MAX_REMINDER_DAYS as MAX_REMINDER_DAYS
from surveys.tracking.messages import MAX_TITLE as MAX_TITLE
from surveys.tracking.messages import OFFSET_INVALID as OFFSET_INVALID
from surveys.tracking.messages import ORGANISATION_OUTSIDE as ORGANISATION_OUTSIDE
from surveys.tracking.messages import REMINDER_DAYS as REMINDER_DAYS
from surveys.tracking.messages import REMINDER_DAYS_INVALID as REMINDER_DAYS_INVALID
from surveys.tracking.messages import ROSTER_EMPTY as ROSTER_EMPTY
from surveys.tracking.messages import ROUND_ALREADY_CLOSED as ROUND_ALREADY_CLOSED
from surveys.tracking.messages import ROUND_NOT_CLOSED as ROUND_NOT_CLOSED
from surveys.tracking.messages import ROUND_NOT_OPENED as ROUND_NOT_OPENED
from surveys.tracking.messages import START_REQUIRED as START_REQUIRED
from surveys.tracking.messages import TITLE_REQUIRED as TITLE_REQUIRED
from surveys.tracking.messages import TITLE_TOO_LONG as TITLE_TOO_LONG
from surveys.tracking.messages import TRACKER_STATES as TRACKER_STATES
from surveys.tracking.messages import RoundRefused as RoundRefused
from surveys.tracking.progress import AWAITING_REVIEW as AWAITING_REVIEW
from surveys.tracking.progress import TRACKER_FILTERS as TRACKER_FILTERS
from surveys.tracking.progress import RoundProgress as RoundProgress
from surveys.tracking.progress import StateFilter as StateFilter
from surveys.tracking.progress import TrackerRow as TrackerRow
from surveys.tracking.progress import filtered as filtered
from surveys.tracking.progress import progress as progress
from surveys.tracking.progress import respondent_name as respondent_name
from surveys.tracking.progress import state_counts as state_counts
from surveys.tracking.progress import state_filters as state_filters
from surveys.tracking.progress import tracker_rows as tracker_rows
from surveys.tracking.setup import CampaignChoices as CampaignChoices
from surveys.tracking.setup import CampaignFields as CampaignFields
from surveys.tracking.setup import CleanCampaign as CleanCampaign
from surveys.tracking.setup import campaign_choices as campaign_choices
from surveys.tracking.setup import campaigns_run_by as campaigns_run_by
from surveys.tracking.setup import clean_campaign as clean_campaign
from surveys.tracking.setup import create_campaign as create_campaign
from surveys.tracking.setup import has_rounds as has_rounds
from surveys.tracking.setup import latest_rounds as latest_rounds
from surveys.tracking.setup import update_campaign as update_campaign
