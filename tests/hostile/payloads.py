"""Hostile text the hostile-input tests store everywhere the site keeps and shows text.

Each list is plain data; the tests decide where the text goes and what must come out.
`Plant` hands one payload out, tagged per place, and `hostile_form` is a report form
with a planted payload in every text it has (title, instructions, sections, labels,
help, unit, choices, table columns).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from surveys.schema import Aggregate, Choice, FormDefinition, Question, QuestionType, Section

# -- markup: what a page must show as text, never run ---------------------------------------

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)//",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "{{7*7}}",
    "{% raw %}{{ config }}{% endraw %}",
    "${7*7}",
    "' \" ` < > &amp;",
    '" autofocus onfocus=alert(1) x="',
    "' autofocus onfocus=alert(1) x='",
]

# Payloads short enough for narrow columns (document prefixes, codes, short names).
XSS_SHORT = ["<script>x</script>", '"><b onclick=x>', "{{7*7}}", "javascript:x"]

# -- spreadsheets: what an export must keep as plain text ----------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-1+1",
    "@SUM(1)",
    "=cmd|' /C calc'!A0",
    "\t=1",
    "\r=1",
    "{=1+1}",
    "=1+1",
    "http://evil.example",
    "mailto:evil@example.com",
    "0123",
    "1e5",
    "2020-02-10",
]

# Cells that start like a formula: a CSV must defuse them (leading apostrophe).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# -- unicode tricks ---------------------------------------------------------------------------

RTL_OVERRIDE = "\u202e"
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]

# "报告\u202Efdp.exe" shows as "报告exe.pdf" in a file list.
RTL_FILENAME = f"报告{RTL_OVERRIDE}fdp.exe"
RTL_NAME = f"辽宁省{RTL_OVERRIDE}会学机算计"
ZERO_WIDTH_NAME = "辽宁省\u200b计算机\u200d学会"

FULL_WIDTH_DIGITS = {"１２３": 123, "１，２３４": 1234, "４５": 45, "０": 0}

# The same name, composed and decomposed: 'é' as one code point or 'e' + combining acute.
NFC_NAME = unicodedata.normalize("NFC", "Zoé Café")
NFD_NAME = unicodedata.normalize("NFD", "Zoé Café")
assert NFC_NAME != NFD_NAME

# Latin look-alikes: Cyrillic а (U+0430) and о (U+043E) in an otherwise Latin name.
HOMOGLYPHS = {"admin": "\u0430dmin", "root": "r\u043e\u043et"}

# -- control characters -----------------------------------------------------------------

CONTROL = ["a\x00b", "a\x07b", "a\x1bb", "a\rb", "a\nb", "a\x7fb", "a\u0085b", "a\u2028b"]
HEADER_INJECTION = "标题\r\nBcc: victim@example.com\r\nX-Injected: 1"


# -- planting: one payload in many places, each copy tagged ------------------------------


# For columns too narrow for the payload: still markup, still tagged.
NARROW = '"><b onclick=x>'


@dataclass
class Plant:
    """Hands out the payload tagged with a marker per place it is planted."""

    payload: str
    planted: dict[str, str] = field(default_factory=dict)
    # Planted texts a page must show exactly; others are only checked for markup.
    shown: set[str] = field(default_factory=set)
    narrow: str = NARROW

    def __call__(self, where: str, max_length: int = 500, *, literal: bool = True) -> str:
        marker = f"~{len(self.planted):02d}"
        text = self.payload + marker
        if len(text) > max_length:
            text = self.narrow[: max_length - len(marker)] + marker
        self.planted[where] = text
        if literal:
            self.shown.add(where)
        return text


T = QuestionType


def hostile_form(p: Plant) -> FormDefinition:
    def text(key: str, where: str) -> Question:
        return Question(key=key, type=T.SHORT_TEXT, label=p(where), help=p(f"{where} help"))

    return FormDefinition(
        title=p("FormVersion.definition title", 200),
        instructions=p("FormVersion.definition instructions"),
        sections=(
            Section(
                key="s1",
                title=p("FormVersion.definition section"),
                questions=(
                    text("story", "FormVersion.definition question"),
                    Question(
                        key="note",
                        type=T.LONG_TEXT,
                        label=p("FormVersion.definition long question"),
                        aggregate=Aggregate.LIST,
                    ),
                    Question(
                        key="count",
                        type=T.INTEGER,
                        label=p("FormVersion.definition number"),
                        unit=p("FormVersion.definition unit", 20),
                        aggregate=Aggregate.SUM,
                        min=Decimal(0),
                    ),
                    Question(
                        key="pick",
                        type=T.SINGLE_CHOICE,
                        label=p("FormVersion.definition choice question"),
                        aggregate=Aggregate.COUNT,
                        choices=(
                            Choice("a", p("FormVersion.definition choice label", 200)),
                            Choice(p("FormVersion.definition choice value", 100), "第二项"),
                        ),
                    ),
                    Question(
                        key="people",
                        type=T.TABLE,
                        label=p("FormVersion.definition table"),
                        aggregate=Aggregate.LIST,
                        columns=(
                            Question(
                                key="name",
                                type=T.SHORT_TEXT,
                                label=p("FormVersion.definition column"),
                                aggregate=Aggregate.LIST,
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
