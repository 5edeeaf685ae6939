"""Web glue for authentication: the session cookie, the current user helper, role checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import generate_csrf

from logbook.accounts import service
from logbook.accounts.models import User
from logbook.errors import Forbidden, NotAuthenticated
from logbook.timeutil import utcnow

F = TypeVar("F", bound=Callable[..., Any])


class SessionCookie(SecureCookieSessionInterface):
    """The session cookie, set again only by a response that used it.

    Flask re-sends a permanent session's cookie on every response (to slide its expiry), each with
    the copy of the session its request carried. The service worker's precache fetches the shell and
    every static file (some fifty requests) in the background; sent before a logout or a login and
    answered after it, each would put the old copy back, so the phone lost a session the moment it
    logged in (every later request 401). A static file, the shell or the manifest never reads the
    session, so its response now leaves the cookie alone; a request that reads it (the API) still
    slides the expiry, and one that changes it (login, logout, a CSRF token) always sets it."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return session.modified or (session.accessed and super().should_set_cookie(app, session))


def _lifetime() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])


def load_current_user() -> User | None:
    """The user of this request's session cookie (cached on g), or None."""
    if "current_user" not in g:
        token = session.get("sid")
        touch = request.method not in {"GET", "HEAD", "OPTIONS"}
        g.current_user = (
            service.user_for_session(token=token, now=utcnow(), lifetime=_lifetime(), touch=touch)
            if token
            else None
        )
    return g.current_user


def current_user() -> User:
    """The authenticated user, or NotAuthenticated (401)."""
    user = load_current_user()
    if user is None:
        raise NotAuthenticated("Log in to continue.")
    return user


def log_in(user: User) -> str:
    """Start a fresh session for user: old session id and CSRF secret are discarded (rotation)."""
    old = session.get("sid")
    if old:
        service.end_session(token=old)
    session.clear()
    token = service.start_session(user=user, now=utcnow(), lifetime=_lifetime())
    session["sid"] = token
    session.permanent = True
    g.current_user = user
    return generate_csrf()


def log_out() -> None:
    """End the server-side session and clear the cookie."""
    token = session.get("sid")
    if token:
        service.end_session(token=token)
    session.clear()
    g.current_user = None


def login_required(view: F) -> F:
    """Reject anonymous callers with 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        current_user()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow only users holding at least one of these app roles (401 anonymous, 403 otherwise)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if not set(roles) & set(user.roles):
                raise Forbidden("You do not have permission to do this.")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
