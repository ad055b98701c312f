"""The notice form's values put onto a Notice and its addressee rows."""

from __future__ import annotations

from intranet.notices import workflow
from intranet.notices.models import (
    AddresseeRole,
    Notice,
    NoticeAddressee,
)
from intranet.notices.notice_form.values import (
    FormOptions,
    NoticeValues,
    Numbering,
    addressees_of,
    built_line,
)

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
        notice.prefix_id,
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
                row.organisation_id or 0,
                row.category_id or 0,
            )
            for row in rows
        ),
    )
