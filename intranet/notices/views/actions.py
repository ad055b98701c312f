"""Notices: the steps that change one (publish, withdraw, forward); its attachments are
in intranet.notices.views.attachments.

Only the issuer's people take these steps (policy.require_managed_notice); anyone else
gets 404. A step the notice's state does not allow is refused with a 400 page that says
why, and nothing changes. A step done answers 303 with ?done=<key> (see DONE_MESSAGES,
shown by the page it leads to).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError

from intranet import policy
from intranet.form_fields import FormErrors, form_data, parse_id, take_line
from intranet.i18n import N_, gettext
from intranet.notices import workflow
from intranet.notices.models import Notice, NoticeAddressee, NoticeAttachment
from intranet.storage import Storage
from intranet.templating import render

MAX_REASON_LENGTH = 500  # Notice.withdrawn_reason

REFUSED_PAGE = "intranet/notices/action_refused.html"

# Shown by the edit page after the redirect from these steps (the query string carries
# only the key); "published" and "withdrawn" lead to the notice's page, which has its own.
DONE_MESSAGES = {
    "forwarded": N_(
        "A draft forwarding the notice has been made. Check it, add addressees, then publish it."
    ),
    "attached": N_("The attachment has been added."),
    "attachment_removed": N_("The attachment has been removed."),
}

NO_ADDRESSEES = N_("Add at least one addressee, or make the notice public, before publishing it.")


def redirect_to(request: Request, route: str, notice_id: int, done: str) -> Response:
    url = request.app.url_path_for(route, notice_id=notice_id)
    return RedirectResponse(f"{url}?done={done}", status_code=303)


def refused(
    request: Request,
    notice: Notice,
    title: str,
    messages: list[str],
    *,
    edit_link: bool = False,
    back_to_edit: bool = False,
    **extra: Any,
) -> Response:
    """The small page that says why a step was not taken; nothing has changed."""
    context = {
        "notice": notice,
        "title": title,
        "messages": messages,
        "edit_link": edit_link,
        "back_to_edit": back_to_edit,
        **extra,
    }
    return render(request, REFUSED_PAGE, context, status_code=400)


def notice_id_of(request: Request) -> int:
    return int(request.path_params["notice_id"])


# -- publishing and withdrawing ---------------------------------------------------------


async def publish(request: Request) -> Response:
    _, notice = await policy.require_managed_notice(request, notice_id_of(request))
    user = policy.require_user(request)
    title = gettext("The notice was not published")
    if not notice.is_draft:
        return refused(request, notice, title, [gettext("Only a draft can be published.")])
    if not notice.is_public and not await NoticeAddressee.exists(notice_id=notice.id):
        return refused(request, notice, title, [gettext(NO_ADDRESSEES)], edit_link=True)
    try:
        await workflow.publish(notice, user, request=request)
    except (workflow.DuplicateNumber, workflow.AddresseesOutOfReach) as error:
        message, edit_link = error.message, True
    except workflow.WorkflowError as error:  # published by a second click meanwhile
        message, edit_link = error.message, False
    except IntegrityError:
        # The number was typed into another of the issuer's notices at the same moment.
        message, edit_link = workflow.DUPLICATE_NUMBER, True
    else:
        return redirect_to(request, "intranet:notice", notice.id, "published")
    # The failed attempt may have set a number on this copy only: show the notice as kept.
    kept = await Notice.get(id=notice.id)
    return refused(request, kept, title, [gettext(message)], edit_link=edit_link)


async def withdraw(request: Request) -> Response:
    _, notice = await policy.require_managed_notice(request, notice_id_of(request))
    user = policy.require_user(request)
    title = gettext("The notice was not withdrawn")
    if not notice.is_published:
        message = gettext("Only a published notice can be withdrawn.")
        return refused(request, notice, title, [message])
    form = await form_data(request)
    errors = FormErrors()
    reason = take_line(form, "reason", errors, max_length=MAX_REASON_LENGTH)
    if not reason:
        errors.add("reason", gettext("Give the reason for withdrawing the notice."))
    if errors:
        return refused(
            request, notice, title, [], withdraw_errors=errors, reason=reason[:MAX_REASON_LENGTH]
        )
    await workflow.withdraw(notice, user, reason, request=request)
    return redirect_to(request, "intranet:notice", notice.id, "withdrawn")


# -- forwarding -------------------------------------------------------------------------


async def forward(request: Request) -> Response:
    """A draft of one's own organisation with the notice, as it reads now, attached."""
    user = policy.require_user(request)
    held, original = await policy.require_readable_notice(request, notice_id_of(request))
    if not await policy.can_forward_notice(held, original):
        raise policy.not_found()
    organisations = policy.issuing_organisations(held)
    context: dict[str, Any] = {
        "original": original,
        "attachments": await NoticeAttachment.filter(notice_id=original.id),
        "organisation_options": [(o.id, o.name) for o in organisations],
        "selected": organisations[0].id if len(organisations) == 1 else "",
        "errors": FormErrors(),
    }
    if request.method == "GET":
        return render(request, "intranet/notices/forward.html", context)
    form = await form_data(request)
    chosen = parse_id(form.get("organisation"))
    organisation = next((o for o in organisations if o.id == chosen), None)
    if organisation is None:
        context["errors"].add(
            "organisation", gettext("Choose one of the organisations you act for.")
        )
        context["selected"] = ""
        return render(request, "intranet/notices/forward.html", context, status_code=400)
    storage: Storage = request.app.state.storage
    draft = await workflow.forward(original, organisation, user, storage, request=request)
    return redirect_to(request, "intranet:notice_edit", draft.id, "forwarded")


routes = [
    Route(
        "/notices/{notice_id:id}/publish",
        publish,
        methods=["POST"],
        name="intranet:notice_publish",
    ),
    Route(
        "/notices/{notice_id:id}/withdraw",
        withdraw,
        methods=["POST"],
        name="intranet:notice_withdraw",
    ),
    Route(
        "/notices/{notice_id:id}/forward",
        forward,
        methods=["GET", "POST"],
        name="intranet:notice_forward",
    ),
]


def translated(messages: dict[str, str], key: str) -> str:
    """One of the messages above in the reader's language (the key itself is not text)."""
    return gettext(messages[key])
