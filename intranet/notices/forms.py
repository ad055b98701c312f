"""The notice form without HTTP: what it offers for one issuer, reading what was posted
into the values of a Notice, and filling it from a pasted notice.

Views pass in the posted FormData and a FormErrors; every message is translated here,
so a view only renders. Ids posted for addressees are accepted only when the form
offered them for this issuer: nothing posted is trusted.

The printed 主送/抄送 line and the way pasted addressee names are read follow the
conventions of Chinese official documents, so some Chinese lives here as data (as in
paste.py), never as interface text.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from enum import StrEnum

from starlette.datastructures import FormData

from intranet import policy
from intranet.forms import FormErrors, clean_line, clean_text, parse_id, take_line
from intranet.i18n import N_, gettext
from intranet.models import Category, Organisation
from intranet.notices import workflow
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    BodyFormat,
    DocumentPrefix,
    Notice,
    NoticeAddressee,
    NoticeCategory,
)
from intranet.notices.paste import PastedNotice


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
    elif notice.prefix_id and notice.is_draft:  # type: ignore[attr-defined]
        numbering = Numbering.PREFIX
    else:
        numbering = Numbering.NONE
    default = options.default_prefix
    return NoticeValues(
        numbering=numbering,
        prefix_id=notice.prefix_id or (default.id if default else None),  # type: ignore[attr-defined]
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
            row.organisation_id,  # type: ignore[attr-defined]
            row.category_id,  # type: ignore[attr-defined]
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


# -- reading the posted form -------------------------------------------------------------


def read_values(
    form: FormData, options: FormOptions, errors: FormErrors, *, notice: Notice | None = None
) -> NoticeValues:
    """The posted form as values; problems go into `errors`, one message per field."""
    values = NoticeValues(
        title=take_line(form, "title", errors, max_length=TITLE_MAX, required=True),
        addressee_line=take_line(form, "addressee_line", errors, max_length=LINE_MAX),
        cc_line=take_line(form, "cc_line", errors, max_length=LINE_MAX),
        signature=take_line(form, "signature", errors, max_length=SIGNATURE_MAX),
        pinned=form.get("pinned") == "1",
        is_public=form.get("is_public") == "1",
    )
    _read_numbering(form, options, errors, values, notice)
    values.to = _read_addressees(form, options, errors, ROLE_PREFIXES[AddresseeRole.TO])
    values.cc = _read_addressees(form, options, errors, ROLE_PREFIXES[AddresseeRole.CC])
    _read_body(form, errors, values)
    values.issued_on = clean_line(form.get("issued_on", ""))
    if values.issued_on and values.issued_on_date is None:
        errors.add("issued_on", gettext("Enter the date as YYYY-MM-DD, for example 2020-01-30."))
    category = clean_line(form.get("category", ""))
    if category in {*NoticeCategory}:
        values.category = NoticeCategory(category)
    else:
        errors.add("category", gettext("Choose a category from the list."))
    return values


def _read_numbering(
    form: FormData,
    options: FormOptions,
    errors: FormErrors,
    values: NoticeValues,
    notice: Notice | None,
) -> None:
    mode = clean_line(form.get("numbering", ""))
    values.prefix_id = parse_id(form.get("prefix"))
    values.typed_number = take_line(form, "typed_number", errors, max_length=NUMBER_MAX)
    if mode not in {*Numbering}:
        errors.add("numbering", gettext("Choose how the notice is numbered."))
        return
    values.numbering = Numbering(mode)
    published = notice is not None and not notice.is_draft
    if values.numbering == Numbering.PREFIX:
        if published:
            # The number was given out at publication; it can only be corrected by hand.
            errors.add(
                "numbering", gettext("A published notice is no longer numbered from a prefix.")
            )
        elif not any(p.id == values.prefix_id for p in options.prefixes):
            errors.add("prefix", gettext("Choose a prefix from the list."))
    keeps_number = published and notice is not None and bool(notice.document_number)
    if keeps_number and (values.numbering != Numbering.TYPED or not values.typed_number):
        errors.add(
            "typed_number",
            gettext(
                "A published notice keeps its document number: you may correct it, "
                "but not remove it."
            ),
        )
        return
    if values.numbering == Numbering.TYPED and not values.typed_number:
        errors.add("typed_number", gettext("Type the document number, or choose another way."))


def _read_addressees(
    form: FormData, options: FormOptions, errors: FormErrors, prefix: str
) -> Addressees:
    allowed_organisations = {o.id for o in options.organisations}
    allowed_members_of = {o.id for o in options.members_of}
    allowed_categories = {c.id for c in options.categories}
    return Addressees(
        organisation_ids=_read_ids(
            form,
            f"{prefix}organisations",
            allowed_organisations,
            errors,
            gettext("Choose organisations inside the issuing organisation, from the list."),
        ),
        category_ids=_read_ids(
            form,
            f"{prefix}categories",
            allowed_categories,
            errors,
            gettext("Choose categories from the list.")
            if options.all_societies
            else gettext(AT_LARGE_REFUSED),
        ),
        all_societies=_read_all_societies(form, options, errors, prefix),
        members_of_ids=_read_ids(
            form,
            f"{prefix}members_of",
            allowed_members_of,
            errors,
            gettext("Choose the issuing organisation or organisations inside it, from the list."),
        ),
    )


def _read_all_societies(
    form: FormData, options: FormOptions, errors: FormErrors, prefix: str
) -> bool:
    chosen = form.get(f"{prefix}all_societies") == "1"
    if chosen and not options.all_societies:
        errors.add(
            f"{prefix}all_societies",
            gettext(AT_LARGE_REFUSED),
        )
        return False
    return chosen


def _read_ids(
    form: FormData, name: str, allowed: set[int], errors: FormErrors, message: str
) -> list[int]:
    ids: list[int] = []
    for raw in form.getlist(name):
        value = parse_id(raw)
        if value is None or value not in allowed:
            errors.add(name, message)
        elif value not in ids:
            ids.append(value)
    return ids


def _read_body(form: FormData, errors: FormErrors, values: NoticeValues) -> None:
    body_format = clean_line(form.get("body_format", ""))
    if body_format in {*BodyFormat}:
        values.body_format = BodyFormat(body_format)
    else:
        errors.add("body_format", gettext("Choose how the body is written."))
    values.body = clean_text(form.get("body", ""))
    if len(values.body) > BODY_MAX:
        errors.add("body", gettext("At most %(count)d characters, please.") % {"count": BODY_MAX})


# -- onto the notice ---------------------------------------------------------------------


async def apply_values(notice: Notice, values: NoticeValues, options: FormOptions) -> None:
    """Put checked values on the notice (not saved). Raises workflow.DuplicateNumber when
    a number typed by hand is one the issuer has already used."""
    notice.title = values.title
    if values.numbering == Numbering.TYPED:
        if values.typed_number != (notice.document_number or "") or not notice.number_key:
            await workflow.set_typed_number(notice, values.typed_number)
    elif values.numbering == Numbering.PREFIX and notice.is_draft:
        notice.prefix = next(p for p in options.prefixes if p.id == values.prefix_id)  # type: ignore[assignment]
        notice.document_number = None
        notice.number_key = None
    elif values.numbering == Numbering.NONE:
        notice.prefix = None  # type: ignore[assignment]
        notice.document_number = None
        notice.number_key = None
    notice.addressee_line = values.addressee_line or built_line(values.to, options)
    notice.cc_line = values.cc_line or built_line(values.cc, options)
    notice.signature = values.signature
    notice.issued_on = values.issued_on_date
    notice.category = values.category
    notice.pinned = values.pinned
    notice.is_public = values.is_public
    if not notice.number_key and notice.issued_on and not notice.is_draft:
        notice.year = notice.issued_on.year
    workflow.set_body(notice, values.body, values.body_format)  # and the search text


def addressee_rows(notice: Notice, values: NoticeValues) -> list[NoticeAddressee]:
    return [
        NoticeAddressee(
            notice=notice,
            role=role,
            target=target,
            organisation_id=organisation_id,
            category_id=category_id,
        )
        for role in AddresseeRole
        for target, organisation_id, category_id in values.addressees(role).targets()
    ]


def comparable(
    notice: Notice, rows: list[NoticeAddressee], options: FormOptions
) -> tuple[object, ...]:
    """What an edit can change, to tell whether it changed anything. An empty printed
    line counts as the one made from the choices, as saving would make it."""
    to, cc = addressees_of(rows)
    return (
        notice.title,
        notice.document_number,
        notice.prefix_id,  # type: ignore[attr-defined]
        notice.addressee_line or built_line(to, options),
        notice.cc_line or built_line(cc, options),
        notice.body_format,
        notice.body_source,
        notice.signature,
        notice.issued_on,
        notice.category,
        notice.pinned,
        notice.is_public,
        sorted(
            (
                str(row.role),
                str(row.target),
                row.organisation_id or 0,  # type: ignore[attr-defined]
                row.category_id or 0,  # type: ignore[attr-defined]
            )
            for row in rows
        ),
    )


# -- paste-in ----------------------------------------------------------------------------

# After 各 and any bracketed aside are taken off, these mean every society.
ALL_SOCIETIES_NAMES = frozenset(
    {"学会", "省级学会", "全省学会", "全体学会", "所有学会", "协会", "研究会", "省级协会"}
    | {"省级研究会", "学会协会研究会"}
)
CATEGORY_SUFFIXES = ("学会", "协会", "研究会", "单位", "")
_BRACKETED = re.compile(r"[(（][^)）]*[)）]")


@dataclass
class PastedForm:
    """A pasted notice read into the form, and what to tell the person about it."""

    values: NoticeValues
    missing: list[str]  # translated names of the fields not found
    unmatched: list[str]  # addressee names that match nothing the form offers
    attachments: list[str]  # named in the paste; the files must be uploaded
    forwarded: PastedNotice | None
    # No number in the text: automatic numbering is left off, never chosen for the person.
    number_missing: bool = False
    # The pasted 落款 when it names an organisation other than the issuer; the form
    # signs with the issuer instead and says so.
    other_signature: str = ""


def match_addressees(names: list[str], options: FormOptions) -> tuple[Addressees, list[str]]:
    """Tick what the pasted names mean: an organisation inside the issuer by its name or
    short name, a category (医药卫生类, 各医药卫生类学会), every society (各省级学会),
    or everyone under the issuer (各会员单位及个人会员). Returns the names left over."""
    found = Addressees()
    unmatched: list[str] = []
    by_name: dict[str, Organisation] = {}
    for organisation in options.organisations:
        by_name.setdefault(_comparable_name(organisation.name), organisation)
        if organisation.short_name:
            by_name.setdefault(_comparable_name(organisation.short_name), organisation)
    categories = {category.name: category for category in options.categories}
    for name in names:
        # 省直管县( 市)科协 is 省直管县（市）科协: spaces and bracket widths do not count.
        typed = _comparable_name(name).rstrip("：:")
        bare = _BRACKETED.sub("", typed).removeprefix("各")
        named = by_name.get(typed) or by_name.get(typed.removeprefix("各")) or by_name.get(bare)
        category = _category_named(bare, categories)
        if named is not None:
            found.add(AddresseeTarget.ORGANISATION, named.id, None)
        elif category is not None:
            found.add(AddresseeTarget.CATEGORY, None, category.id)
        elif bare in ALL_SOCIETIES_NAMES and options.all_societies:
            found.all_societies = True
        elif "会员" in bare:
            found.add(AddresseeTarget.MEMBERS_OF, options.issuer.id, None)
        else:
            unmatched.append(name)
    return found, unmatched


def _category_named(bare: str, categories: dict[str, Category]) -> Category | None:
    for suffix in CATEGORY_SUFFIXES:
        if bare.endswith(suffix):
            stem = bare[: len(bare) - len(suffix)]
            if stem in categories:
                return categories[stem]
    return None


def pasted_form(parsed: PastedNotice, options: FormOptions) -> PastedForm:
    """The create form filled from a pasted notice, for review before saving."""
    values = new_values(options)
    if parsed.number is not None:
        values.numbering = Numbering.TYPED
        values.typed_number = parsed.number.text[:NUMBER_MAX]
    else:
        # A number is never invented: the person types it or chooses automatic
        # numbering knowingly; as it stands the notice is published without one.
        values.numbering = Numbering.NONE
    values.title = parsed.title or ""
    values.to, unmatched = match_addressees(parsed.addressees, options)
    values.cc, unmatched_cc = match_addressees(parsed.cc, options)
    values.addressee_line = "、".join(parsed.addressees)[:LINE_MAX]
    values.cc_line = "、".join(parsed.cc)[:LINE_MAX]
    values.body = "\n\n".join(parsed.paragraphs)
    values.signature, other_signature = pasted_signature(parsed.signature, options)
    values.issued_on = parsed.date.isoformat() if parsed.date else ""
    return PastedForm(
        values=values,
        missing=[gettext(PASTE_FIELD_LABELS[key]) for key in parsed.missing],
        unmatched=unmatched + unmatched_cc,
        attachments=parsed.attachments,
        forwarded=parsed.forwarded,
        number_missing=parsed.number is None,
        other_signature=other_signature,
    )


def pasted_signature(signature: str | None, options: FormOptions) -> tuple[str, str]:
    """The 落款 for a pasted notice, and the pasted one when it names someone else.

    The notice is signed by its issuer. A pasted signature is kept only when it is the
    issuer (its name or short name) or one of its own offices (辽宁省科学技术协会办公室
    for the association); a signature naming another organisation, such as the
    association's on a notice a society re-issues, is shown as a warning instead.
    """
    issuer = options.issuer
    if not signature:
        return issuer.name[:SIGNATURE_MAX], ""
    typed = _comparable_name(signature)
    own = {_comparable_name(issuer.name), _comparable_name(issuer.short_name or "")} - {""}
    inside = {_comparable_name(o.name) for o in options.organisations}
    if typed in own or (typed.startswith(_comparable_name(issuer.name)) and typed not in inside):
        return signature[:SIGNATURE_MAX], ""
    return issuer.name[:SIGNATURE_MAX], signature


def _comparable_name(name: str) -> str:
    """A name with spaces gone and ASCII brackets made full-width, for comparing."""
    return "".join(name.split()).translate(_FULL_WIDTH_BRACKETS)


_FULL_WIDTH_BRACKETS = str.maketrans("()[]", "（）［］")


def forwarded_markdown(forwarded: PastedNotice) -> str:
    """The forwarded notice's own text, to keep under the forwarding notice's body when
    the original is not in the system to be forwarded properly."""
    parts = [f"## {forwarded.title or (forwarded.number.text if forwarded.number else '')}"]
    if forwarded.number is not None and forwarded.title:
        parts.append(forwarded.number.text)
    if forwarded.addressees:
        parts.append("、".join(forwarded.addressees) + "：")
    parts += forwarded.paragraphs
    if forwarded.attachments:
        parts.append("附件：" + "；".join(forwarded.attachments))
    day = forwarded.date
    closing = [forwarded.signature or "", f"{day.year}年{day.month}月{day.day}日" if day else ""]
    if any(closing):
        parts.append("  \n".join(part for part in closing if part))
    return "\n\n".join(parts)


def with_forwarded_text(body: str, forwarded: PastedNotice) -> str:
    kept = forwarded_markdown(forwarded)
    return f"{body}\n\n---\n\n{kept}" if body else kept
