"""Login, logout, profile and password."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise import timezone

from intranet import accounts, audit, i18n, policy
from intranet.form_fields import FormErrors, clean_line, form_data, is_email_address, take_line
from intranet.i18n import gettext
from intranet.middleware import LOCALE_COOKIE, SESSION_COOKIE, cookie_header
from intranet.models import User
from intranet.security import MAX_PASSWORD_LENGTH, password_problem
from intranet.templating import render

PROFILE_FIELDS = {"display_name": 64, "email": 254, "phone": 32, "title": 64}


def _session_cookie(request: Request, token: str, *, max_age: int | None) -> str:
    return cookie_header(
        SESSION_COOKIE, token, secure=request.scope.get("huibao.https", False), max_age=max_age
    )


def _new_session_cookie(request: Request, token: str, *, remember: bool) -> str:
    """A remembered session's cookie outlives the browser; any other ends with it."""
    settings = request.app.state.settings
    lifetime = accounts.session_lifetime(settings, remember=True)
    return _session_cookie(
        request, token, max_age=int(lifetime.total_seconds()) if remember else None
    )


def _seconds_until(moment: datetime) -> int:
    return max(math.ceil((moment - timezone.now()).total_seconds()), 1)


def _try_again_at(request: Request, until: datetime) -> str:
    """The throttled answer: when to try again, by the clock and in minutes."""
    zone = request.app.state.settings.zone
    return gettext(
        "Too many failed attempts. Please try again after %(time)s (in about %(minutes)d minutes)."
    ) % {
        "time": until.astimezone(zone).strftime("%H:%M"),
        "minutes": math.ceil(_seconds_until(until) / 60),
    }


async def login(request: Request) -> Response:
    next_url = accounts.safe_next(request.query_params.get("next"))
    if request.method == "GET":
        if request.scope.get("user") is not None:
            return RedirectResponse(next_url, status_code=303)
        return render(request, "intranet/login.html", {"next": next_url, "username": ""})
    form = await form_data(request)
    username = clean_line(form.get("username", ""))[:64]
    password = form.get("password", "")
    password = password if isinstance(password, str) else ""
    next_value = form.get("next")
    next_url = accounts.safe_next(next_value if isinstance(next_value, str) else None)
    settings = request.app.state.settings
    ip = request.scope.get("huibao.client_ip", "")
    remember = form.get("remember") == "1"
    context = {"next": next_url, "username": username, "remember": remember}
    if until := await accounts.throttled_until(username, ip):
        context["error"] = _try_again_at(request, until)
        refused = render(request, "intranet/login.html", context, status_code=429)
        refused.headers["retry-after"] = str(_seconds_until(until))
        return refused
    user = None
    if username and password and len(password) <= MAX_PASSWORD_LENGTH:
        user = await accounts.authenticate(settings, username, password, ip)
    if user is None:
        if username and password:
            await audit.record(request, "login.failed", summary=username)
        context["error"] = gettext("Wrong username or password.")
        return render(request, "intranet/login.html", context, status_code=400)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        # This browser's earlier session (perhaps someone else's) ends, not just its cookie.
        await accounts.end_session(previous)
    user_agent = request.headers.get("user-agent", "")
    token = await accounts.start_session(settings, user, ip, user_agent, remember=remember)
    await audit.record(request, "login", target=user, actor=user)
    response = RedirectResponse(next_url, status_code=303)
    response.headers.append("set-cookie", _new_session_cookie(request, token, remember=remember))
    return response


async def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await accounts.end_session(token)
    if request.scope.get("user") is not None:
        await audit.record(request, "logout", target=request.scope["user"])
    response = RedirectResponse(request.app.url_path_for("intranet:login"), status_code=303)
    response.headers.append("set-cookie", _session_cookie(request, "", max_age=0))
    return response


async def profile(request: Request) -> Response:
    user: User = policy.require_user(request)
    held = await policy.memberships(request)
    context: dict = {
        "person": user,
        "memberships": held,
        "errors": FormErrors(),
        "password_errors": FormErrors(),
        **await _sessions_context(request, user),
    }
    if request.method == "GET":
        context["saved"] = request.query_params.get("saved")
        return render(request, "intranet/profile.html", context)
    form = await form_data(request)
    errors = FormErrors()
    values = {
        name: take_line(form, name, errors, max_length=limit, required=name == "display_name")
        for name, limit in PROFILE_FIELDS.items()
    }
    if values["email"] and not is_email_address(values["email"]):
        errors.add("email", gettext("Enter an e-mail address such as name@example.org."))
    locale = clean_line(form.get("locale", ""))
    if locale and locale not in i18n.LOCALES:
        errors.add("locale", gettext("Choose a language from the list."))
    if errors:
        context.update(errors=errors, submitted=values)
        return render(request, "intranet/profile.html", context, status_code=400)
    for name, value in values.items():
        setattr(user, name, value)
    user.locale = locale
    await user.save(update_fields=[*PROFILE_FIELDS, "locale"])
    await audit.record(request, "profile.update", target=user)
    return RedirectResponse(request.app.url_path_for("intranet:profile") + "?saved=1", 303)


async def _sessions_context(request: Request, user: User) -> dict[str, Any]:
    current = request.scope.get("huibao.session")
    key = current.key_hash if current else ""
    sessions = await accounts.sessions_of(user)
    return {
        # This device first, then the others by their last use.
        "sessions": sorted(sessions, key=lambda session: session.key_hash != key),
        "current_session": key,
        "device_of": accounts.device_of,
    }


def _check_new_password(errors: FormErrors, user: User, new: Any, confirm: Any) -> None:
    if not isinstance(new, str) or not new:
        errors.add("new_password", gettext("Enter a new password."))
    elif problem := password_problem(new, user.username):
        errors.add("new_password", gettext(problem))
    elif new != confirm:
        errors.add("confirm_password", gettext("The two new passwords are not the same."))


async def _restart_sessions(request: Request, user: User) -> tuple[str, bool]:
    """Every session ends, this one included; a new one is started for this browser,
    remembered if this one was. Returns its token and whether it is remembered."""
    session = request.scope.get("huibao.session")
    remember = bool(session and session.remembered)
    await accounts.end_all_sessions(user)
    token = await accounts.start_session(
        request.app.state.settings,
        user,
        request.scope.get("huibao.client_ip", ""),
        request.headers.get("user-agent", ""),
        remember=remember,
    )
    return token, remember


async def change_password(request: Request) -> Response:
    user: User = policy.require_user(request)
    settings = request.app.state.settings
    form = await form_data(request)
    current = form.get("current_password", "")
    new = form.get("new_password", "")
    confirm = form.get("confirm_password", "")
    errors = FormErrors()
    ip = request.scope.get("huibao.client_ip", "")
    # The same limit as the login form, or a borrowed session could guess without one.
    if until := await accounts.throttled_until(user.username, ip):
        errors.add("current_password", _try_again_at(request, until))
        response = await _password_refused(request, user, errors, status_code=429)
        response.headers["retry-after"] = str(_seconds_until(until))
        return response
    if not isinstance(current, str) or not await accounts.authenticate(
        settings, user.username, current, ip
    ):
        errors.add("current_password", gettext("The current password is not right."))
    _check_new_password(errors, user, new, confirm)
    if errors:
        return await _password_refused(request, user, errors, status_code=400)
    await accounts.set_password(settings, user, str(new))
    token, remember = await _restart_sessions(request, user)
    await audit.record(request, "password.change", target=user)
    profile = request.app.url_path_for("intranet:profile")
    response = RedirectResponse(f"{profile}?saved=password", status_code=303)
    response.headers.append("set-cookie", _new_session_cookie(request, token, remember=remember))
    return response


async def end_other_sessions(request: Request) -> Response:
    """Sign out every other device; this one stays signed in."""
    user: User = policy.require_user(request)
    await accounts.end_all_sessions(user, except_token=request.cookies.get(SESSION_COOKIE, ""))
    await audit.record(request, "sessions.end_others", target=user)
    profile = request.app.url_path_for("intranet:profile")
    return RedirectResponse(f"{profile}?saved=sessions#sessions", status_code=303)


async def _password_refused(
    request: Request, user: User, errors: FormErrors, *, status_code: int
) -> Response:
    held = await policy.memberships(request)
    context = {
        "person": user,
        "memberships": held,
        "errors": FormErrors(),
        "password_errors": errors,
        **await _sessions_context(request, user),
    }
    return render(request, "intranet/profile.html", context, status_code=status_code)


async def set_language(request: Request) -> Response:
    form = await form_data(request)
    locale = form.get("locale", "")
    locale = locale if isinstance(locale, str) and locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    next_value = form.get("next")
    target = accounts.safe_next(next_value if isinstance(next_value, str) else None)
    user = request.scope.get("user")
    if user is not None:
        user.locale = locale
        await user.save(update_fields=["locale"])
    response = RedirectResponse(target, status_code=303)
    response.headers.append(
        "set-cookie",
        cookie_header(
            LOCALE_COOKIE,
            locale,
            secure=request.scope.get("huibao.https", False),
            max_age=365 * 86400,
        ),
    )
    return response


routes = [
    Route("/login", login, methods=["GET", "POST"], name="intranet:login"),
    Route("/logout", logout, methods=["POST"], name="intranet:logout"),
    Route("/profile", profile, methods=["GET", "POST"], name="intranet:profile"),
    Route("/profile/password", change_password, methods=["POST"], name="intranet:change_password"),
    Route(
        "/profile/sessions/end-others",
        end_other_sessions,
        methods=["POST"],
        name="intranet:end_other_sessions",
    ),
    Route("/language", set_language, methods=["POST"], name="intranet:set_language"),
]
