"""Admin: organisations — what their pages share: which organisations an admin reaches, and
the organisation form read and checked."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from intranet import policy
from intranet.form_fields import FormErrors, clean_line, parse_id, take_line
from intranet.i18n import gettext
from intranet.models import Category, Membership, Organisation, OrganisationKind

SEARCH_MAX_LENGTH = 50
SORT_ORDER_MAX = 9999
TEXT_FIELDS = (
    "name",
    "short_name",
    "code",
    "contact_name",
    "contact_phone",
    "contact_email",
    "address",
)
# Form limits are the columns' own, so nothing typed is ever cut short by the database.
LIMITS: dict[str, int] = {
    name: Organisation._meta.fields_map[name].max_length  # type: ignore[attr-defined]
    for name in TEXT_FIELDS
}
CATEGORY_NAME_MAX = Category._meta.fields_map["name"].max_length  # type: ignore[attr-defined]


def redirect(request: Request, name: str, query: str = "", **path_params: Any) -> Response:
    url = request.app.url_path_for(name, **path_params)
    return RedirectResponse(f"{url}?{query}" if query else str(url), status_code=303)


# -- which organisations this admin reaches ------------------------------------------------


def managed_organisations(held: list[Membership]) -> QuerySet[Organisation]:
    """Every organisation inside the subtrees the admin's roles are held on."""
    roots = policy.administered_organisations(held)
    within = [Q(path__startswith=root.path) for root in roots]
    return Organisation.filter(Q(*within, join_type="OR"))


async def managed_organisation(held: list[Membership], organisation_id: int) -> Organisation:
    organisation = await policy.find_organisation(organisation_id)
    if organisation is None or not policy.can_manage_organisation(held, organisation):
        raise policy.not_found()
    return organisation


async def parent_choices(
    held: list[Membership], moving: Organisation | None = None
) -> list[tuple[Organisation, bool]]:
    """The organisations something may be placed under, in tree order, each with whether
    it is closed to this placement (the moving organisation and its own branches)."""
    organisations = await managed_organisations(held).order_by("path")
    return [(o, moving is not None and o.is_within(moving)) for o in organisations]


# -- reading the organisation form ---------------------------------------------------------


def kind_options() -> list[tuple[str, str]]:
    return [(kind.value, gettext(kind.label)) for kind in OrganisationKind]


def read_details(form: FormData, categories: list[Category], errors: FormErrors) -> dict:
    """The organisation's own fields, exactly those the form offers."""
    values: dict[str, Any] = {
        name: take_line(form, name, errors, max_length=LIMITS[name], required=name == "name")
        for name in TEXT_FIELDS
    }
    if values["contact_email"] and "@" not in values["contact_email"]:
        errors.add("contact_email", gettext("Enter an e-mail address such as name@example.org."))
    values["kind"] = clean_line(form.get("kind", ""))
    if values["kind"] not in {kind.value for kind in OrganisationKind}:
        errors.add("kind", gettext("Choose a kind from the list."))
    values["is_active"] = form.get("is_active") == "1"
    offered = {category.id for category in categories}
    chosen = {parse_id(value) for value in form.getlist("categories")}
    values["category_ids"] = chosen & offered
    return values


async def check_code_is_free(
    values: dict, errors: FormErrors, organisation: Organisation | None = None
) -> None:
    if not values["code"] or errors.get("code"):
        return
    others = Organisation.filter(code__iexact=values["code"])
    if organisation is not None:
        others = others.exclude(id=organisation.id)
    if await others.exists():
        errors.add("code", code_taken_message())


def code_taken_message() -> str:
    return gettext("Another organisation already uses this code.")


def model_values(values: dict) -> dict[str, Any]:
    fields: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS}
    fields["code"] = values["code"] or None  # no code is NULL, which unique allows many of
    fields["kind"] = OrganisationKind(values["kind"])
    fields["is_active"] = values["is_active"]
    return fields


def values_of(organisation: Organisation, category_ids: set[int]) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(organisation, name) or "" for name in TEXT_FIELDS}
    values.update(
        kind=organisation.kind.value, is_active=organisation.is_active, category_ids=category_ids
    )
    return values


def describe_changes(before: dict, after: dict, categories: list[Category]) -> str:
    """The audit line for what changed: `name: old → new; …`, categories by name."""
    names = {category.id: category.name for category in categories}

    def shown(field: str, value: Any) -> str:
        if field == "category_ids":
            return ", ".join(sorted(names.get(i, str(i)) for i in value)) or "-"
        return str(value) if value != "" else "-"

    return "; ".join(
        f"{field.removesuffix('_ids')}: {shown(field, before[field])} → {shown(field, value)}"
        for field, value in after.items()
        if before[field] != value
    )


async def read_parent(
    form: FormData, held: list[Membership], errors: FormErrors
) -> Organisation | None:
    """The chosen parent; blank means the top level. One out of reach answers 404."""
    raw = form.get("parent", "")
    if raw == "" and policy.can_place_at_top_level(held):
        return None
    parent_id = parse_id(raw)
    if parent_id is None:
        errors.add("parent", gettext("Choose the organisation it belongs under."))
        return None
    return await managed_organisation(held, parent_id)


def default_kind(parent: Organisation | None) -> OrganisationKind:
    if parent is None:
        return OrganisationKind.ASSOCIATION
    return OrganisationKind.SOCIETY if parent.depth == 0 else OrganisationKind.BRANCH
