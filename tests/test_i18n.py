"""Translations: the Chinese catalogue is complete, and both languages really show."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
from babel.messages.catalog import Catalog, Message
from bs4 import BeautifulSoup

from intranet import PROJECT_ROOT, i18n, i18n_tools
from tests.conftest import csrf_token

TEMPLATES_DIR = PROJECT_ROOT / "templates"
VIEWS_DIR = PROJECT_ROOT / "intranet" / "views"
# Han ideographs, CJK punctuation (、。〔〕「」) and full-width forms (，：（）).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
GETTEXT_NAMES = {"_", "gettext", "ngettext", "N_", "pgettext", "npgettext"}


# -- the catalogue ----------------------------------------------------------------------


def test_every_message_has_a_chinese_translation(tmp_path: Path) -> None:
    template = i18n_tools.extract()
    pot = tmp_path / "messages.pot"
    i18n_tools.write_catalog(pot, template)
    fresh = i18n_tools.read_catalog(pot, locale=None)
    assert len([m for m in fresh if m.id]) > 50, "extraction found almost nothing"
    found = i18n_tools.problems(fresh, i18n_tools.load_translations())
    assert not found, (
        "The zh_CN catalogue is not complete. Run `python -m intranet.i18n_tools update`, "
        "translate in intranet/locale/zh_CN/LC_MESSAGES/messages.po, then "
        "`python -m intranet.i18n_tools check`:\n  " + "\n  ".join(found)
    )


def test_the_extraction_sees_python_and_templates() -> None:
    template = i18n_tools.extract()
    files = {filename for message in template for filename, _ in message.locations}
    assert "intranet/security.py" in files  # N_()
    assert "intranet/views/accounts.py" in files  # gettext()
    assert "templates/intranet/login.html" in files  # {{ _() }}
    plural = template.get(("%(num)d organisation", "%(num)d organisations"))
    assert plural is not None and plural.pluralizable  # {{ ngettext() }}


def _problems_for(msgid: str | tuple[str, str], msgstr: str | tuple[str, ...]) -> list[str]:
    template = Catalog(locale=None)
    template.add(msgid)
    translated = Catalog(locale="zh_CN")
    translated[msgid] = Message(msgid, msgstr)
    return i18n_tools.problems(template, [translated])


def test_the_check_catches_missing_fuzzy_and_broken_translations() -> None:
    assert _problems_for("Save", "保存") == []
    assert _problems_for("Save", "")[0].startswith("untranslated: 'Save'")
    template = Catalog(locale=None)
    template.add("Save")
    guessed = Catalog(locale="zh_CN")
    guessed.add("Save", "搜索", flags=["fuzzy"])
    assert i18n_tools.problems(template, [guessed])[0].startswith("fuzzy: 'Save'")
    assert _problems_for("Hello, %(name)s", "%(name)s，您好") == []
    assert _problems_for("Hello, %(name)s", "%(姓名)s，您好")
    assert _problems_for("At most %(count)d characters", "最多%(count)s个字符")
    assert _problems_for("Page %(page)d of %(pages)d", "第%(page)d页")
    assert _problems_for("Round {number}", "第{number}期") == []
    assert _problems_for("Round {number}", "第{num}期")
    assert _problems_for("%d of %s", "%s中的%d")
    assert _problems_for(("%(num)d file", "%(num)d files"), ("%(num)d个文件",)) == []
    assert _problems_for(("%(num)d file", "%(num)d files"), ("若干文件",))
    assert _problems_for(("%(num)d file", "%(num)d files"), ("",))[0].startswith("untranslated")


def test_english_falls_back_to_the_messages_themselves() -> None:
    assert i18n.po_files("en") == []
    with i18n.use_locale("en"):
        assert i18n.gettext("Log in") == "Log in"
        assert i18n.ngettext("%(num)d organisation", "%(num)d organisations", 2) == (
            "%(num)d organisations"
        )
    with i18n.use_locale("zh_CN"):
        assert i18n.gettext("Log in") == "登录"
        chinese = i18n.ngettext("%(num)d organisation", "%(num)d organisations", 2)
        assert "%(num)d" in chinese and CJK.search(chinese)


# -- the site in each language ----------------------------------------------------------


async def test_the_login_page_is_in_chinese_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1 is not None and page.h1.get_text(strip=True) == "登录"
    assert "用户名" in response.text
    assert "密码" in response.text
    assert "Log in" not in response.text


async def test_the_language_switch_shows_english(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client, "/login")
    response = await client.post(
        "/language", data={"locale": "en", "next": "/login", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    response = await client.get("/login")
    assert '<html lang="en">' in response.text
    assert "Log in" in response.text
    assert "Username" in response.text
    assert "登录" not in response.text

    token = await csrf_token(client, "/login")
    await client.post("/language", data={"locale": "zh_CN", "next": "/login", "csrf_token": token})
    response = await client.get("/login")
    assert '<html lang="zh-CN">' in response.text
    assert "登录" in response.text


# -- no Chinese outside the catalogue ---------------------------------------------------

# A gettext call in a template: _("..."), gettext('...'), ngettext("...", "...", n).
_TEMPLATE_CALL = re.compile(
    r"""\b(?:_|gettext|ngettext|pgettext|npgettext)\(\s*"""
    r"""(?:(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*,?\s*)+"""
)
_TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", re.DOTALL)


def _untranslated_chinese_in_template(text: str) -> list[str]:
    """Lines ("12: <label>姓名</label>") with Chinese outside comments and gettext calls."""
    stripped = text
    for pattern in (_TEMPLATE_COMMENT, _TRANS_BLOCK, _TEMPLATE_CALL):
        # Keep the line breaks, so line numbers still match the file.
        stripped = pattern.sub(lambda match: "\n" * match.group().count("\n"), stripped)
    original = text.splitlines()
    return [
        f"{number}: {original[number - 1].strip()}"
        for number, line in enumerate(stripped.splitlines(), start=1)
        if CJK.search(line)
    ]


def test_templates_have_no_chinese_outside_gettext() -> None:
    found = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        if (lines := _untranslated_chinese_in_template(path.read_text(encoding="utf-8")))
    }
    assert not found, (
        f"Chinese text outside {{{{ _() }}}}; write it in English and translate it: {found}"
    )


def test_the_template_scan_sees_chinese() -> None:
    assert _untranslated_chinese_in_template('\n<p>{{ _("Log in") }} 登录</p>') == [
        '2: <p>{{ _("Log in") }} 登录</p>'
    ]
    assert _untranslated_chinese_in_template("<p>{{ _('e.g. 辽科协发〔2020〕3号') }}</p>") == []
    assert _untranslated_chinese_in_template("{# 发文字号 #}<p></p>") == []
    assert _untranslated_chinese_in_template("<label>姓名：</label>")


def _chinese_literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        scopes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        if isinstance(node, scopes) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                allowed.add(id(first.value))  # a docstring
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in GETTEXT_NAMES:
                allowed.update(id(arg) for arg in node.args)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in allowed
        and CJK.search(node.value)
    ]


def test_views_have_no_chinese_literals() -> None:
    found = {
        f"{path.relative_to(PROJECT_ROOT)}:{lineno}": text
        for path in sorted(VIEWS_DIR.rglob("*.py"))
        for lineno, text in _chinese_literals(path.read_text(encoding="utf-8"))
    }
    assert not found, f"Chinese in view code; write it in English and translate it: {found}"


def test_the_view_scan_sees_chinese() -> None:
    assert _chinese_literals('"""通知公告."""\nx = gettext("Log in")\n') == []
    assert _chinese_literals('x = "登录"\n') == [(1, "登录")]
    assert _chinese_literals('x = f"{n}个"\n') == [(1, "个")]
