"""The report area's notifications: rounds opening, falling due and overdue, reports
returned and approved, and reminders (催报), each sent once, and the log of them.

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
- Notifications are written in the site's language (zh_CN), whoever triggered them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from intranet import policy
from intranet.i18n import DEFAULT_LOCALE, N_, gettext, use_locale
from intranet.models import Membership, Organisation, Role, User
from intranet.notifications.kinds import Kind, register
from intranet.sql import Sql
from surveys import paths
from surveys.models import Campaign, Response, Round, RoundReminder
from surveys.states import ResponseState

logger = logging.getLogger("huibao.notify")

ROUND_OPENED = register(Kind("round.opened", N_("A report round opens for you"), True))
ROUND_DUE_SOON = register(Kind("round.due_soon", N_("A report is due soon"), True))
ROUND_DUE_TODAY = register(Kind("round.due_today", N_("A report is due today"), True))
ROUND_OVERDUE = register(Kind("round.overdue", N_("A report is overdue"), True))
RESPONSE_RETURNED = register(Kind("response.returned", N_("Your report is returned"), True))
RESPONSE_APPROVED = register(Kind("response.approved", N_("Your report is approved"), False))
ROUND_REMINDER = register(
    Kind("round.reminder", N_("A reminder about a report from the staff"), True)
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


# -- who is told ------------------------------------------------------------------------


async def recipients(
    organisation_ids: Collection[int], organiser: Organisation
) -> dict[int, list[int]]:
    """Organisation id → the ids of the active people told about its report (see the
    module's decisions). Two queries however many organisations."""
    if not organisation_ids:
        return {}
    found = await Organisation.filter(id__in=list(organisation_ids)).values_list("id", "path")
    chains = {
        org_id: _chain_below(str(path), organiser.path)
        for org_id, path in found  # type: ignore[misc]
    }
    wanted = {i for chain in chains.values() for i in chain}
    holders = await Membership.filter(
        organisation_id__in=list(wanted), role__in=list(policy.ACTING_ROLES), user__is_active=True
    ).values_list("organisation_id", "user_id", "role")
    secretaries: dict[int, set[int]] = defaultdict(set)
    others: dict[int, set[int]] = defaultdict(set)
    for org_id, user_id, role in holders:  # type: ignore[misc]
        (secretaries if role == Role.SECRETARY else others)[org_id].add(user_id)
    told = {}
    for org_id, chain in chains.items():
        people: set[int] = set()
        for level in chain:
            people = secretaries.get(level) or others.get(level) or set()
            if people:
                break
        told[org_id] = sorted(people)
    return told


def _chain_below(path: str, organiser_path: str) -> list[int]:
    """The organisation and its ancestors, nearest first, stopping below the organiser
    (or at the top of the tree when the organisation is not under it)."""
    ids = [int(part) for part in path.strip("/").split("/") if part]
    top = len([p for p in organiser_path.strip("/").split("/") if p])
    if not path.startswith(organiser_path):
        top = 0
    return list(reversed(ids[top:])) or ids[-1:]


# -- the messages -----------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str


def round_url(round_id: int) -> str:
    return paths.my_round(round_id)


def response_url(response_id: int) -> str:
    return paths.response(response_id)


def compose(kind: str, round_: Round, zone: ZoneInfo, url: str, reason: str = "") -> Message:
    """Title and body of a `kind` notification about `round_` (`campaign__organiser`
    loaded), in the site's language."""
    campaign = round_.campaign
    values = {
        "campaign": campaign.title,
        "number": round_.number,
        "organiser": campaign.organiser.display_short_name,
        "start": round_.period_start.isoformat(),
        "end": round_.period_end.isoformat(),
        "due": round_.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "reason": reason,
    }
    with use_locale(DEFAULT_LOCALE):
        return Message(gettext(TITLES[kind]) % values, gettext(BODIES[kind]) % values, url)


# -- sending ----------------------------------------------------------------------------


async def deliver(
    user_ids: Collection[int], *, kind: str, key: str, message: Message, now: dt.datetime
) -> set[int]:
    """Notify these people (each once per key) and return those with an e-mail queued."""
    from intranet.notifications.models import EmailMessage
    from intranet.notifications.send import notify

    if not user_ids:
        return set()
    made = await notify(
        user_ids,
        kind=kind,
        key=key,
        title=message.title,
        body=message.body,
        url=message.url,
        now=now,
    )
    if not made:
        return set()
    mailed = await EmailMessage.filter(
        notification__key=key, user_id__in=list(user_ids)
    ).values_list("user_id", flat=True)
    return set(mailed)  # type: ignore[arg-type]


EMAILED = "in_app,email"  # RoundReminder.channel when someone was also sent an e-mail


async def _claim(
    round_: Round,
    kind: str,
    key: str,
    told: dict[int, list[int]],
    now: dt.datetime,
    sent_by: User | None,
) -> dict[int, list[int]]:
    """Insert a reminder row per organisation for this key unless one exists, in one
    statement; return the organisations (and their people) this call claimed."""
    if not told:
        return {}
    blank = RoundReminder(created_at=now)
    created = RoundReminder._meta.fields_map["created_at"].to_db_value(now, blank)
    names = '"round_id", "organisation_id", "sent_by_id", "channel", "kind", "key", '
    names += '"recipients", "created_at"'
    ids = sorted(told)
    people = [json.dumps(told[i]) for i in ids]
    sender = sent_by.id if sent_by is not None else None
    sql = Sql()
    if sql.postgres:
        marks = [sql.param(value) for value in (round_.id, ids, sender, kind, key, people, created)]
        rows = (
            f"SELECT {marks[0]}::integer, unnest({marks[1]}::integer[]), {marks[2]}::integer, "
            f"'in_app', {marks[3]}::varchar, {marks[4]}::varchar, unnest({marks[5]}::text[])"
            f"::jsonb, {marks[6]}::timestamptz"
        )
    else:
        pairs = json.dumps([[i, told[i]] for i in ids])
        marks = [sql.param(value) for value in (round_.id, sender, kind, key, created, pairs)]
        rows = (
            f"SELECT {marks[0]}, json_extract(value, '$[0]'), {marks[1]}, 'in_app', {marks[2]}, "
            f"{marks[3]}, json_extract(value, '$[1]'), {marks[4]} FROM json_each({marks[5]}) "
            "WHERE true"
        )
    query = (
        f"INSERT INTO {Sql.table(RoundReminder)} ({names}) {rows} "
        'ON CONFLICT ("organisation_id", "key") DO NOTHING RETURNING "organisation_id"'
    )
    claimed = {row["organisation_id"] for row in await sql.rows(query)}
    return {i: told[i] for i in ids if i in claimed}


async def send_round_event(
    round_: Round,
    kind: str,
    key: str,
    now: dt.datetime,
    zone: ZoneInfo,
    *,
    organisation_ids: Collection[int] | None = None,
    sent_by: User | None = None,
) -> list[int]:
    """Tell the people of the organisations in `round_` (`campaign__organiser` loaded)
    whose report still awaits an answer (only those in `organisation_ids`, if given)
    about `kind`, once per organisation and key. Returns the organisations told. A
    constant number of queries however many organisations and people."""
    owing = Response.filter(round_id=round_.id, state__in=list(AWAITING))
    if organisation_ids is not None:
        owing = owing.filter(organisation_id__in=list(organisation_ids))
    rows = await owing.values_list("organisation_id", "user_id")
    org_ids = sorted({o for o, _ in rows if o is not None})  # type: ignore[misc]
    persons = sorted({u for o, u in rows if o is None and u is not None})  # type: ignore[misc]
    if kind == ROUND_OPENED.name:
        persons = []  # a per-person form: who must fill it in is not known yet
    told = await recipients(org_ids, round_.campaign.organiser)
    message = compose(kind, round_, zone, round_url(round_.id))
    async with in_transaction():
        claimed = await _claim(round_, kind, key, told, now, sent_by)
        people = {u for users in claimed.values() for u in users} | set(persons)
        mailed = await deliver(people, kind=kind, key=key, message=message, now=now)
        emailed = [i for i, users in claimed.items() if mailed & set(users)]
        if emailed:
            await RoundReminder.filter(key=key, organisation_id__in=emailed).update(channel=EMAILED)
    return sorted(claimed)


# -- the scheduler's pass -----------------------------------------------------------------


@dataclass(frozen=True)
class DueEvent:
    kind: str
    key: str


def due_event(
    round_: Round, campaign: Campaign, now: dt.datetime, zone: ZoneInfo
) -> DueEvent | None:
    """The latest reminder `round_` calls for at `now`, if any (whether sent or not)."""
    base = f"round:{round_.id}"
    if now >= round_.due_at:
        every = campaign.overdue_every_days
        k = (now - round_.due_at) // dt.timedelta(days=every) if every > 0 else 0
        return DueEvent(ROUND_OVERDUE.name, f"{base}:overdue:{k}")
    due_day = round_.due_at.astimezone(zone).date()
    today_starts = dt.datetime.combine(due_day, dt.time(), tzinfo=zone)
    if now >= today_starts:
        return _unless_before_opening(round_, today_starts, ROUND_DUE_TODAY.name, base)
    days = campaign.remind_days_before
    if days > 0 and now >= round_.due_at - dt.timedelta(days=days):
        starts = round_.due_at - dt.timedelta(days=days)
        return _unless_before_opening(round_, starts, ROUND_DUE_SOON.name, base)
    return None


def _unless_before_opening(
    round_: Round, starts: dt.datetime, kind: str, base: str
) -> DueEvent | None:
    if starts < round_.opens_at:
        return None  # the opening itself said when it is due
    return DueEvent(kind, f"{base}:{kind.removeprefix('round.')}")


async def send_due(now: dt.datetime, zone: ZoneInfo | None = None) -> int:
    """One pass: every open round's due reminder not sent yet, to the organisations still
    owing their report. Returns how many organisations were reminded. Two queries when
    nothing is due; a constant number per round reminded."""
    zone = zone or site_zone()
    still_open = Q(closed_at__isnull=True) | Q(closed_at__gt=now)
    open_rounds = await Round.filter(
        still_open, opens_at__lte=now, campaign__is_active=True
    ).select_related("campaign__organiser")
    due = [(r, e) for r in open_rounds if (e := due_event(r, r.campaign, now, zone))]
    if not due:
        return 0
    sent: set[str] = set(
        await RoundReminder.filter(  # type: ignore[arg-type]
            round_id__in=[r.id for r, _ in due], key__in=[e.key for _, e in due]
        )
        .distinct()
        .values_list("key", flat=True)
    )
    told = 0
    for round_, event in due:
        if event.key in sent:
            continue
        try:
            told += len(await send_round_event(round_, event.kind, event.key, now, zone))
        except Exception:  # one round's failure must not stop the others' reminders
            logger.exception("could not send %s for round %s", event.key, round_.id)
    return told


async def rounds_opened(rounds: Sequence[Round], now: dt.datetime, zone: ZoneInfo) -> int:
    """Tell the roster of each round just opened; returns how many organisations."""
    told = 0
    for round_ in rounds:
        loaded = await Round.get(id=round_.id).select_related("campaign__organiser")
        try:
            found = await send_round_event(
                loaded, ROUND_OPENED.name, f"round:{round_.id}:opened", now, zone
            )
        except Exception:
            logger.exception("could not announce round %s", round_.id)
            continue
        told += len(found)
    return told


def site_zone() -> ZoneInfo:
    """The site's clock (Settings.zone), for callers that have no settings at hand."""
    from intranet.settings import _time_zone

    return ZoneInfo(_time_zone(os.environ))


# -- review and reminders by staff ----------------------------------------------------------


async def response_reviewed(
    response: Response, kind: str, now: dt.datetime, *, reason: str = ""
) -> None:
    """Tell the respondent their report was returned (with why) or approved. The key
    names the response's version after the step, so each step is told once."""
    round_ = await Round.get(id=response.round_id).select_related("campaign__organiser")  # type: ignore[attr-defined]
    if response.organisation_id is not None:  # type: ignore[attr-defined]
        told = await recipients([response.organisation_id], round_.campaign.organiser)  # type: ignore[attr-defined]
        people = told.get(response.organisation_id, [])  # type: ignore[attr-defined]
    else:
        people = [response.user_id]  # type: ignore[attr-defined]
    message = compose(kind, round_, site_zone(), response_url(response.id), reason=reason)
    key = f"response:{response.id}:{kind.removeprefix('response.')}:{response.version}"
    await deliver(people, kind=kind, key=key, message=message, now=now)


def reminder_key(round_id: int, sent_at: dt.datetime) -> str:
    """The key of one reminder (催报) sent by staff: its log rows and notifications share it."""
    return f"round:{round_id}:reminder:{sent_at.isoformat()}"


async def remind_round(
    round_: Round, organisation_ids: Collection[int], sender: User, now: dt.datetime
) -> list[int]:
    """A reminder (催报) from `sender` to these organisations of the round, those still
    owing their report; logged with who it reached. Returns the organisations reminded."""
    loaded = await Round.get(id=round_.id).select_related("campaign__organiser")
    key = reminder_key(round_.id, now)
    return await send_round_event(
        loaded,
        ROUND_REMINDER.name,
        key,
        now,
        site_zone(),
        organisation_ids=organisation_ids,
        sent_by=sender,
    )


# -- the 催报 log ---------------------------------------------------------------------------


@dataclass
class Recipient:
    name: str
    read_at: dt.datetime | None = None  # when they opened the notification in-app
    email_state: str = ""  # "" (no e-mail), or the outbox state: pending, sent, failed...
    can_sign_in: bool = True  # an active account with a password: the bell reaches them

    @property
    def reached(self) -> bool:
        """Told for real: they can sign in and see it, or an e-mail is on its way or sent.
        An invited person who never set a password and has no e-mail address is not."""
        return self.can_sign_in or self.email_state in ("pending", "sending", "sent")

    @property
    def email_label(self) -> str:
        """The e-mail's state as an English msgid; "" when none was sent."""
        from intranet.notices.notify import email_label

        return email_label(self.email_state)


@dataclass
class ReminderEntry:
    sent_at: dt.datetime
    organisation: str
    kind: str
    automatic: bool
    sent_by: str  # the staff member's name; "" when automatic
    channel: str  # "in_app" or "in_app,email"
    recipients: list[Recipient] = field(default_factory=list)

    organisation_id: int = 0
    key: str = ""

    @property
    def kind_label(self) -> str:
        label = {k.name: k.label for k in KINDS}.get(self.kind, self.kind)
        return gettext(label)

    @property
    def reached(self) -> bool:
        """Someone of the organisation was actually told (see Recipient.reached)."""
        return any(person.reached for person in self.recipients)


KINDS = (
    ROUND_OPENED,
    ROUND_DUE_SOON,
    ROUND_DUE_TODAY,
    ROUND_OVERDUE,
    ROUND_REMINDER,
    RESPONSE_RETURNED,
    RESPONSE_APPROVED,
)


async def reminder_log(round_id: int, *, key: str | None = None) -> list[ReminderEntry]:
    """Who was reminded about the round, when and how (in-app, e-mail and its state;
    manual by whom, or automatic), newest first; only one reminder's rows if `key` is
    given. Four queries whatever its size."""
    from intranet.notifications.models import EmailMessage, Notification

    found = RoundReminder.filter(round_id=round_id)
    if key is not None:
        found = found.filter(key=key)
    reminders = await found.select_related("organisation", "sent_by").order_by(
        "-created_at", "organisation__path"
    )
    people_ids = {u for r in reminders for u in r.recipients}
    accounts = await User.filter(id__in=list(people_ids)).values_list(
        "id", "display_name", "password_hash", "is_active"
    )
    names = {row[0]: row[1] for row in accounts}
    signs_in = {row[0] for row in accounts if row[2] and row[3]}
    keys = {r.key for r in reminders if r.key}
    notes = await Notification.filter(key__in=list(keys), user_id__in=list(people_ids)).values(
        "id", "user_id", "key", "read_at"
    )
    by_note = {(n["user_id"], n["key"]): n for n in notes}
    emails = await EmailMessage.filter(notification_id__in=[n["id"] for n in notes]).values(
        "notification_id", "state"
    )
    state_of = {e["notification_id"]: e["state"] for e in emails}
    entries = []
    for reminder in reminders:
        people = []
        for user_id in reminder.recipients:
            note = by_note.get((user_id, reminder.key))
            people.append(
                Recipient(
                    name=str(names.get(user_id, "")),
                    read_at=note["read_at"] if note else None,
                    email_state=state_of.get(note["id"], "") if note else "",
                    can_sign_in=user_id in signs_in,
                )
            )
        entries.append(
            ReminderEntry(
                sent_at=reminder.created_at,
                organisation=reminder.organisation.name,
                kind=reminder.kind,
                automatic=reminder.sent_by is None and reminder.kind != ROUND_REMINDER.name,
                sent_by=reminder.sent_by.display_name if reminder.sent_by else "",
                channel=reminder.channel,
                recipients=people,
                organisation_id=reminder.organisation_id,  # type: ignore[attr-defined]
                key=reminder.key or "",
            )
        )
    return entries
