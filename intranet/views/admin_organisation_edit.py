"""Admin: creating, editing and moving an organisation in the tree."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet import audit, policy
from intranet.form_fields import FormErrors, form_data, parse_id
from intranet.i18n import gettext
from intranet.models import Category, Membership, Organisation
from intranet.models.organisations import MoveError
from intranet.templating import render
from intranet.views.admin_organisations_common import (
    LIMITS,
    TEXT_FIELDS,
    check_code_is_free,
    code_taken_message,
    default_kind,
    describe_changes,
    kind_options,
    managed_organisation,
    model_values,
    parent_choices,
    read_details,
    read_parent,
    redirect,
    values_of,
)

# -- create and edit --------------------------------------------------------------------


async def create(request: Request) -> Response:
    held = await policy.require_admin(request)
    categories = await Category.all()
    if request.method == "GET":
        blank = await blank_create_context(request, held)
        return await render_create(request, held, categories, blank)
    form = await form_data(request)
    errors = FormErrors()
    parent = await read_parent(form, held, errors)
    values = read_details(form, categories, errors)
    await check_code_is_free(values, errors)
    context: dict[str, Any] = {
        "values": values,
        "parent_id": parent.id if parent else None,
        "errors": errors,
    }
    if errors:
        return await render_create(request, held, categories, context, status_code=400)
    chosen = [category for category in categories if category.id in values["category_ids"]]
    try:
        async with in_transaction():
            organisation = await Organisation.create_under(parent, **model_values(values))
            await organisation.categories.add(*chosen)
            await audit.record(
                request,
                "organisation.create",
                target=organisation,
                organisation=organisation,
                summary=f"{organisation.name} ← {parent.name if parent else '/'}",
            )
    except IntegrityError:  # another admin took the code a moment ago
        errors.add("code", code_taken_message())
        return await render_create(request, held, categories, context, status_code=400)
    return after_placing(request, held, organisation, "created")


async def blank_create_context(request: Request, held: list[Membership]) -> dict[str, Any]:
    """An empty form, under the parent the page was opened for (?parent=) or else the
    organisation the admin's role is held on; the top level is only ever chosen on purpose."""
    parent_id = parse_id(request.query_params.get("parent"))
    if parent_id:
        parent = await managed_organisation(held, parent_id)
    else:
        parent = policy.administered_organisations(held)[0]
    values: dict[str, Any] = {name: "" for name in TEXT_FIELDS}
    values.update(kind=default_kind(parent).value, is_active=True, category_ids=set())
    return {"values": values, "parent_id": parent.id if parent else None}


async def render_create(
    request: Request,
    held: list[Membership],
    categories: list[Category],
    context: dict,
    status_code: int = 200,
) -> Response:
    context.setdefault("errors", FormErrors())
    context.update(
        categories=categories,
        kind_options=kind_options(),
        limits=LIMITS,
        parents=await parent_choices(held),
        top_level_allowed=policy.can_place_at_top_level(held),
    )
    return render(
        request, "intranet/admin/organisations_new.html", context, status_code=status_code
    )


def after_placing(
    request: Request, held: list[Membership], organisation: Organisation, saved: str
) -> Response:
    """To the organisation's page, or to the tree when its new place is out of reach
    (a new top-level organisation is covered only by roles held on it)."""
    if policy.can_manage_organisation(held, organisation):
        return redirect(
            request,
            "intranet:admin_organisation_edit",
            f"saved={saved}",
            organisation_id=organisation.id,
        )
    return redirect(request, "intranet:admin_organisations", "notice=out_of_reach")


async def edit(request: Request) -> Response:
    held = await policy.require_admin(request)
    organisation = await managed_organisation(held, request.path_params["organisation_id"])
    categories = await Category.all()
    current_ids = {category.id for category in await organisation.categories.all()}
    before = values_of(organisation, current_ids)
    if request.method == "GET":
        saved = request.query_params.get("saved", "")
        return await render_edit(
            request, organisation, categories, {"values": before, "saved": saved}
        )
    form = await form_data(request)
    errors = FormErrors()
    values = read_details(form, categories, errors)
    await check_code_is_free(values, errors, organisation)
    context: dict[str, Any] = {"values": values, "errors": errors}
    if errors:
        return await render_edit(request, organisation, categories, context, status_code=400)
    changes = describe_changes(before, values, categories)
    if not changes:
        return redirect_to_edit(request, organisation, "unchanged")
    try:
        async with in_transaction():
            await save_details(organisation, values, categories, current_ids)
            await audit.record(
                request,
                "organisation.update",
                target=organisation,
                organisation=organisation,
                summary=changes,
            )
    except IntegrityError:
        errors.add("code", code_taken_message())
        return await render_edit(request, organisation, categories, context, status_code=400)
    return redirect_to_edit(request, organisation, "updated")


async def save_details(
    organisation: Organisation, values: dict, categories: list[Category], current_ids: set[int]
) -> None:
    fields = model_values(values)
    for name, value in fields.items():
        setattr(organisation, name, value)
    await organisation.save(update_fields=[*fields, "updated_at"])
    chosen = values["category_ids"]
    removed = [c for c in categories if c.id in current_ids - chosen]
    added = [c for c in categories if c.id in chosen - current_ids]
    if removed:
        await organisation.categories.remove(*removed)
    if added:
        await organisation.categories.add(*added)


def redirect_to_edit(request: Request, organisation: Organisation, saved: str) -> Response:
    return redirect(
        request,
        "intranet:admin_organisation_edit",
        f"saved={saved}",
        organisation_id=organisation.id,
    )


async def render_edit(
    request: Request,
    organisation: Organisation,
    categories: list[Category],
    context: dict,
    status_code: int = 200,
) -> Response:
    context.setdefault("errors", FormErrors())
    context.setdefault("saved", "")
    context.update(
        organisation=organisation,
        ancestors=await ancestors_of(organisation),
        categories=categories,
        kind_options=kind_options(),
        limits=LIMITS,
    )
    return render(
        request, "intranet/admin/organisations_edit.html", context, status_code=status_code
    )


async def ancestors_of(organisation: Organisation) -> list[Organisation]:
    ids = organisation.ancestor_ids
    return await Organisation.filter(id__in=ids).order_by("depth") if ids else []


# -- move -----------------------------------------------------------------------------


async def move(request: Request) -> Response:
    held = await policy.require_admin(request)
    organisation = await managed_organisation(held, request.path_params["organisation_id"])
    context: dict[str, Any] = {"parent_id": organisation.parent_id}
    if request.method == "GET":
        return await render_move(request, held, organisation, context)
    form = await form_data(request)
    errors = FormErrors()
    new_parent = await read_parent(form, held, errors)
    context = {"parent_id": form.get("parent", ""), "errors": errors}
    if errors:
        return await render_move(request, held, organisation, context, status_code=400)
    if (new_parent.id if new_parent else None) == organisation.parent_id:
        return redirect_to_edit(request, organisation, "unchanged")
    await organisation.fetch_related("parent")
    old_parent = organisation.parent
    try:
        async with in_transaction():
            await organisation.move_to(new_parent)
            await audit.record(
                request,
                "organisation.move",
                target=organisation,
                organisation=organisation,
                summary=f"{old_parent.name if old_parent else '/'} → "
                f"{new_parent.name if new_parent else '/'}",
            )
    except MoveError:
        context["parent_id"] = organisation.parent_id
        errors.add(
            "parent",
            gettext(
                "An organisation cannot be moved under itself or under one of its own "
                "sub-organisations. Choose another place."
            ),
        )
        return await render_move(request, held, organisation, context, status_code=400)
    return after_placing(request, held, organisation, "moved")


async def render_move(
    request: Request,
    held: list[Membership],
    organisation: Organisation,
    context: dict,
    status_code: int = 200,
) -> Response:
    context.setdefault("errors", FormErrors())
    context.update(
        organisation=organisation,
        ancestors=await ancestors_of(organisation),
        parents=await parent_choices(held, moving=organisation),
        top_level_allowed=policy.can_place_at_top_level(held),
    )
    return render(
        request, "intranet/admin/organisations_move.html", context, status_code=status_code
    )
