"""Admin: one person — their page, details, roles, whether they may log in, and their
password."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.transactions import in_transaction

from intranet import accounts, audit, policy
from intranet.directory import invitations
from intranet.form_fields import (
    FormErrors,
    done_message,
    form_data,
)
from intranet.i18n import gettext
from intranet.models import Membership, Organisation, Role, User
from intranet.templating import render
from intranet.views.admin_people_forms import (
    DETAIL_FIELDS,
    DONE_MESSAGES,
    offered_values,
    organisation_options,
    read_details,
    read_new_password,
    read_role,
    redirect_to_person,
    role_options,
    role_summary,
    show_password_once,
)

# -- one person ---------------------------------------------------------------------------


async def managed_person(held: list[Membership], person_id: int) -> tuple[User, list[Membership]]:
    """The person and their roles, if this admin manages them; otherwise 404."""
    person = await User.get_or_none(id=person_id)
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
        "done": done_message(request, DONE_MESSAGES) if status_code == 200 else "",
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
