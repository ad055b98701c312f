"""Reading a pasted notice's head: document number, issuer, title and addressees, and
where a forwarded notice begins."""

from __future__ import annotations

import re

from intranet.notices.paste.text import (
    _ADDRESSEE_LINES,
    _COLON_END,
    _LIST_SEPARATORS,
    _NUMBER,
    _NUMBER_LINES,
    _NUMBER_MAX_LENGTH,
    _NUMBER_START,
    _ORGANISATION_END,
    _SENTENCE_END,
    _TITLE_END,
    _TITLE_LINES,
    DocumentNumber,
    _digits,
    _join_all,
    _non_empty,
)

# --- document number and heading ---------------------------------------------------


def _number_lines(lines: list[str], indices: list[int], position: int) -> tuple[int, str] | None:
    """A number standing alone from the line at indices[position], perhaps wrapped over
    the next line or two: where it ends and its text."""
    joined = ""
    # Wrapped, it still opens with its prefix and bracket: the line above (its heading)
    # must not be taken for the start of the prefix.
    if not _NUMBER_START.match(lines[indices[position]].strip()):
        return None
    for i in indices[position : position + _NUMBER_LINES]:
        joined += lines[i].strip()
        if len(joined) > _NUMBER_MAX_LENGTH:
            return None
        if _NUMBER.fullmatch(joined):
            return i + 1, joined
    return None


def _standalone_numbers(lines: list[str]) -> list[tuple[int, int]]:
    """Where each number standing alone on its line(s) starts and ends."""
    indices = _non_empty(lines)
    found: list[tuple[int, int]] = []
    for position, i in enumerate(indices):
        if found and i < found[-1][1]:
            continue
        number = _number_lines(lines, indices, position)
        if number is not None:
            found.append((i, number[0]))
    return found


def _find_number(lines: list[str]) -> tuple[int, int, DocumentNumber] | None:
    """The number sits in the heading: look only before the first full sentence. A number
    standing alone (perhaps wrapped) wins over one sharing its line, and a title that
    cites another notice's number is not the notice's own number."""
    indices: list[int] = []
    for i in _non_empty(lines):
        indices.append(i)
        line = lines[i].strip()
        if _SENTENCE_END.search(line) or _COLON_END.search(line):
            break
    for position, i in enumerate(indices):
        number = _number_lines(lines, indices, position)
        if number is not None:
            parsed = _parse_number(number[1])
            if parsed is not None:
                return i, number[0], parsed
    for i in indices:
        line = lines[i].strip()
        if line.startswith(("(", "（")) or _looks_like_title_line(line):
            continue
        parsed = _parse_number(line)
        if parsed is not None:
            return i, i + 1, parsed
    return None


def _parse_number(line: str) -> DocumentNumber | None:
    match = _NUMBER.search(line)
    if match is None:
        return None
    return DocumentNumber(
        text=re.sub(r"\s+", "", match.group(0)),
        prefix=match["prefix"],
        year=_digits(match["year"]),
        sequence=_digits(match["seq"]),
    )


def _issuer_from(lines: list[str], head: list[int], width: int) -> tuple[str | None, list[int]]:
    """The issuer named in the heading (辽宁省科学技术协会文件, perhaps wrapped), and the
    heading lines that are not part of it."""
    run: list[int] = []
    for i in reversed(head):
        line = lines[i].strip()
        if not _heading_piece(line) or len(run) == _NUMBER_LINES:
            break
        # A line that is a whole heading by itself does not continue the one below,
        # unless it fills the width the text is wrapped at.
        if run and _looks_like_heading(line) and not _fills(line, width, slack=1):
            break
        run.insert(0, i)
    while run:
        joined = _join_all([lines[i] for i in run])
        if len(joined) <= 40 and _looks_like_heading(joined):
            issuer = re.sub(r"(文件|函)$", "", joined)
            return issuer or None, [i for i in head if i not in run]
        run.pop(0)
    return None, head


def _wrap_width(lines: list[str]) -> int:
    """The width the text seems wrapped at: the third longest line (one or two long lines
    are often left unwrapped). A very large width when there are too few lines to say."""
    lengths = sorted((len(line.strip()) for line in lines if line.strip()), reverse=True)
    return lengths[2] if len(lengths) >= 3 else 10**9


def _fills(line: str, width: int, slack: int = 0) -> bool:
    """Whether a line reaches the wrap width, so it probably goes on in the next line.
    Centred and right-aligned lines (heading, signature) may have lost a leading space
    to the clean-up: give them a `slack` of one."""
    return len(line.strip()) >= width - slack


def _heading_piece(line: str) -> bool:
    return 0 < len(line) <= 40 and not re.search(r"[，。；：:,;、()（）]", line)


def _split_forwarded(lines: list[str]) -> tuple[list[str], list[str] | None]:
    """A forwarding notice carries a second notice with its own standalone number.

    The embedded notice starts at its heading line (the line just before its number),
    and only counts once the outer notice has reached its addressees or body.
    """
    first_body_line = next(
        (i for i in _non_empty(lines) if _COLON_END.search(lines[i].strip())), None
    )
    if first_body_line is None:
        return lines, None
    later = [start for start, _end in _standalone_numbers(lines) if start > first_body_line]
    if not later:
        return lines, None
    start = later[0]
    previous = [i for i in _non_empty(lines[:start]) if i > first_body_line]
    # Its title may stand above its number (as on a web page), its heading above both.
    title = _find_title_above(lines, start, floor=first_body_line + 1, adjacent=True)
    if title is not None:
        previous = [i for i in previous if i < title[0]]
        start = title[0]
    if previous and _looks_like_heading(lines[previous[-1]]):
        start = previous[-1]
    return lines[:start], lines[start:]


def _looks_like_heading(line: str) -> bool:
    line = line.strip()
    if len(line) > 40 or re.search(r"[，。；：:,;、()（）]", line):
        return False
    return _ORGANISATION_END.search(re.sub(r"(文件|函)$", "", line)) is not None


# --- title and addressees ----------------------------------------------------------


def _looks_like_title_line(line: str) -> bool:
    return line.startswith("关于") or _TITLE_END.search(line) is not None


def _find_title(lines: list[str], start: int) -> tuple[int, int] | None:
    """The first 关于… line (or a line ending 通知 etc.), perhaps wrapped over lines."""
    candidates = _non_empty(lines, start)[: 6 + _TITLE_LINES]
    for position, i in enumerate(candidates[:6]):
        line = lines[i].strip()
        if _COLON_END.search(line) or _SENTENCE_END.search(line):
            return None
        if _looks_like_title_line(line):
            return _title_extent(lines, candidates[position:])
    return None


def _find_title_above(
    lines: list[str], end: int, floor: int = 0, *, adjacent: bool = False
) -> tuple[int, int] | None:
    """A title standing above the number (title first, as web pages print it): the
    nearest lines above `end` that end as a title does and start with 关于, or a single
    line ending as a title does right above the number. With `adjacent`, only a title
    right above the number counts."""
    above = [i for i in _non_empty(lines[:end]) if i >= floor]
    lasts = range(len(above) - 1, len(above) - 2 if adjacent else -1, -1)
    for last in lasts:
        for first in range(last, max(last - _TITLE_LINES, -1), -1):
            line = lines[above[first]].strip()
            if _COLON_END.search(line) or _SENTENCE_END.search(line):
                break
            joined = _join_all([lines[i] for i in above[first : last + 1]])
            if joined.startswith("关于") and _TITLE_END.search(joined):
                return above[first], above[last] + 1
    if above:
        line = lines[above[-1]].strip()
        if _TITLE_END.search(line) and not _looks_like_heading(line):
            return above[-1], above[-1] + 1
    return None


def _title_extent(lines: list[str], indices: list[int]) -> tuple[int, int]:
    for count, i in enumerate(indices[:_TITLE_LINES], start=1):
        line = lines[i].strip()
        if _COLON_END.search(line) or _SENTENCE_END.search(line):
            break
        if _TITLE_END.search(_join_all([lines[j] for j in indices[:count]])):
            return indices[0], i + 1
    return indices[0], indices[0] + 1


def _find_addressees(lines: list[str], start: int) -> tuple[int, int] | None:
    """Short line(s) right after the title that end with a colon."""
    indices = _non_empty(lines, start)[:_ADDRESSEE_LINES]
    for count, i in enumerate(indices, start=1):
        joined = _join_all([lines[j] for j in indices[:count]])
        if len(joined) > 200 or "。" in joined:
            return None
        if _COLON_END.search(joined):
            return (indices[0], i + 1) if len(joined) > 1 else None
    return None


def _split_names(text: str) -> list[str]:
    """Split 甲、乙，丙 on list separators outside brackets: 各省级学会（协会、研究会）."""
    names, current, depth = [], "", 0
    for char in text:
        if char in "(（〔[【":
            depth += 1
        elif char in ")）〕]】":
            depth = max(depth - 1, 0)
        if char in _LIST_SEPARATORS and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [name.strip(" 。.;；") for name in names if name.strip(" 。.;；")]
