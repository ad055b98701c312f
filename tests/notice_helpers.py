"""Making notices in tests without going through the forms."""

from __future__ import annotations

import datetime
from typing import Any

from intranet.models import Category, Organisation, User
from intranet.notices import workflow
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    BodyFormat,
    DocumentPrefix,
    Notice,
    NoticeAddressee,
)

Addressee = tuple[AddresseeTarget, Organisation | Category | None]


def to_organisation(organisation: Organisation) -> Addressee:
    return (AddresseeTarget.ORGANISATION, organisation)


def to_members_of(organisation: Organisation) -> Addressee:
    return (AddresseeTarget.MEMBERS_OF, organisation)


def to_category(category: Category) -> Addressee:
    return (AddresseeTarget.CATEGORY, category)


ALL_SOCIETIES: Addressee = (AddresseeTarget.ALL_SOCIETIES, None)


async def prefix_for(organisation: Organisation, text: str) -> DocumentPrefix:
    prefix, _ = await DocumentPrefix.get_or_create(
        organisation=organisation, text=text, defaults={"is_default": True}
    )
    return prefix


async def make_notice(
    issuer: Organisation,
    title: str = "关于开展网上值班工作的通知",
    *,
    to: list[Addressee] = (),  # type: ignore[assignment]
    cc: list[Addressee] = (),  # type: ignore[assignment]
    body: str = "各学会：\n\n请做好网上值班工作。",
    prefix: str | None = None,
    number: str | None = None,
    publish: bool = True,
    author: User | None = None,
    issued_on: datetime.date | None = None,
    **fields: Any,
) -> Notice:
    """A notice of `issuer`, published unless `publish=False`. `prefix` allocates a number
    at publication; `number` is typed by hand instead."""
    notice = Notice(
        issuer=issuer,
        author=author,
        title=title,
        signature=issuer.name,
        issued_on=issued_on,
        prefix=await prefix_for(issuer, prefix) if prefix else None,
        **fields,
    )
    workflow.set_body(notice, body, BodyFormat.MARKDOWN)
    if number:
        await workflow.set_typed_number(notice, number)
    await notice.save()
    for role, addressees in ((AddresseeRole.TO, to), (AddresseeRole.CC, cc)):
        for target, thing in addressees:
            await NoticeAddressee.create(
                notice=notice,
                role=role,
                target=target,
                organisation=thing if isinstance(thing, Organisation) else None,
                category=thing if isinstance(thing, Category) else None,
            )
    if publish:
        await workflow.publish(notice, author)
    return notice
