"""The notice form filled from a pasted notice: addressee names matched, the signature and
a forwarded notice's text.

The way pasted names are read follows the conventions of Chinese official documents, so
some Chinese lives here as data, never as interface text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intranet.i18n import gettext
from intranet.models import Category, Organisation
from intranet.notices.models import (
    AddresseeTarget,
)
from intranet.notices.notice_form.values import (
    LINE_MAX,
    NUMBER_MAX,
    PASTE_FIELD_LABELS,
    SIGNATURE_MAX,
    Addressees,
    FormOptions,
    NoticeValues,
    Numbering,
    new_values,
)
from intranet.notices.paste import PastedNotice

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
