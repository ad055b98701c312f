"""The posted notice form read into NoticeValues: nothing posted is trusted, every
mistake is a translated message."""

from __future__ import annotations

from starlette.datastructures import FormData

from intranet.form_fields import FormErrors, clean_line, clean_text, parse_id, take_line
from intranet.i18n import gettext
from intranet.notices.models import (
    AddresseeRole,
    BodyFormat,
    Notice,
    NoticeCategory,
)
from intranet.notices.notice_form.values import (
    AT_LARGE_REFUSED,
    BODY_MAX,
    LINE_MAX,
    NUMBER_MAX,
    ROLE_PREFIXES,
    SIGNATURE_MAX,
    TITLE_MAX,
    Addressees,
    FormOptions,
    NoticeValues,
    Numbering,
)

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
