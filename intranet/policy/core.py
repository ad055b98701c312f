"""Who a person is, which roles they hold, and what they may administer."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from intranet.models import AuditEvent, Membership, Organisation, Role, User


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
    return [m.organisation_id for m in acting_memberships(held)]


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
