"""Admin: people — what their pages share: the ?done= messages, the role and organisation
choices, and the fields of the forms read and checked."""

from __future__ import annotations

import re

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intranet import policy
from intranet.form_fields import (
    FormErrors,
    clean_line,
    is_email_address,
    parse_id,
    take_line,
)
from intranet.i18n import N_, gettext
from intranet.models import Membership, Organisation, Role, User
from intranet.models.accounts import normalise_username
from intranet.security import (
    MAX_PASSWORD_LENGTH,
    generate_password,
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


def show_password_once(request: Request, person: User, password: str, *, created: bool) -> Response:
    """A generated password is shown in the answer to the form itself: it is never kept
    anywhere to be shown after a redirect, and the page must not be stored."""
    context = {"person": person, "password": password, "created": created}
    response = render(request, "intranet/admin/people_password.html", context)
    response.headers["cache-control"] = "no-store"
    return response
