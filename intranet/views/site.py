"""Home, health check and the organisation directory."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise.expressions import Q

from intranet import audit, policy
from intranet.form_fields import (
    FormErrors,
    clean_line,
    form_data,
    is_email_address,
    page_number,
    parse_id,
    take_line,
)
from intranet.i18n import gettext
from intranet.models import Category, Membership, Organisation
from intranet.templating import render

DIRECTORY_PAGE_SIZE = 50


async def healthz(request: Request) -> Response:
    if not await request.app.state.health_check():
        return PlainTextResponse("database unreachable", status_code=503)
    return PlainTextResponse("ok")


async def home(request: Request) -> Response:
    policy.require_user(request)
    held = await policy.memberships(request)
    attention = await attention_items(request, held)
    return render(request, "intranet/home.html", {"memberships": held, "attention": attention})


async def attention_items(request: Request, held: list) -> list[dict]:
    """What needs this person's attention. Later areas (notices, reports) add to it."""
    items: list[dict] = missing_contacts(request, held)
    for provider in request.app.state.attention_providers:
        items.extend(await provider(request, held))
    return items


async def directory(request: Request) -> Response:
    policy.require_user(request)
    query = clean_line(request.query_params.get("q", ""))[:50]
    category_id = parse_id(request.query_params.get("category"))
    organisations = Organisation.filter(is_active=True)
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
        .offset((page - 1) * DIRECTORY_PAGE_SIZE)
        .limit(DIRECTORY_PAGE_SIZE)
        .prefetch_related("categories")
    )
    held = await policy.memberships(request)
    context = {
        "organisations": rows,
        "editable_ids": {org.id for org in rows if policy.can_keep_contacts(held, org)},
        "categories": await Category.all(),
        "q": query,
        "category_id": category_id,
        "page": page,
        "pages": max(1, -(-total // DIRECTORY_PAGE_SIZE)),
        "total": total,
    }
    return render(
        request, "intranet/directory.html", context, partial="intranet/_directory_rows.html"
    )


# -- an organisation's own contact details ------------------------------------------------

CONTACT_FIELDS = {"contact_name": 64, "contact_phone": 32, "contact_email": 254, "address": 200}


def contacts_incomplete(organisation: Organisation) -> bool:
    return not (
        organisation.contact_name and organisation.contact_phone and organisation.contact_email
    )


def missing_contacts(request: Request, held: list[Membership]) -> list[dict]:
    """Secretaries and staff are asked to complete the directory entry they speak for."""
    items = []
    for organisation in policy.organisations_whose_contacts_i_keep(held):
        if organisation.is_active and contacts_incomplete(organisation):
            items.append(
                {
                    "kind": "contacts",
                    "title": gettext("Complete the contact details of %(name)s")
                    % {"name": organisation.name},
                    "note": gettext("Other organisations reach you through the directory."),
                    "url": request.app.url_path_for(
                        "intranet:organisation_contacts", organisation_id=organisation.id
                    ),
                }
            )
    return items


def _read_contacts(form: Any, errors: FormErrors) -> dict[str, str]:
    values = {
        name: take_line(form, name, errors, max_length=limit)
        for name, limit in CONTACT_FIELDS.items()
    }
    if values["contact_email"] and not is_email_address(values["contact_email"]):
        errors.add("contact_email", gettext("Enter an e-mail address such as name@example.org."))
    return values


async def _save_contacts(
    request: Request, organisation: Organisation, values: dict[str, str]
) -> None:
    changes = [
        f"{name}: {getattr(organisation, name)} → {value}"
        for name, value in values.items()
        if getattr(organisation, name) != value
    ]
    if changes:
        for name, value in values.items():
            setattr(organisation, name, value)
        await organisation.save(update_fields=[*CONTACT_FIELDS, "updated_at"])
        await audit.record(
            request,
            "organisation.contacts",
            target=organisation,
            organisation=organisation,
            summary="; ".join(changes),
        )


async def organisation_contacts(request: Request) -> Response:
    policy.require_user(request)
    held = await policy.memberships(request)
    organisation = await policy.find_organisation(request.path_params["organisation_id"])
    if organisation is None or not policy.can_keep_contacts(held, organisation):
        raise policy.not_found()
    context: dict = {"organisation": organisation, "errors": FormErrors(), "values": organisation}
    if request.method == "GET":
        context["saved"] = request.query_params.get("saved")
        return render(request, "intranet/contacts.html", context)
    form = await form_data(request)
    errors = FormErrors()
    values = _read_contacts(form, errors)
    if errors:
        context.update(errors=errors, values=values)
        return render(request, "intranet/contacts.html", context, status_code=400)
    await _save_contacts(request, organisation, values)
    url = request.app.url_path_for(
        "intranet:organisation_contacts", organisation_id=organisation.id
    )
    return RedirectResponse(f"{url}?saved=1", status_code=303)


routes = [
    Route("/", home, name="intranet:home"),
    Route("/healthz", healthz, name="intranet:healthz"),
    Route("/directory", directory, name="intranet:directory"),
    Route(
        "/organisations/{organisation_id:id}/contacts",
        organisation_contacts,
        methods=["GET", "POST"],
        name="intranet:organisation_contacts",
    ),
]
