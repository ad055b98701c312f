"""What happens to a notice: written, published, edited, withdrawn, forwarded.

Views call these after checking permission (intranet.policy); nothing here checks who is
asking, but publishing checks again what the issuer may address, whoever saved the draft.
Every change is one transaction and one audit line.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from tortoise import timezone
from tortoise.transactions import in_transaction

from intranet import audit, policy
from intranet.i18n import N_
from intranet.models import AuditEvent, Organisation, User
from intranet.notices import notify as notices_notify
from intranet.notices import numbering, summary_cache
from intranet.notices.audience import fix_audience
from intranet.notices.models import (
    BodyFormat,
    DocumentPrefix,
    Notice,
    NoticeAttachment,
    NoticeState,
    NoticeVersion,
)
from intranet.notices.sanitise import markdown_to_html, plain_text, sanitise_html
from intranet.storage import Storage


class WorkflowError(Exception):
    """A step the notice's state does not allow; `message` is an English msgid."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DuplicateNumber(WorkflowError):
    pass


# A forwarded notice may itself forward another: the search text follows the chain this
# far, which is deeper than any forwarding chain the site makes.
MAX_FORWARDED_DEPTH = 10

DUPLICATE_NUMBER = N_("This document number is already used by another notice of the issuer.")
ADDRESSEES_OUT_OF_REACH = N_(
    "The notice is addressed to organisations or groups its issuer may not address. "
    "Edit its addressees and publish again."
)


class AddresseesOutOfReach(WorkflowError):
    pass


def set_body(notice: Notice, source: str, body_format: BodyFormat) -> None:
    """Keep what was written and its sanitised HTML, and the text search looks through."""
    notice.body_format = body_format
    notice.body_source = source
    if body_format == BodyFormat.MARKDOWN:
        notice.body_html = markdown_to_html(source)
    else:
        notice.body_html = sanitise_html(source)
    refresh_search_text(notice)


def refresh_search_text(notice: Notice) -> None:
    notice.search_text = search_text_of(
        notice.document_number, notice.title, notice.body_html, notice.forwarded_snapshot
    )


def search_text_of(
    document_number: str | None,
    title: str,
    body_html: str,
    forwarded_snapshot: dict[str, Any] | None,
) -> str:
    """Number, title and plain body, then the same of every notice it forwards: a word
    that appears only in the forwarded original still finds the forwarding notice."""
    parts = [document_number or "", title, plain_text(body_html)]
    snapshot = forwarded_snapshot
    for _depth in range(MAX_FORWARDED_DEPTH):
        if not isinstance(snapshot, dict):
            break
        parts += [
            str(snapshot.get("document_number") or ""),
            str(snapshot.get("title") or ""),
            plain_text(str(snapshot.get("body_html") or "")),
        ]
        snapshot = snapshot.get("forwarded")
    # Casefolded, so a plain LIKE (Tortoise `contains`) finds "pdf" in "PDF": cheaper than
    # icontains' UPPER(...) on both databases (bench/notice_search.py). Never shown.
    return "\n".join(part for part in parts if part).casefold()


async def set_typed_number(notice: Notice, typed: str) -> None:
    """Keep a number typed by hand as typed; refuse one the issuer has already used."""
    typed = typed.strip()
    if not typed:
        notice.document_number = None
        notice.number_key = None
        return
    key, year = numbering.typed_number_key(typed)
    if await numbering.number_taken(notice.issuer_id, key, other_than=notice.id):
        raise DuplicateNumber(DUPLICATE_NUMBER)
    notice.document_number = typed
    notice.number_key = key
    notice.year = year or notice.year
    notice.prefix = None  # type: ignore[assignment]


def year_of(notice: Notice, today: datetime.date) -> int:
    return (notice.issued_on or today).year


async def publish(
    notice: Notice, actor: User | None, *, request: Any = None, today: datetime.date | None = None
) -> Notice:
    """Draft → published: the number is allocated (unless one was typed), the addressees
    are expanded into the audience, and it all commits together."""
    if not notice.is_draft:
        raise WorkflowError("Only a draft can be published.")
    if await policy.addressees_out_of_reach(notice):
        raise AddresseesOutOfReach(ADDRESSEES_OUT_OF_REACH)
    today = today or timezone.now().date()
    year = year_of(notice, today)
    prefix = await DocumentPrefix.get_or_none(id=notice.prefix_id) if notice.prefix_id else None
    if prefix is not None and not notice.document_number:
        await numbering.ensure_sequence(prefix, year)
    async with in_transaction():
        # Re-read under the transaction: a second click must not publish twice.
        fresh = await Notice.select_for_update().get(id=notice.id)
        if not fresh.is_draft:
            raise WorkflowError("Only a draft can be published.")
        if prefix is not None and not notice.document_number:
            await numbering.allocate(notice, prefix, year)
        elif notice.number_key and await numbering.number_taken(
            notice.issuer_id,
            notice.number_key,
            other_than=notice.id,
        ):
            raise DuplicateNumber(DUPLICATE_NUMBER)
        notice.year = notice.year or year
        notice.state = NoticeState.PUBLISHED
        notice.published_at = timezone.now()
        notice.issued_on = notice.issued_on or today
        refresh_search_text(notice)
        await notice.save()
        await fix_audience(notice)
    summary_cache.forget_summaries()  # the list's total and filters include it at once
    await audit.record(
        request,
        "notice.publish",
        actor=actor,
        target=notice,
        organisation=await notice.issuer,
        summary=f"{notice.document_number or ''} {notice.title}".strip(),
    )
    try:  # published whatever happens here; the addressees hear of it once
        await notices_notify.notice_published(notice, timezone.now())
    except Exception:
        logging.getLogger("huibao.notify").exception("could not announce notice %s", notice.id)
    return notice


async def keep_version(notice: Notice, actor: User | None) -> NoticeVersion:
    """Save the published notice as it stands, before an edit replaces it."""
    stored = await Notice.get(id=notice.id)
    names = await NoticeAttachment.filter(notice_id=notice.id).values_list("filename", flat=True)
    version = await NoticeVersion.create(
        notice_id=notice.id,
        version=stored.version,
        document_number=stored.document_number,
        title=stored.title,
        addressee_line=stored.addressee_line,
        cc_line=stored.cc_line,
        body_html=stored.body_html,
        signature=stored.signature,
        issued_on=stored.issued_on,
        attachment_names=list(names),
        edited_by=actor,
    )
    notice.version = stored.version + 1
    return version


async def withdraw(notice: Notice, actor: User | None, reason: str, *, request: Any = None) -> None:
    if not notice.is_published:
        raise WorkflowError("Only a published notice can be withdrawn.")
    notice.state = NoticeState.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.withdrawn_reason = reason
    await notice.save(update_fields=["state", "withdrawn_at", "withdrawn_reason", "updated_at"])
    summary_cache.forget_summaries()
    await audit.record(
        request,
        "notice.withdraw",
        actor=actor,
        target=notice,
        organisation=await notice.issuer,
        summary=f"{notice.document_number or ''} {notice.title}: {reason}".strip(),
    )


@dataclass(frozen=True)
class Withdrawal:
    """What the addressees of a withdrawn notice are told instead of its text."""

    withdrawn_at: datetime.datetime | None
    withdrawn_by: str  # the person's name as the audit log kept it; "" if unknown
    issuer: str
    reason: str


async def withdrawal_of(notice: Notice) -> Withdrawal:
    """When, by whom and why `notice` (`issuer` loaded) was withdrawn. Who is read from
    the audit log's "notice.withdraw" line, which keeps the name as it was."""
    line = (
        await AuditEvent.filter(
            action="notice.withdraw", object_type="notice", object_id=str(notice.id)
        )
        .order_by("-id")
        .first()
    )
    return Withdrawal(
        withdrawn_at=notice.withdrawn_at,
        withdrawn_by=line.actor_name if line is not None else "",
        issuer=notice.issuer.name,
        reason=notice.withdrawn_reason,
    )


# -- forwarding -------------------------------------------------------------------------


async def snapshot(notice: Notice) -> dict[str, Any]:
    """The notice as it reads now, to be kept unchanged inside a forwarding notice."""
    issuer = await Organisation.get(id=notice.issuer_id)
    attachments = await NoticeAttachment.filter(notice_id=notice.id)
    return {
        "id": notice.id,
        "document_number": notice.document_number or "",
        "title": notice.title,
        "issuer_name": issuer.name,
        "addressee_line": notice.addressee_line,
        "cc_line": notice.cc_line,
        "body_html": notice.body_html,
        "signature": notice.signature,
        "issued_on": notice.issued_on.isoformat() if notice.issued_on else "",
        "version": notice.version,
        "attachments": [
            {"filename": a.filename, "size": a.size, "from_forwarded": a.from_forwarded}
            for a in attachments
        ],
        "forwarded": notice.forwarded_snapshot,
    }


async def forward(
    original: Notice,
    organisation: Organisation,
    actor: User | None,
    storage: Storage,
    *,
    request: Any = None,
) -> Notice:
    """A new draft of `organisation` whose attachment is `original` as it reads now.
    The original's files are copied, so they stay even if it is later edited."""
    kept = await snapshot(original)
    attachments = await NoticeAttachment.filter(notice_id=original.id)
    prefix = await DocumentPrefix.filter(organisation=organisation).first()
    copies = []
    for position, attachment in enumerate(attachments):
        source = await storage.open(attachment.storage_key)
        stored = await storage.save(source, max_bytes=max(attachment.size, 1))
        copies.append((position, attachment, stored))
    async with in_transaction():
        notice = Notice(
            issuer=organisation,
            author=actor,
            prefix=prefix,
            title=forwarding_title(original),
            signature=organisation.name,
            forwarded_from=original,
            forwarded_snapshot=kept,
        )
        refresh_search_text(notice)
        await notice.save()
        for position, attachment, stored in copies:
            await NoticeAttachment.create(
                notice=notice,
                storage_key=stored.key,
                filename=attachment.filename,
                kind=attachment.kind,
                size=stored.size,
                sha256=stored.sha256,
                position=position,
                from_forwarded=True,
                uploaded_by=actor,
            )
    await audit.record(
        request,
        "notice.forward",
        actor=actor,
        target=notice,
        organisation=organisation,
        summary=f"{original.document_number or ''} {original.title}".strip(),
    )
    return notice


def forwarding_title(original: Notice) -> str:
    """关于转发《…》的通知, the usual title of a forwarding notice."""
    title = f"关于转发{original.title}的通知"
    if original.title.startswith("关于"):
        title = f"关于转发《{original.title}》的通知"
    return title[:200]
