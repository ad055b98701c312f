"""The outer layers: security headers and error pages, allowed hosts, the body limit."""

from __future__ import annotations

import logging

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intranet import db
from intranet.middleware.base import (
    CSP,
    RETRY_AFTER_SECONDS,
    SAFE_METHODS,
    ErrorRenderer,
    is_https,
)
from intranet.settings import Settings

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

logger = logging.getLogger("huibao")


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
