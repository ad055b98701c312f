"""Admin: people — creating a person (with a password shown once, or an invitation) and
sending or revoking their invitation."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise import timezone
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet import audit, policy
from intranet.directory import invitations
from intranet.form_fields import (
    FormErrors,
    form_data,
)
from intranet.i18n import gettext
from intranet.models import Membership, Organisation, Role, User
from intranet.notifications.send import absolute_url
from intranet.security import (
    hash_password,
)
from intranet.templating import render
from intranet.views.admin_people_forms import (
    DETAIL_FIELDS,
    offered_values,
    organisation_options,
    read_details,
    read_initial_password,
    read_role,
    read_username,
    redirect_to_person,
    role_options,
    role_summary,
)
from intranet.views.admin_person import managed_person, person_page

# -- creating a person --------------------------------------------------------------------


def _preselect(request: Request, context: dict[str, Any]) -> None:
    """Links such as the round tracker's "assign a secretary" choose the first role;
    only the options offered can be chosen, the rest is ignored."""
    chosen = request.query_params
    context["values"].update(
        (name, chosen[name])
        for name, options in (
            ("organisation", context["organisation_options"]),
            ("role", context["role_options"]),
        )
        if chosen.get(name) in {str(value) for value, _ in options}
    )


async def create(request: Request) -> Response:
    held = await policy.require_admin(request)
    context: dict[str, Any] = {
        "values": dict.fromkeys(("username", *DETAIL_FIELDS, "organisation", "role"), ""),
        "errors": FormErrors(),
        "organisation_options": await organisation_options(held),
        "role_options": role_options(),
    }
    if request.method == "GET":
        _preselect(request, context)
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
