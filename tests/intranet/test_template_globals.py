"""The templates' globals: each template holds its own copy (intranet.templating.
Environment), with Jinja's rules for what a template is given of its own."""

from __future__ import annotations

import jinja2

from intranet.templating import Environment

TEMPLATES = {"a.html": "{{ site }}/{{ who }}", "b.html": "{{ site }}/{{ who }}"}


def environment() -> Environment:
    env = Environment(loader=jinja2.DictLoader(TEMPLATES))
    env.globals["site"] = "huibao"
    return env


def test_every_template_sees_the_environments_globals() -> None:
    env = environment()
    assert env.get_template("a.html").render(who="me") == "huibao/me"
    assert env.from_string("{{ site }}").render() == "huibao"


def test_globals_given_to_one_template_stay_with_it() -> None:
    env = environment()
    assert env.get_template("a.html", globals={"who": "a"}).render() == "huibao/a"
    assert env.get_template("b.html").render() == "huibao/"
    # Also when the template was loaded before.
    assert env.get_template("b.html", globals={"who": "b"}).render() == "huibao/b"
    assert env.get_template("a.html").render() == "huibao/a"
    assert "who" not in env.globals


def test_what_a_page_passes_comes_before_the_globals() -> None:
    env = environment()
    assert env.get_template("a.html").render(site="other", who="me") == "other/me"
