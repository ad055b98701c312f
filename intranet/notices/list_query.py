"""The statements behind the notice list, written by hand: the list is the site's busiest
page, and the ORM spent more time building its three statements and the fifty rows'
dictionaries than the database spent answering them.

Each statement is the one the ORM sent before, put through intranet.sql.Sql (values
bound, tables named from the models), on SQLite and PostgreSQL alike:
- a page of rows: pinned first, then newest, the id deciding between equal moments;
- the groups behind the filter options and the total: how many readable notices there
  are per issuer, year and category, and how many of those the search finds;
- which of the page's notices this person has opened.
Who may read what is intranet.policy's rule (readable_notices_sql). The search looks for
each word anywhere in search_text, as Chinese has no spaces between words.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.filters import escape_like

from intranet import policy
from intranet.models import Membership, Organisation
from intranet.notices.models import Notice, NoticeRead
from intranet.sql import Sql

# The notice and its issuer in the statements below.
FROM_NOTICES = f"{Sql.table(Notice)} n JOIN {Sql.table(Organisation)} o ON o.id = n.issuer_id"


@dataclass(frozen=True)
class Narrowing:
    """What the list is narrowed to: the search's words (casefolded, as search_text is
    stored) and the issuer, category and year chosen, if any."""

    words: Sequence[str] = ()
    issuer: int | None = None
    category: str = ""
    year: int | None = None


@dataclass(slots=True)
class NoticeRow:
    """One row of the list, as the page shows it."""

    id: int
    title: str
    document_number: str | None
    category: str
    date: str  # the date as stored, YYYY-MM-DD, or ""
    pinned: bool
    issuer: str  # the short name, else the name
    unread: bool = True
    url: str = ""
    category_label: str = ""


def found_by(sql: Sql, words: Sequence[str]) -> str:
    """The condition that every word occurs in search_text; "" without words."""
    return " AND ".join(
        f"n.search_text LIKE {sql.param('%' + escape_like(word) + '%')} ESCAPE '\\'"
        for word in words
    )


def narrowed(sql: Sql, narrowing: Narrowing) -> str:
    """The search and the filters, each as `AND ...`."""
    conditions = []
    search = found_by(sql, narrowing.words)
    if search:
        conditions.append(search)
    if narrowing.issuer is not None:
        conditions.append(f"n.issuer_id = {sql.param(narrowing.issuer)}")
    if narrowing.category:
        conditions.append(f"n.category = {sql.param(narrowing.category)}")
    if narrowing.year is not None:
        conditions.append(f"n.year = {sql.param(narrowing.year)}")
    return "".join(f" AND {condition}" for condition in conditions)


def stored_date(value: datetime.date | str | None) -> str:
    """A date as stored: SQLite gives back its text, PostgreSQL a date."""
    if value is None:
        return ""
    return value if isinstance(value, str) else value.isoformat()


async def page_rows(
    held: list[Membership], narrowing: Narrowing, offset: int, limit: int
) -> list[NoticeRow]:
    """A page of the notices this person may read and the narrowing lets through."""
    sql = Sql()
    readable = policy.readable_notices_sql(held, sql, "n", "o")
    where = readable + narrowed(sql, narrowing)
    rows = await sql.rows(
        "SELECT n.id, n.title, n.document_number, n.category, n.issued_on, n.pinned,"
        f" o.name, o.short_name FROM {FROM_NOTICES} WHERE {where}"
        " ORDER BY n.pinned DESC, n.published_at DESC, n.id DESC"
        f" LIMIT {sql.param(limit)} OFFSET {sql.param(offset)}"
    )
    return [
        NoticeRow(
            id=row["id"],
            title=row["title"],
            document_number=row["document_number"],
            category=row["category"],
            date=stored_date(row["issued_on"]),
            pinned=bool(row["pinned"]),
            issuer=row["short_name"] or row["name"],
        )
        for row in rows
    ]


async def readable_groups(held: list[Membership], words: Sequence[str]) -> list[dict[str, Any]]:
    """Per issuer (its id, name and path), year and category of the notices this person
    may read: how many the search finds among them (all of them without a search)."""
    sql = Sql()
    search = found_by(sql, words)
    found = f"COUNT(CASE WHEN {search} THEN 1 END)" if search else "COUNT(*)"
    readable = policy.readable_notices_sql(held, sql, "n", "o")
    return await sql.rows(
        f"SELECT n.issuer_id, o.name, o.path, n.year, n.category, {found} AS found"
        f" FROM {FROM_NOTICES} WHERE {readable}"
        " GROUP BY n.issuer_id, o.name, o.path, n.year, n.category"
    )


async def read_among(user_id: int, notice_ids: list[int]) -> set[int]:
    """Which of these notices the person has opened: one statement for the whole page."""
    if not notice_ids:
        return set()
    sql = Sql()
    rows = await sql.rows(
        f"SELECT notice_id FROM {Sql.table(NoticeRead)}"
        f" WHERE user_id = {sql.param(user_id)} AND notice_id IN ({sql.params(notice_ids)})"
    )
    return {row["notice_id"] for row in rows}
