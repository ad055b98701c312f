"""Admin: the organisation tree, and the categories organisations are filed under.

An admin works on the subtrees of the organisations their admin roles are held on;
anything outside answers 404. Categories are shared by the whole tree, so only an
admin of a top-level organisation may change them.

This module has the tree's list and every route; creating, editing and moving an
organisation are in intranet.views.admin_organisation_edit, the categories in
intranet.views.admin_categories.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.expressions import Q

from intranet import policy
from intranet.form_fields import clean_line, page_number, parse_id
from intranet.models import Category
from intranet.templating import render
from intranet.views.admin_categories import categories, category_delete, category_edit
from intranet.views.admin_organisation_edit import create, edit, move
from intranet.views.admin_organisations_common import SEARCH_MAX_LENGTH, managed_organisations

PAGE_SIZE = 100


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


routes = [
    Route("/admin/organisations", index, name="intranet:admin_organisations"),
    Route(
        "/admin/organisations/new",
        create,
        methods=["GET", "POST"],
        name="intranet:admin_organisation_create",
    ),
    Route(
        "/admin/organisations/{organisation_id:id}/edit",
        edit,
        methods=["GET", "POST"],
        name="intranet:admin_organisation_edit",
    ),
    Route(
        "/admin/organisations/{organisation_id:id}/move",
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
        "/admin/organisations/categories/{category_id:id}/edit",
        category_edit,
        methods=["GET", "POST"],
        name="intranet:admin_category_edit",
    ),
    Route(
        "/admin/organisations/categories/{category_id:id}/delete",
        category_delete,
        methods=["POST"],
        name="intranet:admin_category_delete",
    ),
]
