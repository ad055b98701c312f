"""Turn notice bodies (Markdown or pasted rich text) into HTML that is safe to show.

Every path ends in `sanitise_html`, which keeps only an explicit allowlist: the
structure an official notice needs (paragraphs, headings, lists, tables, links)
and nothing that can run script, load a resource, restyle the page or carry
htmx/data attributes. `plain_text` gives the text for search and previews.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "b", "em", "i", "u", "s",
        "ul", "ol", "li", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td",
        "a", "span", "div",
    }
)  # fmt: skip
# h1, h5 and h6 are let through only to be renamed into h2-h4 below: the page
# title is the h1, and dropping a heading tag would glue its text to the next line.

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),  # nh3 would otherwise keep lang and title everywhere
    "a": {"href"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Dropped together with their content; every other unlisted tag is unwrapped.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "title", "xml", "template", "noscript", "noembed",
        "noframes", "iframe", "object", "embed", "svg", "math", "textarea", "select",
    }
)  # fmt: skip

_SPAN_NUMBER = re.compile(r"[1-9][0-9]{0,2}")
_HEADING = re.compile(r"<(/?)h([1-6])>")
_HEADING_LEVEL = {"1": "2", "2": "2", "3": "3", "4": "4", "5": "4", "6": "4"}
# nh3 output is normalised (no attributes on these tags, entities spelled the
# same way every time), so a paragraph holding only blanks can be matched exactly.
_BLANK_PARAGRAPH = re.compile(r"<p>(?:\s|&nbsp;|\u00a0|<br>|</?span>)*</p>")
_MAX_PASSES = 4

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table")


def markdown_to_html(text: str) -> str:
    """Render Markdown (CommonMark and tables; raw HTML is shown as text) safely."""
    return sanitise_html(_markdown.render(text))


def sanitise_html(html: str) -> str:
    """Reduce pasted rich text to the notice allowlist.

    Cleaning is repeated until the output stops changing: re-parsing cleaned
    markup can move nodes (tables, misnested formatting), and stored bodies are
    cleaned again whenever they are edited, so the result must be a fixed point.
    """
    cleaned = _clean_once(html)
    for _ in range(_MAX_PASSES):
        again = _clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _clean_once(html: str) -> str:
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        strip_comments=True,  # also removes Word's <!--[if mso]> blocks
        link_rel="noopener noreferrer",
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",  # no "//host" or path tricks; links must name their scheme
    )
    cleaned = _HEADING.sub(lambda m: f"<{m[1]}h{_HEADING_LEVEL[m[2]]}>", cleaned)
    return _BLANK_PARAGRAPH.sub("", cleaned).strip()


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute in {"colspan", "rowspan"}:
        return value if _SPAN_NUMBER.fullmatch(value.strip()) else None
    return value


BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
        "blockquote", "table", "thead", "tbody", "tr", "pre",
    }
)  # fmt: skip
_WHITESPACE = re.compile(r"\s+")
CELL_TAGS = frozenset({"td", "th"})
INVISIBLE_TAGS = frozenset({"script", "style", "title", "template", "noscript"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._mark(tag, opening=True)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._mark(tag, opening=True)
        self._mark(tag, opening=False)

    def handle_endtag(self, tag: str) -> None:
        self._mark(tag, opening=False)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            # Line breaks in the source are layout, not text; blocks make the lines.
            self.parts.append(_WHITESPACE.sub(" ", data))

    def _mark(self, tag: str, *, opening: bool) -> None:
        if tag in INVISIBLE_TAGS:
            self.hidden = max(0, self.hidden + (1 if opening else -1))
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in CELL_TAGS:
            self.parts.append(" ")


def plain_text(html: str) -> str:
    """The text of a notice body: one line per block, whitespace collapsed."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.parts).split("\n"))
    return "\n".join(line for line in lines if line)
