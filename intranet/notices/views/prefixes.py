"""The document number prefixes an organisation numbers its notices with (辽科协发 …)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from intranet import audit, policy
from intranet.convertors import MAX_ID
from intranet.form_fields import FormErrors, clean_line, form_data, parse_id
from intranet.i18n import gettext
from intranet.models import Organisation
from intranet.notices import numbering
from intranet.notices.models import (
    DocumentPrefix,
    Notice,
    NumberSequence,
)
from intranet.notices.views.editing import (
    done_message,
    redirect,
)
from intranet.templating import render

# -- document number prefixes -------------------------------------------------------------


async def organisation_acted_for(request: Request) -> Organisation:
    policy.require_user(request)
    held = await policy.memberships(request)
    organisation_id = request.path_params["organisation_id"]
    organisation = (
        await Organisation.get_or_none(id=organisation_id) if organisation_id <= MAX_ID else None
    )
    if organisation is None or not policy.can_act_for(held, organisation):
        raise policy.not_found()
    return organisation


async def prefix_rows(organisation: Organisation) -> list[dict[str, Any]]:
    """Each prefix with the last number it gave out per year, newest year first."""
    prefixes = await DocumentPrefix.filter(organisation=organisation)
    sequences = await NumberSequence.filter(prefix_id__in=[p.id for p in prefixes]).order_by(
        "-year"
    )
    in_use = set(
        await Notice.filter(prefix_id__in=[p.id for p in prefixes]).values_list(
            "prefix_id", flat=True
        )
    )
    return [
        {
            "prefix": prefix,
            "sequences": [s for s in sequences if s.prefix_id == prefix.id and s.last_number],
            "in_use": prefix.id in in_use,
        }
        for prefix in prefixes
    ]


async def prefixes_page(
    request: Request,
    organisation: Organisation,
    *,
    errors: FormErrors | None = None,
    text: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "organisation": organisation,
        "rows": await prefix_rows(organisation),
        "errors": errors or FormErrors(),
        "text": text,
        "done": done_message(request) if status_code == 200 else "",
    }
    return render(request, "intranet/notices/prefixes.html", context, status_code=status_code)


async def prefixes(request: Request) -> Response:
    organisation = await organisation_acted_for(request)
    if request.method == "GET":
        return await prefixes_page(request, organisation)
    form = await form_data(request)
    action = form.get("action")
    if action == "add":
        return await add_prefix(request, organisation, clean_line(form.get("text", "")))
    prefix = await DocumentPrefix.get_or_none(
        id=parse_id(form.get("prefix")) or 0, organisation=organisation
    )
    if prefix is None:
        errors = FormErrors()
        errors.add("prefix", gettext("Choose a prefix from the list."))
        return await prefixes_page(request, organisation, errors=errors, status_code=400)
    if action == "default":
        return await make_default(request, organisation, prefix)
    if action == "delete":
        return await delete_prefix(request, organisation, prefix)
    errors = FormErrors()
    errors.add("prefix", gettext("Choose what to do with the prefix."))
    return await prefixes_page(request, organisation, errors=errors, status_code=400)


def prefix_redirect(request: Request, organisation: Organisation, done: str) -> Response:
    return redirect(request, "intranet:notice_prefixes", done, organisation_id=organisation.id)


async def add_prefix(request: Request, organisation: Organisation, text: str) -> Response:
    errors = FormErrors()
    if not numbering.PREFIX_CHARACTERS.fullmatch(text):
        errors.add("text", gettext("Use 1 to 20 Chinese characters, for example 辽科协发."))
    elif await DocumentPrefix.exists(organisation=organisation, text=text):
        errors.add("text", gettext("This organisation already has this prefix."))
    if not errors:
        try:
            async with in_transaction():
                first = not await DocumentPrefix.exists(organisation=organisation)
                prefix = await DocumentPrefix.create(
                    organisation=organisation, text=text, is_default=first
                )
                await audit.record(
                    request,
                    "prefix.create",
                    target=prefix,
                    organisation=organisation,
                    summary=text,
                )
        except IntegrityError:
            errors.add("text", gettext("This organisation already has this prefix."))
    if errors:
        return await prefixes_page(request, organisation, errors=errors, text=text, status_code=400)
    return prefix_redirect(request, organisation, "prefix_added")


async def make_default(
    request: Request, organisation: Organisation, prefix: DocumentPrefix
) -> Response:
    async with in_transaction():
        await (
            DocumentPrefix.filter(organisation=organisation)
            .exclude(id=prefix.id)
            .update(is_default=False)
        )
        await DocumentPrefix.filter(id=prefix.id).update(is_default=True)
        await audit.record(
            request, "prefix.default", target=prefix, organisation=organisation, summary=prefix.text
        )
    return prefix_redirect(request, organisation, "prefix_default")


async def delete_prefix(
    request: Request, organisation: Organisation, prefix: DocumentPrefix
) -> Response:
    used = await Notice.filter(prefix=prefix).exists()
    # Numbers given out must never be given again, so their sequence stays.
    numbered = await NumberSequence.filter(prefix=prefix, last_number__gt=0).exists()
    if used or numbered:
        errors = FormErrors()
        errors.add(
            "prefix",
            gettext(
                "The prefix %(prefix)s has numbered notices or is chosen for a draft, "
                "so it cannot be deleted."
            )
            % {"prefix": prefix.text},
        )
        return await prefixes_page(request, organisation, errors=errors, status_code=400)
    async with in_transaction():
        await audit.record(
            request, "prefix.delete", target=prefix, organisation=organisation, summary=prefix.text
        )
        was_default = prefix.is_default
        await prefix.delete()
        if was_default:
            successor = await DocumentPrefix.filter(organisation=organisation).first()
            if successor is not None:
                await DocumentPrefix.filter(id=successor.id).update(is_default=True)
    return prefix_redirect(request, organisation, "prefix_deleted")


routes = [
    Route(
        "/organisations/{organisation_id:id}/prefixes",
        prefixes,
        methods=["GET", "POST"],
        name="intranet:notice_prefixes",
    ),
]
