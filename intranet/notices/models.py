"""Notices (通知公告): numbered, addressed, versioned, forwarded and read-tracked.

A notice is written by people acting for its issuing organisation. Its addressees (主送
and 抄送) are organisations, categories, "all societies" or "all members of X"; on
publication they are expanded into audience rows, one per organisation that receives it,
so "may this person read it" and "who has not read it" are plain indexed lookups, and
the set of recipients is fixed at sending as it is on paper.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from intranet.i18n import N_


class NoticeState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    NoticeState.DRAFT: N_("Draft"),
    NoticeState.PUBLISHED: N_("Published"),
    NoticeState.WITHDRAWN: N_("Withdrawn"),
}


class NoticeCategory(StrEnum):
    NOTICE = "notice"  # 通知
    ANNOUNCEMENT = "announcement"  # 公告
    NEWS = "news"  # 新闻

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    NoticeCategory.NOTICE: N_("Notice"),
    NoticeCategory.ANNOUNCEMENT: N_("Announcement"),
    NoticeCategory.NEWS: N_("News"),
}


class BodyFormat(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"  # rich text pasted from a word processor, sanitised


class AddresseeRole(StrEnum):
    TO = "to"  # 主送
    CC = "cc"  # 抄送


class AddresseeTarget(StrEnum):
    ORGANISATION = "organisation"  # the organisation itself: whoever acts for it
    CATEGORY = "category"  # every active organisation in a category
    ALL_SOCIETIES = "all_societies"  # every active society
    MEMBERS_OF = "members_of"  # everyone holding any role inside an organisation

    @property
    def label(self) -> str:
        return TARGET_LABELS[self]


TARGET_LABELS = {
    AddresseeTarget.ORGANISATION: N_("Organisation"),
    AddresseeTarget.CATEGORY: N_("Category"),
    AddresseeTarget.ALL_SOCIETIES: N_("All societies"),
    AddresseeTarget.MEMBERS_OF: N_("All members of"),
}


class AudienceScope(StrEnum):
    UNIT = "unit"  # the people who act for the organisation (secretary, staff, admin)
    EVERYONE = "everyone"  # everyone with a role on it, members included


# 机关代字: an issuer's prefix for document numbers, e.g. 辽科协发.
class DocumentPrefix(Model):
    id = fields.IntField(primary_key=True)
    organisation_id: int
    organisation: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation", related_name="document_prefixes", on_delete=fields.CASCADE
    )
    text = fields.CharField(max_length=20)
    is_default = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "document_prefix"
        unique_together = (("organisation", "text"),)
        ordering = ["-is_default", "text"]

    def __str__(self) -> str:
        return self.text


# The last sequence number given out for one prefix in one year.
class NumberSequence(Model):
    id = fields.IntField(primary_key=True)
    prefix_id: int
    prefix: fields.ForeignKeyRelation[DocumentPrefix] = fields.ForeignKeyField(
        "intranet.DocumentPrefix", related_name="sequences", on_delete=fields.CASCADE
    )
    year = fields.IntField()
    last_number = fields.IntField(default=0)

    class Meta:
        table = "number_sequence"
        unique_together = (("prefix", "year"),)


class Notice(Model):
    id = fields.IntField(primary_key=True)
    issuer_id: int
    issuer: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation", related_name="notices", on_delete=fields.RESTRICT, db_index=True
    )
    author_id: int | None
    author: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name="notices", null=True, on_delete=fields.SET_NULL
    )
    prefix_id: int | None
    # The prefix a number is allocated from at publication; none for a typed number.
    prefix: fields.ForeignKeyNullableRelation[DocumentPrefix] = fields.ForeignKeyField(
        "intranet.DocumentPrefix",
        related_name="notices",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,  # the prefixes page asks which prefixes notices use
    )
    document_number = fields.CharField(max_length=64, null=True)
    # The number reduced to prefix|year|sequence, so 第001号 and 1号 are one number.
    number_key = fields.CharField(max_length=100, null=True)
    title = fields.CharField(max_length=200)
    addressee_line = fields.CharField(max_length=1000, default="")  # 主送, as printed
    cc_line = fields.CharField(max_length=1000, default="")  # 抄送, as printed
    body_format = fields.CharEnumField(BodyFormat, max_length=16, default=BodyFormat.MARKDOWN)
    body_source = fields.TextField(default="")  # as written, for editing
    body_html = fields.TextField(default="")  # sanitised; the only form ever rendered
    search_text = fields.TextField(default="")  # number, title, plain body; forwarded too
    signature = fields.CharField(max_length=100, default="")  # 落款
    issued_on = fields.DateField(null=True)  # 成文日期
    year = fields.IntField(null=True, db_index=True)  # of the number, else of the date
    category = fields.CharEnumField(
        NoticeCategory, max_length=16, default=NoticeCategory.NOTICE, db_index=True
    )
    pinned = fields.BooleanField(default=False)
    is_public = fields.BooleanField(default=False)  # readable by anyone, in the Atom feed
    state = fields.CharEnumField(NoticeState, max_length=16, default=NoticeState.DRAFT)
    version = fields.IntField(default=1)
    published_at = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)
    withdrawn_reason = fields.CharField(max_length=500, default="")
    forwarded_from_id: int | None
    forwarded_from: fields.ForeignKeyNullableRelation[Notice] = fields.ForeignKeyField(
        "intranet.Notice",
        related_name="forwards",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    # The forwarded notice as it was when forwarded: never changes afterwards.
    forwarded_snapshot: dict[str, Any] | None = fields.JSONField(null=True)  # type: ignore[assignment]
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notice"
        unique_together = (("issuer", "number_key"),)
        indexes = (
            # The list's order with its tie-break and is_public: later pages are walked in
            # the index without reading the wide rows they skip.
            ("state", "pinned", "published_at", "id", "is_public"),
            ("is_public", "state", "published_at"),
            # The notice list's filter options and counts, read from the index alone.
            ("state", "is_public", "issuer_id", "year", "category"),
        )

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.state == NoticeState.DRAFT

    @property
    def is_published(self) -> bool:
        return self.state == NoticeState.PUBLISHED

    @property
    def is_withdrawn(self) -> bool:
        return self.state == NoticeState.WITHDRAWN

    def chain(self) -> list[str]:
        """Document numbers from this notice down the forwarded ones:
        ["辽计会字〔2020〕第001号", "辽科协发〔2020〕3号"]."""
        numbers = [self.document_number or self.title]
        snapshot = self.forwarded_snapshot
        while snapshot:
            numbers.append(snapshot.get("document_number") or snapshot.get("title", ""))
            snapshot = snapshot.get("forwarded")
        return numbers


# One line of 主送 or 抄送 as the author chose it.
class NoticeAddressee(Model):
    id = fields.IntField(primary_key=True)
    notice_id: int
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "intranet.Notice", related_name="addressees", on_delete=fields.CASCADE, db_index=True
    )
    role = fields.CharEnumField(AddresseeRole, max_length=8, default=AddresseeRole.TO)
    target = fields.CharEnumField(AddresseeTarget, max_length=16)
    organisation_id: int | None
    organisation: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation", related_name=False, null=True, on_delete=fields.CASCADE
    )
    category_id: int | None
    category: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.Category", related_name=False, null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "notice_addressee"


# An organisation that received a published notice, and whom there it is for.
class NoticeAudience(Model):
    id = fields.IntField(primary_key=True)
    notice_id: int
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "intranet.Notice", related_name="audience", on_delete=fields.CASCADE
    )
    organisation_id: int
    organisation: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation", related_name=False, on_delete=fields.CASCADE
    )
    scope = fields.CharEnumField(AudienceScope, max_length=8)
    role = fields.CharEnumField(AddresseeRole, max_length=8, default=AddresseeRole.TO)

    class Meta:
        table = "notice_audience"
        unique_together = (("notice", "organisation"),)
        indexes = (("organisation_id", "scope", "notice_id"),)


# A person's first view of a notice.
class NoticeRead(Model):
    id = fields.IntField(primary_key=True)
    notice_id: int
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "intranet.Notice", related_name="reads", on_delete=fields.CASCADE
    )
    user_id: int
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name="notice_reads", on_delete=fields.CASCADE
    )
    read_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notice_read"
        unique_together = (("notice", "user"),)
        indexes = (("user_id", "notice_id"),)


# A reminder sent to one person who had not read a notice.
class NoticeReminder(Model):
    id = fields.IntField(primary_key=True)
    notice_id: int
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "intranet.Notice", related_name="reminders", on_delete=fields.CASCADE, db_index=True
    )
    user_id: int
    user: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name="notice_reminders", on_delete=fields.CASCADE, db_index=True
    )
    sent_by_id: int | None
    sent_by: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notice_reminder"


# A notice as it was before an edit after publication.
class NoticeVersion(Model):
    id = fields.IntField(primary_key=True)
    notice_id: int
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "intranet.Notice", related_name="versions", on_delete=fields.CASCADE, db_index=True
    )
    version = fields.IntField()
    document_number = fields.CharField(max_length=64, null=True)
    title = fields.CharField(max_length=200)
    addressee_line = fields.CharField(max_length=1000, default="")
    cc_line = fields.CharField(max_length=1000, default="")
    body_html = fields.TextField(default="")
    signature = fields.CharField(max_length=100, default="")
    issued_on = fields.DateField(null=True)
    attachment_names: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    edited_by_id: int | None
    edited_by: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    replaced_at = fields.DatetimeField(auto_now_add=True)  # when the next version took over

    class Meta:
        table = "notice_version"
        unique_together = (("notice", "version"),)
        ordering = ["-version"]


class NoticeAttachment(Model):
    id = fields.IntField(primary_key=True)
    notice_id: int
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "intranet.Notice", related_name="attachments", on_delete=fields.CASCADE, db_index=True
    )
    storage_key = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=8)  # intranet.uploads.AttachmentKind
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    position = fields.IntField(default=0)
    # True for a copy of the forwarded notice's own attachment, kept with the snapshot.
    from_forwarded = fields.BooleanField(default=False)
    uploaded_by_id: int | None
    uploaded_by: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notice_attachment"
        ordering = ["from_forwarded", "position", "id"]

    def __str__(self) -> str:
        return self.filename
