"""Notices: the issued list, writing and editing them (pasting one in is in .paste, the
issuer's number prefixes in .prefixes).

Only people who act for an organisation write its notices (policy.issuing_organisations
for a new one, policy.require_managed_notice and can_edit_notice for an existing one);
everyone else gets 404. Reading the form and filling it from a paste is plain code in
intranet.notices.notice_form; these views check permission, call it, save and render.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Case, When
from tortoise.transactions import in_transaction

from intranet import audit, policy
from intranet.convertors import MAX_ID
from intranet.form_fields import FormErrors, form_data, page_number, parse_id
from intranet.i18n import N_, gettext
from intranet.models import Membership, Organisation, User
from intranet.notices import audience, notice_form, workflow
from intranet.notices.models import (
    AddresseeRole,
    Notice,
    NoticeAddressee,
    NoticeAttachment,
    NoticeCategory,
    NoticeState,
)
from intranet.notices.views.actions import DONE_MESSAGES as ACTION_DONE_MESSAGES
from intranet.templating import render

PAGE_SIZE = 50

DONE_MESSAGES = {
    "created": N_("The draft has been saved. Check it, add attachments, then publish it."),
    "updated": N_("Your changes have been saved."),
    "unchanged": N_("Nothing was changed."),
    "deleted": N_("The draft has been deleted."),
    "prefix_added": N_("The prefix has been added."),
    "prefix_default": N_("The default prefix has been changed."),
    "prefix_deleted": N_("The prefix has been deleted."),
    **ACTION_DONE_MESSAGES,  # forwarded, attached, attachment_removed
}


def done_message(request: Request) -> str:
    message = DONE_MESSAGES.get(request.query_params.get("done", ""))
    return gettext(message) if message else ""


def redirect(request: Request, name: str, done: str, **params: Any) -> Response:
    url = request.app.url_path_for(name, **params)
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def unique(organisations: list[Organisation]) -> list[Organisation]:
    seen: dict[int, Organisation] = {}
    for organisation in organisations:
        seen.setdefault(organisation.id, organisation)
    return list(seen.values())


async def issuers_or_404(request: Request) -> tuple[User, list[Membership], list[Organisation]]:
    """The person and the organisations they may write notices for; 404 if none."""
    user = policy.require_user(request)
    held = await policy.memberships(request)
    issuers = unique(policy.issuing_organisations(held))
    if not issuers:
        raise policy.not_found()
    return user, held, issuers


def chosen_issuer(issuers: list[Organisation], value: object) -> Organisation | None:
    """The issuer named by a form or query value, if it is one of the person's."""
    issuer_id = parse_id(value)
    return next((o for o in issuers if o.id == issuer_id), None)


# -- the issued list ----------------------------------------------------------------------


def state_filter(request: Request) -> str:
    state = request.query_params.get("state", "")
    return state if state in {*NoticeState} else ""


async def issued(request: Request) -> Response:
    policy.require_user(request)
    held = await policy.memberships(request)
    state = state_filter(request)
    notices = Notice.filter(policy.issued_by_mine(held))
    if state:
        notices = notices.filter(state=state)
    page = page_number(request)
    total = await notices.count()
    rows = (
        await notices.annotate(
            draft_first=Case(When(state=NoticeState.DRAFT, then="0"), default="1")
        )
        .order_by("draft_first", "-created_at", "-id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .select_related("issuer", "author")
    )
    issuers = unique(policy.issuing_organisations(held))
    context = {
        "rows": rows,
        "state": state,
        "state_options": [(s.value, gettext(s.label)) for s in NoticeState],
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "total": total,
        "issuers": issuers,
        "done": done_message(request),
    }
    return render(
        request,
        "intranet/notices/issued.html",
        context,
        partial="intranet/notices/_issued_rows.html",
    )


# -- the form page, for a new notice, an existing one and a pasted one -------------------


def category_options() -> list[tuple[str, str]]:
    return [(c.value, gettext(c.label)) for c in NoticeCategory]


def body_format_options() -> list[tuple[str, str]]:
    return [(f.value, gettext(label)) for f, label in notice_form.BODY_FORMAT_LABELS.items()]


async def editor_page(
    request: Request,
    options: notice_form.FormOptions,
    values: notice_form.NoticeValues,
    *,
    notice: Notice | None = None,
    issuers: list[Organisation] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """edit.html: the create form when `notice` is None, else the notice's edit page."""
    context: dict[str, Any] = {
        "notice": notice,
        "options": options,
        "values": values,
        "errors": errors or FormErrors(),
        "issuers": issuers or [],
        "category_options": category_options(),
        "body_format_options": body_format_options(),
        "to_line": notice_form.built_line(values.to, options),
        "cc_built_line": notice_form.built_line(values.cc, options),
        "done": done_message(request) if status_code == 200 else "",
        "pasted": None,
        "forward_candidate": None,
        "refusal": "",
        "attachments": [],
        "has_addressees": True,
    }
    if notice is not None:
        context["action"] = request.app.url_path_for("intranet:notice_edit", notice_id=notice.id)
        context["attachments"] = await NoticeAttachment.filter(notice=notice)
        context["has_addressees"] = notice.is_public or await NoticeAddressee.exists(
            notice=notice, role=AddresseeRole.TO
        )
    else:
        context["action"] = request.app.url_path_for("intranet:notice_create")
    context.update(extra)
    return render(request, "intranet/notices/edit.html", context, status_code=status_code)


async def create(request: Request) -> Response:
    user, _held, issuers = await issuers_or_404(request)
    if request.method == "GET":
        preselected = chosen_issuer(issuers, request.query_params.get("issuer")) or issuers[0]
        options = await notice_form.FormOptions.load(preselected)
        return await editor_page(request, options, notice_form.new_values(options), issuers=issuers)
    form = await form_data(request)
    errors = FormErrors()
    issuer = chosen_issuer(issuers, form.get("issuer"))
    if issuer is None:
        errors.add("issuer", gettext("Choose an organisation from the list."))
    options = await notice_form.FormOptions.load(issuer or issuers[0])
    values = notice_form.read_values(form, options, errors)
    notice = Notice(issuer=options.issuer, author=user, state=NoticeState.DRAFT)
    if not errors:
        await apply_or_refuse(notice, values, options, errors)
    if not errors:
        await save_new(request, notice, values, errors)
    if errors:
        return await editor_page(
            request, options, values, issuers=issuers, errors=errors, status_code=400
        )
    return redirect(request, "intranet:notice_edit", "created", notice_id=notice.id)


async def apply_or_refuse(
    notice: Notice,
    values: notice_form.NoticeValues,
    options: notice_form.FormOptions,
    errors: FormErrors,
) -> None:
    try:
        await notice_form.apply_values(notice, values, options)
    except workflow.DuplicateNumber as refused:
        errors.add("typed_number", gettext(refused.message))


async def save_new(
    request: Request, notice: Notice, values: notice_form.NoticeValues, errors: FormErrors
) -> None:
    try:
        async with in_transaction():
            await notice.save()
            await NoticeAddressee.bulk_create(notice_form.addressee_rows(notice, values))
            await audit.record(
                request,
                "notice.create",
                target=notice,
                organisation=notice.issuer,
                summary=notice.title,
            )
    except IntegrityError:  # the same number typed by someone else a moment ago
        errors.add("typed_number", gettext(workflow.DUPLICATE_NUMBER))


async def editable_notice(request: Request) -> tuple[User, list[Membership], Notice]:
    user = policy.require_user(request)
    if request.path_params["notice_id"] > MAX_ID:
        raise policy.not_found()
    held, notice = await policy.require_managed_notice(request, request.path_params["notice_id"])
    if not policy.can_edit_notice(held, notice):
        raise policy.not_found()
    return user, held, notice


async def edit(request: Request) -> Response:
    user, _held, notice = await editable_notice(request)
    options = await notice_form.FormOptions.load(notice.issuer)
    if request.method == "GET":
        values = await notice_form.values_of(notice, options)
        return await editor_page(request, options, values, notice=notice)
    form = await form_data(request)
    errors = FormErrors()
    values = notice_form.read_values(form, options, errors, notice=notice)
    before = notice_form.comparable(notice, await NoticeAddressee.filter(notice=notice), options)
    if not errors:
        await apply_or_refuse(notice, values, options, errors)
    if errors:
        return await editor_page(
            request, options, values, notice=notice, errors=errors, status_code=400
        )
    rows = notice_form.addressee_rows(notice, values)
    if notice_form.comparable(notice, rows, options) == before:
        return redirect(request, "intranet:notice_edit", "unchanged", notice_id=notice.id)
    try:
        await save_edit(request, user, notice, rows)
    except IntegrityError:
        errors.add("typed_number", gettext(workflow.DUPLICATE_NUMBER))
        stored = await Notice.get(id=notice.id).select_related("issuer")
        return await editor_page(
            request, options, values, notice=stored, errors=errors, status_code=400
        )
    return redirect(request, "intranet:notice_edit", "updated", notice_id=notice.id)


async def save_edit(
    request: Request, user: User, notice: Notice, rows: list[NoticeAddressee]
) -> None:
    """A published notice keeps its previous version, and its audience follows the new
    addressees; all in one transaction."""
    async with in_transaction():
        if notice.is_published:
            await workflow.keep_version(notice, user)  # reads the stored notice, bumps version
        await notice.save()
        await NoticeAddressee.filter(notice=notice).delete()
        await NoticeAddressee.bulk_create(rows)
        if notice.is_published:
            await audience.fix_audience(notice)
        await audit.record(
            request,
            "notice.update",
            target=notice,
            organisation=notice.issuer,
            summary=f"{notice.document_number or ''} {notice.title} (v{notice.version})".strip(),
        )


async def delete(request: Request) -> Response:
    user, _held, notice = await editable_notice(request)
    if not notice.is_draft:
        options = await notice_form.FormOptions.load(notice.issuer)
        refusal = gettext("A published notice cannot be deleted. Withdraw it instead.")
        values = await notice_form.values_of(notice, options)
        return await editor_page(
            request, options, values, notice=notice, refusal=refusal, status_code=400
        )
    keys = await NoticeAttachment.filter(notice=notice).values_list("storage_key", flat=True)
    async with in_transaction():
        await audit.record(
            request,
            "notice.delete",
            actor=user,
            target=notice,
            organisation=notice.issuer,
            summary=notice.title,
        )
        await notice.delete()
    # Files go once the rows are gone, so no attachment ever points at a missing file.
    storage = request.app.state.storage
    for key in keys:
        await storage.delete(str(key))
    return redirect(request, "intranet:notices_issued", "deleted")


NOTICE = "/notices/{notice_id:id}"

routes = [
    Route("/notices/issued", issued, name="intranet:notices_issued"),
    Route("/notices/new", create, methods=["GET", "POST"], name="intranet:notice_create"),
    Route(f"{NOTICE}/edit", edit, methods=["GET", "POST"], name="intranet:notice_edit"),
    Route(f"{NOTICE}/delete", delete, methods=["POST"], name="intranet:notice_delete"),
]
