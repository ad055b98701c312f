"""The shared ground of reading a pasted notice: its parts, the patterns it is read with
and the clean-up of the pasted text."""

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
