"""Admin: the audit log, newest first, with filters.

Which events an admin reads is decided by policy.audit_events_visible_to: all of them
for an admin of a top-level organisation, otherwise those of the organisations in their
subtrees and those about the people they manage. Pages go back in time by keyset (the
last event shown), so the log can grow without each page counting it.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from intranet import policy
from intranet.audit import action_label
from intranet.form_fields import FormErrors, clean_line, parse_id
from intranet.i18n import gettext
from intranet.models import AuditEvent, Membership, Organisation, User
from intranet.templating import is_htmx, render

AUDIT_PAGE = "intranet/admin/audit.html"
AUDIT_ROWS = "intranet/admin/_audit_rows.html"
PAGE_SIZE = 50
ACTOR_MAX_LENGTH = User._meta.fields_map["username"].max_length  # type: ignore[attr-defined]
ACTION_MAX_LENGTH = AuditEvent._meta.fields_map["action"].max_length  # type: ignore[attr-defined]
TEXT_MAX_LENGTH = 100
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class AuditFilters:
    actor: str = ""
    action: str = ""
    organisation_id: int | None = None
    date_from: str = ""
    date_to: str = ""
    text: str = ""
    errors: FormErrors = field(default_factory=FormErrors)
    # Set once checked: the organisation chosen and the local days as UTC instants.
    organisation: Organisation | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query_string(self) -> str:
        return urlencode(
            {
                "actor": self.actor,
                "action": self.action,
                "organisation": self.organisation_id or "",
                "from": self.date_from,
                "to": self.date_to,
                "q": self.text,
            }
        )


def read_line(request: Request, name: str, errors: FormErrors, max_length: int) -> str:
    value = clean_line(request.query_params.get(name, ""))
    if len(value) > max_length:
        errors.add(name, gettext("At most %(count)d characters, please.") % {"count": max_length})
    return value


def read_day(raw: str, name: str, errors: FormErrors) -> date | None:
    """A typed day, YYYY-MM-DD (what a date input sends)."""
    if not raw:
        return None
    day = None
    if _DATE.fullmatch(raw):
        with suppress(ValueError):  # 2020-02-30
            day = date.fromisoformat(raw)
    if day is None:
        errors.add(name, gettext("Enter a date such as 2020-02-10."))
    return day


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The day's first instant in the site's time zone, given in UTC: SQLite compares the
    stored text, which is always UTC."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


async def read_filters(
    request: Request, organisations: list[Organisation], zone: ZoneInfo
) -> AuditFilters:
    errors = FormErrors()
    filters = AuditFilters(
        actor=read_line(request, "actor", errors, ACTOR_MAX_LENGTH),
        action=read_line(request, "action", errors, ACTION_MAX_LENGTH),
        date_from=read_line(request, "from", errors, 10),
        date_to=read_line(request, "to", errors, 10),
        text=read_line(request, "q", errors, TEXT_MAX_LENGTH),
        errors=errors,
    )
    raw_organisation = request.query_params.get("organisation", "")
    if raw_organisation:
        filters.organisation_id = parse_id(raw_organisation)
        offered = {o.id: o for o in organisations}
        filters.organisation = offered.get(filters.organisation_id or 0)
        if filters.organisation is None:
            errors.add("organisation", gettext("Choose an organisation from the list."))
    first_day = None if errors.get("from") else read_day(filters.date_from, "from", errors)
    last_day = None if errors.get("to") else read_day(filters.date_to, "to", errors)
    if first_day:
        filters.since = local_midnight(first_day, zone)
    if last_day:
        filters.until = local_midnight(last_day + timedelta(days=1), zone)
    if filters.since and filters.until and filters.since >= filters.until:
        errors.add("to", gettext("The end date is before the start date."))
    return filters


def apply_filters(events: QuerySet[AuditEvent], filters: AuditFilters) -> QuerySet[AuditEvent]:
    if filters.actor:
        events = events.filter(
            Q(actor__username__icontains=filters.actor) | Q(actor_name__icontains=filters.actor)
        )
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.organisation is not None:
        events = events.filter(organisation__path__startswith=filters.organisation.path)
    if filters.since:
        events = events.filter(created_at__gte=filters.since)
    if filters.until:
        events = events.filter(created_at__lt=filters.until)
    if filters.text:
        events = events.filter(summary__icontains=filters.text)
    return events


async def older_than(events: QuerySet[AuditEvent], before_id: int | None) -> QuerySet[AuditEvent]:
    """The events after `before_id` in the log's order (newest first)."""
    if before_id is None:
        return events
    created_at = await AuditEvent.filter(id=before_id).first().values_list("created_at", flat=True)
    if created_at is None:
        return events
    return events.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=before_id))


@dataclass
class EventObject:
    """What an event was about, as the log shows it."""

    text: str
    person_id: int | None = None


async def describe_objects(events: list[AuditEvent]) -> dict[int, EventObject]:
    """People and organisations named by id, looked up once for the whole page."""
    ids_of: dict[str, set[int]] = {"user": set(), "organisation": set()}
    for event in events:
        object_id = parse_id(event.object_id)
        if event.object_type in ids_of and object_id is not None:
            ids_of[event.object_type].add(object_id)
    people = {
        row["id"]: row
        for row in await User.filter(id__in=ids_of["user"]).values("id", "username", "display_name")
    }
    organisation_names = dict(
        await Organisation.filter(id__in=ids_of["organisation"]).values_list("id", "name")
    )
    described = {}
    for event in events:
        described[event.id] = describe_object(event, people, organisation_names)
    return described


def describe_object(
    event: AuditEvent, people: dict[int, dict[str, Any]], organisation_names: dict[Any, Any]
) -> EventObject:
    if not event.object_type:
        return EventObject("")
    object_id = int(event.object_id) if event.object_id.isdigit() else None
    if event.object_type == "user" and object_id in people:
        person = people[object_id]
        label = gettext("%(name)s (%(username)s)") % {
            "name": person["display_name"],
            "username": person["username"],
        }
        return EventObject(label, object_id)
    if event.object_type == "organisation" and object_id in organisation_names:
        return EventObject(str(organisation_names[object_id]))
    return EventObject(
        gettext("%(kind)s no. %(id)s") % {"kind": event.object_type, "id": event.object_id}
    )


async def organisation_options(held: list[Membership]) -> list[Organisation]:
    organisations = Organisation.filter(policy.inside_administered(held, "path"))
    return await organisations.order_by("path")


def indented(organisations: list[Organisation]) -> list[tuple[int, str]]:
    top = min((o.depth for o in organisations), default=0)
    return [(o.id, "\u00a0\u00a0" * (o.depth - top) + o.name) for o in organisations]


async def index(request: Request) -> Response:
    held = await policy.require_admin(request)
    visible = await policy.audit_events_visible_to(held)
    organisations = await organisation_options(held)
    filters = await read_filters(request, organisations, request.app.state.settings.zone)
    context: dict[str, Any] = {
        "filters": filters,
        "errors": filters.errors,
        "organisation_options": indented(organisations),
        "actions": await known_actions(visible),
        "events": [],
        "objects": {},
        "before": None,
        "older": None,
        "action_label": action_label,
    }
    if filters.errors:
        # htmx swaps only successful answers, so it is sent the refusal as one.
        status_code = 200 if is_htmx(request) else 400
        return render(request, AUDIT_PAGE, context, status_code=status_code, partial=AUDIT_ROWS)
    before = parse_id(request.query_params.get("before"))
    events = await older_than(apply_filters(visible, filters), before)
    page = (
        await events.order_by("-created_at", "-id")
        .limit(PAGE_SIZE + 1)
        .select_related("actor", "organisation")
    )
    context.update(
        events=page[:PAGE_SIZE],
        objects=await describe_objects(page[:PAGE_SIZE]),
        before=before,
        older=page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None,
    )
    return render(request, AUDIT_PAGE, context, partial=AUDIT_ROWS)


async def known_actions(visible: QuerySet[AuditEvent]) -> list[tuple[str, str]]:
    """The actions present in the events this admin may read, with their labels."""
    actions = await visible.distinct().order_by("action").values_list("action", flat=True)
    return [(str(action), action_label(str(action))) for action in actions]


routes = [Route("/admin/audit", index, name="intranet:admin_audit")]
