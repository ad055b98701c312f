"""What the report area's notifications say: their kinds, titles and bodies, written in
the site's language (zh_CN) whoever triggered them, and where they point."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from intranet.i18n import DEFAULT_LOCALE, N_, gettext, use_locale
from intranet.notifications.kinds import Kind, register
from surveys import paths
from surveys.models import Round
from surveys.states import ResponseState

ROUND_OPENED = register(Kind("round.opened", N_("A report round opens for you"), True))
ROUND_DUE_SOON = register(Kind("round.due_soon", N_("A report is due soon"), True))
ROUND_DUE_TODAY = register(Kind("round.due_today", N_("A report is due today"), True))
ROUND_OVERDUE = register(Kind("round.overdue", N_("A report is overdue"), True))
RESPONSE_RETURNED = register(Kind("response.returned", N_("Your report is returned"), True))
RESPONSE_APPROVED = register(Kind("response.approved", N_("Your report is approved"), False))
ROUND_REMINDER = register(
    Kind("round.reminder", N_("A reminder about a report from the staff"), True)
)

KINDS = (
    ROUND_OPENED,
    ROUND_DUE_SOON,
    ROUND_DUE_TODAY,
    ROUND_OVERDUE,
    ROUND_REMINDER,
    RESPONSE_RETURNED,
    RESPONSE_APPROVED,
)

AWAITING = (ResponseState.NOT_STARTED, ResponseState.DRAFT, ResponseState.RETURNED)

TITLES = {
    ROUND_OPENED.name: N_("New report: %(campaign)s, round %(number)s"),
    ROUND_DUE_SOON.name: N_("Due soon: %(campaign)s, round %(number)s"),
    ROUND_DUE_TODAY.name: N_("Due today: %(campaign)s, round %(number)s"),
    ROUND_OVERDUE.name: N_("Overdue: %(campaign)s, round %(number)s"),
    ROUND_REMINDER.name: N_("%(organiser)s reminds you: %(campaign)s, round %(number)s"),
    RESPONSE_RETURNED.name: N_("Report returned: %(campaign)s, round %(number)s"),
    RESPONSE_APPROVED.name: N_("Report approved: %(campaign)s, round %(number)s"),
}
BODIES = {
    ROUND_OPENED.name: N_(
        "%(organiser)s asks for %(campaign)s, round %(number)s (%(start)s to %(end)s). "
        "Please submit it by %(due)s."
    ),
    ROUND_DUE_SOON.name: N_("Your report is due on %(due)s and has not been submitted yet."),
    ROUND_DUE_TODAY.name: N_("Your report is due today, %(due)s, and has not been submitted yet."),
    ROUND_OVERDUE.name: N_(
        "Your report was due on %(due)s and has not been submitted yet. "
        "Please submit it as soon as you can."
    ),
    ROUND_REMINDER.name: N_("Your report is due on %(due)s and has not been submitted yet."),
    RESPONSE_RETURNED.name: N_("%(organiser)s returned your report for changes: %(reason)s"),
    RESPONSE_APPROVED.name: N_("%(organiser)s approved your report."),
}


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str


def round_url(round_id: int) -> str:
    return paths.my_round(round_id)


def response_url(response_id: int) -> str:
    return paths.response(response_id)


def compose(kind: str, round_: Round, zone: ZoneInfo | None, url: str, reason: str = "") -> Message:
    """Title and body of a `kind` notification about `round_` (`campaign__organiser`
    loaded), in the site's language. The deadline is written on the site's clock `zone`;
    a message that names no deadline (a review's) needs none."""
    campaign = round_.campaign
    values = {
        "campaign": campaign.title,
        "number": round_.number,
        "organiser": campaign.organiser.display_short_name,
        "start": round_.period_start.isoformat(),
        "end": round_.period_end.isoformat(),
        "reason": reason,
    }
    if zone is not None:
        values["due"] = round_.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    with use_locale(DEFAULT_LOCALE):
        return Message(gettext(TITLES[kind]) % values, gettext(BODIES[kind]) % values, url)
