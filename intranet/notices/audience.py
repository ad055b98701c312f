"""Who receives a notice, and which notices a person may read.

On publication the addressees are expanded into one NoticeAudience row per receiving
organisation:
- an organisation → that organisation, for the people who act for it (UNIT);
- a category → every active organisation in it (UNIT);
- all societies → every active society (UNIT);
- all members of X → X and every organisation below it, for everyone with a role there
  (EVERYONE).
An organisation named both ways keeps the wider scope, and 主送 wins over 抄送. Nothing
outside the issuer's subtree is ever reached (intranet.policy.can_address is the rule;
this keeps a row that slipped past it from reaching anyone).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from intranet import policy
from intranet.models import Membership, Organisation, OrganisationKind, User
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    AudienceScope,
    Notice,
    NoticeAddressee,
    NoticeAudience,
    NoticeRead,
    NoticeReminder,
)


async def receiving_organisations(
    addressees: Iterable[NoticeAddressee],
) -> dict[int, tuple[AudienceScope, AddresseeRole]]:
    """Organisation id → (scope, role) for a notice's addressees."""
    received: dict[int, tuple[AudienceScope, AddresseeRole]] = {}

    def add(ids: Iterable[int], scope: AudienceScope, role: AddresseeRole) -> None:
        for organisation_id in ids:
            old_scope, old_role = received.get(organisation_id, (AudienceScope.UNIT, role))
            wider = (
                AudienceScope.EVERYONE if AudienceScope.EVERYONE in (old_scope, scope) else scope
            )
            stronger = AddresseeRole.TO if AddresseeRole.TO in (old_role, role) else role
            received[organisation_id] = (wider, stronger)

    active = Organisation.filter(is_active=True)
    for addressee in addressees:
        target, role = addressee.target, addressee.role
        if target == AddresseeTarget.ORGANISATION and addressee.organisation_id:
            add([addressee.organisation_id], AudienceScope.UNIT, role)
        elif target == AddresseeTarget.CATEGORY and addressee.category_id:
            ids = await active.filter(categories__id=addressee.category_id).values_list(
                "id", flat=True
            )
            add(ids, AudienceScope.UNIT, role)  # type: ignore[arg-type]
        elif target == AddresseeTarget.ALL_SOCIETIES:
            ids = await active.filter(kind=OrganisationKind.SOCIETY).values_list("id", flat=True)
            add(ids, AudienceScope.UNIT, role)  # type: ignore[arg-type]
        elif target == AddresseeTarget.MEMBERS_OF and addressee.organisation_id:
            top = await Organisation.get_or_none(id=addressee.organisation_id)
            if top is not None:
                ids = await active.filter(path__startswith=top.path).values_list("id", flat=True)
                add(ids, AudienceScope.EVERYONE, role)  # type: ignore[arg-type]
    return received


async def fix_audience(notice: Notice) -> None:
    """Replace the notice's audience rows with those its addressees give now."""
    addressees = await NoticeAddressee.filter(notice=notice)
    received = await receiving_organisations(addressees)
    issuer = await Organisation.get(id=notice.issuer_id)
    inside = set(
        await Organisation.filter(id__in=list(received), path__startswith=issuer.path).values_list(
            "id", flat=True
        )
    )
    received = {org_id: value for org_id, value in received.items() if org_id in inside}
    async with in_transaction():
        await NoticeAudience.filter(notice=notice).delete()
        await NoticeAudience.bulk_create(
            [
                NoticeAudience(notice=notice, organisation_id=org_id, scope=scope, role=role)
                for org_id, (scope, role) in received.items()
            ]
        )


# -- read receipts ------------------------------------------------------------------------


@dataclass
class Reader:
    """One person an organisation's copy of the notice is for."""

    user: User
    read_at: datetime.datetime | None = None  # the first view
    reminded_at: datetime.datetime | None = None  # the last reminder, if any

    @property
    def name(self) -> str:
        return self.user.display_name or self.user.username


@dataclass
class OrganisationReceipt:
    organisation: Organisation
    scope: AudienceScope
    role: AddresseeRole
    read: list[Reader] = field(default_factory=list)
    unread: list[Reader] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.read) + len(self.unread)

    @property
    def nobody(self) -> bool:
        """Nobody holds a role here that the notice is for: the directory needs fixing."""
        return self.total == 0

    @property
    def fully_read(self) -> bool:
        return self.total > 0 and not self.unread


async def receipts(notice: Notice) -> list[OrganisationReceipt]:
    """Per receiving organisation, in tree order, who has read the notice (and when) and
    who has not (and when they were last reminded). Four queries whatever the audience;
    an organisation with nobody to read it comes with empty lists."""
    audience = await NoticeAudience.filter(notice=notice).select_related("organisation")
    audience.sort(key=lambda row: row.organisation.path)
    org_ids = [row.organisation.id for row in audience]
    roles = await Membership.filter(
        organisation_id__in=org_ids, user__is_active=True
    ).select_related("user")
    read_times: dict[int, datetime.datetime] = dict(
        await NoticeRead.filter(notice=notice).values_list("user_id", "read_at")  # type: ignore[arg-type]
    )
    reminded = await last_reminders(notice)
    rows = {
        row.organisation.id: OrganisationReceipt(row.organisation, row.scope, row.role)
        for row in audience
    }
    seen: set[tuple[int, int]] = set()
    for membership in sorted(roles, key=lambda m: m.user.display_name or m.user.username):
        receipt = rows[membership.organisation_id]
        user = membership.user
        if receipt.scope == AudienceScope.UNIT and not policy.is_acting_role(membership.role):
            continue
        if (receipt.organisation.id, user.id) in seen:
            continue
        seen.add((receipt.organisation.id, user.id))
        reader = Reader(user, read_times.get(user.id), reminded.get(user.id))
        (receipt.read if reader.read_at else receipt.unread).append(reader)
    return list(rows.values())


async def last_reminders(notice: Notice) -> dict[int, datetime.datetime]:
    """Person id → when they were last reminded of the notice."""
    rows = (
        await NoticeReminder.filter(notice_id=notice.id)
        .annotate(last=Max("created_at"))
        .group_by("user_id")
        .values("user_id", "last")
    )
    return {row["user_id"]: row["last"] for row in rows}


async def mark_read(notice: Notice, user: User) -> bool:
    """Record the person's first view; True if this was it. Later views change nothing."""
    if await NoticeRead.exists(notice=notice, user=user):
        return False
    try:
        async with in_transaction():
            await NoticeRead.create(notice=notice, user=user)
    except IntegrityError:  # a second tab racing the first: the first one counts
        return False
    return True
