"""The notice form's options for one issuer, the values it holds, and the printed 主送/抄送
line built from the addressees."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from enum import StrEnum

from intranet import policy
from intranet.i18n import N_
from intranet.models import Category, Organisation
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    BodyFormat,
    DocumentPrefix,
    Notice,
    NoticeAddressee,
    NoticeCategory,
)


class Numbering(StrEnum):
    PREFIX = "prefix"  # allocated at publication from one of the issuer's prefixes
    TYPED = "typed"  # typed by hand and kept exactly as typed
    NONE = "none"  # news items and the like carry no number


def _limit(name: str) -> int:
    return Notice._meta.fields_map[name].max_length  # type: ignore[attr-defined,no-any-return]


# The columns' own limits, so nothing typed is ever cut short by the database.
TITLE_MAX = _limit("title")
LINE_MAX = _limit("addressee_line")
SIGNATURE_MAX = _limit("signature")
NUMBER_MAX = _limit("document_number")
# The form is sent as multipart, each field at most HUIBAO_MAX_FORM_KB (1 MB by default):
# this many Chinese characters fit in it as UTF-8.
BODY_MAX = 300_000
DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
AT_LARGE_REFUSED = N_(
    "Only the association addresses all societies or categories of societies; "
    "choose organisations inside the issuing organisation."
)

BODY_FORMAT_LABELS = {
    BodyFormat.MARKDOWN: N_("Markdown (plain text with simple marks)"),
    BodyFormat.HTML: N_("Rich text (HTML pasted from a word processor)"),
}

# What parse_notice could not find, by its MISSING_KEYS, as the form names the fields.
PASTE_FIELD_LABELS = {
    "number": N_("Document number"),
    "title": N_("Title"),
    "addressees": N_("Addressees"),
    "body": N_("Body"),
    "signature": N_("Signature"),
    "date": N_("Date"),
}


# -- what the form offers ---------------------------------------------------------------


@dataclass
class FormOptions:
    """The choices the form offers for one issuer; posted ids must be among them."""

    issuer: Organisation
    organisations: list[Organisation]  # active, strictly inside the issuer, tree order
    members_of: list[Organisation]  # the issuer and the organisations inside it
    categories: list[Category]  # none unless the issuer addresses societies at large
    prefixes: list[DocumentPrefix]
    all_societies: bool = False  # whether "all societies" is offered

    @classmethod
    async def load(cls, issuer: Organisation) -> FormOptions:
        inside = await Organisation.filter(path__startswith=issuer.path, is_active=True).order_by(
            "path"
        )
        below = [o for o in inside if o.id != issuer.id]
        at_large = policy.can_address_societies_at_large(issuer)
        return cls(
            issuer=issuer,
            organisations=below,
            members_of=[issuer, *below],
            categories=await Category.all() if at_large else [],
            prefixes=await DocumentPrefix.filter(organisation_id=issuer.id),
            all_societies=at_large,
        )

    def indent(self, organisation: Organisation) -> int:
        """How far below the issuer an organisation sits (0 for the issuer itself)."""
        return max(organisation.depth - self.issuer.depth, 0)

    @property
    def default_prefix(self) -> DocumentPrefix | None:
        return next((p for p in self.prefixes if p.is_default), None) or next(
            iter(self.prefixes), None
        )

    def organisation(self, organisation_id: int) -> Organisation | None:
        return next((o for o in self.members_of if o.id == organisation_id), None)

    def category(self, category_id: int) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)


# -- the values --------------------------------------------------------------------------


@dataclass
class Addressees:
    """主送 or 抄送 as the form shows it: four kinds of addressee."""

    organisation_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    all_societies: bool = False
    members_of_ids: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.organisation_ids or self.category_ids or self.all_societies or self.members_of_ids
        )

    def targets(self) -> list[tuple[AddresseeTarget, int | None, int | None]]:
        """(target, organisation id, category id), one per addressee row."""
        rows: list[tuple[AddresseeTarget, int | None, int | None]] = [
            (AddresseeTarget.ORGANISATION, org_id, None) for org_id in self.organisation_ids
        ]
        rows += [(AddresseeTarget.CATEGORY, None, cat_id) for cat_id in self.category_ids]
        if self.all_societies:
            rows.append((AddresseeTarget.ALL_SOCIETIES, None, None))
        rows += [(AddresseeTarget.MEMBERS_OF, org_id, None) for org_id in self.members_of_ids]
        return rows

    def add(
        self, target: AddresseeTarget, organisation_id: int | None, category_id: int | None
    ) -> None:
        if target == AddresseeTarget.ORGANISATION and organisation_id:
            _append_once(self.organisation_ids, organisation_id)
        elif target == AddresseeTarget.CATEGORY and category_id:
            _append_once(self.category_ids, category_id)
        elif target == AddresseeTarget.ALL_SOCIETIES:
            self.all_societies = True
        elif target == AddresseeTarget.MEMBERS_OF and organisation_id:
            _append_once(self.members_of_ids, organisation_id)


def _append_once(ids: list[int], value: int) -> None:
    if value not in ids:
        ids.append(value)


# Field names: 主送 plain, 抄送 with cc_ before them.
ROLE_PREFIXES = {AddresseeRole.TO: "", AddresseeRole.CC: "cc_"}


@dataclass
class NoticeValues:
    """What the form shows: the values as typed, so they can be shown again."""

    numbering: Numbering = Numbering.NONE
    prefix_id: int | None = None
    typed_number: str = ""
    title: str = ""
    to: Addressees = field(default_factory=Addressees)
    cc: Addressees = field(default_factory=Addressees)
    addressee_line: str = ""
    cc_line: str = ""
    body_format: BodyFormat = BodyFormat.MARKDOWN
    body: str = ""
    signature: str = ""
    issued_on: str = ""  # YYYY-MM-DD as typed
    category: NoticeCategory = NoticeCategory.NOTICE
    pinned: bool = False
    is_public: bool = False

    @property
    def issued_on_date(self) -> datetime.date | None:
        return parse_date(self.issued_on)

    def addressees(self, role: AddresseeRole) -> Addressees:
        return self.to if role == AddresseeRole.TO else self.cc


def parse_date(text: str) -> datetime.date | None:
    if not DATE_SHAPE.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def new_values(options: FormOptions) -> NoticeValues:
    """A new notice: signed by the issuer, numbered from its default prefix if it has one."""
    prefix = options.default_prefix
    return NoticeValues(
        numbering=Numbering.PREFIX if prefix else Numbering.NONE,
        prefix_id=prefix.id if prefix else None,
        signature=options.issuer.name,
    )


async def values_of(notice: Notice, options: FormOptions) -> NoticeValues:
    """The form for an existing notice."""
    rows = await NoticeAddressee.filter(notice_id=notice.id).order_by("id")
    to, cc = addressees_of(rows)
    if notice.document_number:
        numbering = Numbering.TYPED
    elif notice.prefix_id and notice.is_draft:
        numbering = Numbering.PREFIX
    else:
        numbering = Numbering.NONE
    default = options.default_prefix
    return NoticeValues(
        numbering=numbering,
        prefix_id=notice.prefix_id or (default.id if default else None),
        typed_number=notice.document_number or "",
        title=notice.title,
        to=to,
        cc=cc,
        # A line that is only the one built from the choices is shown empty, so that
        # changing the choices changes the printed line too.
        addressee_line=_typed_line(notice.addressee_line, to, options),
        cc_line=_typed_line(notice.cc_line, cc, options),
        body_format=notice.body_format,
        body=notice.body_source,
        signature=notice.signature,
        issued_on=notice.issued_on.isoformat() if notice.issued_on else "",
        category=notice.category,
        pinned=notice.pinned,
        is_public=notice.is_public,
    )


def addressees_of(rows: list[NoticeAddressee]) -> tuple[Addressees, Addressees]:
    """主送 and 抄送 as the form shows them, from a notice's addressee rows."""
    to, cc = Addressees(), Addressees()
    for row in rows:
        (to if row.role == AddresseeRole.TO else cc).add(
            row.target,
            row.organisation_id,
            row.category_id,
        )
    return to, cc


def _typed_line(stored: str, addressees: Addressees, options: FormOptions) -> str:
    return "" if stored == built_line(addressees, options) else stored


# -- the printed addressee line ----------------------------------------------------------


def built_line(addressees: Addressees, options: FormOptions) -> str:
    """主送 as printed, made from the choices: 辽宁省医学会、各医药卫生类学会."""
    names: list[str] = []
    for target, org_id, cat_id in addressees.targets():
        organisation = options.organisation(org_id) if org_id else None
        category = options.category(cat_id) if cat_id else None
        if target == AddresseeTarget.ORGANISATION and organisation:
            names.append(organisation.name)
        elif target == AddresseeTarget.CATEGORY and category:
            names.append(f"各{category.name}学会")
        elif target == AddresseeTarget.ALL_SOCIETIES:
            names.append("各学会")
        elif target == AddresseeTarget.MEMBERS_OF and organisation:
            names.append(f"{organisation.name}全体会员")
    return "、".join(names)[:LINE_MAX]
