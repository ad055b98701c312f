"""One notice laid out as on paper, its earlier versions and its attachments.

Who may read what is decided by intranet.policy. A notice's body HTML was sanitised when
it was written; it is the only markup shown unescaped, in
templates/intranet/notices/_notice_body.html.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet import i18n, paths, policy, uploads
from intranet.i18n import N_, gettext, ngettext
from intranet.models import Membership
from intranet.notices import audience, workflow
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    Notice,
    NoticeAddressee,
    NoticeAttachment,
    NoticeVersion,
)
from intranet.storage import StorageError
from intranet.templating import render

# Shown after a redirect from the actions on a notice; the query string names one of these.
DONE_MESSAGES = {
    "published": N_("The notice has been published."),
    "withdrawn": N_("The notice has been withdrawn."),
    "saved": N_("The notice has been saved."),
    "forwarded": N_(
        "A draft forwarding the notice has been made. Check it, add addressees, then publish it."
    ),
    "reminded": N_("A reminder has been sent to those who have not read the notice."),
}


def query_message(request: Request, name: str, messages: dict[str, str]) -> str:
    message = messages.get(request.query_params.get(name, ""))
    return gettext(message) if message else ""


# -- one notice, as printed -------------------------------------------------------------


def long_date(day: datetime.date | None) -> str:
    """2020年2月3日 in Chinese, February 3, 2020 in English: the date line of a notice."""
    if day is None:
        return ""
    return format_date(day, format="long", locale=i18n.current_locale())


def file_size(size: int) -> str:
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size) % {"num": size}
    if size < 1024 * 1024:
        return gettext("%(size)s KB") % {"size": f"{size / 1024:.0f}"}
    return gettext("%(size)s MB") % {"size": f"{size / (1024 * 1024):.1f}"}


@dataclass
class AttachmentLink:
    filename: str
    kind: str  # PDF, DOCX, … as shown
    size: int | None = None  # unknown for an earlier version's attachment
    url: str | None = None  # None when only the name was kept

    @property
    def size_text(self) -> str:
        return file_size(self.size) if self.size is not None else ""


@dataclass
class Document:
    """One notice as printed (GB/T 9704 order): the notice itself, an earlier version of
    it, or the forwarded original kept in a snapshot, which may hold another in turn."""

    issuer_name: str
    document_number: str
    title: str
    addressee_line: str
    cc_line: str
    body_html: str  # sanitised when written
    signature: str
    issued_on: datetime.date | None
    attachments: list[AttachmentLink] = field(default_factory=list)
    forwarded: Document | None = None
    original_url: str | None = None  # the forwarded notice's own page, if it may be read

    @property
    def date_text(self) -> str:
        return long_date(self.issued_on)


def kind_label(kind: str) -> str:
    return kind.upper()


def name_only(filename: str, size: int | None = None) -> AttachmentLink:
    """An attachment of which only the name (and perhaps the size) was kept."""
    return AttachmentLink(filename, kind_label(uploads.extension_of(filename)), size)


def attachment_link(
    request: Request, notice: Notice, attachment: NoticeAttachment
) -> AttachmentLink:
    url = request.app.url_path_for(
        "intranet:notice_attachment", notice_id=notice.id, attachment_id=attachment.id
    )
    return AttachmentLink(attachment.filename, kind_label(attachment.kind), attachment.size, url)


def addressee_label(addressee: NoticeAddressee) -> str:
    target = addressee.target
    organisation = addressee.organisation
    if target == AddresseeTarget.ORGANISATION and organisation is not None:
        return organisation.name
    if target == AddresseeTarget.CATEGORY and addressee.category is not None:
        return gettext("Societies in %(category)s") % {"category": addressee.category.name}
    if target == AddresseeTarget.ALL_SOCIETIES:
        return gettext("All societies")
    if target == AddresseeTarget.MEMBERS_OF and organisation is not None:
        return gettext("All members of %(organisation)s") % {"organisation": organisation.name}
    return ""


async def addressee_lines(notice: Notice) -> tuple[str, str]:
    """主送 and 抄送 as printed: as typed, else built from the addressees chosen."""
    if notice.addressee_line and notice.cc_line:
        return notice.addressee_line, notice.cc_line
    chosen = (
        await NoticeAddressee.filter(notice_id=notice.id)
        .select_related("organisation", "category")
        .order_by("id")
    )

    def line(role: AddresseeRole) -> str:
        labels = (addressee_label(a) for a in chosen if a.role == role)
        return gettext(", ").join(label for label in labels if label)

    return (
        notice.addressee_line or line(AddresseeRole.TO),
        notice.cc_line or line(AddresseeRole.CC),
    )


async def readable_url(request: Request, held: list[Membership], notice_id: object) -> str | None:
    """The page of a forwarded original, if it still exists and this person may read it."""
    original = await policy.find_notice(notice_id) if isinstance(notice_id, int) else None
    if original is None or not await policy.can_read_notice(held, original):
        return None
    return request.app.url_path_for("intranet:notice", notice_id=original.id)


def pair_copies(
    kept: list[dict[str, Any]], copies: list[NoticeAttachment]
) -> tuple[list[tuple[dict[str, Any], NoticeAttachment | None]], list[NoticeAttachment]]:
    """Match the attachments a snapshot lists with this notice's copies of them, in order.
    Those the forwarded notice had itself forwarded belong one level further down."""
    remaining = list(copies)
    own: list[tuple[dict[str, Any], NoticeAttachment | None]] = []
    deeper: list[NoticeAttachment] = []
    for listed in kept:
        copy = next(
            (
                c
                for c in remaining
                if c.filename == listed.get("filename") and c.size == listed.get("size")
            ),
            None,
        )
        if copy is not None:
            remaining.remove(copy)
        if listed.get("from_forwarded"):
            deeper.extend([copy] if copy is not None else [])
        else:
            own.append((listed, copy))
    return own, deeper


def parse_day(value: object) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


async def forwarded_document(
    request: Request,
    held: list[Membership],
    notice: Notice,
    snapshot: dict[str, Any],
    copies: list[NoticeAttachment],
) -> Document:
    """The forwarded original exactly as it read when it was forwarded."""
    own, deeper = pair_copies(list(snapshot.get("attachments") or []), copies)
    attachments = [
        attachment_link(request, notice, copy)
        if copy is not None
        else name_only(str(listed.get("filename", "")), listed.get("size"))
        for listed, copy in own
    ]
    inner = snapshot.get("forwarded")
    return Document(
        issuer_name=str(snapshot.get("issuer_name", "")),
        document_number=str(snapshot.get("document_number") or ""),
        title=str(snapshot.get("title", "")),
        addressee_line=str(snapshot.get("addressee_line", "")),
        cc_line=str(snapshot.get("cc_line", "")),
        body_html=str(snapshot.get("body_html", "")),
        signature=str(snapshot.get("signature", "")),
        issued_on=parse_day(snapshot.get("issued_on")),
        attachments=attachments,
        forwarded=(
            await forwarded_document(request, held, notice, inner, deeper)
            if isinstance(inner, dict)
            else None
        ),
        original_url=await readable_url(request, held, snapshot.get("id")),
    )


async def notice_document(request: Request, held: list[Membership], notice: Notice) -> Document:
    attachments = await NoticeAttachment.filter(notice_id=notice.id)
    to_line, cc_line = await addressee_lines(notice)
    snapshot = notice.forwarded_snapshot
    copies = [a for a in attachments if a.from_forwarded]
    return Document(
        issuer_name=notice.issuer.name,
        document_number=notice.document_number or "",
        title=notice.title,
        addressee_line=to_line,
        cc_line=cc_line,
        body_html=notice.body_html,
        signature=notice.signature,
        issued_on=notice.issued_on,
        attachments=[
            attachment_link(request, notice, a) for a in attachments if not a.from_forwarded
        ],
        forwarded=(
            await forwarded_document(request, held, notice, snapshot, copies)
            if isinstance(snapshot, dict)
            else None
        ),
    )


async def show_notice(request: Request) -> Response:
    held, notice, withdrawn_only = await policy.require_notice_page(
        request, request.path_params["notice_id"]
    )
    if withdrawn_only:
        context = {"notice": notice, "withdrawal": await workflow.withdrawal_of(notice)}
        return render(request, "intranet/notices/withdrawn.html", context)
    user = request.scope.get("user")
    if user is not None and notice.is_published:
        await audience.mark_read(notice, user)
    context = {
        "notice": notice,
        "document": await notice_document(request, held, notice),
        "chain": notice.chain() if notice.forwarded_snapshot else [],
        "versions": await NoticeVersion.filter(notice_id=notice.id).select_related("edited_by"),
        "may": await policy.notice_permissions(held, notice),
        "done": query_message(request, "done", DONE_MESSAGES),
    }
    return render(request, "intranet/notices/detail.html", context)


async def show_version(request: Request) -> Response:
    _, notice = await policy.require_readable_notice(request, request.path_params["notice_id"])
    number = request.path_params["version"]
    old = (
        await NoticeVersion.get_or_none(notice_id=notice.id, version=number).select_related(
            "edited_by"
        )
        if number <= policy.MAX_ID
        else None
    )
    if old is None:
        raise policy.not_found()
    document = Document(
        issuer_name=notice.issuer.name,
        document_number=old.document_number or "",
        title=old.title,
        addressee_line=old.addressee_line,
        cc_line=old.cc_line,
        body_html=old.body_html,
        signature=old.signature,
        issued_on=old.issued_on,
        attachments=[name_only(name) for name in old.attachment_names],
    )
    context = {"notice": notice, "old": old, "document": document}
    return render(request, "intranet/notices/version.html", context)


# -- attachments ------------------------------------------------------------------------


async def download_attachment(request: Request) -> Response:
    """The file, always as a download under its original name, to whoever may read the
    notice. It is never shown inline, so an office file cannot act as a page of the site."""
    _, notice = await policy.require_readable_notice(request, request.path_params["notice_id"])
    attachment_id = request.path_params["attachment_id"]
    attachment = (
        await NoticeAttachment.get_or_none(id=attachment_id, notice_id=notice.id)
        if attachment_id <= policy.MAX_ID
        else None
    )
    if attachment is None:
        raise policy.not_found()
    try:
        chunks = await request.app.state.storage.open(attachment.storage_key)
    except (FileNotFoundError, StorageError):
        raise policy.not_found() from None
    try:
        media_type = uploads.AttachmentKind(attachment.kind).media_type
    except ValueError:
        media_type = "application/octet-stream"
    return uploads.download_response(chunks, attachment.filename, attachment.size, media_type)


routes = [
    Route(paths.NOTICE, show_notice, name="intranet:notice"),
    Route(
        "/notices/{notice_id:id}/attachments/{attachment_id:id}",
        download_attachment,
        name="intranet:notice_attachment",
    ),
    Route(
        "/notices/{notice_id:id}/versions/{version:int}",
        show_version,
        name="intranet:notice_version",
    ),
]
