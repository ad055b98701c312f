"""Admin: people — their details, roles, whether they may log in, and their password.

An admin sees the people holding any role inside the subtrees their admin roles cover,
and the people with no role at all. They manage a person only when every one of that
person's roles lies inside those subtrees (policy.can_manage_person); anyone else's page
answers 404, and so does every page here to someone who is not an admin.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise import timezone
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.query_utils import Prefetch
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from intranet import accounts, audit, policy
from intranet.directory import invitations
from intranet.forms import (
    FormErrors,
    clean_line,
    form_data,
    is_email_address,
    page_number,
    parse_id,
    take_line,
)
from intranet.i18n import N_, gettext
from intranet.models import Membership, Organisation, Role, User
from intranet.models.accounts import normalise_username
from intranet.notifications.send import absolute_url
from intranet.security import (
    MAX_PASSWORD_LENGTH,
    generate_password,
    hash_password,
    password_problem,
)
from intranet.templating import render

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 50
DETAIL_FIELDS = ("display_name", "email", "phone", "title")
# Form limits are the columns' own, so nothing typed is ever cut short by the database.
LIMITS: dict[str, int] = {
    name: User._meta.fields_map[name].max_length  # type: ignore[attr-defined]
    for name in (*DETAIL_FIELDS, "username")
}
USERNAME_CHARACTERS = re.compile(r"[\w.@-]+")
NO_ROLE = "none"
STATES = ("active", "inactive")

# Shown after a redirect; the query string names one of these and carries no text.
DONE_MESSAGES = {
    "created": N_("The person has been created."),
    "updated": N_("The details have been saved."),
    "unchanged": N_("Nothing was changed."),
    "role_assigned": N_("The role has been given."),
    "role_removed": N_("The role has been removed."),
    "deactivated": N_("The person has been deactivated and logged out everywhere."),
    "reactivated": N_("The person can log in again."),
    "password_reset": N_("The password has been reset and the person logged out everywhere."),
    "invited": N_("An invitation to set a password has been sent by e-mail."),
    "created_invited": N_(
        "The person has been created and sent an invitation by e-mail to set a password."
    ),
    "invitation_revoked": N_("The invitation has been withdrawn: its link no longer works."),
}


def redirect_to_person(request: Request, person: User, done: str) -> Response:
    url = request.app.url_path_for("intranet:admin_person", person_id=person.id)
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def role_options() -> list[tuple[str, str]]:
    return [(role.value, gettext(role.label)) for role in Role]


async def organisation_options(held: list[Membership]) -> list[tuple[int, str]]:
    """The organisations this admin may give roles on, in tree order, indented by depth."""
    organisations = await policy.manageable_organisations(held).order_by("path")
    top = min((o.depth for o in organisations), default=0)
    return [(o.id, "\u00a0\u00a0" * (o.depth - top) + o.name) for o in organisations]


def done_message(request: Request) -> str:
    message = DONE_MESSAGES.get(request.query_params.get("done", ""))
    return gettext(message) if message else ""


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
        "done": done_message(request),
    }
    return render(
        request, "intranet/admin/people.html", context, partial="intranet/admin/_person_rows.html"
    )


# -- reading the forms --------------------------------------------------------------------


def read_details(form: FormData, errors: FormErrors) -> dict[str, str]:
    """The person's own details, exactly the fields the form offers."""
    values = {
        name: take_line(
            form, name, errors, max_length=LIMITS[name], required=name == "display_name"
        )
        for name in DETAIL_FIELDS
    }
    if values["email"] and not is_email_address(values["email"]):
        errors.add("email", gettext("Enter an e-mail address such as name@example.org."))
    return values


def read_username(form: FormData, errors: FormErrors) -> str:
    typed = take_line(form, "username", errors, max_length=LIMITS["username"], required=True)
    username = normalise_username(typed)
    if typed and not errors.get("username"):
        if len(username) > LIMITS["username"]:
            errors.add(
                "username",
                gettext("At most %(count)d characters, please.") % {"count": LIMITS["username"]},
            )
        elif not USERNAME_CHARACTERS.fullmatch(username):
            errors.add(
                "username",
                gettext("Use letters, digits and . _ - @ only, without spaces."),
            )
    return username


def read_initial_password(form: FormData, errors: FormErrors, username: str) -> str:
    """The password the admin typed for a new person, or "" to send an invitation."""
    typed = form.get("password", "")
    if not isinstance(typed, str) or not typed:
        return ""
    if problem := password_problem(typed[: MAX_PASSWORD_LENGTH + 1], username):
        errors.add("password", gettext(problem))
    return typed


def read_new_password(
    form: FormData, name: str, errors: FormErrors, username: str
) -> tuple[str, bool]:
    """The password the admin typed, or a generated one when the field was left empty;
    and whether it was generated (then it must be shown to the admin, once)."""
    typed = form.get(name, "")
    if not isinstance(typed, str) or not typed:
        return generate_password(), True
    if problem := password_problem(typed[: MAX_PASSWORD_LENGTH + 1], username):
        errors.add(name, gettext(problem))
    return typed, False


def can_give_roles_on(held: list[Membership], organisation: Organisation) -> bool:
    return organisation.is_active and policy.can_manage_organisation(held, organisation)


async def read_role(
    form: FormData, held: list[Membership], errors: FormErrors
) -> tuple[Organisation | None, Role | None]:
    """An organisation inside the admin's subtrees and a role; anything else is refused
    in the same words, so the form tells nothing about organisations out of reach."""
    organisation_id = parse_id(form.get("organisation"))
    organisation = await Organisation.get_or_none(id=organisation_id) if organisation_id else None
    if organisation is not None and not can_give_roles_on(held, organisation):
        organisation = None
    if organisation is None:
        errors.add("organisation", gettext("Choose an organisation from the list."))
    role_value = clean_line(form.get("role", ""))
    role = Role(role_value) if role_value in {*Role} else None
    if role is None:
        errors.add("role", gettext("Choose a role from the list."))
    return organisation, role


def offered_values(form: FormData, *names: str) -> dict[str, str]:
    """What was typed into the offered fields, to show again beside the errors."""
    return {name: clean_line(form.get(name, "")) for name in names}


def role_summary(person: User, organisation: Organisation, role: Role) -> str:
    return f"{person.username}: {gettext(role.label)} @ {organisation.name}"


# -- creating a person --------------------------------------------------------------------


async def create(request: Request) -> Response:
    held = await policy.require_admin(request)
    context: dict[str, Any] = {
        "values": dict.fromkeys(("username", *DETAIL_FIELDS, "organisation", "role"), ""),
        "errors": FormErrors(),
        "organisation_options": await organisation_options(held),
        "role_options": role_options(),
    }
    if request.method == "GET":
        # Links such as the round tracker's "assign a secretary" choose the first role;
        # only the options offered can be chosen, the rest is ignored.
        chosen = request.query_params
        context["values"].update(
            (name, chosen[name])
            for name, options in (
                ("organisation", context["organisation_options"]),
                ("role", context["role_options"]),
            )
            if chosen.get(name) in {str(value) for value, _ in options}
        )
        return render(request, "intranet/admin/people_new.html", context)
    form = await form_data(request)
    errors = FormErrors()
    username = read_username(form, errors)
    if username and not errors.get("username") and await User.exists(username=username):
        errors.add("username", username_taken_message())
    details = read_details(form, errors)
    password = read_initial_password(form, errors, username)
    organisation, role = await read_role(form, held, errors)
    if not errors:
        assert organisation is not None and role is not None
        person = await create_person(request, username, details, password, organisation, role)
        if person is not None:
            if not password:
                return await invite(request, person, created=True)
            return redirect_to_person(request, person, "created")
        errors.add("username", username_taken_message())
    context.update(
        values=offered_values(form, "username", *DETAIL_FIELDS, "organisation", "role"),
        errors=errors,
    )
    return render(request, "intranet/admin/people_new.html", context, status_code=400)


def username_taken_message() -> str:
    return gettext("This username is already taken. Choose another one.")


async def create_person(
    request: Request,
    username: str,
    details: dict[str, str],
    password: str,
    organisation: Organisation,
    role: Role,
) -> User | None:
    """The new person with their first role, or None if the username was taken meanwhile."""
    settings = request.app.state.settings
    values: dict[str, Any] = {**details, "username": username}
    if password:  # otherwise no password: the person is invited to set one
        # Argon2 is CPU work: done before the transaction, off the event loop.
        values["password_hash"] = await asyncio.to_thread(hash_password, settings, password)
        values["password_changed_at"] = timezone.now()
    try:
        async with in_transaction():
            person = await User.create(**values)
            await Membership.create(user=person, organisation=organisation, role=role)
            await audit.record(
                request,
                "person.create",
                target=person,
                organisation=organisation,
                summary=f"{person.display_name}; {role_summary(person, organisation, role)}",
            )
    except IntegrityError:
        return None
    return person


def show_password_once(request: Request, person: User, password: str, *, created: bool) -> Response:
    """A generated password is shown in the answer to the form itself: it is never kept
    anywhere to be shown after a redirect, and the page must not be stored."""
    context = {"person": person, "password": password, "created": created}
    response = render(request, "intranet/admin/people_password.html", context)
    response.headers["cache-control"] = "no-store"
    return response


# -- invitations ----------------------------------------------------------------------------


async def invite(request: Request, person: User, *, created: bool = False) -> Response:
    """A new one-time link for the person: by e-mail when they have an address, otherwise
    shown to the admin once, on this answer only, to pass on by hand."""
    channel = invitations.EMAIL if person.email else invitations.CODE
    days = request.app.state.settings.invitation_days
    invitee = invitations.Invitee(person.id, person.display_name, person.email, person.locale)
    async with in_transaction():
        codes = await invitations.issue([invitee], channel=channel, days=days)
        await audit.record(
            request, "invitation.send", target=person, summary=f"{person.username} ({channel})"
        )
    if channel == invitations.EMAIL:
        return redirect_to_person(request, person, "created_invited" if created else "invited")
    code = codes[person.id]
    context = {
        "person": person,
        "code": code,
        "link": absolute_url(invitations.link_path(code)),
        "code_page": absolute_url(request.app.url_path_for("intranet:invitation_code")),
        "days": days,
        "created": created,
    }
    response = render(request, "intranet/admin/people_invitation.html", context)
    response.headers["cache-control"] = "no-store"
    return response


async def send_invitation(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, roles = await managed_person(held, request.path_params["person_id"])
    if person.id == policy.require_user(request).id:
        refusal = gettext("Change your own password on your profile page.")
        return await person_page(request, held, person, roles, status_code=400, refusal=refusal)
    if not person.is_active:
        refusal = gettext("Reactivate the person before inviting them.")
        return await person_page(request, held, person, roles, status_code=400, refusal=refusal)
    return await invite(request, person)


async def revoke_invitation(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, _roles = await managed_person(held, request.path_params["person_id"])
    async with in_transaction():
        if await invitations.revoke([person.id]):
            await audit.record(request, "invitation.revoke", target=person, summary=person.username)
    return redirect_to_person(request, person, "invitation_revoked")


# -- one person ---------------------------------------------------------------------------


async def managed_person(held: list[Membership], person_id: int) -> tuple[User, list[Membership]]:
    """The person and their roles, if this admin manages them; otherwise 404."""
    person = await User.get_or_none(id=person_id) if person_id <= 2**31 - 1 else None
    if person is None:
        raise policy.not_found()
    roles = await Membership.filter(user=person).select_related("organisation")
    if not policy.can_manage_person(held, roles):
        raise policy.not_found()
    roles.sort(key=lambda m: (m.organisation.path, m.role))
    return person, roles


async def person_page(
    request: Request,
    held: list[Membership],
    person: User,
    roles: list[Membership],
    *,
    status_code: int = 200,
    **overrides: Any,
) -> Response:
    user = policy.require_user(request)
    context: dict[str, Any] = {
        "person": person,
        "roles": roles,
        "is_self": person.id == user.id,
        "details": {name: getattr(person, name) for name in DETAIL_FIELDS},
        "details_errors": FormErrors(),
        "role_values": {"organisation": "", "role": ""},
        "role_errors": FormErrors(),
        "password_errors": FormErrors(),
        "refusal": "",
        "done": done_message(request) if status_code == 200 else "",
        "organisation_options": await organisation_options(held),
        "role_options": role_options(),
        "invitation": await invitations.pending(person),
    }
    context.update(overrides)
    return render(request, "intranet/admin/people_detail.html", context, status_code=status_code)


async def show(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, roles = await managed_person(held, request.path_params["person_id"])
    return await person_page(request, held, person, roles)


def describe_changes(before: dict[str, str], after: dict[str, str]) -> str:
    """The audit line for what changed: `phone: old → new; …`."""
    return "; ".join(
        f"{name}: {before[name] or '-'} → {after[name] or '-'}"
        for name in DETAIL_FIELDS
        if before[name] != after[name]
    )


async def update(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, roles = await managed_person(held, request.path_params["person_id"])
    form = await form_data(request)
    errors = FormErrors()
    values = read_details(form, errors)
    if errors:
        return await person_page(
            request, held, person, roles, status_code=400, details=values, details_errors=errors
        )
    before = {name: getattr(person, name) for name in DETAIL_FIELDS}
    changes = describe_changes(before, values)
    if not changes:
        return redirect_to_person(request, person, "unchanged")
    for name, value in values.items():
        setattr(person, name, value)
    async with in_transaction():
        await person.save(update_fields=list(DETAIL_FIELDS))
        await audit.record(
            request, "person.update", target=person, summary=f"{person.username}: {changes}"
        )
    return redirect_to_person(request, person, "updated")


# -- roles --------------------------------------------------------------------------------


def holds(roles: list[Membership], organisation: Organisation, role: Role) -> bool:
    return any(m.organisation.id == organisation.id and m.role == role for m in roles)


async def assign_role(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, roles = await managed_person(held, request.path_params["person_id"])
    form = await form_data(request)
    errors = FormErrors()
    organisation, role = await read_role(form, held, errors)
    if organisation and role and holds(roles, organisation, role):
        errors.add("role", gettext("This person already holds this role there."))
    if errors:
        return await person_page(
            request,
            held,
            person,
            roles,
            status_code=400,
            role_values=offered_values(form, "organisation", "role"),
            role_errors=errors,
        )
    assert organisation is not None and role is not None
    async with in_transaction():
        await Membership.create(user=person, organisation=organisation, role=role)
        await audit.record(
            request,
            "role.assign",
            target=person,
            organisation=organisation,
            summary=role_summary(person, organisation, role),
        )
    return redirect_to_person(request, person, "role_assigned")


def removes_own_last_admin_role(
    request: Request, person: User, roles: list[Membership], removing: Membership
) -> bool:
    if person.id != policy.require_user(request).id:
        return False
    return policy.is_last_admin_role(roles, removing)


async def remove_role(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, roles = await managed_person(held, request.path_params["person_id"])
    membership_id = request.path_params["membership_id"]
    removing = next((m for m in roles if m.id == membership_id), None)
    if removing is None:
        raise policy.not_found()
    if removes_own_last_admin_role(request, person, roles, removing):
        refusal = gettext(
            "You cannot remove your own last administrator role: nobody could then "
            "give it back to you from here. Ask another administrator."
        )
        return await person_page(request, held, person, roles, status_code=400, refusal=refusal)
    async with in_transaction():
        await removing.delete()
        await audit.record(
            request,
            "role.remove",
            target=person,
            organisation=removing.organisation,
            summary=role_summary(person, removing.organisation, removing.role),
        )
    if person.id == policy.require_user(request).id and not still_manages_self(roles, removing):
        url = request.app.url_path_for("intranet:admin_people")
        return RedirectResponse(f"{url}?done=role_removed", status_code=303)
    return redirect_to_person(request, person, "role_removed")


def still_manages_self(roles: list[Membership], removed: Membership) -> bool:
    """Whether an admin who removed one of their own roles may still open their own page."""
    remaining = [m for m in roles if m.id != removed.id]
    return policy.can_manage_person(remaining, remaining)


# -- logging in: active state and password ------------------------------------------------


async def deactivate(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, roles = await managed_person(held, request.path_params["person_id"])
    if person.id == policy.require_user(request).id:
        refusal = gettext("You cannot deactivate yourself. Ask another administrator.")
        return await person_page(request, held, person, roles, status_code=400, refusal=refusal)
    if person.is_active:
        async with in_transaction():
            await accounts.deactivate(person)  # ends all their sessions too
            await invitations.revoke([person.id])
            await audit.record(request, "person.deactivate", target=person, summary=person.username)
    return redirect_to_person(request, person, "deactivated")


async def reactivate(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, _roles = await managed_person(held, request.path_params["person_id"])
    if not person.is_active:
        person.is_active = True
        async with in_transaction():
            await person.save(update_fields=["is_active"])
            await audit.record(request, "person.reactivate", target=person, summary=person.username)
    return redirect_to_person(request, person, "reactivated")


async def reset_password(request: Request) -> Response:
    held = await policy.require_admin(request)
    person, roles = await managed_person(held, request.path_params["person_id"])
    if person.id == policy.require_user(request).id:
        refusal = gettext("Change your own password on your profile page.")
        return await person_page(request, held, person, roles, status_code=400, refusal=refusal)
    form = await form_data(request)
    errors = FormErrors()
    password, generated = read_new_password(form, "new_password", errors, person.username)
    if errors:
        return await person_page(
            request, held, person, roles, status_code=400, password_errors=errors
        )
    async with in_transaction():
        await accounts.set_password(request.app.state.settings, person, password)
        await accounts.end_all_sessions(person)
        await audit.record(request, "password.reset", target=person, summary=person.username)
    if generated:
        return show_password_once(request, person, password, created=False)
    return redirect_to_person(request, person, "password_reset")


PERSON = "/admin/people/{person_id:int}"

routes = [
    Route("/admin/people", index, name="intranet:admin_people"),
    Route(
        "/admin/people/new", create, methods=["GET", "POST"], name="intranet:admin_create_person"
    ),
    Route(PERSON, show, methods=["GET"], name="intranet:admin_person"),
    Route(PERSON, update, methods=["POST"], name="intranet:admin_update_person"),
    Route(f"{PERSON}/roles", assign_role, methods=["POST"], name="intranet:admin_assign_role"),
    Route(
        PERSON + "/roles/{membership_id:int}/remove",
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
