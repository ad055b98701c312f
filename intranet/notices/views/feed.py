"""The Atom feed of public notices, for anyone (no sign-in)."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intranet.i18n import gettext
from intranet.notices.models import (
    Notice,
    NoticeState,
)
from intranet.notices.sanitise import plain_text

FEED_SIZE = 20
SUMMARY_CHARS = 200
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"


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


routes = [
    Route("/notices/feed.atom", feed, name="intranet:notices_feed"),
]
