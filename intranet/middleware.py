"""The middleware stack, written as pure ASGI (no BaseHTTPMiddleware: it costs most
of the throughput per layer).

Outermost first: SecurityHeaders (headers on every response, the 500 page for anything
unhandled, the 503 page while the database cannot be reached) → AllowedHosts (a Host
header outside HUIBAO_ALLOWED_HOSTS gets 400) → BodyLimit → Sessions (who is asking, in
which language) → CSRF → the router.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from ipaddress import ip_address, ip_network
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import timezone

from intranet import db, i18n
from intranet.models import Membership, UserSession
from intranet.security import csrf_matches, new_token, token_hash
from intranet.settings import Settings

logger = logging.getLogger("huibao")

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


def cookies_of(scope: Scope) -> dict[str, str]:
    raw = Headers(scope=scope).get("cookie", "")
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
_FORCED_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
_HSTS_HEADER = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_FORCED_NAMES = frozenset(name for name, _ in (*_FORCED_HEADERS, _HSTS_HEADER))
_CSP_HEADER = (b"content-security-policy", CSP.encode("latin-1"))


def add_security_headers(message: Message, https: bool) -> None:
    """Adds the security headers to a response start message: the CSP unless the view set
    its own, the others always (HSTS over HTTPS only)."""
    raw = list(message["headers"])
    names = {name for name, _ in raw}
    if names.isdisjoint(_FORCED_NAMES):
        # The usual case: nothing to replace, so append (as MutableHeaders would).
        if _CSP_HEADER[0] not in names:
            raw.append(_CSP_HEADER)
        raw.extend(_FORCED_HEADERS)
        if https:
            raw.append(_HSTS_HEADER)
        message["headers"] = raw
        return
    message["headers"] = raw
    headers = MutableHeaders(scope=message)
    headers.setdefault("content-security-policy", CSP)
    for name, value in _FORCED_HEADERS:
        headers[name.decode("latin-1")] = value.decode("latin-1")
    if https:
        headers[_HSTS_HEADER[0].decode("latin-1")] = _HSTS_HEADER[1].decode("latin-1")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, render_error: ErrorRenderer) -> None:
        self.app = app
        self.settings = settings
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = is_https(scope, self.settings)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                add_security_headers(message, https)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            unavailable = db.is_unavailable(exc)
            if unavailable and not started:
                # The database is down or restarting: one line, not a traceback per request.
                logger.error(
                    "Database unavailable on %s %s: %s: %s",
                    scope.get("method"),
                    scope.get("path"),
                    type(exc).__name__,
                    exc,
                )
            else:
                logger.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started or self.settings.debug:
                raise
            if unavailable:
                response = await self.render_error(scope, 503)
                response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
            else:
                response = await self.render_error(scope, 500)
            await response(scope, receive, send_with_headers)


def request_host(scope: Scope) -> str:
    """The host the request names, lower case, without port or IPv6 brackets."""
    host = Headers(scope=scope).get("host", "").strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    if not host:
        return False
    for pattern in allowed:
        if pattern == "*" or pattern == host:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class AllowedHostsMiddleware:
    """Refuses a request whose Host is not one of the site's names (400): pages, redirects
    and links can then never be built on a host someone else chose. /healthz answers any
    name, for load balancers that ask by address."""

    def __init__(self, app: ASGIApp, settings: Settings, render_error: ErrorRenderer) -> None:
        self.app = app
        self.settings = settings
        self.render_error = render_error
        self.warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/healthz":
            await self.app(scope, receive, send)
            return
        host = request_host(scope)
        if host_allowed(host, self.settings.allowed_hosts):
            await self.app(scope, receive, send)
            return
        if not self.warned:  # once: a scanner would otherwise fill the log
            self.warned = True
            logger.warning(
                "Refused a request for host %r, which is not in HUIBAO_ALLOWED_HOSTS (%s). "
                "If people reach the site by that name, add it there.",
                host,
                ", ".join(self.settings.allowed_hosts),
            )
        await (await self.render_error(scope, 400))(scope, receive, send)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413, before anything reads them whole."""

    def __init__(self, app: ASGIApp, settings: Settings, render_error: ErrorRenderer) -> None:
        self.app = app
        self.settings = settings
        self.render_error = render_error

    def limit_for(self, scope: Scope) -> int:
        content_type = Headers(scope=scope).get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            return self.settings.max_upload_bytes + 1024 * 1024
        return self.settings.max_form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await (await self.render_error(scope, 413))(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await (await self.render_error(scope, 413))(scope, receive, send)


class SessionMiddleware:
    """Finds the signed-in person from the session cookie, and the language to speak."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.warned_of_proxy = False

    def warn_of_untrusted_proxy(self, scope: Scope) -> None:
        """Once per process: behind an unnamed proxy every visitor seems to come from the
        proxy, so one guesser's failed logins would slow everyone's."""
        if self.warned_of_proxy:
            return
        peer = forwarded_by_stranger(scope, self.settings)
        if peer is not None:
            self.warned_of_proxy = True
            logger.warning(
                "X-Forwarded-For came from %s, which is not in HUIBAO_TRUSTED_PROXIES: the "
                "header is ignored and visitors are taken to be at %s. If a reverse proxy "
                "runs there, add its address to HUIBAO_TRUSTED_PROXIES (see README).",
                peer or "an unknown address",
                peer or "that address",
            )

    async def load_session(self, token: str) -> tuple[UserSession | None, bool]:
        """The live session of this token, if any, and whether it was renewed now."""
        now = timezone.now()
        session = (
            await UserSession.filter(key_hash=token_hash(token), expires_at__gt=now)
            .select_related("user")
            .first()
        )
        if session is None or not session.user.is_active:
            return None, False
        renewed = False
        if now - session.last_seen_at > LAST_SEEN_EVERY:
            session.last_seen_at = now
            changes: dict[str, Any] = {"last_seen_at": now}
            if renewed := self.renewal_due(session, now):
                session.expires_at = changes["expires_at"] = now + self.remembered_for
            await UserSession.filter(key_hash=session.key_hash).update(**changes)
        return session, renewed

    @property
    def remembered_for(self) -> timedelta:
        return timedelta(days=self.settings.remember_days)

    def renewal_due(self, session: UserSession, now: datetime) -> bool:
        """A kept sign-in lasts HUIBAO_REMEMBER_DAYS from its last use, not from the
        sign-in: renewed (and its cookie with it) at most once a day."""
        return session.remembered and session.expires_at - now < self.remembered_for - RENEW_EVERY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SESSIONLESS_PREFIXES):
            await self.app(scope, receive, send)
            return
        cookies = cookies_of(scope)
        token = cookies.get(SESSION_COOKIE, "")
        session, renewed = await self.load_session(token) if token else (None, False)
        visitor = cookies.get(VISITOR_COOKIE, "")
        set_visitor = not visitor
        if set_visitor:
            visitor = new_token()
        scope["huibao.session"] = session
        scope["user"] = session.user if session else None
        # Every signed-in page needs the roles (navigation, permissions): one query.
        scope["huibao.memberships"] = (
            await Membership.filter(user_id=session.user.id).select_related("organisation")
            if session
            else []
        )
        scope["huibao.csrf_binding"] = token if session else visitor
        scope["huibao.client_ip"] = client_ip(scope, self.settings)
        self.warn_of_untrusted_proxy(scope)
        scope["huibao.https"] = is_https(scope, self.settings)
        chosen = cookies.get(LOCALE_COOKIE, "")
        if session and session.user.locale:
            chosen = session.user.locale
        i18n.set_locale(chosen if chosen in i18n.LOCALES else self.settings.default_locale)

        async def send_with_visitor(message: Message) -> None:
            if message["type"] == "http.response.start" and (set_visitor or renewed):
                headers = MutableHeaders(scope=message)
                secure = scope["huibao.https"]
                if set_visitor:
                    headers.append(
                        "set-cookie", cookie_header(VISITOR_COOKIE, visitor, secure=secure)
                    )
                if renewed and not _sets_cookie(headers, SESSION_COOKIE):
                    # The kept sign-in was renewed: so is its cookie (unless the view
                    # itself has just replaced or ended the session).
                    max_age = int(self.remembered_for.total_seconds())
                    headers.append(
                        "set-cookie",
                        cookie_header(SESSION_COOKIE, token, secure=secure, max_age=max_age),
                    )
            await send(message)

        await self.app(scope, receive, send_with_visitor)


class CSRFMiddleware:
    """Every unsafe request must carry the page's token, in the X-CSRF-Token header
    (htmx) or the csrf_token form field (plain forms, and htmx's boosted ones). The
    parsed form is kept in the scope for the view, so the body is read once."""

    def __init__(self, app: ASGIApp, settings: Settings, render_error: ErrorRenderer) -> None:
        self.app = app
        self.settings = settings
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        binding = scope.get("huibao.csrf_binding", "")
        headers = Headers(scope=scope)
        if headers.get("sec-fetch-site", "") in CROSS_SITE:
            # The browser itself says another site sent this: refused even with a token,
            # which could have been planted together with a cookie from a sibling domain.
            await (await self.render_error(scope, 403))(scope, receive, send)
            return
        form: Any = None
        matched = csrf_matches(self.settings, binding, headers.get(CSRF_HEADER, ""))
        if not matched:
            # The form field counts too, even beside a header: after a boosted request
            # changed the session, htmx keeps <body> and its stale hx-headers, while the
            # forms swapped into it carry the new token.
            request = Request(scope, receive)
            try:
                form = await request.form(
                    max_files=20, max_fields=2000, max_part_size=self.settings.max_form_bytes
                )
            except BodyTooLarge:
                raise
            except Exception:
                form = None
            value = form.get(CSRF_FIELD, "") if form is not None else ""
            matched = isinstance(value, str) and csrf_matches(self.settings, binding, value)
        if not matched:
            if form is not None:
                await form.close()
            await (await self.render_error(scope, 403))(scope, receive, send)
            return
        scope["huibao.form"] = form
        try:
            await self.app(scope, receive, send)
        finally:
            if form is not None:
                await form.close()


def session_expiry(settings: Settings) -> datetime:
    return timezone.now() + timedelta(days=settings.session_days)
