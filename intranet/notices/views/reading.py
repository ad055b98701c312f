"""Reading notices: the list for the signed-in person, one notice laid out as on paper,
its earlier versions and attachments, and the Atom feed of public notices.

Who may read what is decided by intranet.policy and intranet.notices.audience. A notice's
body HTML was sanitised when it was written; it is the only markup shown unescaped, in
templates/intranet/notices/_notice_body.html.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.expressions import Case, Q, When
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from intranet import i18n, paths, policy, uploads
from intranet.forms import clean_line, page_number, parse_id
from intranet.i18n import N_, gettext, ngettext
from intranet.models import Membership, User
from intranet.notices import audience, summary_cache, workflow
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    Notice,
    NoticeAddressee,
    NoticeAttachment,
    NoticeCategory,
    NoticeRead,
    NoticeState,
    NoticeVersion,
)
from intranet.notices.sanitise import plain_text
from intranet.storage import StorageError
from intranet.templating import render

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 50
FEED_SIZE = 20
SUMMARY_CHARS = 200
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"

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


# -- the list ---------------------------------------------------------------------------

# A year in ASCII or full-width brackets, as a number is often typed: [2020] → 〔2020〕.
_BRACKETED_YEAR = re.compile(r"[\[\u3010(\uff08]\s*([0-9]{4})\s*[\]\u3011)\uff09]")
# The tortoise-shell brackets a document number puts round its year; code points, as
# these are characters of the data rather than words to translate.
OPEN_YEAR, CLOSE_YEAR = chr(0x3014), chr(0x3015)
MAX_SEARCH_WORDS = 8


def search_term(value: str) -> str:
    """What was typed into the search box, tidied: one line, brackets of a year as in a
    document number, single spaces, at most SEARCH_MAX_LENGTH characters."""
    text = _BRACKETED_YEAR.sub(rf"{OPEN_YEAR}\1{CLOSE_YEAR}", clean_line(value))
    return " ".join(text.split())[:SEARCH_MAX_LENGTH]


def search_words(term: str) -> list[str]:
    """Chinese puts no spaces between words, so each part of the query between spaces is
    looked for on its own, anywhere: "案例 通知" finds 关于征集优秀案例的通知 and
    "辽科协发 〔2020〕3号" finds 辽科协发〔2020〕3号."""
    return list(dict.fromkeys(term.split()))[:MAX_SEARCH_WORDS]


CATEGORY_VALUES = frozenset(category.value for category in NoticeCategory)


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    issuer: int | None = None
    category: str = ""
    year: int | None = None

    @classmethod
    def from_query(cls, request: Request) -> ListFilters:
        params = request.query_params
        category = params.get("category", "")
        return cls(
            q=search_term(params.get("q", "")),
            issuer=parse_id(params.get("issuer")),
            category=category if category in CATEGORY_VALUES else "",
            year=parse_id(params.get("year")),
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.category) or self.issuer is not None or self.year is not None

    def search(self) -> Q | None:
        """Substring search, as Chinese has no word boundaries: search_text holds the
        number, the title and the body's plain text."""
        words = search_words(self.q)
        if not words:
            return None
        return Q(*(Q(search_text__contains=word.casefold()) for word in words))

    def apply(self, notices: QuerySet[Notice]) -> QuerySet[Notice]:
        search = self.search()
        if search is not None:
            notices = notices.filter(search)
        if self.issuer is not None:
            notices = notices.filter(issuer_id=self.issuer)
        if self.category:
            notices = notices.filter(category=self.category)
        if self.year is not None:
            notices = notices.filter(year=self.year)
        return notices

    def admits(self, group: dict[str, Any]) -> bool:
        """Whether the issuer, category and year filters let a group of notices through."""
        return (
            (self.issuer is None or group["issuer_id"] == self.issuer)
            and (not self.category or group["category"] == self.category)
            and (self.year is None or group["year"] == self.year)
        )

    def query_string(self) -> str:
        return urlencode(
            {
                "q": self.q,
                "issuer": "" if self.issuer is None else self.issuer,
                "category": self.category,
                "year": "" if self.year is None else self.year,
            }
        )


async def read_among(user: User, notice_ids: list[int]) -> set[int]:
    """Which of these notices the person has opened: one query for the whole page."""
    if not notice_ids:
        return set()
    ids = await NoticeRead.filter(user_id=user.id, notice_id__in=notice_ids).values_list(
        "notice_id", flat=True
    )
    return set(ids)  # type: ignore[arg-type]


# What a row of the list shows; the body and the rest stay in the database (so does
# published_at, which orders the rows but is not shown).
ROW_FIELDS = (
    "id",
    "title",
    "document_number",
    "category",
    "issued_on",
    "pinned",
    "issuer__name",
    "issuer__short_name",
)
SUMMARY_GROUPS = ("issuer_id", "issuer__name", "issuer__path", "year", "category")


@dataclass(frozen=True)
class ListSummary:
    issuers: list[tuple[int, str]]  # in tree order
    years: list[int]  # newest first
    total: int  # notices the filters and the search let through


async def summarise(readable: QuerySet[Notice], filters: ListFilters) -> ListSummary:
    """The filter options and the number of matches, from one grouped query over every
    notice this person can read: how many there are per issuer, year and category, and
    how many of those the search finds."""
    search = filters.search()
    found = Count("id")
    if search is not None:
        # COUNT skips NULLs, so this counts the notices whose CASE gives a value: those
        # the search finds. (Count takes any expression; its type hints name fewer.)
        found = Count(Case(When(search, then="1")))  # type: ignore[arg-type]
    groups = await (
        readable.annotate(found=found).group_by(*SUMMARY_GROUPS).values(*SUMMARY_GROUPS, "found")
    )
    issuers = {g["issuer_id"]: (g["issuer__path"], g["issuer__name"]) for g in groups}
    return ListSummary(
        issuers=[(id_, name) for id_, (_, name) in sorted(issuers.items(), key=lambda i: i[1])],
        years=sorted({g["year"] for g in groups if g["year"]}, reverse=True),
        total=sum(g["found"] for g in groups if filters.admits(g)),
    )


def roles_key(held: list[Membership]) -> tuple[tuple[int, str, str], ...]:
    """What decides which notices a person may read: each role, where it is held, and
    that organisation's place in the tree (notices issued below one's own count)."""
    return tuple(
        sorted((m.organisation_id, m.role, m.organisation.path) for m in held)  # type: ignore[attr-defined]
    )


async def cached_summary(
    held: list[Membership], readable: QuerySet[Notice], filters: ListFilters
) -> ListSummary:
    """The summary, kept for a few seconds per roles and filters (see summary_cache): the
    grouped query over everything readable is the dearest part of the page, while the
    rows beside it are always read afresh. The total and the filter options may so lag
    behind the rows by up to SUMMARY_TTL seconds after a notice is published elsewhere."""
    key = (roles_key(held), filters)
    kept = summary_cache.summaries.get(key)
    if isinstance(kept, ListSummary):
        return kept
    summary = await summarise(readable, filters)
    summary_cache.summaries.put(key, summary)
    return summary


async def list_notices(request: Request) -> Response:
    """The notices for the signed-in person: pinned first, then newest. At most three
    queries however many there are: the page, the filter options with the total (kept a
    few seconds, see cached_summary), the read marks."""
    user = policy.require_user(request)
    held = await policy.memberships(request)
    filters = ListFilters.from_query(request)
    page = page_number(request)
    readable = policy.readable_notices(held)
    # Plain values, not model instances: fifty of those cost more to build than to show.
    rows = await (
        filters.apply(readable)
        .order_by("-pinned", "-published_at", "-id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .values(*ROW_FIELDS)
    )
    summary = await cached_summary(held, readable, filters)
    read_ids = await read_among(user, [row["id"] for row in rows])
    categories = {c.value: gettext(c.label) for c in NoticeCategory}
    for row in rows:
        row["unread"] = row["id"] not in read_ids
        row["url"] = notice_url(row["id"])
        row["issuer"] = row["issuer__short_name"] or row["issuer__name"]
        row["category_label"] = categories.get(row["category"], "")
        # A date is shown as it is stored: the local_date filter would give the same.
        row["date"] = row["issued_on"].isoformat() if row["issued_on"] else ""
    context = {
        "rows": rows,
        "filters": filters,
        "issuers": summary.issuers,
        "years": summary.years,
        "categories": list(categories.items()),
        "page": page,
        "pages": max(1, -(-summary.total // PAGE_SIZE)),
        "total": summary.total,
        "can_issue": bool(policy.issuing_organisations(held)),
    }
    return render(
        request,
        "intranet/notices/list.html",
        context,
        partial="intranet/notices/_notice_rows.html",
    )


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


# -- the Atom feed of public notices ----------------------------------------------------

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def summary_of(body_html: str) -> str:
    text = " ".join(plain_text(body_html).split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rstrip() + "\u2026"


def add_text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", text)
    return element


def entry_updated(notice: Notice) -> datetime.datetime:
    """When the entry last changed: its publication, or a later edit."""
    return max(notice.published_at or notice.updated_at, notice.updated_at)


def atom_feed(request: Request, notices: list[Notice]) -> bytes:
    feed = ET.Element("feed", {"xmlns": ATOM_NAMESPACE})

    # Links start with HUIBAO_SITE_URL, as in e-mail: never with the request's Host.
    def absolute(name: str, **params: Any) -> str:
        return site_url + request.app.url_path_for(name, **params)

    site_url = request.app.state.settings.site_url.rstrip("/")
    self_url = absolute("intranet:notices_feed")
    add_text(feed, "id", self_url)
    add_text(feed, "title", gettext("Public notices"))
    updated = max((entry_updated(n) for n in notices), default=datetime.datetime.now(datetime.UTC))
    add_text(feed, "updated", rfc3339(updated))
    ET.SubElement(feed, "link", {"rel": "self", "href": self_url})
    ET.SubElement(feed, "link", {"rel": "alternate", "href": absolute("intranet:notices")})
    for notice in notices:
        url = absolute("intranet:notice", notice_id=notice.id)
        entry = ET.SubElement(feed, "entry")
        add_text(entry, "id", url)
        title = (
            f"{notice.document_number} {notice.title}" if notice.document_number else notice.title
        )
        add_text(entry, "title", title)
        add_text(entry, "updated", rfc3339(entry_updated(notice)))
        if notice.published_at:
            add_text(entry, "published", rfc3339(notice.published_at))
        ET.SubElement(entry, "link", {"rel": "alternate", "href": url})
        author = ET.SubElement(entry, "author")
        add_text(author, "name", notice.issuer.name)
        add_text(entry, "summary", summary_of(notice.body_html))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


async def feed(request: Request) -> Response:
    notices = (
        await Notice.filter(is_public=True, state=NoticeState.PUBLISHED)
        .select_related("issuer")
        .order_by("-published_at", "-id")
        .limit(FEED_SIZE)
    )
    return Response(atom_feed(request, notices), media_type="application/atom+xml; charset=utf-8")


def notice_url(notice_id: int) -> str:
    """A notice's path, filled in from its template: a page of fifty links does not
    search the whole route table fifty times."""
    return paths.notice(notice_id)


routes = [
    Route("/notices", list_notices, name="intranet:notices"),
    Route("/notices/feed.atom", feed, name="intranet:notices_feed"),
    Route(paths.NOTICE, show_notice, name="intranet:notice"),
    Route(
        "/notices/{notice_id:int}/attachments/{attachment_id:int}",
        download_attachment,
        name="intranet:notice_attachment",
    ),
    Route(
        "/notices/{notice_id:int}/versions/{version:int}",
        show_version,
        name="intranet:notice_version",
    ),
]
