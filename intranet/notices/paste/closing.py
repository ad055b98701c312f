"""Reading a pasted notice's close (signature, date, 抄送) and its body and attachments."""

from __future__ import annotations

import datetime
import re

from intranet.notices.paste.heading import _fills, _split_names, _wrap_width
from intranet.notices.paste.text import (
    _ATTACHMENT_ITEM,
    _ATTACHMENT_LABEL,
    _CC_LABEL,
    _CHINESE_DIGIT_VALUE,
    _DATE_LINE,
    _ITEM_MARKER,
    _ORGANISATION_END,
    _SECTION_HEADING,
    _SENTENCE_END,
    _SPACE_BETWEEN_CJK,
    _digits,
    _join_all,
    _non_empty,
)

# --- closing: signature, date, 抄送 -------------------------------------------------


def _take_cc(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove the 抄送 line (and its wrapped continuation) and return its names."""
    for i in _non_empty(lines):
        match = _CC_LABEL.match(lines[i].strip())
        if match is None:
            continue
        end = i + 1
        text = lines[i].strip()[match.end() :]
        for j in _non_empty(lines, i + 1)[:2]:
            if text.endswith("。") or _DATE_LINE.match(lines[j].strip()):
                break
            text = _join_all([text, lines[j]])
            end = j + 1
        return lines[:i] + lines[end:], _split_names(text)
    return lines, []


def _find_closing(
    lines: list[str], start: int
) -> tuple[int, str | None, datetime.date | None] | None:
    """Find the signature and date among the last few lines.

    Returns where the body ends, the signature and the date. The earliest date line in
    the tail is the 成文日期; a later one is the 版记's printing date.
    """
    tail = _non_empty(lines, start)[-8:]
    width = _wrap_width(lines[start:])
    for position, i in enumerate(tail):
        line = lines[i].strip()
        match = _DATE_LINE.match(line)
        if match is None:
            continue
        date = _date_from(match)  # None for an impossible date such as 2月30日
        before = match["before"].strip()
        if before and not re.search(r"[。；：:]", before):
            return i, before, date
        if position > 0 and _looks_like_signature(lines[tail[position - 1]]):
            return (*_wrapped_signature(lines, tail[:position], width), date)
        return i, None, date
    if tail and _looks_like_signature(lines[tail[-1]]):
        return (*_wrapped_signature(lines, tail, width), None)
    return None


def _wrapped_signature(lines: list[str], above: list[int], width: int) -> tuple[int, str]:
    """The signature ending at the last of `above`, with the line before it when that
    fills the wrap width and the two read as one name. Returns where it starts."""
    first = len(above) - 1
    while first > 0 and len(above) - first < 3:
        joined = _join_all([lines[i] for i in above[first - 1 :]])
        if not _fills(lines[above[first - 1]], width, 1) or not _looks_like_signature(joined):
            break
        first -= 1
    return above[first], _join_all([lines[i] for i in above[first:]])


def _looks_like_signature(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > 40 or re.search(r"[，。；：:,;！!？?]", line):
        return False
    return _ORGANISATION_END.search(line) is not None


def _date_from(match: re.Match[str]) -> datetime.date | None:
    try:
        if match["y"]:
            return datetime.date(_digits(match["y"]), _digits(match["m"]), _digits(match["d"]))
        year = int("".join(str(_CHINESE_DIGIT_VALUE[c]) for c in match["cy"]))
        return datetime.date(
            year, _chinese_small_number(match["cm"]), _chinese_small_number(match["cd"])
        )
    except (ValueError, KeyError):
        return None


def _chinese_small_number(text: str) -> int:
    """一 … 三十一. Raises ValueError for anything else."""
    if "十" not in text:
        return _single_chinese_digit(text)
    tens, _, ones = text.partition("十")
    value = (_single_chinese_digit(tens) if tens else 1) * 10
    return value + (_single_chinese_digit(ones) if ones else 0)


def _single_chinese_digit(text: str) -> int:
    if len(text) != 1 or text not in _CHINESE_DIGIT_VALUE:
        raise ValueError(text)
    return _CHINESE_DIGIT_VALUE[text]


# --- body and attachments ----------------------------------------------------------


def _take_attachments(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split off 附件：1. xxx 2. yyy (one line or several) from the end of the body."""
    for i in _non_empty(lines):
        match = _ATTACHMENT_LABEL.match(lines[i].strip())
        if match is None:
            continue
        pieces = [lines[i].strip()[match.end() :]]
        for line in (line.strip() for line in lines[i + 1 :]):
            # Keep a space before "2." so the item split below can see it.
            pieces.append(f" {line}" if _ITEM_MARKER.match(line) else line)
        return lines[:i], _split_attachments("".join(pieces))
    return lines, []


def _split_attachments(text: str) -> list[str]:
    text = _SPACE_BETWEEN_CJK.sub("", text.strip())
    parts = _ATTACHMENT_ITEM.split(text)
    items = [part.strip(" 。；;") for part in parts]
    return [item for item in items if item]


def _paragraphs(lines: list[str]) -> str:
    """Rejoin PDF-wrapped lines into paragraphs.

    Blank lines are not trusted (PDFs put them between every line and at page breaks).
    A paragraph ends after a full stop, at a section heading, or before an indented
    line or a numbered item.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    width = _wrap_width(lines)
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        starts_new = (
            raw.startswith("  ") or _ITEM_MARKER.match(line) or _SECTION_HEADING.match(line)
        )
        if current and starts_new:
            paragraphs.append(_join_all(current))
            current = []
        current.append(line)
        # A section heading has no full stop: it ends with the first line that does not
        # fill the width (a heading wrapped at a narrow width goes on in the next line).
        heading_ends = _is_heading(current[0]) and not _fills(line, width)
        if _SENTENCE_END.search(line) or heading_ends:
            paragraphs.append(_join_all(current))
            current = []
    if current:
        paragraphs.append(_join_all(current))
    return "\n".join(paragraphs)


def _is_heading(line: str) -> bool:
    return bool(_SECTION_HEADING.match(line)) and "。" not in line
