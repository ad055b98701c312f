"""The middleware stack, written as pure ASGI (no BaseHTTPMiddleware: it costs most
of the throughput per layer).

Outermost first: SecurityHeaders (headers on every response, the 500 page for anything
unhandled, the 503 page while the database cannot be reached) → AllowedHosts (a Host
header outside HUIBAO_ALLOWED_HOSTS gets 400) → BodyLimit → Sessions (who is asking, in
which language) → CSRF → the router.
"""

from __future__ import annotations

from intranet.middleware.base import (
    CROSS_SITE,
    CSP,
    CSRF_FIELD,
    CSRF_HEADER,
    LAST_SEEN_EVERY,
    LOCALE_COOKIE,
    RENEW_EVERY,
    RETRY_AFTER_SECONDS,
    SAFE_METHODS,
    SESSION_COOKIE,
    SESSIONLESS_PREFIXES,
    VISITOR_COOKIE,
    ErrorRenderer,
    client_ip,
    cookie_header,
    cookies_of,
    forwarded_by_stranger,
    is_https,
    session_expiry,
    visitor_locale,
)
from intranet.middleware.headers import (
    AllowedHostsMiddleware,
    BodyLimitMiddleware,
    BodyTooLarge,
    SecurityHeadersMiddleware,
    add_security_headers,
    host_allowed,
    request_host,
)
from intranet.middleware.sessions import CSRFMiddleware, SessionMiddleware

__all__ = [
    "CROSS_SITE",
    "CSP",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LAST_SEEN_EVERY",
    "LOCALE_COOKIE",
    "RENEW_EVERY",
    "RETRY_AFTER_SECONDS",
    "SAFE_METHODS",
    "SESSIONLESS_PREFIXES",
    "SESSION_COOKIE",
    "VISITOR_COOKIE",
    "AllowedHostsMiddleware",
    "BodyLimitMiddleware",
    "BodyTooLarge",
    "CSRFMiddleware",
    "ErrorRenderer",
    "SecurityHeadersMiddleware",
    "SessionMiddleware",
    "add_security_headers",
    "client_ip",
    "cookie_header",
    "cookies_of",
    "forwarded_by_stranger",
    "host_allowed",
    "is_https",
    "request_host",
    "session_expiry",
    "visitor_locale",
]
