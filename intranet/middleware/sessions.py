"""Who is asking (the session and its language), and the CSRF check."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import timezone

from intranet import i18n
from intranet.accounts import live_session
from intranet.middleware.base import (
    CROSS_SITE,
    CSRF_FIELD,
    CSRF_HEADER,
    LAST_SEEN_EVERY,
    LOCALE_COOKIE,
    RENEW_EVERY,
    SAFE_METHODS,
    SESSION_COOKIE,
    SESSIONLESS_PREFIXES,
    VISITOR_COOKIE,
    ErrorRenderer,
    _sets_cookie,
    client_ip,
    cookie_header,
    cookies_of,
    forwarded_by_stranger,
    is_https,
)
from intranet.middleware.headers import BodyTooLarge
from intranet.models import Membership, UserSession
from intranet.security import csrf_matches, new_token
from intranet.settings import Settings

logger = logging.getLogger("huibao")


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

    async def load_session(self, token: str) -> tuple[UserSession | None, list[Membership], bool]:
        """The live session of this token, if any, its person's roles (every signed-in
        page needs them: menu, permissions), and whether the session was renewed now."""
        now = timezone.now()
        found = await live_session(token, now)
        if found is None or not found[0].user.is_active:
            return None, [], False
        session, held = found
        renewed = False
        if now - session.last_seen_at > LAST_SEEN_EVERY:
            session.last_seen_at = now
            changes: dict[str, Any] = {"last_seen_at": now}
            if renewed := self.renewal_due(session, now):
                session.expires_at = changes["expires_at"] = now + self.remembered_for
            await UserSession.filter(key_hash=session.key_hash).update(**changes)
        return session, held, renewed

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
        session, held, renewed = await self.load_session(token) if token else (None, [], False)
        visitor = cookies.get(VISITOR_COOKIE, "")
        set_visitor = not visitor
        if set_visitor:
            visitor = new_token()
        scope["huibao.session"] = session
        scope["user"] = session.user if session else None
        scope["huibao.memberships"] = held
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
