"""The report area's notifications: rounds opening, falling due and overdue, reports
returned and approved, and reminders (催报), each sent once, and the log of them.

- messages: the kinds, their titles and bodies, and where they point;
- sending: who is told, and one event told to a round's organisations, claimed once;
- due: the scheduler's pass (automatic reminders) and the announcement of opened rounds;
- reviews: a report returned or approved, told to its respondent;
- reminders: reminders sent by staff, and the 催报 log.

Decisions the issue leaves open:
- Who is told about an organisation's report: the secretaries holding their role on
  that organisation itself; if it has none, whoever else acts for it there (its admins
  and staff); if nobody, the same asked of its parent, and so on up, stopping below the
  campaign's organiser (whose staff run the campaign and do not remind themselves).
  Resolved when the notification is sent, so a new secretary gets the next one.
- A per-person report is the person's own: they are told about it (return, approval,
  reminders once they have started it); who must fill in a per-person form is not known
  until they start, so its opening is not announced.
- Nobody is reminded about a report already submitted, resubmitted or approved, nor
  about a round that is closed or whose campaign is stopped.
- Automatic reminders: `remind_days_before` days before the deadline (0: never), on the
  deadline's day, and once it has passed, every `overdue_every_days` days (0: once).
  A reminder whose moment came before the round opened is skipped (the opening already
  says the deadline); a pass after a long pause sends only the latest one due.
- Each automatic event is claimed per organisation by inserting its RoundReminder row
  (unique organisation and key) in the same transaction as its notifications, so two
  workers, or a pass run twice, send it once; a crash leaves neither behind.
- Notifications are written in the site's language (zh_CN), whoever triggered them,
  and their deadlines on the site's clock (Settings.zone, passed in by the callers).
"""

from surveys.notify.due import DueEvent, due_event, rounds_opened, send_due
from surveys.notify.messages import (
    AWAITING,
    KINDS,
    RESPONSE_APPROVED,
    RESPONSE_RETURNED,
    ROUND_DUE_SOON,
    ROUND_DUE_TODAY,
    ROUND_OPENED,
    ROUND_OVERDUE,
    ROUND_REMINDER,
    Message,
    compose,
    response_url,
    round_url,
)
from surveys.notify.reminders import (
    Recipient,
    ReminderEntry,
    remind_round,
    reminder_key,
    reminder_log,
)
from surveys.notify.reviews import response_reviewed
from surveys.notify.sending import EMAILED, deliver, recipients, send_round_event

__all__ = [
    "AWAITING",
    "EMAILED",
    "KINDS",
    "RESPONSE_APPROVED",
    "RESPONSE_RETURNED",
    "ROUND_DUE_SOON",
    "ROUND_DUE_TODAY",
    "ROUND_OPENED",
    "ROUND_OVERDUE",
    "ROUND_REMINDER",
    "DueEvent",
    "Message",
    "Recipient",
    "ReminderEntry",
    "compose",
    "deliver",
    "due_event",
    "recipients",
    "remind_round",
    "reminder_key",
    "reminder_log",
    "response_reviewed",
    "response_url",
    "round_url",
    "rounds_opened",
    "send_due",
    "send_round_event",
]
