"""Notice bodies: Markdown and pasted rich text come out safe, readable and stable."""

# The payloads and the Word paste are kept verbatim, long lines and all.
# ruff: noqa: E501

from __future__ import annotations

import re

import pytest
from bs4 import Tag

from intranet.notices.sanitise import markdown_to_html, plain_text, sanitise_html
from tests.helpers import soup

# In the style of the OWASP XSS filter evasion cheat sheet, plus mutation XSS
# and htmx-specific attributes (this site runs htmx, so hx-* is script too).
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<script/XSS src="https://xss.example/xss.js"></script>',
    "<<script>alert(1);//<</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=`javascript:alert(1)`>",
    '<img """><script>alert(1)</script>">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
    '<a href="//xss.example/">protocol-relative</a>',
    '<a href="\\\\xss.example\\x">backslashes</a>',
    '<a href="/\\xss.example">slash-backslash</a>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<details open ontoggle=alert(1)>x</details>",
    '<div hx-get="/admin/delete" hx-trigger="load">x</div>',
    '<div hx-on:click="alert(1)">x</div>',
    '<span hx-on::load="alert(1)" data-hx-get="/x" data-foo="1">x</span>',
    '<p hx-post="/people/1/delete" hx-swap="outerHTML" hx-vals=\'{"a":1}\'>x</p>',
    '<form action="javascript:alert(1)"><input type=submit></form>',
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    '<table background="javascript:alert(1)"><tr><td style="x:expression(alert(1))">x</td></tr></table>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<p title="</p><img src=x onerror=alert(1)>">x</p>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<body onload=alert(1)>",
    '<a href="https://ok.example/" onclick="alert(1)" onmouseover=alert(1)>x</a>',
    "<style>@import 'https://xss.example/x.css';</style>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<input autofocus onfocus=alert(1)>",
    "<select><template><style></select><img src=x onerror=alert(1)></template>",
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    '<a href="javas&#99;ript:alert(1)">x</a>',
    '<a href="&Tab;javascript:alert(1)">x</a>',
    '<div id="x" class="evil" onpointerenter=alert(1)>x</div>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
]

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "form", "input",
    "button", "img", "base", "meta", "link", "video", "source", "details", "template",
    "noscript", "body", "select", "xmp", "marquee",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "rel"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
SAFE_HREF = re.compile(r"(https?|mailto):", re.IGNORECASE)

WORD_PASTE = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta name=Generator content="Microsoft Word 15">
<style><!-- p.MsoNormal {mso-style-parent:""; margin:0cm; font-family:宋体;} --></style>
<!--[if gte mso 9]><xml><o:DocumentProperties><o:Author>办公室</o:Author></o:DocumentProperties></xml><![endif]-->
</head>
<body lang=ZH-CN style='tab-interval:21.0pt'>
<div class=WordSection1>
<p class=MsoNormal align=center style='text-align:center;mso-line-height-rule:exactly'><b><span
style='font-size:16.0pt;font-family:方正小标宋简体;mso-ascii-font-family:"Times New Roman"'>关于报送年度工作总结的通知<o:p></o:p></span></b></p>
<p class=MsoNormal><span lang=EN-US style='mso-bidi-font-size:10.5pt'><o:p>&nbsp;</o:p></span></p>
<p class=MsoNormal style='text-indent:32.0pt'><span style='font-family:仿宋_GB2312'>各学会：<o:p></o:p></span></p>
<p class=MsoListParagraph style='mso-list:l0 level1 lfo1'><![if !supportLists]><span>1.<span
style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span></span><![endif]>请于<u>6月30日</u>前报送。<o:p></o:p></p>
<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;mso-yfti-tbllook:1184'>
<tr style='mso-yfti-irow:0'><td width=100 valign=top style='width:75pt;mso-border-alt:solid windowtext .5pt'>
<p class=MsoNormal><span>学会名称<o:p></o:p></span></p></td><td colspan=2 style='mso-foo:1'><p class=MsoNormal>联系人<o:p></o:p></p></td></tr>
<tr><td rowspan="2"><p class=MsoNormal>物理学会</p></td><td>张三</td><td>李四</td></tr>
</table>
<p class=MsoNormal><o:p>&nbsp;</o:p></p>
</div>
</body></html>"""


def check_safe(html: str) -> None:
    """Parse the output and check every element and attribute against the allowlist."""
    for element in soup(html).find_all(True):
        assert isinstance(element, Tag)
        assert element.name not in FORBIDDEN_TAGS, html
        assert set(element.attrs) <= ALLOWED_ATTRIBUTES.get(element.name, set()), html
        href = element.get("href")
        if href is not None:
            assert isinstance(href, str)
            assert SAFE_HREF.match(href), html
    assert "<script" not in html.lower()
    # Belt and braces over the markup alone: payloads shown as escaped text are harmless.
    markup = "".join(re.findall(r"<[^<>]*>", html)).lower()
    assert not re.search(r"\son\w+\s*=", markup)
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|vbscript|data):""", markup)
    assert not re.search(r"\s(hx-|data-|style\s*=)", markup)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_neutralises_pasted_payload(payload: str) -> None:
    check_safe(sanitise_html(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_neutralises_payload_typed_as_markdown(payload: str) -> None:
    check_safe(markdown_to_html(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_neutralises_payload_inside_a_markdown_link(payload: str) -> None:
    check_safe(markdown_to_html(f"[click]({payload}) and <{payload}> and [x][r]\n\n[r]: {payload}"))


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "java%0ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "//xss.example/",
        "/relative/path",
    ],
)
def test_it_drops_unsafe_markdown_link_targets(href: str) -> None:
    html = markdown_to_html(f"[点击]({href})")
    check_safe(html)
    assert all(a.get("href") is None for a in soup(html).find_all("a"))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_is_idempotent_on_payloads(payload: str) -> None:
    once = sanitise_html(payload)
    assert sanitise_html(once) == once


def test_it_is_at_least_40_payloads() -> None:
    assert len(XSS_PAYLOADS) >= 40


def test_it_keeps_markdown_structure() -> None:
    text = """# 关于开展科普月活动的通知

## 一、活动时间

各学会**务必**按时报送，*谢谢*。

1. 第一项
2. 第二项

- 甲
- 乙

> 引用原文

| 学会 | 联系人 |
|------|:------:|
| 物理学会 | 张三 |

详见[中国科协](https://www.cast.org.cn/notice?id=1&x=2)，或来信 <mailto:office@example.org>。

---
"""
    page = soup(markdown_to_html(text))
    assert [h.name for h in page.find_all(["h1", "h2", "h3", "h4"])] == ["h2", "h2"]
    assert page.find("h2").get_text() == "关于开展科普月活动的通知"
    assert page.find("strong").get_text() == "务必"
    assert page.find("em").get_text() == "谢谢"
    assert [li.get_text() for li in page.select("ol li")] == ["第一项", "第二项"]
    assert [li.get_text() for li in page.select("ul li")] == ["甲", "乙"]
    assert page.find("blockquote").get_text(strip=True) == "引用原文"
    assert [c.get_text() for c in page.select("table th")] == ["学会", "联系人"]
    assert [c.get_text() for c in page.select("table tbody td")] == ["物理学会", "张三"]
    assert page.select("th")[1].get("style") is None
    links = page.find_all("a")
    assert links[0]["href"] == "https://www.cast.org.cn/notice?id=1&x=2"
    assert links[0]["rel"] == ["noopener", "noreferrer"]
    assert links[1]["href"] == "mailto:office@example.org"
    assert page.find("hr") is not None


def test_it_shows_raw_html_in_markdown_as_text() -> None:
    html = markdown_to_html("请勿输入 <b>粗体</b> 标签")
    assert soup(html).find("b") is None
    assert soup(html).get_text() == "请勿输入 <b>粗体</b> 标签"


def test_it_does_not_linkify_bare_urls() -> None:
    assert soup(markdown_to_html("见 https://example.org")).find("a") is None


def test_it_keeps_allowed_pasted_markup() -> None:
    html = (
        "<h3>标题</h3><p>正文<br><b>粗</b><i>斜</i><u>下划线</u><s>删除</s><em>强调</em></p>"
        "<div><span>块</span></div><ul><li>一</li></ul><hr>"
        '<a href="https://example.org/a?b=1" title="t" target="_blank">链接</a>'
    )
    page = soup(sanitise_html(html))
    for name in ("h3", "p", "br", "b", "i", "u", "s", "em", "div", "span", "ul", "li", "hr"):
        assert page.find(name) is not None, name
    link = page.find("a")
    assert link.attrs == {"href": "https://example.org/a?b=1", "rel": ["noopener", "noreferrer"]}


def test_it_clamps_headings_to_h2_h4() -> None:
    page = soup(sanitise_html("<h1>一</h1><h2>二</h2><h3>三</h3><h4>四</h4><h5>五</h5><h6>六</h6>"))
    assert [h.name for h in page.find_all(True)] == ["h2", "h2", "h3", "h4", "h4", "h4"]


def test_it_keeps_word_paragraphs_and_tables_but_not_their_styles() -> None:
    html = sanitise_html(WORD_PASTE)
    check_safe(html)
    page = soup(html)
    paragraphs = [p.get_text() for p in page.find_all("p")]
    assert paragraphs[:3] == [
        "关于报送年度工作总结的通知",
        "各学会：",
        "1.\xa0\xa0 请于6月30日前报送。",
    ]
    assert page.find("u").get_text() == "6月30日"
    assert [td.get_text(strip=True) for td in page.select("table td")] == [
        "学会名称", "联系人", "物理学会", "张三", "李四"
    ]  # fmt: skip
    assert page.select("td")[1]["colspan"] == "2"
    assert page.select("td")[2]["rowspan"] == "2"
    for residue in ("mso", "Mso", "o:p", "<!--", "宋体", "办公室", "WordSection", "width"):
        assert residue not in html, residue


def test_it_removes_whitespace_only_paragraphs() -> None:
    html = sanitise_html("<p>一</p><p> </p><p>&nbsp;</p><p><span>\u00a0</span><br></p><p>二</p>")
    assert [p.get_text() for p in soup(html).find_all("p")] == ["一", "二"]


def test_it_rejects_silly_table_spans() -> None:
    page = soup(
        sanitise_html(
            '<table><tr><td colspan="99999" rowspan="x">a</td><td colspan="3">b</td></tr></table>'
        )
    )
    first, second = page.find_all("td")
    assert first.attrs == {}
    assert second.attrs == {"colspan": "3"}


def test_it_keeps_chinese_text_intact() -> None:
    text = "中国科学技术协会关于“十五五”规划的通知（第〇一号）——请各学会、各单位知悉！"
    assert soup(sanitise_html(f"<p>{text}</p>")).get_text() == text
    assert soup(markdown_to_html(text)).get_text().strip() == text


@pytest.mark.parametrize(
    "html",
    [
        WORD_PASTE,
        "<b><i>misnested</b></i><p>a<table><tr><td>b</table>",
        "<table><form><tr><td>x</td></tr></form></table>",
        "<ul><li>a<li>b</ul><p>unclosed",
        "<a href='https://e.org'><a href='https://f.org'>nested</a></a>",
    ],
)
def test_it_is_idempotent(html: str) -> None:
    once = sanitise_html(html)
    assert sanitise_html(once) == once


def test_it_is_idempotent_after_markdown() -> None:
    once = markdown_to_html("# 标题\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x](https://e.org)")
    assert sanitise_html(once) == once


def test_it_gives_plain_text_one_line_per_block() -> None:
    html = sanitise_html(
        "<h2>通知</h2><p>各学会：\n  请&amp;按时&nbsp;报送。</p><p>第二段<br>换行</p>"
        "<table><tr><td>甲</td><td>乙</td></tr></table><ul><li>一</li><li>二</li></ul>"
    )
    assert plain_text(html) == "通知\n各学会： 请&按时 报送。\n第二段\n换行\n甲 乙\n一\n二"


def test_it_gives_plain_text_without_script_or_style() -> None:
    assert plain_text("<p>a</p><script>alert(1)</script><style>p{}</style><p>b</p>") == "a\nb"


def test_it_gives_plain_text_of_markdown() -> None:
    text = plain_text(
        markdown_to_html("# 标题\n\n正文 **加粗**\n续行\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    )
    assert text == "标题\n正文 加粗 续行\na b\n1 2"


def test_it_gives_empty_plain_text_for_empty_body() -> None:
    assert plain_text("") == ""
    assert plain_text(sanitise_html("<p>&nbsp;</p>")) == ""
