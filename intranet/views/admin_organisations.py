"""Admin: the organisation tree, and the categories organisations are filed under.

An admin works on the subtrees of the organisations their admin roles are held on;
anything outside answers 404. Categories are shared by the whole tree, so only an
admin of a top-level organisation may change them.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from intranet import audit, policy
from intranet.forms import FormErrors, clean_line, form_data, page_number, parse_id, take_line
from intranet.i18n import gettext
from intranet.models import Category, Membership, Organisation, OrganisationKind
from intranet.models.organisations import MoveError
from intranet.templating import render

PAGE_SIZE = 100
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


# -- index ----------------------------------------------------------------------------


async def index(request: Request) -> Response:
    held = await policy.require_admin(request)
    query = clean_line(request.query_params.get("q", ""))[:SEARCH_MAX_LENGTH]
    category_id = parse_id(request.query_params.get("category"))
    organisations = managed_organisations(held)
    if query:
        organisations = organisations.filter(
            Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code__icontains=query)
        )
    if category_id is not None:
        organisations = organisations.filter(categories__id=category_id)
    page = page_number(request)
    total = await organisations.count()
    rows = (
        await organisations.order_by("path")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .select_related("parent")
        .prefetch_related("categories")
    )
    context = {
        "organisations": rows,
        "categories": await Category.all(),
        "q": query,
        "category_id": category_id,
        "filtered": bool(query or category_id),
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "total": total,
        "notice": request.query_params.get("notice", ""),
        "can_manage_categories": policy.can_manage_categories(held),
    }
    return render(
        request,
        "intranet/admin/organisations.html",
        context,
        partial="intranet/admin/_org_rows.html",
    )


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
    context: dict[str, Any] = {"parent_id": organisation.parent_id}  # type: ignore[attr-defined]
    if request.method == "GET":
        return await render_move(request, held, organisation, context)
    form = await form_data(request)
    errors = FormErrors()
    new_parent = await read_parent(form, held, errors)
    context = {"parent_id": form.get("parent", ""), "errors": errors}
    if errors:
        return await render_move(request, held, organisation, context, status_code=400)
    if (new_parent.id if new_parent else None) == organisation.parent_id:  # type: ignore[attr-defined]
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
        context["parent_id"] = organisation.parent_id  # type: ignore[attr-defined]
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


# -- categories -------------------------------------------------------------------------


async def require_category_admin(request: Request) -> list[Membership]:
    held = await policy.require_admin(request)
    if not policy.can_manage_categories(held):
        raise policy.not_found()
    return held


async def category_or_404(request: Request) -> Category:
    category_id = request.path_params["category_id"]
    category = await Category.get_or_none(id=category_id) if category_id <= policy.MAX_ID else None
    if category is None:
        raise policy.not_found()
    return category


def read_category(form: FormData, errors: FormErrors) -> dict[str, Any]:
    name = take_line(form, "name", errors, max_length=CATEGORY_NAME_MAX, required=True)
    raw_order = clean_line(form.get("sort_order", "")) or "0"
    sort_order = parse_id(raw_order)
    if sort_order is None or sort_order > SORT_ORDER_MAX:
        errors.add(
            "sort_order",
            gettext("Enter a whole number from 0 to %(max)d.") % {"max": SORT_ORDER_MAX},
        )
    return {"name": name, "sort_order": raw_order if sort_order is None else sort_order}


async def check_category_name_is_free(
    values: dict, errors: FormErrors, category: Category | None = None
) -> None:
    if errors.get("name"):
        return
    others = Category.filter(name__iexact=values["name"])
    if category is not None:
        others = others.exclude(id=category.id)
    if await others.exists():
        errors.add("name", category_taken_message())


def category_taken_message() -> str:
    return gettext("There is already a category with this name.")


async def categories(request: Request) -> Response:
    await require_category_admin(request)
    if request.method == "GET":
        notice = request.query_params.get("notice", "")
        return await render_categories(
            request, {"values": {"name": "", "sort_order": ""}, "notice": notice}
        )
    form = await form_data(request)
    errors = FormErrors()
    values = read_category(form, errors)
    await check_category_name_is_free(values, errors)
    context: dict[str, Any] = {"values": values, "errors": errors, "notice": ""}
    if errors:
        return await render_categories(request, context, status_code=400)
    try:
        async with in_transaction():
            category = await Category.create(**values)
            await audit.record(request, "category.create", target=category, summary=category.name)
    except IntegrityError:
        errors.add("name", category_taken_message())
        return await render_categories(request, context, status_code=400)
    return redirect(request, "intranet:admin_categories", "notice=created")


async def render_categories(request: Request, context: dict, status_code: int = 200) -> Response:
    context.setdefault("errors", FormErrors())
    context.update(
        categories=await Category.annotate(used_by=Count("organisations")).order_by(
            "sort_order", "name"
        ),
        name_max=CATEGORY_NAME_MAX,
    )
    return render(
        request, "intranet/admin/organisations_categories.html", context, status_code=status_code
    )


async def category_edit(request: Request) -> Response:
    await require_category_admin(request)
    category = await category_or_404(request)
    before = {"name": category.name, "sort_order": category.sort_order}
    if request.method == "GET":
        return await render_category_edit(request, category, {"values": before})
    form = await form_data(request)
    errors = FormErrors()
    values = read_category(form, errors)
    await check_category_name_is_free(values, errors, category)
    context: dict[str, Any] = {"values": values, "errors": errors}
    if errors:
        return await render_category_edit(request, category, context, status_code=400)
    changes = "; ".join(
        f"{field}: {before[field]} → {value}"
        for field, value in values.items()
        if before[field] != value
    )
    if changes:
        try:
            async with in_transaction():
                await Category.filter(id=category.id).update(**values)
                await audit.record(request, "category.update", target=category, summary=changes)
        except IntegrityError:
            errors.add("name", category_taken_message())
            return await render_category_edit(request, category, context, status_code=400)
    return redirect(request, "intranet:admin_categories", "notice=updated")


async def render_category_edit(
    request: Request, category: Category, context: dict, status_code: int = 200
) -> Response:
    context.setdefault("errors", FormErrors())
    context.setdefault("delete_refused", False)
    context.update(
        category=category,
        used_by=await Organisation.filter(categories=category).count(),
        name_max=CATEGORY_NAME_MAX,
    )
    return render(
        request,
        "intranet/admin/organisations_category_edit.html",
        context,
        status_code=status_code,
    )


async def category_delete(request: Request) -> Response:
    """Only an unused category goes: removing one still in use would silently change who
    notices addressed to it reach and how reports are subtotalled."""
    await require_category_admin(request)
    category = await category_or_404(request)
    async with in_transaction():
        used_by = await Organisation.filter(categories=category).count()
        if not used_by:
            await audit.record(request, "category.delete", target=category, summary=category.name)
            await category.delete()
    if used_by:
        values = {"name": category.name, "sort_order": category.sort_order}
        context = {"values": values, "delete_refused": True}
        return await render_category_edit(request, category, context, status_code=400)
    return redirect(request, "intranet:admin_categories", "notice=deleted")


routes = [
    Route("/admin/organisations", index, name="intranet:admin_organisations"),
    Route(
        "/admin/organisations/new",
        create,
        methods=["GET", "POST"],
        name="intranet:admin_organisation_create",
    ),
    Route(
        "/admin/organisations/{organisation_id:int}/edit",
        edit,
        methods=["GET", "POST"],
        name="intranet:admin_organisation_edit",
    ),
    Route(
        "/admin/organisations/{organisation_id:int}/move",
        move,
        methods=["GET", "POST"],
        name="intranet:admin_organisation_move",
    ),
    Route(
        "/admin/organisations/categories",
        categories,
        methods=["GET", "POST"],
        name="intranet:admin_categories",
    ),
    Route(
        "/admin/organisations/categories/{category_id:int}/edit",
        category_edit,
        methods=["GET", "POST"],
        name="intranet:admin_category_edit",
    ),
    Route(
        "/admin/organisations/categories/{category_id:int}/delete",
        category_delete,
        methods=["POST"],
        name="intranet:admin_category_delete",
    ),
]
