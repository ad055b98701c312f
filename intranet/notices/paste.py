"""Read a notice pasted as plain text (often copied out of a PDF) into its fields.

The layout follows GB/T 9704: a heading (版头) naming the issuer, the document number
(发文字号), the title, the addressees (主送) ending with a colon, the body, the
attachments (附件), the signature (落款) and date, and a record block (版记) with
抄送 and the printing office. Text copied from a PDF breaks lines at the page width
and scatters spaces, so every rule here is written for that kind of input.
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
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WIDTH_MAP = {0x3000: " ", 0x00A0: " "} | {0xFF10 + i: str(i) for i in range(10)}

_OPEN, _CLOSE = r"〔\[(（【［", r"〕\])）】］"
_NUMBER = re.compile(
    rf"(?P<prefix>[\u4e00-\u9fff]{{1,20}})\s*[{_OPEN}]\s*(?P<year>\d{{4}})\s*[{_CLOSE}]"
    rf"\s*(?P<di>第?)\s*(?P<seq>\d{{1,6}})\s*号"
)

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

_ARABIC_DATE = r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
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
    r"(会|部|委|厅|局|室|处|科|院|校|学|所|中心|社|团|组|站|馆|司|府|办|队|联|盟)$"
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
    return re.sub(r"[ \t]{2,}", " ", line)


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


# --- the notice as a whole ---------------------------------------------------------


def _parse_lines(lines: list[str], depth: int) -> PastedNotice:
    notice = PastedNotice()
    own, forwarded = _split_forwarded(lines)
    if forwarded is not None and depth < MAX_FORWARD_DEPTH:
        notice.forwarded = _parse_lines(forwarded, depth + 1)
    elif forwarded is not None:
        own = lines

    own, notice.cc = _take_cc(own)
    cursor = 0
    number_at = _find_number_line(own)
    if number_at is not None:
        notice.number = _parse_number(own[number_at])
        notice.issuer = _issuer_before(own, number_at)
        cursor = number_at + 1

    title_span = _find_title(own, cursor)
    if title_span is not None:
        start, end = title_span
        notice.title = _join_all(own[start:end])
        cursor = end

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
        notice.body = _paragraphs(body_lines)
    return _with_missing(notice)


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
        if pieces and line and _is_latin(pieces[-1][-1]) and _is_latin(line[0]):
            pieces.append(" ")
        if line:
            pieces.append(line)
    return _SPACE_BETWEEN_CJK.sub("", "".join(pieces))


# --- document number and heading ---------------------------------------------------


def _is_number_line(line: str) -> bool:
    return _NUMBER.fullmatch(line.strip()) is not None


def _find_number_line(lines: list[str]) -> int | None:
    """The number sits in the heading: look only before the first full sentence."""
    for i in _non_empty(lines):
        line = lines[i].strip()
        if _NUMBER.search(line) and not line.startswith(("(", "（")):
            return i
        if _SENTENCE_END.search(line) or _COLON_END.search(line):
            return None
    return None


def _parse_number(line: str) -> DocumentNumber | None:
    match = _NUMBER.search(line)
    if match is None:
        return None
    return DocumentNumber(
        text=re.sub(r"\s+", "", match.group(0)),
        prefix=match["prefix"],
        year=int(match["year"]),
        sequence=int(match["seq"]),
    )


def _issuer_before(lines: list[str], number_at: int) -> str | None:
    heading = [lines[i].strip() for i in _non_empty(lines[:number_at])]
    if not heading or len(heading[-1]) > 40:
        return None
    return re.sub(r"文件$", "", heading[-1]) or None


def _split_forwarded(lines: list[str]) -> tuple[list[str], list[str] | None]:
    """A forwarding notice carries a second notice with its own standalone number.

    The embedded notice starts at its heading line (the line just before its number),
    and only counts once the outer notice has reached its addressees or body.
    """
    numbers = [i for i in _non_empty(lines) if _is_number_line(lines[i])]
    first_body_line = next(
        (i for i in _non_empty(lines) if _COLON_END.search(lines[i].strip())), None
    )
    if first_body_line is None:
        return lines, None
    later = [i for i in numbers if i > first_body_line]
    if not later:
        return lines, None
    start = later[0]
    previous = [i for i in _non_empty(lines[:start]) if i > first_body_line]
    if previous and _looks_like_heading(lines[previous[-1]]):
        start = previous[-1]
    return lines[:start], lines[start:]


def _looks_like_heading(line: str) -> bool:
    line = line.strip()
    if len(line) > 40 or re.search(r"[，。；：:,;、()（）]", line):
        return False
    return line.endswith("文件") or _ORGANISATION_END.search(line) is not None


# --- title and addressees ----------------------------------------------------------


def _find_title(lines: list[str], start: int) -> tuple[int, int] | None:
    """The first 关于… line (or a line ending 通知 etc.), wrapped over up to three lines."""
    candidates = _non_empty(lines, start)[:6]
    for position, i in enumerate(candidates):
        line = lines[i].strip()
        if _COLON_END.search(line) or _SENTENCE_END.search(line):
            return None
        if line.startswith("关于") or _TITLE_END.search(line):
            return _title_extent(lines, candidates[position:])
    return None


def _title_extent(lines: list[str], indices: list[int]) -> tuple[int, int]:
    for count, i in enumerate(indices[:3], start=1):
        line = lines[i].strip()
        if _COLON_END.search(line) or _SENTENCE_END.search(line):
            break
        if _TITLE_END.search(_join_all([lines[j] for j in indices[:count]])):
            return indices[0], i + 1
    return indices[0], indices[0] + 1


def _find_addressees(lines: list[str], start: int) -> tuple[int, int] | None:
    """Short line(s) right after the title that end with a colon."""
    indices = _non_empty(lines, start)[:3]
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
            return tail[position - 1], lines[tail[position - 1]].strip(), date
        return i, None, date
    if tail and _looks_like_signature(lines[tail[-1]]):
        return tail[-1], lines[tail[-1]].strip(), None
    return None


def _looks_like_signature(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > 40 or re.search(r"[，。；：:,;！!？?]", line):
        return False
    return _ORGANISATION_END.search(line) is not None


def _date_from(match: re.Match[str]) -> datetime.date | None:
    try:
        if match["y"]:
            return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
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
        if _SENTENCE_END.search(line) or (len(current) == 1 and _is_heading(line)):
            paragraphs.append(_join_all(current))
            current = []
    if current:
        paragraphs.append(_join_all(current))
    return "\n".join(paragraphs)


def _is_heading(line: str) -> bool:
    return bool(_SECTION_HEADING.match(line)) and "。" not in line
