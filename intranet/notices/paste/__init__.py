"""Read a notice pasted as plain text (often copied out of a PDF) into its fields.

The layout follows GB/T 9704: a heading (版头) naming the issuer, the document number
(发文字号), the title, the addressees (主送) ending with a colon, the body, the
attachments (附件), the signature (落款) and date, and a record block (版记) with
抄送 and the printing office. Text copied from a PDF breaks lines at the page width
and scatters spaces, so every rule here is written for that kind of input. Text copied
from a web page often has the title above the number: both orders are read, and a line
that cannot be placed opens the body rather than being dropped.
"""

from __future__ import annotations

from intranet.notices.paste.closing import _find_closing, _paragraphs, _take_attachments, _take_cc
from intranet.notices.paste.heading import (
    _find_addressees,
    _find_number,
    _find_title,
    _find_title_above,
    _issuer_from,
    _parse_number,
    _split_forwarded,
    _split_names,
    _wrap_width,
)
from intranet.notices.paste.text import (
    _NUMBER,
    MAX_FORWARD_DEPTH,
    MISSING_KEYS,
    DocumentNumber,
    PastedNotice,
    _clean_lines,
    _join_all,
    _non_empty,
    _tidy,
)

__all__ = [
    "MISSING_KEYS",
    "DocumentNumber",
    "PastedNotice",
    "parse_document_number",
    "parse_notice",
]


def parse_document_number(text: str) -> DocumentNumber | None:
    """A 发文字号 typed on its own, in any of the usual styles; None if it is not one."""
    cleaned = "".join(_tidy(line) for line in _clean_lines(text))
    match = _NUMBER.fullmatch(cleaned.strip())
    return _parse_number(match.group(0)) if match else None


def parse_notice(text: str) -> PastedNotice:
    """Fill in whatever fields can be recognised; never raises."""
    try:
        return _parse_lines(_clean_lines(text), depth=0)
    except Exception:  # pragma: no cover - a paste box must never error out
        return _with_missing(PastedNotice())


# --- the notice as a whole ---------------------------------------------------------


def _parse_lines(lines: list[str], depth: int) -> PastedNotice:
    notice = PastedNotice()
    own, forwarded = _split_forwarded(lines)
    if forwarded is not None and depth < MAX_FORWARD_DEPTH:
        notice.forwarded = _parse_lines(forwarded, depth + 1)
    elif forwarded is not None:
        own = lines

    own, notice.cc = _take_cc(own)
    head, title_span, cursor, between = _read_heading(own, notice)
    if title_span is not None:
        notice.title = _join_all(own[title_span[0] : title_span[1]])
    notice.issuer, unplaced = _issuer_from(own, head, _wrap_width(own))
    # Lines above the title or number that are neither the issuer nor the title (a web
    # page's breadcrumbs, a 签发人 line) open the body for the person to check.
    unplaced += between

    addressee_span = _find_addressees(own, cursor)
    if addressee_span is not None:
        start, end = addressee_span
        notice.addressees = _split_names(_join_all(own[start:end])[:-1])
        cursor = end

    body_end = len(own)
    closing = _find_closing(own, cursor)
    if closing is not None:
        body_end, notice.signature, notice.date = closing

    anchored = any((notice.number, notice.title, notice.addressees))
    if anchored:
        body_lines, notice.attachments = _take_attachments(own[cursor:body_end])
        # Each line placed nowhere stands alone: they are seldom one sentence.
        opening = [_join_all([own[i]]) for i in unplaced]
        notice.body = "\n".join(p for p in (*opening, _paragraphs(body_lines)) if p)
    return _with_missing(notice)


def _read_heading(
    lines: list[str], notice: PastedNotice
) -> tuple[list[int], tuple[int, int] | None, int, list[int]]:
    """Find the number and title in either order: GB/T 9704 puts the number first, a web
    page often puts the title above it. Sets the number on `notice`; returns the heading
    lines left for the issuer, the title's span, where the rest starts and any lines
    found between the number and a title below it."""
    number = _find_number(lines)
    if number is None:
        title_span = _find_title(lines, 0)
        if title_span is None:
            return [], None, 0, []
        return _non_empty(lines[: title_span[0]]), title_span, title_span[1], []
    number_start, cursor, notice.number = number
    title_span = _find_title(lines, cursor)
    above = _find_title_above(lines, number_start)
    between: list[int] = []
    skip: tuple[int, int] = (0, 0)
    if title_span is not None:
        between = _non_empty(lines[: title_span[0]], cursor)
        cursor = title_span[1]
        if above is not None and _same_title(lines, above, title_span):
            skip = above  # a web page's heading repeating the title: it is not lost
    elif above is not None:
        title_span = skip = above
    head = [i for i in _non_empty(lines[:number_start]) if not skip[0] <= i < skip[1]]
    return head, title_span, cursor, between


def _same_title(lines: list[str], first: tuple[int, int], second: tuple[int, int]) -> bool:
    return _join_all(lines[first[0] : first[1]]) == _join_all(lines[second[0] : second[1]])


def _with_missing(notice: PastedNotice) -> PastedNotice:
    found = {
        "number": notice.number is not None,
        "title": bool(notice.title),
        "addressees": bool(notice.addressees),
        "body": bool(notice.body),
        "signature": bool(notice.signature),
        "date": notice.date is not None,
    }
    notice.missing = [key for key in MISSING_KEYS if not found[key]]
    return notice
