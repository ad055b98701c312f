"""Admin: people — their details, roles, whether they may log in, and their password.

An admin sees the people holding any role inside the subtrees their admin roles cover,
and the people with no role at all. They manage a person only when every one of that
person's roles lies inside those subtrees (policy.can_manage_person); anyone else's page
answers 404, and so does every page here to someone who is not an admin.

This module has the list of people and every route; one person's pages are in
intranet.views.admin_person, creating and inviting in intranet.views.admin_people_create.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.expressions import Q, Subquery
from tortoise.query_utils import Prefetch
from tortoise.queryset import QuerySet

from intranet import policy
from intranet.form_fields import (
    clean_line,
    done_message,
    page_number,
)
from intranet.models import Membership, Role, User
from intranet.models.accounts import normalise_username
from intranet.templating import render
from intranet.views.admin_people_create import create, revoke_invitation, send_invitation
from intranet.views.admin_people_forms import (
    DONE_MESSAGES,
    NO_ROLE,
    PAGE_SIZE,
    SEARCH_MAX_LENGTH,
    STATES,
    role_options,
)
from intranet.views.admin_person import (
    assign_role,
    deactivate,
    reactivate,
    remove_role,
    reset_password,
    show,
    update,
)

# -- the list ---------------------------------------------------------------------------


@dataclass
class ListFilters:
    q: str
    role: str
    state: str

    @classmethod
    def from_query(cls, request: Request) -> ListFilters:
        params = request.query_params
        role = params.get("role", "")
        state = params.get("state", "")
        return cls(
            q=clean_line(params.get("q", ""))[:SEARCH_MAX_LENGTH],
            role=role if role in {*Role, NO_ROLE} else "",
            state=state if state in STATES else "",
        )

    def query_string(self) -> str:
        return urlencode({"q": self.q, "role": self.role, "state": self.state})


@dataclass
class PersonRow:
    person: User
    roles: list[Membership]  # only those inside the admin's subtrees
    manageable: bool


def filtered_people(held: list[Membership], filters: ListFilters) -> QuerySet[User]:
    people = policy.people_visible_to(held)
    roles_inside = Membership.filter(policy.inside_administered(held, "organisation__path"))
    if filters.q:
        in_organisation = roles_inside.filter(
            Q(organisation__name__icontains=filters.q)
            | Q(organisation__short_name__icontains=filters.q)
        )
        people = people.filter(
            Q(display_name__icontains=filters.q)
            | Q(username__icontains=normalise_username(filters.q))
            | Q(id__in=Subquery(in_organisation.values("user_id")))
        )
    if filters.role == NO_ROLE:
        people = people.exclude(id__in=Subquery(Membership.all().values("user_id")))
    elif filters.role:
        with_role = roles_inside.filter(role=filters.role)
        people = people.filter(id__in=Subquery(with_role.values("user_id")))
    if filters.state:
        people = people.filter(is_active=filters.state == "active")
    return people


def with_roles(people: QuerySet[User]) -> QuerySet[User]:
    """Every person's roles and their organisations in two further queries, not one per row."""
    roles = Membership.all().select_related("organisation")
    return people.prefetch_related(Prefetch("memberships", queryset=roles))


def person_row(held: list[Membership], person: User) -> PersonRow:
    held_roles = sorted(person.memberships, key=lambda m: (m.organisation.path, m.role))
    return PersonRow(
        person=person,
        roles=[m for m in held_roles if policy.can_manage_organisation(held, m.organisation)],
        manageable=policy.can_manage_person(held, held_roles),
    )


async def index(request: Request) -> Response:
    held = await policy.require_admin(request)
    filters = ListFilters.from_query(request)
    people = filtered_people(held, filters)
    page = page_number(request)
    total = await people.count()
    one_page = people.order_by("username").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    rows = await with_roles(one_page)
    context = {
        "rows": [person_row(held, person) for person in rows],
        "filters": filters,
        "role_options": role_options(),
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "total": total,
        "done": done_message(request, DONE_MESSAGES),
    }
    return render(
        request, "intranet/admin/people.html", context, partial="intranet/admin/_person_rows.html"
    )


PERSON = "/admin/people/{person_id:id}"

routes = [
    Route("/admin/people", index, name="intranet:admin_people"),
    Route(
        "/admin/people/new", create, methods=["GET", "POST"], name="intranet:admin_create_person"
    ),
    Route(PERSON, show, methods=["GET"], name="intranet:admin_person"),
    Route(PERSON, update, methods=["POST"], name="intranet:admin_update_person"),
    Route(f"{PERSON}/roles", assign_role, methods=["POST"], name="intranet:admin_assign_role"),
    Route(
        PERSON + "/roles/{membership_id:id}/remove",
        remove_role,
        methods=["POST"],
        name="intranet:admin_remove_role",
    ),
    Route(
        f"{PERSON}/deactivate",
        deactivate,
        methods=["POST"],
        name="intranet:admin_deactivate_person",
    ),
    Route(
        f"{PERSON}/reactivate",
        reactivate,
        methods=["POST"],
        name="intranet:admin_reactivate_person",
    ),
    Route(
        f"{PERSON}/password",
        reset_password,
        methods=["POST"],
        name="intranet:admin_reset_password",
    ),
    Route(
        f"{PERSON}/invitation",
        send_invitation,
        methods=["POST"],
        name="intranet:admin_invite_person",
    ),
    Route(
        f"{PERSON}/invitation/revoke",
        revoke_invitation,
        methods=["POST"],
        name="intranet:admin_revoke_invitation",
    ),
]
