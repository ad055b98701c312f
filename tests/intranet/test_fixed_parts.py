"""`{% fixed %}`: the parts of every page that are the same for everyone who reads the
site in one language are rendered once per process for each language, and nothing that
differs between people or requests can end up in one."""

from __future__ import annotations

import httpx
import jinja2
import pytest
from bs4 import BeautifulSoup

from intranet import i18n
from intranet.settings import Settings
from intranet.templating import FixedParts, make_templates
from tests.conftest import new_client

WORDS = {"zh_CN": "切换", "en": "Switch"}


def environment(templates: dict[str, str], *, auto_reload: bool = False) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.DictLoader(templates),
        autoescape=True,
        extensions=[FixedParts],
        auto_reload=auto_reload,
    )


def counting_word(env: jinja2.Environment) -> list[str]:
    """A global `_()` giving WORDS in the current language; the languages it was asked
    in, in order."""
    asked: list[str] = []

    def word() -> str:
        asked.append(i18n.current_locale())
        return WORDS[i18n.current_locale()]

    env.globals["_"] = word
    return asked


def render_in(env: jinja2.Environment, locale: str, **context: object) -> str:
    with i18n.use_locale(locale):
        return env.get_template("page.html").render(**context)


def test_it_renders_a_fixed_part_once_for_each_language() -> None:
    env = environment({"page.html": "<p>{{ who }}</p>{% fixed %}<b>{{ _() }}</b>{% endfixed %}"})
    asked = counting_word(env)
    pages = [render_in(env, locale, who=who) for locale in ("zh_CN", "en") for who in "ab"]
    pages.append(render_in(env, "zh_CN", who="c"))
    assert pages == [
        "<p>a</p><b>切换</b>",
        "<p>b</p><b>切换</b>",
        "<p>a</p><b>Switch</b>",
        "<p>b</p><b>Switch</b>",
        "<p>c</p><b>切换</b>",
    ]
    assert asked == ["zh_CN", "en"]


def test_it_keeps_each_fixed_part_apart() -> None:
    env = environment(
        {
            "page.html": "{% fixed %}1{{ _() }}{% endfixed %}|{% include 'other.html' %}",
            "other.html": "{% fixed %}2{{ _() }}{% endfixed %}",
        }
    )
    counting_word(env)
    assert render_in(env, "en") == render_in(env, "en") == "1Switch|2Switch"


def test_each_environment_keeps_its_own() -> None:
    first, second = (environment({"page.html": "{% fixed %}{{ _() }}{% endfixed %}"}) for _ in "12")
    counting_word(first)
    second.globals["_"] = lambda: "another site"
    assert render_in(first, "en") == "Switch"
    assert render_in(second, "en") == "another site"


def test_it_renders_afresh_when_templates_are_reloaded_for_editing() -> None:
    env = environment({"page.html": "{% fixed %}{{ _() }}{% endfixed %}"}, auto_reload=True)
    asked = counting_word(env)
    render_in(env, "en")
    render_in(env, "en")
    assert asked == ["en", "en"]


def test_a_fixed_part_may_loop_over_globals() -> None:
    env = environment(
        {
            "page.html": "{% fixed %}{% for code, name in LOCALE_NAMES.items() %}"
            "{{ loop.index }}{{ code }}={{ name }};{% endfor %}{% set x = 1 %}{{ x }}{% endfixed %}"
        }
    )
    env.globals["LOCALE_NAMES"] = {"zh_CN": "简体中文", "en": "English"}
    assert render_in(env, "en") == "1zh_CN=简体中文;2en=English;1"


@pytest.mark.parametrize(
    "body",
    [
        "{{ user.display_name }}",  # the person's
        "{{ csrf_token }}",  # the request's
        "{{ _(request.url.path) }}",
        "{% if user %}x{% endif %}",
        "{% include 'other.html' %}",  # beyond the check
        "{% block content %}{% endblock %}",  # a page's own
    ],
)
def test_it_refuses_a_fixed_part_that_reads_what_differs(body: str) -> None:
    env = environment({"page.html": "{% fixed %}" + body + "{% endfixed %}", "other.html": ""})
    counting_word(env)
    with pytest.raises(jinja2.TemplateSyntaxError, match="fixed"):
        env.get_template("page.html")


# -- on the site ------------------------------------------------------------------------


def test_what_a_fixed_part_may_read_is_the_same_on_every_page(settings: Settings) -> None:
    env = make_templates(settings).env
    assert env.globals.keys() >= FixedParts.SHARED


def footer_words(response: httpx.Response) -> tuple[str, str, str]:
    page = BeautifulSoup(response.text, "html.parser")
    footer = page.select_one("footer")
    assert footer is not None
    button = footer.select_one("button")
    selected = footer.select_one("option[selected]")
    skip = page.select_one("a.skip-link")
    assert button is not None and selected is not None and skip is not None
    return button.get_text(), str(selected["value"]), skip.get_text()


async def test_every_page_speaks_its_readers_language_whichever_came_first(app) -> None:  # type: ignore[no-untyped-def]
    seen = []
    for locale in ("en", "zh_CN", "en"):
        async with new_client(app, cookies={"huibao_lang": locale}) as client:
            seen.append(footer_words(await client.get("/no/such/page")))
    assert seen == [
        ("Switch", "en", "Skip to content"),
        ("切换", "zh_CN", "跳到主要内容"),
        ("Switch", "en", "Skip to content"),
    ]
