"""Jinja2 set-up: one environment, translations per request, helpers every page uses."""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from intranet import PROJECT_ROOT, i18n, policy
from intranet.areas import NavLink, load_areas
from intranet.security import csrf_token
from intranet.settings import Settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


@lru_cache(maxsize=256)
def _static_hash(relative: str) -> str:
    path = (STATIC_DIR / relative).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(relative: str) -> str:
    """A static file's URL with a content hash, so browsers may cache it for a year."""
    return f"/static/{relative}?v={_static_hash(relative)}"


class FixedParts(Extension):
    """`{% fixed %}...{% endfixed %}`: a part of a page that is the same for everyone who
    reads the site in one language (translated words, paths of routes without
    parameters, static files' URLs), rendered once per process for each language and
    kept, as every page of the site repeats it. The part may read only the globals of
    SHARED and its own loop variables: naming anything a page or a request brings
    (`user`, `request`, `csrf_token`), or including another template, is a
    TemplateSyntaxError, so nothing of one person's page can be kept for another's.
    Templates reloaded when edited (debug) are rendered afresh."""

    tags = {"fixed"}
    # Globals of make_templates' environment that are the same on every page in a
    # language (url_for: paths without parameters; static_url: the files' hashes).
    SHARED = frozenset(
        {"_", "gettext", "url_for", "static_url", "html_lang", "current_locale"}
        | {"LOCALE_NAMES", "area_stylesheets", "area_scripts"}
    )

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        self.kept: dict[tuple[str, str], Markup] = {}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endfixed",), drop_needle=True)
        inside = [found for node in body for found in (node, *node.find_all(nodes.Node))]
        for node in inside:
            # What another template or a page's block brings is beyond the check below.
            if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Block)):
                parser.fail("{% fixed %} may not include, import or hold a block", node.lineno)
        names = [node for node in inside if isinstance(node, nodes.Name)]
        # Its own: what it assigns itself (a loop's variables, a {% set %}).
        readable = {name.name for name in names if name.ctx != "load"} | {"loop"} | self.SHARED
        for name in names:
            if name.ctx == "load" and name.name not in readable:
                parser.fail(
                    f"{{% fixed %}} may not read {name.name!r}: it is not the same on every page",
                    name.lineno,
                )
        place = nodes.Const(f"{parser.name}:{lineno}")
        call = self.call_method("_kept", [place])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _kept(self, place: str, caller: Any) -> Markup:
        if self.environment.auto_reload:
            return Markup(caller())
        key = (place, i18n.current_locale())
        made = self.kept.get(key)
        if made is None:
            made = self.kept[key] = Markup(caller())
        return made


class Environment(jinja2.Environment):
    """Jinja's environment, whose templates hold their globals in a dict of their own
    rather than a ChainMap over the environment's: every render copies them into its
    context, and copying a ChainMap (item by item, in Python) cost more than all the
    rest of making the context. Jinja asks that globals not change once templates are
    loaded; make_templates sets them all before any is."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def make_templates(settings: Settings) -> Jinja2Templates:
    env = Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n", FixedParts],
        undefined=jinja2.StrictUndefined if settings.debug else jinja2.Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Checking every template file's date on each render is for editing them.
        auto_reload=settings.debug,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    # `_` is the i18n extension's alias that looks `gettext` up and calls it, which calls
    # i18n.gettext: three calls through the template context for each of the dozens
    # of strings of every page. This one does the same as those three in one.
    env.globals["_"] = env.globals["gettext"] = _gettext
    zone = settings.zone

    def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        return value.astimezone(zone).strftime(fmt)

    def local_date(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(zone)
        return value.strftime("%Y-%m-%d")

    env.filters["local_time"] = local_time
    env.filters["local_date"] = local_date
    env.globals["static_url"] = static_url
    env.globals["current_locale"] = i18n.current_locale
    env.globals["html_lang"] = i18n.html_lang
    env.globals["LOCALE_NAMES"] = i18n.LOCALE_NAMES
    # What the areas built on the intranet add to every page (intranet.areas).
    areas = load_areas()
    env.globals["area_stylesheets"] = [path for area in areas for path in area.stylesheets]
    env.globals["area_scripts"] = [path for area in areas for path in area.scripts]
    nav_links = [link for area in areas for link in area.nav_links]
    templates = Jinja2Templates(env=env, context_processors=[_page_context(settings, nav_links)])

    @jinja2.pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
        request: Request = context["request"]
        if path_params:
            return str(request.app.url_path_for(name, **path_params))
        # A path without parameters never changes: look it up in the route table (which
        # is walked from the top each time) once per site, not a dozen times a page.
        paths: dict[str, str] | None = getattr(request.app.state, "plain_paths", None)
        if paths is None:
            paths = request.app.state.plain_paths = {}
        path = paths.get(name)
        if path is None:
            path = paths[name] = str(request.app.url_path_for(name))
        return path

    env.globals["url_for"] = url_for
    menus: dict[tuple[Any, ...], Markup] = {}

    @jinja2.pass_context
    def menu(context: Context) -> Markup:
        """The menu's links (templates/_menu.html), rendered once per process for each
        language and set of links shown: they depend on nothing else, and every signed-in
        page has them."""
        shown = context["area_nav_links"]
        flags = ("nav_issues_notices", "nav_is_admin", "nav_is_root_admin")
        key = (i18n.current_locale(), tuple(shown), *(bool(context[flag]) for flag in flags))
        made = menus.get(key)
        if made is None:
            page = {flag: context[flag] for flag in flags}
            made = menus[key] = Markup(
                env.get_template("_menu.html").render(
                    request=context["request"], area_nav_links=shown, **page
                )
            )
        return made

    env.globals["menu"] = menu
    return templates


@jinja2.pass_context
def _gettext(context: Context, message: str, /, **variables: Any) -> str:
    """jinja2.ext's newstyle gettext: translated, marked safe when autoescaping (the
    variables are escaped into it), and always %-formatted, with or without variables."""
    translated = i18n.gettext(message)
    if context.eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables


def _page_context(settings: Settings, nav_links: list[NavLink]):  # type: ignore[no-untyped-def]
    def context(request: Request) -> dict[str, Any]:
        binding = request.scope.get("huibao.csrf_binding", "")
        held = request.scope.get("huibao.memberships") or []
        return {
            "user": request.scope.get("user"),
            "nav_is_admin": policy.is_admin(held),
            "nav_is_root_admin": policy.is_root_admin(held),
            "nav_is_staff": policy.is_staff(held),
            # Whoever acts for an organisation writes its notices.
            "nav_issues_notices": policy.acts_for_any(held),
            # The areas' menu links this person sees, in the areas' order.
            "area_nav_links": [link for link in nav_links if link.is_shown_to(held)],
            "csrf_token": csrf_token(settings, binding) if binding else "",
            "debug": settings.debug,
        }

    return context


def is_htmx(request: Request) -> bool:
    """A partial is wanted: an htmx request that is neither a history restore nor a
    boosted link or form (those swap the whole <body>, so they want the whole page)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
        and request.headers.get("hx-boosted") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    partial: str | None = None,
) -> HTMLResponse:
    """Render a page, or only its partial when htmx asks for it (Vary: HX-Request)."""
    templates: Jinja2Templates = request.app.state.templates
    template = partial if partial and is_htmx(request) else name
    response = templates.TemplateResponse(request, template, context or {}, status_code=status_code)
    if partial:
        response.headers.append("vary", "HX-Request")
    return response
