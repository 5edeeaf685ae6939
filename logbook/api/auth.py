"""Login, logout, CSRF token and the current user."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from logbook.accounts import service
from logbook.accounts.auth import current_user, log_in, log_out
from logbook.accounts.schemas import CsrfSchema, LoginResultSchema, LoginSchema, MeSchema
from logbook.extensions import limiter

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sessions and the current user")


def _account_key() -> str:
    """Rate-limit key for one account: the email being tried, whatever address it comes from."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "login-account:" + (service.normalise_email(email) if isinstance(email, str) else "?")


def _failed(response) -> bool:
    return response.status_code == 401


@blp.route("/auth/csrf")
@blp.response(200, CsrfSchema)
def get_csrf():
    """A CSRF token for this browser session (send it as X-CSRFToken on every change)."""
    return {"csrf_token": generate_csrf()}


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    deduct_when=_failed,
    error_message="Too many failed logins from this address. Wait 15 minutes and try again.",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    deduct_when=_failed,
    error_message="Too many failed logins for this account. Wait 15 minutes and try again.",
)
@blp.arguments(LoginSchema)
@blp.response(200, LoginResultSchema)
@blp.alt_response(401, description="Email and password do not match")
@blp.alt_response(429, description="Too many failed attempts")
def login(credentials):
    """Log in with email and password; starts a new session (the old one is discarded).

    Login is CSRF-protected too (login CSRF): get a token from GET /auth/csrf first.
    """
    user = service.authenticate(email=credentials["email"], password=credentials["password"])
    token = log_in(user)
    return {"user": user, "csrf_token": token}


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
def logout():
    """End this session."""
    log_out()


@blp.route("/me")
@blp.response(200, MeSchema)
@blp.alt_response(401, description="Not logged in")
def me():
    """The logged-in user, their roles, team, job role and registrations."""
    return current_user()
