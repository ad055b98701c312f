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

import datetime
import re
from dataclasses import dataclass, field

# Stable keys the UI uses to say what could not be found.
MISSING_KEYS = ("number", "title", "addressees", "body", "signature", "date")

# A forwarded notice may itself forward another; stop well before anything silly.
MAX_FORWARD_DEPTH = 3

# CJK ideographs, CJK punctuation, full-width forms and the quotes/dashes used with them.
_CJK = r"\u2014\u2018-\u201d\u2026\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u3000]+(?=[{_CJK}])")
# 省直管县( 市)科协: no space inside brackets, nor between an ASCII bracket and Chinese.
_SPACE_AT_BRACKETS = re.compile(
    r"(?<=[(（〔\[【［《])[ \t]+|[ \t]+(?=[)）〕\]】］》])"
    rf"|(?<=[{_CJK}])[ \t]+(?=[(\[])|(?<=[)\]])[ \t]+(?=[{_CJK}])"
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WIDTH_MAP = {0x3000: " ", 0x00A0: " "} | {0xFF10 + i: str(i) for i in range(10)}

_OPEN, _CLOSE = r"〔\[(（【［", r"〕\])）】］"
# Digits may come spread by spaces out of a PDF: 〔 2 0 2 1 〕 3 3 号.
_NUMBER = re.compile(
    rf"(?P<prefix>[\u4e00-\u9fff]{{1,20}})\s*[{_OPEN}]\s*(?P<year>\d(?:[ \t]?\d){{3}})\s*"
    rf"[{_CLOSE}]\s*(?P<di>第?)\s*(?P<seq>\d(?:[ \t]?\d){{0,5}})\s*号"
)
_NUMBER_START = re.compile(rf"[\u4e00-\u9fff]{{1,20}}\s*[{_OPEN}]")
# A number is short: wrapped lines joined beyond this are not one.
_NUMBER_MAX_LENGTH = 48
# How many lines a wrapped title, number or addressee line may take (a PDF or a phone
# can wrap at 12 to 14 characters).
_TITLE_LINES = 6
_NUMBER_LINES = 3
_ADDRESSEE_LINES = 8

_TITLE_END = re.compile(
    r"(通知|通报|通告|公告|决定|意见|报告|请示|批复|函|复函|方案|办法|规定|纪要|要点)"
    r"[)）]?$"
)
_COLON_END = re.compile(r"[：:]$")
_SENTENCE_END = re.compile(r"[。！？!?]$")
_LIST_SEPARATORS = "、，,"

# 一、 …  and （一） headings stand alone even without a full stop.
_SECTION_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）])"
)
_ITEM_MARKER = re.compile(r"^(?:\d{1,2}[.．、]|[(（]\d{1,2}[)）])")

_ARABIC_DATE = (
    r"(?P<y>\d(?:[ \t]?\d){3})\s*年\s*(?P<m>\d(?:[ \t]?\d)?)\s*月\s*(?P<d>\d(?:[ \t]?\d)?)\s*日"
)
_CN_DIGITS = "〇零○Ｏ一二三四五六七八九"
_CHINESE_DATE = (
    rf"(?P<cy>[{_CN_DIGITS}]{{4}})\s*年\s*(?P<cm>[一二三四五六七八九十]{{1,3}})\s*月"
    r"\s*(?P<cd>[一二三四五六七八九十]{1,3})\s*日"
)
_DATE_LINE = re.compile(
    rf"^(?P<before>.*?)\s*(?:{_ARABIC_DATE}|{_CHINESE_DATE})\s*(?:印发|发布|成文|发)?$"
)
_CHINESE_DIGIT_VALUE = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {
    "零": 0,
    "○": 0,
    "Ｏ": 0,
}

_ORGANISATION_END = re.compile(
    r"(会|部|委|厅|局|室|处|科|院|校|学|所|中心|社|团|组|站|馆|司|府|办|队|联|盟|协)$"
)
_ATTACHMENT_LABEL = re.compile(r"^附\s*件\s*[：:]\s*")
_CC_LABEL = re.compile(r"^抄\s*送\s*[：:]\s*")
_ATTACHMENT_ITEM = re.compile(r"(?:^|(?<=\s)|(?<=[。；;]))\d{1,2}\s*[.．、]\s*")


@dataclass
class DocumentNumber:
    """A 发文字号 such as 辽科协发〔2020〕3号, kept as typed (spaces removed)."""

    text: str
    prefix: str
    year: int
    sequence: int

    def __str__(self) -> str:
        return self.text


@dataclass
class PastedNotice:
    number: DocumentNumber | None = None
    issuer: str | None = None  # from the heading, e.g. 辽宁省科学技术协会(文件)
    title: str | None = None
    addressees: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    body: str = ""  # paragraphs separated by "\n"
    attachments: list[str] = field(default_factory=list)
    signature: str | None = None
    date: datetime.date | None = None
    forwarded: PastedNotice | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return self.body.split("\n") if self.body else []


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


# --- text clean-up -----------------------------------------------------------------


def _clean_lines(text: str) -> list[str]:
    """Split into lines, normalising line endings, odd spaces and full-width digits.

    Leading indentation is kept (it can mark a new paragraph); everything else about
    spacing is tidied.
    """
    if not isinstance(text, str):
        return []
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\f", "\n").replace("\v", "\n")
    lines = []
    for raw in text.split("\n"):
        indent = len(raw) - len(raw.lstrip(" \t\u3000\u00a0"))
        line = _tidy(raw)
        lines.append(("  " if indent >= 2 and line else "") + line)
    return lines


def _tidy(line: str) -> str:
    line = line.translate(_WIDTH_MAP)
    line = _SPACE_BETWEEN_CJK.sub("", line.strip())
    line = _SPACE_AT_BRACKETS.sub("", line)
    return re.sub(r"[ \t]{2,}", " ", line)


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _digits(text: str) -> int:
    return int("".join(text.split()))


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


def _non_empty(lines: list[str], start: int = 0) -> list[int]:
    return [i for i in range(start, len(lines)) if lines[i].strip()]


def _join_all(lines: list[str]) -> str:
    """Join the pieces of wrapped lines: no space unless both sides are Latin words."""
    pieces: list[str] = []
    for line in (line.strip() for line in lines):
        # Words wrapped apart get their space back; a number wrapped apart does not.
        if pieces and line and _is_latin(pieces[-1][-1]) and _is_latin(line[0]):
            pieces.append("" if pieces[-1][-1].isdigit() and line[0].isdigit() else " ")
        if line:
            pieces.append(line)
    return _SPACE_BETWEEN_CJK.sub("", "".join(pieces))


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
