"""What the middleware shares: cookie names, reading the request's client, scheme and
cookies, and writing a cookie."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from http.cookies import Morsel, SimpleCookie
from ipaddress import ip_address, ip_network

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import Scope
from tortoise import timezone

from intranet import i18n
from intranet.settings import Settings

SESSION_COOKIE = "huibao_session"
VISITOR_COOKIE = "huibao_visitor"
LOCALE_COOKIE = "huibao_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of requests that another site started ("same-origin" and "none",
# typed or bookmarked, are this site's own).
CROSS_SITE = frozenset({"cross-site", "same-site"})
# Paths that need no session: cheap, and never set cookies.
SESSIONLESS_PREFIXES = ("/static/", "/healthz")
LAST_SEEN_EVERY = timedelta(minutes=5)
RENEW_EVERY = timedelta(days=1)
# What a 503 (the database briefly unreachable) tells clients to wait before trying again.
RETRY_AFTER_SECONDS = 5

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

ErrorRenderer = Callable[[Scope, int], Awaitable[Response]]


# What browsers send for this site's own cookies: name=value pairs of plain characters,
# which SimpleCookie would read as they stand (the values are tokens and language codes).
_PLAIN_COOKIES = re.compile(r"[\w.~-]+=[\w.~-]*(?:; [\w.~-]+=[\w.~-]*)*", re.ASCII)
_PLAIN_COOKIE = re.compile(r"([\w.~-]+)=([\w.~-]*)", re.ASCII)
# Names SimpleCookie takes for attributes of the cookie before them, not for cookies.
_ATTRIBUTES = frozenset(Morsel._reserved)  # type: ignore[attr-defined]


def cookies_of(scope: Scope) -> dict[str, str]:
    raw = Headers(scope=scope).get("cookie", "")
    if _PLAIN_COOKIES.fullmatch(raw):
        # Read here as SimpleCookie reads them, five times faster (every request does it).
        cookies = dict(_PLAIN_COOKIE.findall(raw))
        if _ATTRIBUTES.isdisjoint(name.lower() for name in cookies):
            return cookies
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is treated as no cookies
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def visitor_locale(scope: Scope, settings: Settings) -> str:
    """The language from the visitor's cookie, else the site's; the session may override it."""
    chosen = cookies_of(scope).get(LOCALE_COOKIE, "")
    return chosen if chosen in i18n.LOCALES else settings.default_locale


def _trusted(peer: str, proxies: tuple[str, ...]) -> bool:
    try:
        address = ip_address(peer)
    except ValueError:
        return False
    return any(address in ip_network(proxy, strict=False) for proxy in proxies)


def client_ip(scope: Scope, settings: Settings) -> str:
    """The client's address. X-Forwarded-For counts only when it comes from a trusted proxy,
    and then the right-most address that is not itself a trusted proxy is taken."""
    peer = (scope.get("client") or ("", 0))[0] or ""
    if not settings.trusted_proxies or not _trusted(peer, settings.trusted_proxies):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, settings.trusted_proxies):
            return hop
    return peer


def forwarded_by_stranger(scope: Scope, settings: Settings) -> str | None:
    """The peer's address when it sends X-Forwarded-For but is not a trusted proxy: most
    likely a reverse proxy HUIBAO_TRUSTED_PROXIES does not name yet."""
    peer = (scope.get("client") or ("", 0))[0] or ""
    if "x-forwarded-for" not in Headers(scope=scope):
        return None
    if settings.trusted_proxies and _trusted(peer, settings.trusted_proxies):
        return None
    return peer


def is_https(scope: Scope, settings: Settings) -> bool:
    if scope.get("scheme") == "https":
        return True
    peer = (scope.get("client") or ("", 0))[0] or ""
    if settings.trusted_proxies and _trusted(peer, settings.trusted_proxies):
        return Headers(scope=scope).get("x-forwarded-proto", "") == "https"
    return False


def _sets_cookie(headers: MutableHeaders, name: str) -> bool:
    return any(value.startswith(f"{name}=") for value in headers.getlist("set-cookie"))


def cookie_header(
    name: str, value: str, *, secure: bool, max_age: int | None = None, http_only: bool = True
) -> str:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


# Set on every response, replacing any the view set; encoded once.


def session_expiry(settings: Settings) -> datetime:
    return timezone.now() + timedelta(days=settings.session_days)
