"""Admin: the categories organisations are filed under, shared by the whole tree (only an
admin of a top-level organisation changes them)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from intranet import audit, policy
from intranet.form_fields import FormErrors, clean_line, form_data, parse_id, take_line
from intranet.i18n import gettext
from intranet.models import Category, Membership, Organisation
from intranet.templating import render
from intranet.views.admin_organisations_common import CATEGORY_NAME_MAX, SORT_ORDER_MAX, redirect

# -- categories -------------------------------------------------------------------------


async def require_category_admin(request: Request) -> list[Membership]:
    held = await policy.require_admin(request)
    if not policy.can_manage_categories(held):
        raise policy.not_found()
    return held


async def category_or_404(request: Request) -> Category:
    category_id = request.path_params["category_id"]
    category = await Category.get_or_none(id=category_id)
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
