"""Who may do what to which object. Every view asks here; nowhere else decides.

Roles are held on an organisation and cover its whole subtree. Anything a person may
not see answers 404, so ids of other organisations' objects tell them nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from intranet.convertors import MAX_ID
from intranet.models import AuditEvent, Membership, Organisation, Role, User
from intranet.notices.models import (
    AddresseeTarget,
    AudienceScope,
    Notice,
    NoticeAddressee,
    NoticeAudience,
    NoticeState,
)


class LoginRequired(HTTPException):
    def __init__(self, request: Request) -> None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = request.app.url_path_for("intranet:login")
        super().__init__(303, headers={"location": f"{login}?next={quote(target)}"})


def not_found() -> HTTPException:
    return HTTPException(404)


def require_user(request: Request) -> User:
    user = request.scope.get("user")
    if user is None:
        raise LoginRequired(request)
    return user


async def memberships(request: Request) -> list[Membership]:
    """The signed-in person's roles, with their organisations; loaded once per request."""
    cached = request.scope.get("huibao.memberships")
    if cached is None:  # a route outside the session middleware's reach
        user = request.scope.get("user")
        cached = await Membership.filter(user=user).select_related("organisation") if user else []
        request.scope["huibao.memberships"] = cached
    return cached


def roles_over(held: list[Membership], organisation: Organisation) -> set[Role]:
    """The roles that apply to `organisation`: those held on it or on any organisation above it."""
    return {m.role for m in held if organisation.is_within(m.organisation)}


def has_role(held: list[Membership], role: Role) -> bool:
    return any(m.role == role for m in held)


def organisations_with(held: list[Membership], *roles: Role) -> list[Organisation]:
    return [m.organisation for m in held if m.role in roles]


# -- acting for an organisation ---------------------------------------------------------

# Whoever holds one of these roles acts for the organisation and everything below it:
# answers its reports, writes its notices, reads what is addressed to the unit itself.
ACTING_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.SECRETARY})


def is_acting_role(role: str) -> bool:
    return role in ACTING_ROLES


def acting_memberships(held: list[Membership]) -> list[Membership]:
    return [m for m in held if m.role in ACTING_ROLES]


def acts_for_any(held: list[Membership]) -> bool:
    return any(m.role in ACTING_ROLES for m in held)


def acting_organisations(held: list[Membership]) -> list[Organisation]:
    """The organisations this person acts for directly (each covers its subtree)."""
    return [m.organisation for m in acting_memberships(held)]


def acting_paths(held: list[Membership]) -> list[str]:
    """The paths of the subtrees this person acts for (`organisation` loaded)."""
    return [m.organisation.path for m in acting_memberships(held)]


def acting_organisation_ids(held: list[Membership]) -> list[int]:
    return [m.organisation_id for m in acting_memberships(held)]  # type: ignore[attr-defined]


# -- admin ----------------------------------------------------------------------------


def is_admin(held: list[Membership]) -> bool:
    return has_role(held, Role.ADMIN)


def administered_organisations(held: list[Membership]) -> list[Organisation]:
    """The organisations whose subtrees this person administers."""
    return organisations_with(held, Role.ADMIN)


def is_last_admin_role(roles: list[Membership], removing: Membership) -> bool:
    """Whether `removing` is the only administrator role among a person's `roles`."""
    return removing.role == Role.ADMIN and sum(1 for m in roles if m.role == Role.ADMIN) == 1


def can_manage_organisation(held: list[Membership], organisation: Organisation) -> bool:
    return Role.ADMIN in roles_over(held, organisation)


def can_manage_person(held: list[Membership], person_memberships: list[Membership]) -> bool:
    """An admin manages a person whose every role lies inside the admin's subtrees;
    a person with no role yet can be managed by any admin."""
    if not is_admin(held):
        return False
    return all(can_manage_organisation(held, m.organisation) for m in person_memberships)


def is_root_admin(held: list[Membership]) -> bool:
    """An admin whose role is held on a top-level organisation (the association)."""
    return any(m.role == Role.ADMIN and m.organisation.depth == 0 for m in held)


def can_manage_categories(held: list[Membership]) -> bool:
    """Categories are shared by the whole tree, so only a root admin may change them."""
    return is_root_admin(held)


def can_place_at_top_level(held: list[Membership]) -> bool:
    """Creating or moving an organisation to the top of the tree is for a root admin."""
    return is_root_admin(held)


def can_read_audit(held: list[Membership]) -> bool:
    return is_admin(held)


async def require_admin(request: Request) -> list[Membership]:
    require_user(request)
    held = await memberships(request)
    if not is_admin(held):
        raise not_found()
    return held


# -- the organisation's own work --------------------------------------------------------


def can_act_for(held: list[Membership], organisation: Organisation) -> bool:
    """Staff and secretaries act for the organisations in their subtrees."""
    return bool(roles_over(held, organisation) & ACTING_ROLES)


def can_keep_contacts(held: list[Membership], organisation: Organisation) -> bool:
    """Whoever acts for an organisation keeps its directory entry up to date."""
    return can_act_for(held, organisation)


def organisations_whose_contacts_i_keep(held: list[Membership]) -> list[Organisation]:
    """The organisations a person speaks for directly (not every branch below them)."""
    return organisations_with(held, Role.SECRETARY, Role.STAFF)


def is_staff(held: list[Membership]) -> bool:
    return has_role(held, Role.STAFF) or has_role(held, Role.ADMIN)


# -- admin scope: which people, organisations and audit events an admin's pages show ----


def administered_tops(held: list[Membership]) -> list[Organisation]:
    """The organisations this person administers, leaving out any inside another one."""
    tops = organisations_with(held, Role.ADMIN)
    return [org for org in tops if not any(o.id != org.id and org.is_within(o) for o in tops)]


def inside_administered(held: list[Membership], path_field: str) -> Q:
    """Rows whose organisation path (`path_field`) lies in the admin's subtrees; none if
    the person administers nothing."""
    tops = administered_tops(held)
    if not tops:
        nothing: dict[str, Any] = {f"{path_field}__in": []}
        return Q(**nothing)
    return Q(*(Q(**{f"{path_field}__startswith": org.path}) for org in tops), join_type="OR")


def manageable_organisations(held: list[Membership]) -> QuerySet[Organisation]:
    """Organisations on which this admin may give roles."""
    return Organisation.filter(inside_administered(held, "path"), is_active=True)


def people_visible_to(held: list[Membership]) -> QuerySet[User]:
    """People with any role inside the admin's subtrees, and people with no role at all.
    Seeing someone in the list is not managing them: that is can_manage_person."""
    roles_inside = Membership.filter(inside_administered(held, "organisation__path"))
    return User.filter(
        Q(id__in=Subquery(roles_inside.values("user_id")))
        | ~Q(id__in=Subquery(Membership.all().values("user_id")))
    )


async def managed_person_ids(held: list[Membership]) -> set[int]:
    """Ids of the people with roles inside the admin's subtrees and nowhere else."""
    inside = inside_administered(held, "organisation__path")
    ids_inside = Membership.filter(inside).values("user_id")
    elsewhere = Membership.filter(user_id__in=Subquery(ids_inside)).exclude(inside)
    held_elsewhere = {row["user_id"] for row in await elsewhere.values("user_id")}
    held_inside = {row["user_id"] for row in await Membership.filter(inside).values("user_id")}
    return held_inside - held_elsewhere


async def audit_events_visible_to(held: list[Membership]) -> QuerySet[AuditEvent]:
    """A root admin reads the whole log. Another admin reads the events of organisations
    in their subtrees, and events tied to no organisation about people they manage."""
    if not can_read_audit(held):
        return AuditEvent.filter(id__in=[])
    if is_root_admin(held):
        return AuditEvent.all()
    person_ids = [str(person_id) for person_id in await managed_person_ids(held)]
    about_managed_people = Q(
        organisation_id__isnull=True, object_type="user", object_id__in=person_ids
    )
    return AuditEvent.filter(inside_administered(held, "organisation__path") | about_managed_people)


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
    issuer = await Organisation.get(id=notice.issuer_id)  # type: ignore[attr-defined]
    rows = await NoticeAddressee.filter(notice_id=notice.id)
    ids = {row.organisation_id for row in rows if row.organisation_id}  # type: ignore[attr-defined]
    named = {o.id: o for o in await Organisation.filter(id__in=ids)} if ids else {}
    return [
        row
        for row in rows
        if not can_address(issuer, row.target, named.get(row.organisation_id))  # type: ignore[attr-defined]
    ]


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
    any_role = [m.organisation_id for m in held]  # type: ignore[attr-defined]
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
