"""Paste-in: a notice's text pasted from a word processor becomes a draft to check.

The text is read by intranet.notices.paste; the draft opens in the same form as a new
notice (intranet.notices.views.editing), with a forwarded notice found when it is here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet import policy
from intranet.form_fields import FormErrors, form_data
from intranet.i18n import gettext
from intranet.models import Membership
from intranet.notices import notice_form, numbering
from intranet.notices.models import (
    Notice,
    NoticeState,
)
from intranet.notices.paste import parse_notice
from intranet.notices.views.editing import (
    chosen_issuer,
    editor_page,
    issuers_or_404,
)
from intranet.templating import render

MAX_PASTE_LENGTH = 200_000


# -- paste-in -----------------------------------------------------------------------------


async def paste(request: Request) -> Response:
    _user, held, issuers = await issuers_or_404(request)
    context: dict[str, Any] = {"issuers": issuers, "issuer_id": issuers[0].id, "text": ""}
    if request.method == "GET":
        return render(request, "intranet/notices/paste.html", context | {"errors": FormErrors()})
    form = await form_data(request)
    errors = FormErrors()
    raw = form.get("text", "")
    text = raw if isinstance(raw, str) else ""
    issuer = chosen_issuer(issuers, form.get("issuer"))
    if issuer is None:
        errors.add("issuer", gettext("Choose an organisation from the list."))
    if len(text) > MAX_PASTE_LENGTH:
        errors.add(
            "text",
            gettext("The text is too long: at most %(count)d characters, please.")
            % {"count": MAX_PASTE_LENGTH},
        )
    elif not text.strip():
        errors.add("text", gettext("Paste the text of a notice first."))
    if errors or issuer is None:
        context.update(errors=errors, text=text[:MAX_PASTE_LENGTH], issuer_id=form.get("issuer"))
        return render(request, "intranet/notices/paste.html", context, status_code=400)
    options = await notice_form.FormOptions.load(issuer)
    pasted = notice_form.pasted_form(parse_notice(text), options)
    candidate = await forward_candidate(held, pasted)
    if pasted.forwarded is not None and candidate is None:
        pasted.values.body = notice_form.with_forwarded_text(pasted.values.body, pasted.forwarded)
    return await editor_page(
        request,
        options,
        pasted.values,
        issuers=[issuer],
        pasted=pasted,
        forward_candidate=candidate,
    )


async def forward_candidate(
    held: list[Membership], pasted: notice_form.PastedForm
) -> Notice | None:
    """The published notice the paste forwards, when it is here and may be forwarded."""
    forwarded = pasted.forwarded
    if forwarded is None or forwarded.number is None:
        return None
    key = numbering.number_key(forwarded.number)
    found = await Notice.filter(number_key=key, state=NoticeState.PUBLISHED).select_related(
        "issuer"
    )
    for notice in found:
        if await policy.can_forward_notice(held, notice):
            return notice
    return None


routes = [
    Route("/notices/paste", paste, methods=["GET", "POST"], name="intranet:notice_paste"),
]
