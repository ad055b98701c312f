"""Who may issue, read, edit and manage which notices."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from tortoise.expressions import Q, Subquery
from tortoise.filters import escape_like
from tortoise.queryset import QuerySet

from intranet.convertors import MAX_ID
from intranet.models import Membership, Organisation
from intranet.notices.models import (
    AddresseeTarget,
    AudienceScope,
    Notice,
    NoticeAddressee,
    NoticeAudience,
    NoticeState,
)
from intranet.policy.core import (
    LoginRequired,
    acting_organisation_ids,
    acting_organisations,
    acting_paths,
    can_act_for,
    memberships,
    not_found,
    require_user,
)
from intranet.sql import Sql

# -- notices ----------------------------------------------------------------------------


def can_issue_for(held: list[Membership], organisation: Organisation) -> bool:
    """Staff and secretaries (and admins) publish notices for the organisations they act for."""
    return can_act_for(held, organisation)


def issuing_organisations(held: list[Membership]) -> list[Organisation]:
    """The organisations a person may write notices for, as offered in the form."""
    return [o for o in acting_organisations(held) if o.is_active]


def can_address_societies_at_large(issuer: Organisation) -> bool:
    """Whether the issuer may send to all societies or to a category: these reach societies
    anywhere in the tree, so only an issuer at the top (the association), whose subtree
    holds them all, may (as for campaigns' rosters)."""
    return issuer.depth == 0


def can_address(
    issuer: Organisation, target: AddresseeTarget, organisation: Organisation | None
) -> bool:
    """An issuer addresses its own subtree: organisations below it, all members of itself
    or of one below it; a society its branches, member units and members. Categories
    and all societies only as can_address_societies_at_large says."""
    if target in (AddresseeTarget.CATEGORY, AddresseeTarget.ALL_SOCIETIES):
        return can_address_societies_at_large(issuer)
    if organisation is None or not organisation.is_within(issuer):
        return False
    return target == AddresseeTarget.MEMBERS_OF or organisation.id != issuer.id


async def addressees_out_of_reach(notice: Notice) -> list[NoticeAddressee]:
    """The notice's addressees its issuer may not address (whoever saved them): checked
    again at publication, so no draft is published past the rule."""
    issuer = await Organisation.get(id=notice.issuer_id)
    rows = await NoticeAddressee.filter(notice_id=notice.id)
    ids = {row.organisation_id for row in rows if row.organisation_id}
    named = {o.id: o for o in await Organisation.filter(id__in=ids)} if ids else {}
    return [
        row
        for row in rows
        if not can_address(issuer, row.target, _named(named, row.organisation_id))
    ]


def _named(
    organisations: dict[int, Organisation], organisation_id: int | None
) -> Organisation | None:
    """The organisation an addressee row names, if it names one."""
    return organisations.get(organisation_id) if organisation_id is not None else None


def can_edit_notice(held: list[Membership], notice: Notice) -> bool:
    """Drafts and published notices are edited by those acting for the issuer; a withdrawn
    notice stays as it was withdrawn."""
    return not notice.is_withdrawn and can_act_for(held, notice.issuer)


def can_manage_notice(held: list[Membership], notice: Notice) -> bool:
    """Publish, withdraw, see read receipts and remind: the issuer's people."""
    return can_act_for(held, notice.issuer)


async def can_read_notice(held: list[Membership], notice: Notice) -> bool:
    """The issuer's people read it in any state; others only once it is published, and
    only if it is public or addressed to them. `notice.issuer` must be loaded."""
    if can_act_for(held, notice.issuer):
        return True
    if not notice.is_published:
        return False
    if notice.is_public:
        return True
    return await is_addressed_to(held, notice)


async def can_forward_notice(held: list[Membership], notice: Notice) -> bool:
    """A person who acts for some organisation forwards a published notice they can read."""
    if not notice.is_published or not issuing_organisations(held):
        return False
    return await can_read_notice(held, notice)


# -- what a person may read (the queries behind can_read_notice) ------------------------


def issued_by_mine(held: list[Membership]) -> Q:
    """Notices issued by an organisation this person acts for (or one below it)."""
    paths = acting_paths(held)
    if not paths:
        return Q(id__in=[])
    return Q(*(Q(issuer__path__startswith=path) for path in paths), join_type="OR")


def audience_for(held: list[Membership]) -> QuerySet[NoticeAudience]:
    """Audience rows that reach this person through one of their roles."""
    acting = acting_organisation_ids(held)
    any_role = [m.organisation_id for m in held]
    # acting ⊆ any_role, so this is one indexed range on organisation_id even for
    # someone who acts for nothing (an OR of the two lists made SQLite scan the index).
    return NoticeAudience.filter(
        Q(organisation_id__in=any_role)
        & (Q(scope=AudienceScope.EVERYONE) | Q(organisation_id__in=acting))
    )


def readable_notices(held: list[Membership]) -> QuerySet[Notice]:
    """Published notices this person may read: addressed to them, issued by an
    organisation they act for, or public."""
    addressed = Q(id__in=Subquery(audience_for(held).values("notice_id")))
    return Notice.filter(
        Q(addressed | issued_by_mine(held) | Q(is_public=True), join_type="OR"),
        state=NoticeState.PUBLISHED,
    )


def readable_notices_sql(held: list[Membership], sql: Sql, notice: str, issuer: str) -> str:
    """readable_notices as a condition in a hand-written statement, `notice` and `issuer`
    naming the notice table and its issuer's organisation: the same rule, put the same
    way (tests/intranet/test_notice_list_sql.py compares the two for every kind of person)."""
    reaches = []
    any_role = [m.organisation_id for m in held]
    if any_role:
        audience = f"a.organisation_id IN ({sql.params(any_role)})"
        scope = f"a.scope = {sql.param(AudienceScope.EVERYONE.value)}"
        acting = acting_organisation_ids(held)
        if acting:
            scope = f"({scope} OR a.organisation_id IN ({sql.params(acting)}))"
        reaches.append(
            f"{notice}.id IN (SELECT a.notice_id FROM {Sql.table(NoticeAudience)} a"
            f" WHERE {audience} AND {scope})"
        )
    for path in acting_paths(held):
        reaches.append(f"{issuer}.path LIKE {sql.param(escape_like(path) + '%')} ESCAPE '\\'")
    reaches.append(f"{notice}.is_public = {sql.param(True)}")
    published = sql.param(NoticeState.PUBLISHED.value)
    return f"({' OR '.join(reaches)}) AND {notice}.state = {published}"


async def is_addressed_to(held: list[Membership], notice: Notice) -> bool:
    return await audience_for(held).filter(notice_id=notice.id).exists()


async def find_organisation(organisation_id: int) -> Organisation | None:
    """The organisation with this id from a URL; None for an id no row can have."""
    if not 0 < organisation_id <= MAX_ID:
        return None
    return await Organisation.get_or_none(id=organisation_id)


async def find_notice(notice_id: int) -> Notice | None:
    if not 0 < notice_id <= MAX_ID:
        return None
    return await Notice.get_or_none(id=notice_id).select_related("issuer")


async def require_readable_notice(
    request: Request, notice_id: int
) -> tuple[list[Membership], Notice]:
    """The notice if this person may read it; 404 otherwise, whether or not it exists.
    A public notice is read without signing in; any other asks a visitor to sign in."""
    notice = await find_notice(notice_id)
    if request.scope.get("user") is None:
        if notice is not None and notice.is_published and notice.is_public:
            return [], notice
        raise LoginRequired(request)
    held = await memberships(request)
    if notice is None or not await can_read_notice(held, notice):
        raise not_found()
    return held, notice


async def can_see_withdrawal(held: list[Membership], notice: Notice) -> bool:
    """Those a notice was addressed to learn that it was withdrawn, when, by whom and
    why, but no longer read it (its body and attachments). `notice.issuer` loaded."""
    if not notice.is_withdrawn:
        return False
    return await is_addressed_to(held, notice)


async def require_notice_page(
    request: Request, notice_id: int
) -> tuple[list[Membership], Notice, bool]:
    """As `require_readable_notice`, and also a withdrawn notice for those it was
    addressed to; the flag says that they may see only that it was withdrawn."""
    try:
        held, notice = await require_readable_notice(request, notice_id)
    except HTTPException as refusal:
        if refusal.status_code != 404:
            raise  # a visitor is asked to sign in first
        held = await memberships(request)
        withdrawn = await find_notice(notice_id)
        if withdrawn is None or not await can_see_withdrawal(held, withdrawn):
            raise
        return held, withdrawn, True
    return held, notice, False


async def require_managed_notice(
    request: Request, notice_id: int
) -> tuple[list[Membership], Notice]:
    """The notice if this person acts for its issuer; 404 otherwise."""
    require_user(request)
    held = await memberships(request)
    notice = await find_notice(notice_id)
    if notice is None or not can_manage_notice(held, notice):
        raise not_found()
    return held, notice


@dataclass(frozen=True)
class NoticePermissions:
    """What one person may do with one notice, for views and templates alike."""

    read: bool
    edit: bool
    manage: bool  # publish, withdraw, delete a draft, read receipts, remind
    forward: bool


async def notice_permissions(held: list[Membership], notice: Notice) -> NoticePermissions:
    readable = await can_read_notice(held, notice)
    return NoticePermissions(
        read=readable,
        edit=can_edit_notice(held, notice),
        manage=can_manage_notice(held, notice),
        forward=readable and await can_forward_notice(held, notice),
    )
