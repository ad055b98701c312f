"""Who may do what to which object. Every view asks here; nowhere else decides.

Roles are held on an organisation and cover its whole subtree. Anything a person may
not see answers 404, so ids of other organisations' objects tell them nothing.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request

from intranet.models import Membership, Organisation, Role, User


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


# -- admin ----------------------------------------------------------------------------


def is_admin(held: list[Membership]) -> bool:
    return has_role(held, Role.ADMIN)


def can_manage_organisation(held: list[Membership], organisation: Organisation) -> bool:
    return Role.ADMIN in roles_over(held, organisation)


def can_manage_person(held: list[Membership], person_memberships: list[Membership]) -> bool:
    """An admin manages a person whose every role lies inside the admin's subtrees;
    a person with no role yet can be managed by any admin."""
    if not is_admin(held):
        return False
    return all(can_manage_organisation(held, m.organisation) for m in person_memberships)


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
    return bool(roles_over(held, organisation) & {Role.ADMIN, Role.STAFF, Role.SECRETARY})


def is_staff(held: list[Membership]) -> bool:
    return has_role(held, Role.STAFF) or has_role(held, Role.ADMIN)
