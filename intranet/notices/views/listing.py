"""The list of notices for the signed-in person: filters, search, the summary by
issuer, year and category, and which of them this person has read.

Who may read what is decided by intranet.policy (readable_notices).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet import paths, policy
from intranet.form_fields import clean_line, page_number, parse_id
from intranet.i18n import gettext
from intranet.models import Membership
from intranet.notices import summary_cache
from intranet.notices.list_query import (
    Narrowing,
    NoticeRow,
    page_rows,
    read_among,
    readable_groups,
)
from intranet.notices.models import NoticeCategory
from intranet.templating import render

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 50


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

    def words(self) -> list[str]:
        """Substring search, as Chinese has no word boundaries: search_text holds the
        number, the title and the body's plain text, casefolded."""
        return [word.casefold() for word in search_words(self.q)]

    def narrowing(self) -> Narrowing:
        return Narrowing(self.words(), self.issuer, self.category, self.year)

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


@dataclass(frozen=True)
class ListSummary:
    issuers: list[tuple[int, str]]  # in tree order
    years: list[int]  # newest first
    total: int  # notices the filters and the search let through
    # The issuer filter's options, the chosen one selected: some two hundred of them,
    # written once with the summary they come from rather than by a loop of the
    # template on every request.
    issuer_options: Markup


def issuer_options(issuers: list[tuple[int, str]], chosen: int | None) -> Markup:
    """The <option>s of the issuer filter, each on its own line as the template wrote
    them, escaped as the template would."""
    return Markup("").join(
        Markup('\n      <option value="{}"{}>{}</option>').format(
            issuer_id, Markup(" selected") if issuer_id == chosen else "", name
        )
        for issuer_id, name in issuers
    )


async def summarise(held: list[Membership], filters: ListFilters) -> ListSummary:
    """The filter options and the number of matches, from one grouped query over every
    notice this person can read: how many there are per issuer, year and category, and
    how many of those the search finds."""
    groups = await readable_groups(held, filters.words())
    issuers = {g["issuer_id"]: (g["path"], g["name"]) for g in groups}
    ordered = [(id_, name) for id_, (_, name) in sorted(issuers.items(), key=lambda i: i[1])]
    return ListSummary(
        issuers=ordered,
        years=sorted({g["year"] for g in groups if g["year"]}, reverse=True),
        total=sum(g["found"] for g in groups if filters.admits(g)),
        issuer_options=issuer_options(ordered, filters.issuer),
    )


def roles_key(held: list[Membership]) -> tuple[tuple[int, str, str], ...]:
    """What decides which notices a person may read: each role, where it is held, and
    that organisation's place in the tree (notices issued below one's own count)."""
    return tuple(sorted((m.organisation_id, m.role, m.organisation.path) for m in held))


async def cached_summary(held: list[Membership], filters: ListFilters) -> ListSummary:
    """The summary, kept for a few seconds per roles and filters (see summary_cache): the
    grouped query over everything readable is the dearest part of the page, while the
    rows beside it are always read afresh. The total and the filter options may so lag
    behind the rows by up to SUMMARY_TTL seconds after a notice is published elsewhere."""
    key = (roles_key(held), filters)
    kept = summary_cache.summaries.get(key)
    if isinstance(kept, ListSummary):
        return kept
    summary = await summarise(held, filters)
    summary_cache.summaries.put(key, summary)
    return summary


def describe_rows(rows: list[NoticeRow], read_ids: set[int]) -> None:
    """What the list shows of each notice beyond its stored values."""
    categories = category_labels()
    for row in rows:
        row.unread = row.id not in read_ids
        row.url = notice_url(row.id)
        row.category_label = categories.get(row.category, "")


def category_labels() -> dict[str, str]:
    return {c.value: gettext(c.label) for c in NoticeCategory}


async def list_notices(request: Request) -> Response:
    """The notices for the signed-in person: pinned first, then newest. At most three
    statements however many there are: the page, the filter options with the total
    (kept a few seconds, see cached_summary), the read marks."""
    user = policy.require_user(request)
    held = await policy.memberships(request)
    filters = ListFilters.from_query(request)
    page = page_number(request)
    rows = await page_rows(held, filters.narrowing(), (page - 1) * PAGE_SIZE, PAGE_SIZE)
    summary = await cached_summary(held, filters)
    describe_rows(rows, await read_among(user.id, [row.id for row in rows]))
    context = {
        "rows": rows,
        "filters": filters,
        "issuer_options": summary.issuer_options,
        "years": summary.years,
        "categories": list(category_labels().items()),
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


def notice_url(notice_id: int) -> str:
    """A notice's path, filled in from its template: a page of fifty links does not
    search the whole route table fifty times."""
    return paths.notice(notice_id)


routes = [
    Route("/notices", list_notices, name="intranet:notices"),
]
